package dev.apexpulse.demo;

import io.vertx.core.json.JsonObject;
import org.h2.api.Trigger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The demo's database trigger, for the embedded H2 database: when the status of a row of
 * {@code pulse_demo_orders} changes, queue {@code {"order":<id>,"status":"<status>"}} for channel
 * {@code user/<owner>} in {@code pulse_outbox}, on the updating connection and so in the updating
 * transaction (published after the commit, never after a rollback). The H2 twin of
 * apex/sql/order_status_trigger.sql, which does the same in Oracle with {@code pulse_pkg.publish}.
 *
 * <p>Columns of {@code pulse_demo_orders} (demo/h2-demo.sql): id, owner, status, created_at.
 */
public final class OrderStatusTrigger implements Trigger {
  /** The APEX application id the demo publishes for (like c_app_id in the Oracle trigger). */
  static final String APP_ID = "100";
  private static final int ID = 0;
  private static final int OWNER = 1;
  private static final int STATUS = 2;

  @Override
  public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
    if (oldRow == null || newRow == null || Objects.equals(oldRow[STATUS], newRow[STATUS])) {
      return;
    }
    String payload = new JsonObject()
        .put("order", ((Number) newRow[ID]).longValue())
        .put("status", String.valueOf(newRow[STATUS]))
        .encode();
    try (PreparedStatement insert = conn.prepareStatement(
        "INSERT INTO pulse_outbox (app_id, channel, payload) VALUES (?, ?, ?)")) {
      insert.setString(1, APP_ID);
      insert.setString(2, "user/" + newRow[OWNER]);
      insert.setString(3, payload);
      insert.executeUpdate();
    }
  }
}
