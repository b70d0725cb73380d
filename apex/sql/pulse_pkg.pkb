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

  -- The app's gateway URL (without a trailing '/') and API key, for the HTTP calls.
  procedure gateway_of(
    p_app_id  in  varchar2,
    o_url     out varchar2,
    o_api_key out varchar2)
  is
  begin
    begin
      select rtrim(s.gateway_url, '/'), s.api_key
        into o_url, o_api_key
        from pulse_app_secret s
       where s.app_id = p_app_id;
    exception
      when no_data_found then
        raise_application_error(-20005,
          'app ' || p_app_id || ' is not registered in pulse_app_secret');
    end;
    if o_url is null or o_api_key is null then
      raise_application_error(-20005,
        'app ' || p_app_id || ': pulse_app_secret.gateway_url and api_key are required to call the gateway');
    end if;
  end gateway_of;

  -- One request to the gateway's HTTP API with the app's key; returns the
  -- answer's body and its status in o_status. Dynamic PL/SQL keeps this
  -- package free of a compile-time dependency on APEX: without APEX only the
  -- HTTP calls fail (PLS-00201 at run time).
  function gateway_request(
    p_app_id in  varchar2,
    p_method in  varchar2,
    p_path   in  varchar2,
    p_body   in  clob,
    o_status out number) return clob
  is
    l_url      pulse_app_secret.gateway_url%type;
    l_api_key  pulse_app_secret.api_key%type;
    l_response clob;
  begin
    gateway_of(p_app_id, l_url, l_api_key);
    execute immediate q'[
      begin
        apex_web_service.g_request_headers.delete;
        apex_web_service.g_request_headers(1).name  := 'Content-Type';
        apex_web_service.g_request_headers(1).value := 'application/json; charset=utf-8';
        apex_web_service.g_request_headers(2).name  := 'Authorization';
        apex_web_service.g_request_headers(2).value := 'Bearer ' || :api_key;
        :response := apex_web_service.make_rest_request(
                       p_url         => :url,
                       p_http_method => :method,
                       p_body        => :body);
        :status := apex_web_service.g_status_code;
        apex_web_service.g_request_headers.delete;
      end;]'
      using in l_api_key, out l_response, in l_url || p_path, in p_method, in p_body, out o_status;
    return l_response;
  end gateway_request;

  procedure publish_now(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in clob)
  is
    l_channel  varchar2(255);
    l_body     clob;
    l_response clob;
    l_status   number;
  begin
    auth_pkg.check_app_id(p_app_id);
    l_channel := normalize_channel(p_channel);
    check_data(p_data);

    -- {"channel":"…","data":…}; the data is sent as given (the gateway
    -- answers 400 if it is not JSON)
    l_body := '{"channel":' || auth_pkg.json_string(l_channel) || ',"data":';
    dbms_lob.append(l_body, p_data);
    dbms_lob.append(l_body, to_clob('}'));

    l_response := gateway_request(p_app_id, 'POST', '/api/v1/apps/' || p_app_id || '/publish', l_body, l_status);
    if l_status is null or l_status <> 200 then
      raise_application_error(-20004,
        'gateway publish to ' || l_channel || ' failed: HTTP ' || nvl(to_char(l_status), '?')
        || ' ' || dbms_lob.substr(l_response, 1000, 1));
    end if;
  end publish_now;

  function presence_json(
    p_app_id  in varchar2,
    p_channel in varchar2) return clob
  is
    l_channel  varchar2(255);
    l_response clob;
    l_status   number;
  begin
    auth_pkg.check_app_id(p_app_id);
    l_channel := normalize_channel(p_channel);
    -- every character a channel may hold is kept or percent-encoded by
    -- utl_url.escape with reserved characters escaped ('/' becomes %2F)
    l_response := gateway_request(p_app_id, 'GET',
                    '/api/v1/apps/' || p_app_id || '/presence?channel='
                    || utl_url.escape(l_channel, true, 'AL32UTF8'),
                    null, l_status);
    if l_status is null or l_status <> 200 then
      raise_application_error(-20004,
        'gateway presence of ' || l_channel || ' failed: HTTP ' || nvl(to_char(l_status), '?')
        || ' ' || dbms_lob.substr(l_response, 1000, 1));
    end if;
    return l_response;
  end presence_json;

  function online_count(
    p_app_id  in varchar2,
    p_channel in varchar2) return number
  is
  begin
    return json_object_t.parse(presence_json(p_app_id, p_channel)).get_number('count');
  end online_count;

  function online_users(
    p_app_id  in varchar2,
    p_channel in varchar2) return t_online_users pipelined
  is
    l_clients json_array_t;
    l_client  json_object_t;
    l_row     t_online_user;
  begin
    l_clients := json_object_t.parse(presence_json(p_app_id, p_channel)).get_array('clients');
    if l_clients is not null then
      for i in 0 .. l_clients.get_size - 1 loop
        l_client := treat(l_clients.get(i) as json_object_t);
        l_row.user_name    := l_client.get_string('user');
        l_row.display_name := l_client.get_string('name');
        pipe row (l_row);
      end loop;
    end if;
    return;
  end online_users;

  -- Queue a web push for the user's subscribed devices (APEX 23.1+). Called
  -- dynamically, like apex_web_service: the package compiles without it.
  procedure push(
    p_app_id in varchar2,
    p_user   in varchar2,
    p_title  in varchar2,
    p_body   in varchar2,
    p_url    in varchar2)
  is
    -- ORA-06550: the block does not compile, i.e. apex_pwa is not there
    e_no_apex_pwa exception;
    pragma exception_init(e_no_apex_pwa, -6550);
  begin
    execute immediate q'[
      begin
        apex_pwa.send_push_notification(
          p_application_id => :app_id,
          p_user_name      => :user_name,
          p_title          => :title,
          p_body           => :body,
          p_target_url     => :url);
      end;]'
      using in p_app_id, in p_user, in p_title, in p_body, in p_url;
  exception
    when e_no_apex_pwa then
      raise_application_error(-20007,
        'notify_user: ' || p_user || ' has no page open and a web push needs apex_pwa'
        || ' (APEX 23.1+, an app with push notifications enabled)', true);
  end push;

  procedure notify_user(
    p_app_id in varchar2,
    p_user   in varchar2,
    p_data   in clob     default null,
    p_title  in varchar2 default null,
    p_body   in varchar2 default null,
    p_url    in varchar2 default null)
  is
    l_channel varchar2(255);
    l_data    clob := p_data;
    l_message json_object_t;
    l_online  number;
  begin
    auth_pkg.check_app_id(p_app_id);
    l_channel := normalize_channel('user/' || p_user);
    if l_data is null then
      if p_title is null and p_body is null and p_url is null then
        raise_application_error(-20003,
          'notify_user needs p_data, or p_title / p_body / p_url to build the message from');
      end if;
      -- only the fields given, in this order
      l_message := json_object_t();
      if p_title is not null then
        l_message.put('title', p_title);
      end if;
      if p_body is not null then
        l_message.put('body', p_body);
      end if;
      if p_url is not null then
        l_message.put('url', p_url);
      end if;
      l_data := l_message.to_clob();
    end if;
    publish(p_app_id, l_channel, l_data);

    if p_title is null then
      return; -- no push asked for
    end if;
    begin
      l_online := online_count(p_app_id, l_channel);
    exception
      when others then
        -- the gateway could not be asked (down, no ACL, no API key): a push
        -- the user did not need beats a notification nobody sees
        l_online := 0;
    end;
    if l_online = 0 then
      push(p_app_id, p_user, p_title, p_body, p_url);
    end if;
  end notify_user;
end pulse_pkg;
/
show errors
