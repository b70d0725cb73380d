create or replace package pulse_pkg authid definer as
  ------------------------------------------------------------------------------
  -- apex-pulse: publish messages from the database.
  --
  -- publish      writes the message to pulse_outbox in the CALLER'S transaction
  --              (no commit here). The gateway's outbox poller publishes
  --              committed rows in id order, at least once; a rollback
  --              publishes nothing. Use it from triggers, APEX processes and
  --              batch jobs: subscribers never see data that was rolled back.
  -- publish_now  calls the gateway's HTTP API at once
  --              (POST {gateway_url}/api/v1/apps/{app}/publish) with the app's
  --              API key, both read from pulse_app_secret. NOT transactional:
  --              the message goes out even if the caller rolls back later.
  -- online_count, online_users, presence_json
  --              who is subscribed to a channel right now, cluster-wide
  --              (GET {gateway_url}/api/v1/apps/{app}/presence?channel=...):
  --              for APEX reports, charts and PL/SQL decisions.
  -- notify_user  publish to user/<user> (like publish, in the caller's
  --              transaction) and, when that user has no page subscribed to
  --              the channel, queue a web push with apex_pwa (APEX 23.1+).
  --
  -- publish_now, the presence functions and notify_user need APEX
  -- (apex_web_service, and apex_pwa for the push, both called dynamically so
  -- that this package also compiles where APEX is absent or older), a network
  -- ACL for the gateway host and, for https, a wallet known to APEX.
  --
  -- Names (shared ARCHITECTURE.md)
  --   app id   [A-Za-z0-9_-]{1,64} (the APEX application id as text)
  --   channel  segments [A-Za-z0-9_.:@-]+ joined by '/', at most 255 characters
  --            and 16 segments; one leading '/' is accepted and dropped:
  --            '/dashboard/department/3' is stored as 'dashboard/department/3'.
  --   data     JSON text. The outbox column is checked with IS JSON, which on
  --            19c accepts only an object or an array at the top level.
  --
  -- Errors
  --   -20001  invalid channel name
  --   -20002  invalid app id
  --   -20003  data missing or not valid JSON
  --   -20004  the gateway answered publish_now or a presence request with a
  --           status other than 200
  --   -20005  app not registered in pulse_app_secret (or, for the HTTP calls,
  --           without gateway_url / api_key)
  --   -20007  notify_user must push but apex_pwa is missing (APEX before 23.1)
  ------------------------------------------------------------------------------

  c_max_channel_length constant pls_integer := 255;
  c_max_segments       constant pls_integer := 16;

  -- p_channel without its leading '/', or raise_application_error(-20001, ...)
  -- explaining what is wrong with it.
  function normalize_channel(p_channel in varchar2) return varchar2;

  -- Queue a message in pulse_outbox (no commit).
  --   pulse_pkg.publish('100', 'dashboard/department/' || :P1_DEPTNO,
  --                     '{"sales":' || l_total || '}');
  procedure publish(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in clob);

  -- Same, with the data as a json_object_t (serialized with to_clob).
  procedure publish(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in json_object_t);

  -- Publish right away through the gateway's HTTP API (not transactional).
  -- Raises -20004 with the gateway's answer unless it returns HTTP 200.
  procedure publish_now(
    p_app_id  in varchar2,
    p_channel in varchar2,
    p_data    in clob);

  -- One row per user subscribed to the channel on any node (anonymous
  -- connections are not listed), as the gateway's presence answer has them.
  type t_online_user is record (
    user_name    varchar2(255),
    display_name varchar2(255));
  type t_online_users is table of t_online_user;

  -- The gateway's presence answer for a channel, as JSON:
  --   {"channel":"site/online","count":2,"connections":3,
  --    "clients":[{"user":"SCOTT","name":"Scott"},{"user":"JANE"}]}
  -- Raises -20004 unless the gateway answers 200.
  function presence_json(
    p_app_id  in varchar2,
    p_channel in varchar2) return clob;

  -- Number of distinct users subscribed to the channel (presence "count").
  --   select pulse_pkg.online_count('100', 'site/online') from dual
  function online_count(
    p_app_id  in varchar2,
    p_channel in varchar2) return number;

  -- The users subscribed to the channel, for reports:
  --   select user_name, display_name
  --     from table(pulse_pkg.online_users('100', 'site/online'))
  function online_users(
    p_app_id  in varchar2,
    p_channel in varchar2) return t_online_users pipelined;

  -- Publish to 'user/' || p_user in the caller's transaction (as publish).
  -- p_data is the message; when it is null the message is
  -- {"title":…,"body":…,"url":…} of those of the other arguments that are
  -- not null. When p_title is
  -- given and the user has no page subscribed to user/<p_user> anywhere in
  -- the cluster (online_count = 0, or the gateway could not be asked), a web
  -- push is queued with apex_pwa.send_push_notification(p_application_id =>
  -- p_app_id, p_user_name => p_user, p_title, p_body, p_target_url => p_url)
  -- for the devices the user subscribed in the APEX app (APEX 23.1+, a PWA
  -- with push notifications). Without p_title no push is ever sent.
  --   pulse_pkg.notify_user('100', :new.owner, p_title => 'Order shipped',
  --                         p_body => 'Order ' || :new.id || ' is on its way',
  --                         p_url => 'f?p=100:10:::::P10_ID:' || :new.id);
  procedure notify_user(
    p_app_id in varchar2,
    p_user   in varchar2,
    p_data   in clob     default null,
    p_title  in varchar2 default null,
    p_body   in varchar2 default null,
    p_url    in varchar2 default null);
end pulse_pkg;
/
show errors
