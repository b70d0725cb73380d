create or replace package body pulse_pkg as

  -- Characters allowed in a channel segment, spelled out: regular-expression
  -- ranges such as [A-Z] can depend on NLS_SORT in Oracle, translate does not.
  c_segment_chars constant varchar2(70) :=
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@-';

  procedure bad_channel(p_channel in varchar2, p_reason in varchar2) is
  begin
    raise_application_error(-20001,
      'invalid channel "' || substr(p_channel, 1, 300) || '": ' || p_reason);
  end bad_channel;

  function normalize_channel(p_channel in varchar2) return varchar2 is
    l_channel varchar2(32767) := p_channel;
    l_bad     varchar2(32767);
  begin
    if substr(l_channel, 1, 1) = '/' then
      l_channel := substr(l_channel, 2);
    end if;
    if l_channel is null then
      bad_channel(p_channel, 'the name is empty');
    end if;
    -- keep '/' and delete every allowed character: what remains apart from
    -- '/' is not allowed
    l_bad := replace(translate(l_channel, '/' || c_segment_chars, '/'), '/');
    if l_bad is not null then
      bad_channel(p_channel,
        'character "' || substr(l_bad, 1, 1)
        || '" is not allowed (segments use A-Z a-z 0-9 _ . : @ - and are joined by /)');
    end if;
    if length(l_channel) > c_max_channel_length then
      bad_channel(p_channel,
        'longer than ' || c_max_channel_length || ' characters');
    end if;
    if substr(l_channel, 1, 1) = '/' or substr(l_channel, -1) = '/'
       or instr(l_channel, '//') > 0
    then
      bad_channel(p_channel, 'empty segment (leading, trailing or double /)');
    end if;
    if length(l_channel) - nvl(length(replace(l_channel, '/')), 0) + 1 > c_max_segments then
      bad_channel(p_channel, 'more than ' || c_max_segments || ' segments');
    end if;
    return l_channel;
  end normalize_channel;

  procedure check_data(p_data in clob) is
  begin
    if p_data is null or dbms_lob.getlength(p_data) = 0 then
      raise_application_error(-20003, 'p_data is empty: a message needs JSON data');
    end if;
  end check_data;

  procedure publish(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in clob)
  is
    -- ORA-02290: the only check constraint on pulse_outbox is the IS JSON one
    e_check_violated exception;
    pragma exception_init(e_check_violated, -2290);
    l_channel varchar2(255);
  begin
    auth_pkg.check_app_id(p_app_id);
    l_channel := normalize_channel(p_channel);
    check_data(p_data);
    insert into pulse_outbox (app_id, channel, payload)
    values (p_app_id, l_channel, p_data);
    -- no commit: the message is part of the caller's transaction
  exception
    when e_check_violated then
      raise_application_error(-20003,
        'p_data is not valid JSON (an object or an array) for channel ' || l_channel,
        true);
  end publish;

  procedure publish(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in json_object_t)
  is
  begin
    if p_data is null then
      raise_application_error(-20003, 'p_data is null: a message needs JSON data');
    end if;
    publish(p_app_id, p_channel, p_data.to_clob());
  end publish;

  procedure publish_now(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in clob)
  is
    l_channel  varchar2(255);
    l_url      pulse_app_secret.gateway_url%type;
    l_api_key  pulse_app_secret.api_key%type;
    l_body     clob;
    l_response clob;
    l_status   number;
  begin
    auth_pkg.check_app_id(p_app_id);
    l_channel := normalize_channel(p_channel);
    check_data(p_data);
    begin
      select s.gateway_url, s.api_key
        into l_url, l_api_key
        from pulse_app_secret s
       where s.app_id = p_app_id;
    exception
      when no_data_found then
        raise_application_error(-20005,
          'app ' || p_app_id || ' is not registered in pulse_app_secret');
    end;
    if l_url is null or l_api_key is null then
      raise_application_error(-20005,
        'app ' || p_app_id || ': pulse_app_secret.gateway_url and api_key are required for publish_now');
    end if;

    -- {"channel":"…","data":…}; the data is sent as given (the gateway
    -- answers 400 if it is not JSON)
    l_body := '{"channel":' || auth_pkg.json_string(l_channel) || ',"data":';
    dbms_lob.append(l_body, p_data);
    dbms_lob.append(l_body, to_clob('}'));

    -- Dynamic PL/SQL keeps this package free of a compile-time dependency on
    -- APEX: without APEX only publish_now fails (PLS-00201 at run time).
    execute immediate q'[
      begin
        apex_web_service.g_request_headers.delete;
        apex_web_service.g_request_headers(1).name  := 'Content-Type';
        apex_web_service.g_request_headers(1).value := 'application/json; charset=utf-8';
        apex_web_service.g_request_headers(2).name  := 'Authorization';
        apex_web_service.g_request_headers(2).value := 'Bearer ' || :api_key;
        :response := apex_web_service.make_rest_request(
                       p_url         => :url,
                       p_http_method => 'POST',
                       p_body        => :body);
        :status := apex_web_service.g_status_code;
        apex_web_service.g_request_headers.delete;
      end;]'
      using in l_api_key, out l_response, in rtrim(l_url, '/') || '/api/v1/apps/' || p_app_id || '/publish',
            in l_body, out l_status;

    if l_status is null or l_status <> 200 then
      raise_application_error(-20004,
        'gateway publish to ' || l_channel || ' failed: HTTP ' || nvl(to_char(l_status), '?')
        || ' ' || dbms_lob.substr(l_response, 1000, 1));
    end if;
  end publish_now;
end pulse_pkg;
/
show errors
