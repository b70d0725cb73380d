-- apex-pulse outbox tables, Oracle 19c or later (identity columns: 12c; IS JSON on a CLOB: 12.1.0.2).
-- Applied at start when db.migrate is on: each statement runs on its own and "name is already
-- used by an existing object" (ORA-00955) is ignored, so a re-run keeps existing tables and rows
-- and alters nothing.
--
-- The same two tables as apex/sql/pulse_schema.sql (the PL/SQL kit, which also creates its
-- protected pulse_app_secret table); a test checks that both describe the same columns. Install
-- either one: the kit's script when the kit is used, otherwise let the gateway create these.
--
-- pulse_outbox: payload holds the message's "data" (the JSON the subscribers receive). Before
-- 21c IS JSON accepts only an object or an array at the top level: wrap scalars, e.g. {"value":42}.
create table pulse_outbox (
  id          number generated always as identity
              constraint pulse_outbox_pk primary key,
  app_id      varchar2(64)  not null,
  channel     varchar2(255) not null,
  payload     clob          not null
              constraint pulse_outbox_payload_json check (payload is json),
  created_at  timestamp default systimestamp not null
);

-- rows the gateway could not publish, with the reason; id is the original outbox id
create table pulse_outbox_dead (
  id          number
              constraint pulse_outbox_dead_pk primary key,
  app_id      varchar2(64),
  channel     varchar2(255),
  payload     clob,
  created_at  timestamp,
  failed_at   timestamp default systimestamp,
  reason      varchar2(4000)
);

-- Indexes: none besides the primary keys. The poller reads
-- "order by id fetch first :n rows only" and deletes "where id = :id", both served by
-- pulse_outbox_pk; every further index is extra redo on every publish.
