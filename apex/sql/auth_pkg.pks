create or replace package auth_pkg authid definer as
  ------------------------------------------------------------------------------
  -- apex-pulse: HS256 JSON Web Tokens for the gateway, signed in the database.
  --
  -- Works without APEX: only dbms_crypto (execute granted directly to the
  -- owner), utl_encode, utl_i18n and utl_raw are used. APEX (18.1+) also has
  -- apex_jwt.encode(p_sub => ..., p_exp_sec => ..., p_other_claims =>
  -- '"app":"100","sub_ch":[...]', p_signature_key => <raw secret>), which signs
  -- HS256 too and would be an acceptable alternative for the gateway; but it
  -- needs APEX and decides the claim order and layout itself, so this package
  -- builds the token with dbms_crypto, byte for byte as documented below,
  -- which lets the Java tests reproduce it exactly.
  --
  -- TOKEN FORMAT (the contract; apex/test-plsql re-implements it and writes the
  -- known-answer vector apex/test-plsql/token-vector.json)
  --
  --   header        = {"alg":"HS256","typ":"JWT"}
  --   payload       = {"sub":S,"app":S,"iat":N,"exp":N[,"name":S][,"sub_ch":A][,"pub_ch":A][,"trig":A]}
  --                   claims in exactly this order, compact JSON (no spaces);
  --                   "name" only when p_name is not null, "sub_ch" only when
  --                   p_sub_ch is not null, "pub_ch" only when p_pub_ch is not
  --                   null, "trig" only when p_trig_ch is not null (in Oracle
  --                   '' is null: empty means absent).
  --                   S  = JSON string, see json_string below;
  --                   N  = integer Unix seconds (UTC) in plain decimal digits;
  --                        iat = now (or p_iat), exp = iat + p_ttl_seconds;
  --                   A  = JSON array of strings from a comma-separated list:
  --                        split on ',', strip leading/trailing space, tab, CR
  --                        and LF from each item, drop empty items, keep order:
  --                        'dashboard/**, user/{sub}' -> ["dashboard/**","user/{sub}"]
  --                        (a list with no non-empty item gives []).
  --   example       {"sub":"SCOTT","app":"100","iat":1700000000,"exp":1700003600,"name":"Scott","sub_ch":["dashboard/**","user/{sub}"],"pub_ch":["chat/**"]}
  --
  --   signing input = base64url(UTF8(header)) || '.' || base64url(UTF8(payload))
  --                   (the header part is always eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9)
  --   signature     = HMAC-SHA256(key = UTF8(secret), message = UTF8(signing input))
  --                   = dbms_crypto.mac(utl_i18n.string_to_raw(signing_input, 'AL32UTF8'),
  --                                     dbms_crypto.hmac_sh256,
  --                                     utl_i18n.string_to_raw(secret, 'AL32UTF8'))
  --   token         = signing input || '.' || base64url(signature)
  --
  --   UTF8(x)       = the AL32UTF8 bytes of x (utl_i18n.string_to_raw(x, 'AL32UTF8')),
  --                   whatever the database character set is.
  --   base64url(b)  = RFC 4648 section 5 without padding: utl_encode.base64_encode
  --                   (in chunks of 12000 bytes), CR and LF removed, '+' -> '-',
  --                   '/' -> '_', trailing '=' removed.
  --
  --   JSON string S = '"' || escaped || '"' where, in this order, backslash ->
  --                   \\, quote -> \", BS/FF/LF/CR/TAB -> \b \f \n \r \t, any other
  --                   character below U+0020 -> \u00xx (lower-case hex); every
  --                   other character (DEL, non-ASCII) is kept as is and so
  --                   reaches the signature as its UTF-8 bytes. This is exactly
  --                   what JavaScript's JSON.stringify produces for a string.
  --
  -- The gateway verifies the token with the same secret (its UTF-8 bytes) and
  -- reads sub/app/exp/iat/name/sub_ch/pub_ch/trig (see shared ARCHITECTURE.md).
  --
  -- Errors
  --   -20002  invalid app id (must match [A-Za-z0-9_-]{1,64})
  --   -20005  app not registered in pulse_app_secret
  --   -20006  invalid argument (user missing, ttl not positive, secret missing)
  ------------------------------------------------------------------------------

  c_header constant varchar2(30) := '{"alg":"HS256","typ":"JWT"}';

  -- Token for p_user in app p_app_id, signed with the app's secret from
  -- pulse_app_secret. p_sub_ch / p_pub_ch: comma-separated channel patterns
  -- ('*' one segment, '**' the rest, '{sub}' the token's subject), e.g.
  -- 'dashboard/**,user/{sub}'. p_trig_ch: comma-separated job names the
  -- page may run with client.trigger ('*' matches any characters), e.g.
  -- 'ticker,order-*'; null: no "trig" claim, no job may be triggered.
  function generate_token(
    p_app_id      in varchar2,
    p_user        in varchar2,
    p_sub_ch      in varchar2    default null,
    p_pub_ch      in varchar2    default null,
    p_ttl_seconds in pls_integer default 3600,
    p_name        in varchar2    default null,
    p_trig_ch     in varchar2    default null
  ) return varchar2;

  -- Same token, signed with p_secret instead of the stored secret (no table
  -- access). p_iat fixes the issue time (Unix seconds, for tests); null means
  -- now. Its first seven parameters are those of the function above, in the
  -- same order, and p_secret (8th) has no default: a call without p_secret,
  -- by name or with up to seven positional arguments, can only mean the
  -- function above; a call with p_secret (by name, or as the 8th positional
  -- argument) only this one. No call matches both (PLS-00307).
  --   auth_pkg.generate_token(p_app_id => '100', p_user => 'SCOTT',
  --                           p_secret => l_secret, p_iat => 1700000000)
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
  ) return varchar2;

  -- The payload JSON exactly as signed (see TOKEN FORMAT).
  function build_payload(
    p_app_id  in varchar2,
    p_user    in varchar2,
    p_iat     in number,
    p_exp     in number,
    p_sub_ch  in varchar2 default null,
    p_pub_ch  in varchar2 default null,
    p_name    in varchar2 default null,
    p_trig_ch in varchar2 default null
  ) return varchar2;

  -- header.payload.signature for a payload JSON text and a secret.
  function sign_payload(p_payload in varchar2, p_secret in varchar2) return varchar2;

  -- Unpadded base64url of raw bytes (any length up to the varchar2 limit).
  function base64url_encode(p_raw in raw) return varchar2;

  -- JSON string literal (with the quotes) for p_value; null gives "".
  function json_string(p_value in varchar2) return varchar2;

  -- JSON array of strings for a comma-separated list (see TOKEN FORMAT).
  function json_string_array(p_csv in varchar2) return varchar2;

  -- Current time as integer Unix seconds (UTC).
  function unix_time return number;

  -- Raises -20002 unless p_app_id matches [A-Za-z0-9_-]{1,64}.
  procedure check_app_id(p_app_id in varchar2);
end auth_pkg;
/
show errors
