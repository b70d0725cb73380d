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
  --              Needs APEX (apex_web_service, called dynamically so that this
  --              package also compiles where APEX is absent), a network ACL for
  --              the gateway host and, for https, a wallet known to APEX.
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
  --   -20004  the gateway answered publish_now with a status other than 200
  --   -20005  app not registered in pulse_app_secret (or, for publish_now,
  --           without gateway_url / api_key)
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
end pulse_pkg;
/
show errors
