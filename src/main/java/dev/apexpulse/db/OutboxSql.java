package dev.apexpulse.db;

/**
 * Every statement the outbox poller runs. The same text serves H2, Oracle (12c+) and PostgreSQL:
 * standard {@code FETCH FIRST ? ROWS ONLY} (never LIMIT), no vendor functions, positional binds.
 * The table contract is in src/main/resources/db/*.sql and apex/sql/pulse_schema.sql.
 */
public final class OutboxSql {
  private OutboxSql() {}

  /** The next rows in id order; bind: batch size. Served by the primary key index. */
  public static final String SELECT_BATCH =
      "SELECT id, app_id, channel, payload FROM pulse_outbox ORDER BY id FETCH FIRST ? ROWS ONLY";

  /** Deletes one published row (run as a JDBC batch over the published ids); bind: id. */
  public static final String DELETE_ONE = "DELETE FROM pulse_outbox WHERE id = ?";

  /** Copies a row aside with the reason (same transaction as {@link #DELETE_ONE}); binds: reason, id. */
  public static final String MOVE_TO_DEAD =
      "INSERT INTO pulse_outbox_dead (id, app_id, channel, payload, created_at, reason)"
          + " SELECT id, app_id, channel, payload, created_at, CAST(? AS VARCHAR(4000)) FROM pulse_outbox WHERE id = ?";

  /** The backlog gauge. */
  public static final String COUNT = "SELECT COUNT(*) FROM pulse_outbox";

  /** All of them, for the dialect checks in the tests. */
  public static final String[] ALL = {SELECT_BATCH, DELETE_ONE, MOVE_TO_DEAD, COUNT};
}
