package dev.apexpulse.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;

/**
 * The last few notable events of a node (protocol errors, slow-consumer closes), newest last, for the
 * operator console. Bounded: a flood of errors keeps only the latest {@link #CAPACITY}. Details are
 * what the client was told (error messages), never a token or a key.
 */
public final class RecentEvents {
  public static final int CAPACITY = 50;
  private static final int MAX_DETAIL = 160;

  private final ArrayDeque<JsonObject> events = new ArrayDeque<>(CAPACITY);

  public void record(String kind, String code, String detail) {
    JsonObject e = new JsonObject().put("at", System.currentTimeMillis()).put("kind", kind).put("code", code);
    if (detail != null) {
      e.put("detail", detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "…" : detail);
    }
    synchronized (events) {
      if (events.size() == CAPACITY) {
        events.removeFirst();
      }
      events.addLast(e);
    }
  }

  /** The events newer than {@code sinceMillis}, oldest first, at most {@code max} (the newest ones). */
  public JsonArray since(long sinceMillis, int max) {
    JsonArray out = new JsonArray();
    synchronized (events) {
      int skip = 0;
      int newer = 0;
      for (JsonObject e : events) {
        if (e.getLong("at") > sinceMillis) {
          newer++;
        }
      }
      skip = Math.max(0, newer - max);
      for (JsonObject e : events) {
        if (e.getLong("at") > sinceMillis && skip-- <= 0) {
          out.add(e.copy());
        }
      }
    }
    return out;
  }
}
