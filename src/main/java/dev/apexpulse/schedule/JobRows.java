package dev.apexpulse.schedule;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.TemporalAccessor;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * What one run of a SQL job publishes: {@code {"rows":[…],"at":"…"}} with column names in lower case, at
 * most {@code maxRows} rows and {@code "truncated":true} when rows were cut, and a hash of the rows that
 * {@code onlyIfChanged} compares with the previous run's.
 *
 * @param count the rows published
 */
record JobRows(JsonObject data, String hash, int count) {

  static JobRows of(RowSet<Row> result, int maxRows, Instant at) {
    List<String> columns = result.columnsNames();
    JsonArray rows = new JsonArray();
    boolean truncated = false;
    for (Row row : result) {
      if (rows.size() == maxRows) {
        truncated = true;
        break;
      }
      JsonObject o = new JsonObject();
      for (int i = 0; i < columns.size(); i++) {
        o.put(columns.get(i).toLowerCase(Locale.ROOT), jsonValue(row.getValue(i)));
      }
      rows.add(o);
    }
    String hash = sha256(rows.encode() + (truncated ? "+" : ""));
    JsonObject data = new JsonObject().put("rows", rows).put("at", at.toString());
    if (truncated) {
      data.put("truncated", true);
    }
    return new JobRows(data, hash, rows.size());
  }

  /** A JDBC value as JSON: numbers, strings and booleans as they are, times as ISO-8601 text, bytes as base64url. */
  static Object jsonValue(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
        || v instanceof Short || v instanceof Byte || v instanceof Double || v instanceof Float) {
      return v;
    }
    if (v instanceof BigDecimal d) {
      try {
        return d.longValueExact();
      } catch (ArithmeticException notWhole) {
        return d;
      }
    }
    if (v instanceof BigInteger i) {
      return i.bitLength() < 64 ? (Object) i.longValue() : new BigDecimal(i);
    }
    if (v instanceof Buffer b) {
      return b.getBytes();
    }
    if (v instanceof byte[] bytes) {
      return bytes;
    }
    if (v instanceof TemporalAccessor) {
      return v.toString();
    }
    return v.toString();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
