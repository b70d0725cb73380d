--------------------------------------------------------------------------------
-- apex-pulse: example APEX Ajax Callback process PULSE_TOKEN
--
-- Create it in the application (Shared Components > Application Processes,
-- or on the page): Name PULSE_TOKEN, Point "Ajax Callback", Type "Execute
-- Code" (called "PL/SQL Code" in older APEX releases), and paste the block
-- below as its PL/SQL code. This file is an example, not part of install.sql
-- (the :APP_ID / :APP_USER binds exist only inside APEX).
--
-- The JS client's tokenProvider calls it, for example:
--   tokenProvider: () => apex.server.process('PULSE_TOKEN', {}, { dataType: 'json' })
--                          .then((r) => { if (!r.token) throw new Error(r.error || 'no token'); return r.token; })
-- and gets {"token":"<JWT>"} (or {"error":"..."} for the public user, when the
-- process has no authorization scheme; with "Must Not Be Public User" APEX
-- refuses public pages before the block runs). The token lets the user
-- subscribe to dashboard/** and to their own user channel (user/{sub} =
-- user/<APP_USER>, the channel the order status trigger in
-- order_status_trigger.sql publishes to), and publish nowhere.
-- Keep the TTL short: the client asks for a token on every connect and
-- reconnect, and again when the gateway closes the socket with 1008 at expiry
-- (plus auth.leewaySeconds); it does not refresh ahead of expiry.
--
-- Needs: execute on auth_pkg for the parsing schema (never select on
-- pulse_app_secret), and a row for this application in pulse_app_secret.
--------------------------------------------------------------------------------
declare
  l_token varchar2(32767);
begin
  -- no token for the public user of pages that need no authentication
  if :APP_USER is null or upper(:APP_USER) = 'NOBODY' then
    apex_json.open_object;
    apex_json.write('error', 'not authenticated');
    apex_json.close_object;
    return;
  end if;

  l_token := auth_pkg.generate_token(
               p_app_id      => :APP_ID,
               p_user        => :APP_USER,
               p_sub_ch      => 'dashboard/**,user/{sub}',
               p_pub_ch      => null,      -- e.g. 'chat/**' to let users publish
               p_ttl_seconds => 900,       -- 15 minutes
               p_name        => :APP_USER); -- shown in presence lists

  -- apex_json escapes the value and writes through htp, which is what an Ajax
  -- Callback returns to apex.server.process
  apex_json.open_object;
  apex_json.write('token', l_token);
  apex_json.close_object;
end;
/
