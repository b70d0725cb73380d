-- apex-pulse outbox tables, H2 2.x (the embedded default). Applied at start when db.migrate is on;
-- re-runnable (IF NOT EXISTS: existing tables and rows are kept, nothing is altered).
-- The same tables as oracle.sql and apex/sql/pulse_schema.sql (the contract in ARCHITECTURE.md).
--
-- pulse_outbox: a row per message, written in the same transaction as the change it announces;
-- the gateway publishes rows in id order and deletes each one after it was published.
-- payload is the message data as JSON text (not checked here: a row that is not JSON is moved
-- to pulse_outbox_dead by the gateway).
CREATE TABLE IF NOT EXISTS pulse_outbox (
  id          BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT pulse_outbox_pk PRIMARY KEY,
  app_id      VARCHAR(64)  NOT NULL,
  channel     VARCHAR(255) NOT NULL,
  payload     CLOB         NOT NULL,
  created_at  TIMESTAMP    DEFAULT CURRENT_TIMESTAMP NOT NULL
);

-- rows the gateway could not publish, with the reason; id is the original outbox id
CREATE TABLE IF NOT EXISTS pulse_outbox_dead (
  id          BIGINT CONSTRAINT pulse_outbox_dead_pk PRIMARY KEY,
  app_id      VARCHAR(64),
  channel     VARCHAR(255),
  payload     CLOB,
  created_at  TIMESTAMP,
  failed_at   TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  reason      VARCHAR(4000)
);

-- Indexes: the primary keys only. The poller reads "ORDER BY id FETCH FIRST n ROWS ONLY" and
-- deletes "WHERE id = ?", both served by pulse_outbox_pk.
