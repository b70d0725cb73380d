-- apex-pulse outbox tables, PostgreSQL 11 or later (identity columns; EXECUTE FUNCTION in triggers).
-- Applied at start when db.migrate is on; re-runnable (IF NOT EXISTS: existing tables and rows are
-- kept, nothing is altered).
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

-- The doorbell: every INSERT statement on pulse_outbox notifies the channel pulse_outbox, delivered
-- when its transaction commits (nothing on rollback; one notification per transaction however many
-- rows). The polling gateway LISTENs and polls at once. Created only when missing: replacing a
-- trigger locks the table against the application's inserts. A gateway user that may not create it
-- (not the table's owner) gets a warning instead of a failed migration, and polls at the interval.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'pulse_outbox'::regclass AND tgname = 'pulse_outbox_notify') THEN
    CREATE OR REPLACE FUNCTION pulse_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
      PERFORM pg_notify('pulse_outbox', '');
      RETURN NULL;
    END
    $body$;
    CREATE TRIGGER pulse_outbox_notify AFTER INSERT ON pulse_outbox
      FOR EACH STATEMENT EXECUTE FUNCTION pulse_outbox_notify();
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'apex-pulse: cannot create the outbox trigger pulse_outbox_notify (%): no commit-time wake-up', SQLERRM;
END
$$;

-- Indexes: the primary keys only (the poller reads in id order and deletes by id). A busy outbox
-- table churns: let autovacuum keep up (see docs/DATABASE.md).
