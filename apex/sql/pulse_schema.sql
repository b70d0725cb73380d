--------------------------------------------------------------------------------
-- apex-pulse PL/SQL kit: tables
--
-- Re-runnable: every CREATE runs through execute immediate and "name is already
-- used by an existing object" (ORA-00955) is ignored, so running this script on
-- an existing installation changes nothing (it does NOT alter existing tables).
-- Oracle 19c or later (identity columns need 12c, the IS JSON check 12.1.0.2).
--
-- Tables
--   pulse_outbox       rows written by pulse_pkg.publish inside the caller's
--                      transaction; the gateway's outbox poller publishes them in
--                      id order and deletes them after the publish succeeded
--                      (at-least-once delivery; a rolled-back transaction
--                      publishes nothing).
--   pulse_outbox_dead  rows the gateway gave up on (for example a payload the
--                      gateway rejects), with the reason. Same columns plus
--                      failed_at and reason; id is the original outbox id.
--   pulse_online, pulse_online_node
--                      who is subscribed where, kept current by the gateway
--                      when presence.sink.enabled is on (see below).
--   pulse_app_secret   PROTECTED: per-app HS256 secret used to sign browser
--                      tokens, and the gateway URL / API key used by
--                      pulse_pkg.publish_now. See the grant notes below.
--
-- The gateway's own copy of the outbox DDL (used by its tests and by
-- deployments where the gateway owns the schema) lives in the Java project
-- (src/main/resources/db/oracle.sql); the two must describe the same table.
--------------------------------------------------------------------------------

declare
  procedure create_if_absent(p_ddl in varchar2) is
    e_name_in_use exception;
    pragma exception_init(e_name_in_use, -955);
  begin
    execute immediate p_ddl;
  exception
    when e_name_in_use then
      null; -- already installed: keep the existing object as it is
  end create_if_absent;
begin
  ------------------------------------------------------------------------------
  -- Outbox. payload holds the message's "data" (the JSON the subscribers
  -- receive), not an envelope: app and channel are separate columns.
  -- "check (payload is json)" is the 12.1.0.2+/19c way to validate JSON in a
  -- CLOB (the native JSON data type needs 21c). Note that before 21c IS JSON
  -- accepts only an object or an array at the top level: wrap scalars,
  -- e.g. {"value":42}.
  ------------------------------------------------------------------------------
  create_if_absent(q'[
    create table pulse_outbox (
      id          number generated always as identity
                  constraint pulse_outbox_pk primary key,
      app_id      varchar2(64)  not null,
      channel     varchar2(255) not null,
      payload     clob          not null
                  constraint pulse_outbox_payload_json check (payload is json),
      created_at  timestamp default systimestamp not null
    )]');

  create_if_absent(q'[
    create table pulse_outbox_dead (
      id          number
                  constraint pulse_outbox_dead_pk primary key,
      app_id      varchar2(64),
      channel     varchar2(255),
      payload     clob,
      created_at  timestamp,
      failed_at   timestamp default systimestamp,
      reason      varchar2(4000)
    )]');

  ------------------------------------------------------------------------------
  -- Who is online, written by the gateway when presence.sink.enabled is on
  -- (docs/DATABASE.md): a row per user subscribed to a channel on a node,
  -- since the first of the user's connections there (UTC); pulse_online_node
  -- holds each node's heartbeat, by which the nodes remove the rows of a node
  -- that died. The gateway creates both itself when db.migrate is on; the
  -- same DDL as its dev.apexpulse.online.JdbcOnlineStore.
  --   select distinct user_name from pulse_online
  --    where app_id = '100' and channel = 'site/online'
  ------------------------------------------------------------------------------
  create_if_absent(q'[
    create table pulse_online (
      app_id     varchar2(64)  not null,
      channel    varchar2(255) not null,
      user_name  varchar2(255) not null,
      node_id    varchar2(128) not null,
      since      timestamp not null,
      constraint pulse_online_pk primary key (app_id, channel, user_name, node_id)
    )]');

  create_if_absent(q'[
    create table pulse_online_node (
      node_id    varchar2(128) constraint pulse_online_node_pk primary key,
      seen_at    timestamp not null
    )]');

  create_if_absent(q'[
    create table pulse_app_secret (
      app_id       varchar2(64)
                   constraint pulse_app_secret_pk primary key,
      secret       varchar2(512) not null,
      gateway_url  varchar2(1000),
      api_key      varchar2(512)
    )]');
end;
/

--------------------------------------------------------------------------------
-- Indexes
--   pulse_outbox: none besides the primary key. The poller reads
--     "order by id fetch first :n rows only" and deletes "where id = :id";
--     both are served by the PK index (pulse_outbox_pk). Do not add an index on
--     created_at or app_id: every index is extra redo on every publish.
--   pulse_outbox_dead: written rarely, read by people: PK only.
--------------------------------------------------------------------------------

comment on table pulse_outbox is
  'apex-pulse outbox: messages to publish, written by pulse_pkg.publish in the caller''s transaction; the gateway publishes them in id order and deletes them afterwards';
comment on column pulse_outbox.id is
  'Identity; the gateway publishes in id order (ids may commit out of order, so it never uses a high-water mark)';
comment on column pulse_outbox.app_id is
  'APEX application id as text, [A-Za-z0-9_-]{1,64}';
comment on column pulse_outbox.channel is
  'Channel name: segments [A-Za-z0-9_.:@-]+ joined by /, at most 255 chars and 16 segments';
comment on column pulse_outbox.payload is
  'Message data as JSON (object or array on 19c)';

comment on table pulse_outbox_dead is
  'apex-pulse outbox rows the gateway could not publish, with the reason';

comment on table pulse_app_secret is
  'PROTECTED apex-pulse app secrets (HS256 token secret, gateway URL and API key). Never grant SELECT on this table.';
comment on column pulse_app_secret.secret is
  'HS256 secret shared with the gateway (the gateway uses the same UTF-8 bytes); at least 32 characters';
comment on column pulse_app_secret.api_key is
  'Gateway app API key for pulse_pkg.publish_now (Authorization: Bearer ...)';

--------------------------------------------------------------------------------
-- Grants (read before granting anything)
--
-- Install the kit in its own schema (for example PULSE) and let the APEX
-- parsing schema use it through the packages only:
--
--   grant execute on pulse.auth_pkg  to <apex parsing schema>;
--   grant execute on pulse.pulse_pkg to <apex parsing schema>;
--
-- Both packages are definer's rights (authid definer), so callers need no
-- privilege on the tables. NEVER grant SELECT (or READ) on pulse_app_secret to
-- the APEX parsing schema, to PUBLIC or to any role its users get: whoever can
-- read a secret can mint tokens for any user of that app. The owner schema
-- itself needs, granted directly (not through a role):
--
--   grant execute on sys.dbms_crypto to pulse;
--
-- and, for pulse_pkg.publish_now only, APEX (apex_web_service) plus a network
-- ACL for the gateway host:
--
--   begin
--     dbms_network_acl_admin.append_host_ace(
--       host => 'pulse.example.com',
--       ace  => xs$ace_type(privilege_list => xs$name_list('http'),
--                           principal_name => 'APEX_230200', -- the APEX schema
--                           principal_type => xs_acl.ptype_db));
--   end;
--
-- Register an app (the secret must equal the one configured for the app in the
-- gateway's pulse.yaml / PULSE_ environment):
--
--   insert into pulse_app_secret (app_id, secret, gateway_url, api_key)
--   values ('100', '<secret, 32+ chars>', 'https://pulse.example.com', '<api key>');
--   commit;
--------------------------------------------------------------------------------
