create or replace package body auth_pkg as
  ------------------------------------------------------------------------------
  -- See the package spec for the exact token format. Everything here is
  -- deterministic text building; the only database calls are dbms_crypto.mac,
  -- utl_encode.base64_encode, utl_i18n.string_to_raw and the secret lookup.
  ------------------------------------------------------------------------------

  c_app_id_chars constant varchar2(64) :=
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  c_hex          constant varchar2(16) := '0123456789abcdef';
  c_trim_chars   constant varchar2(4)  := ' ' || chr(9) || chr(10) || chr(13);
  -- 12000 bytes: a multiple of 3 (no '=' padding inside the output) whose
  -- base64 text (16000 chars plus line breaks) stays under 32767 bytes.
  c_b64_chunk    constant pls_integer  := 12000;

  procedure check_app_id(p_app_id in varchar2) is
  begin
    if p_app_id is null
       or length(p_app_id) > 64
       -- translate keeps the first listed character and deletes the other
       -- allowed ones: what is left besides 'A' is a forbidden character
       or replace(translate(p_app_id, c_app_id_chars, 'A'), 'A') is not null
    then
      raise_application_error(-20002,
        'invalid app id "' || substr(p_app_id, 1, 100)
        || '": expected 1 to 64 characters from [A-Za-z0-9_-]');
    end if;
  end check_app_id;

  function unix_time return number is
    l_since interval day(9) to second(6);
  begin
    l_since := sys_extract_utc(systimestamp) - timestamp '1970-01-01 00:00:00';
    return extract(day from l_since) * 86400
         + extract(hour from l_since) * 3600
         + extract(minute from l_since) * 60
         + trunc(extract(second from l_since));
  end unix_time;

  function json_string(p_value in varchar2) return varchar2 is
    l_out varchar2(32767);
  begin
    -- backslash first, so the escapes added below are not escaped again
    l_out := replace(p_value, '\', '\\');
    l_out := replace(l_out, '"', '\"');
    l_out := replace(l_out, chr(8), '\b');
    l_out := replace(l_out, chr(12), '\f');
    l_out := replace(l_out, chr(10), '\n');
    l_out := replace(l_out, chr(13), '\r');
    l_out := replace(l_out, chr(9), '\t');
    for i in 0 .. 31 loop
      if i not in (8, 9, 10, 12, 13) then
        l_out := replace(l_out, chr(i),
                   '\u00' || substr(c_hex, trunc(i / 16) + 1, 1)
                          || substr(c_hex, mod(i, 16) + 1, 1));
      end if;
    end loop;
    return '"' || l_out || '"';
  end json_string;

  function json_string_array(p_csv in varchar2) return varchar2 is
    l_out   varchar2(32767) := '[';
    l_item  varchar2(32767);
    l_pos   pls_integer := 1;
    l_comma pls_integer;
    l_len   pls_integer := nvl(length(p_csv), 0);
    l_count pls_integer := 0;
  begin
    if p_csv is null then
      return '[]';
    end if;
    while l_pos <= l_len + 1 loop
      l_comma := instr(p_csv, ',', l_pos);
      if l_comma = 0 then
        l_comma := l_len + 1;
      end if;
      l_item := rtrim(ltrim(substr(p_csv, l_pos, l_comma - l_pos), c_trim_chars), c_trim_chars);
      if l_item is not null then
        if l_count > 0 then
          l_out := l_out || ',';
        end if;
        l_out := l_out || json_string(l_item);
        l_count := l_count + 1;
      end if;
      l_pos := l_comma + 1;
    end loop;
    return l_out || ']';
  end json_string_array;

  function base64url_encode(p_raw in raw) return varchar2 is
    l_out varchar2(32767);
    l_len pls_integer;
    l_pos pls_integer := 1;
  begin
    if p_raw is null then
      return null;
    end if;
    l_len := utl_raw.length(p_raw);
    while l_pos <= l_len loop
      -- utl_encode wraps its output in 64-character lines (48 input bytes)
      -- separated by CR LF: convert each chunk to text and drop the breaks
      l_out := l_out
        || replace(replace(
             utl_raw.cast_to_varchar2(
               utl_encode.base64_encode(
                 utl_raw.substr(p_raw, l_pos, least(c_b64_chunk, l_len - l_pos + 1)))),
             chr(13)), chr(10));
      l_pos := l_pos + c_b64_chunk;
    end loop;
    return rtrim(translate(l_out, '+/', '-_'), '=');
  end base64url_encode;

  function build_payload(
    p_app_id  in varchar2,
    p_user    in varchar2,
    p_iat     in number,
    p_exp     in number,
    p_sub_ch  in varchar2 default null,
    p_pub_ch  in varchar2 default null,
    p_name    in varchar2 default null,
    p_trig_ch in varchar2 default null
  ) return varchar2 is
    l_json varchar2(32767);
  begin
    check_app_id(p_app_id);
    if p_user is null then
      raise_application_error(-20006, 'p_user (the token subject) is required');
    end if;
    if p_iat is null or p_exp is null or p_iat <> trunc(p_iat) or p_exp <> trunc(p_exp) then
      raise_application_error(-20006, 'iat and exp must be integer Unix seconds');
    end if;
    l_json := '{"sub":' || json_string(p_user)
           || ',"app":' || json_string(p_app_id)
           || ',"iat":' || to_char(p_iat, 'fm999999999999999999')
           || ',"exp":' || to_char(p_exp, 'fm999999999999999999');
    if p_name is not null then
      l_json := l_json || ',"name":' || json_string(p_name);
    end if;
    if p_sub_ch is not null then
      l_json := l_json || ',"sub_ch":' || json_string_array(p_sub_ch);
    end if;
    if p_pub_ch is not null then
      l_json := l_json || ',"pub_ch":' || json_string_array(p_pub_ch);
    end if;
    if p_trig_ch is not null then
      l_json := l_json || ',"trig":' || json_string_array(p_trig_ch);
    end if;
    return l_json || '}';
  end build_payload;

  function sign_payload(p_payload in varchar2, p_secret in varchar2) return varchar2 is
    l_input varchar2(32767);
    l_mac   raw(32);
  begin
    if p_secret is null then
      raise_application_error(-20006, 'the signing secret is empty');
    end if;
    l_input := base64url_encode(utl_i18n.string_to_raw(c_header, 'AL32UTF8'))
            || '.'
            || base64url_encode(utl_i18n.string_to_raw(p_payload, 'AL32UTF8'));
    l_mac := dbms_crypto.mac(
               src => utl_i18n.string_to_raw(l_input, 'AL32UTF8'),
               typ => dbms_crypto.hmac_sh256,
               key => utl_i18n.string_to_raw(p_secret, 'AL32UTF8'));
    return l_input || '.' || base64url_encode(l_mac);
  end sign_payload;

  function generate_token(
    p_app_id      in varchar2,
    p_user        in varchar2,
    p_sub_ch      in varchar2    default null,
    p_pub_ch      in varchar2    default null,
    p_ttl_seconds in pls_integer default 3600,
    p_name        in varchar2    default null,
    p_trig_ch     in varchar2    default null,
    p_secret      in varchar2,
    p_iat         in number      default null
  ) return varchar2 is
    l_iat number := nvl(p_iat, unix_time);
  begin
    if p_ttl_seconds is null or p_ttl_seconds <= 0 then
      raise_application_error(-20006, 'p_ttl_seconds must be a positive number of seconds');
    end if;
    return sign_payload(
             build_payload(
               p_app_id  => p_app_id,
               p_user    => p_user,
               p_iat     => l_iat,
               p_exp     => l_iat + p_ttl_seconds,
               p_sub_ch  => p_sub_ch,
               p_pub_ch  => p_pub_ch,
               p_name    => p_name,
               p_trig_ch => p_trig_ch),
             p_secret);
  end generate_token;

  function generate_token(
    p_app_id      in varchar2,
    p_user        in varchar2,
    p_sub_ch      in varchar2    default null,
    p_pub_ch      in varchar2    default null,
    p_ttl_seconds in pls_integer default 3600,
    p_name        in varchar2    default null,
    p_trig_ch     in varchar2    default null
  ) return varchar2 is
    l_secret pulse_app_secret.secret%type;
  begin
    check_app_id(p_app_id);
    begin
      select s.secret
        into l_secret
        from pulse_app_secret s
       where s.app_id = p_app_id;
    exception
      when no_data_found then
        raise_application_error(-20005,
          'app ' || p_app_id || ' is not registered in pulse_app_secret');
    end;
    return generate_token(
             p_app_id      => p_app_id,
             p_user        => p_user,
             p_sub_ch      => p_sub_ch,
             p_pub_ch      => p_pub_ch,
             p_ttl_seconds => p_ttl_seconds,
             p_name        => p_name,
             p_secret      => l_secret,
             p_trig_ch     => p_trig_ch);
  end generate_token;
end auth_pkg;
/
show errors
