-- apex-pulse outbox tables, PostgreSQL 10 or later (identity columns). Applied at start when
-- db.migrate is on; re-runnable (IF NOT EXISTS: existing tables and rows are kept).
-- The same tables as oracle.sql and apex/sql/pulse_schema.sql (the contract in ARCHITECTURE.md).
-- payload is text holding JSON (not jsonb, which would reorder keys and reject bad rows at insert:
-- the gateway moves a row that is not JSON to pulse_outbox_dead).
CREATE TABLE IF NOT EXISTS pulse_outbox (
  id          BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT pulse_outbox_pk PRIMARY KEY,
  app_id      VARCHAR(64)  NOT NULL,
  channel     VARCHAR(255) NOT NULL,
  payload     TEXT         NOT NULL,
  created_at  TIMESTAMP    DEFAULT CURRENT_TIMESTAMP NOT NULL
);

-- rows the gateway could not publish, with the reason; id is the original outbox id
CREATE TABLE IF NOT EXISTS pulse_outbox_dead (
  id          BIGINT CONSTRAINT pulse_outbox_dead_pk PRIMARY KEY,
  app_id      VARCHAR(64),
  channel     VARCHAR(255),
  payload     TEXT,
  created_at  TIMESTAMP,
  failed_at   TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  reason      VARCHAR(4000)
);

-- Indexes: the primary keys only (the poller reads in id order and deletes by id). A busy outbox
-- table churns: let autovacuum keep up (see docs/DATABASE.md).
