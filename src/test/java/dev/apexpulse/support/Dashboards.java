package dev.apexpulse.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Random;

/** Dashboard payloads as apps push them: about 5 KB of JSON, each push with one number changed. */
public final class Dashboards {
  public static final String[] WORDS = {"orders", "revenue", "Zürich", "東京", "São Paulo", "backlog", "🚀 launches",
      "returns", "open tickets", "Ærøskøbing", "churn", "NPS"};

  private Dashboards() {}

  /** A dashboard of about 5 KB: KPIs, a table of 40 rows and some text, with non-ASCII names among them. */
  public static JsonObject dashboard(Random r) {
    JsonArray kpis = new JsonArray();
    for (int i = 0; i < 12; i++) {
      kpis.add(new JsonObject().put("name", WORDS[i % WORDS.length]).put("value", r.nextInt(100_000))
          .put("trend", r.nextDouble()).put("unit", i % 3 == 0 ? "EUR" : "count"));
    }
    JsonArray rows = new JsonArray();
    for (int i = 0; i < 40; i++) {
      rows.add(new JsonObject().put("department", "dept-" + i).put("city", WORDS[r.nextInt(WORDS.length)])
          .put("orders", r.nextInt(1000)).put("late", r.nextInt(50)).put("status", r.nextBoolean() ? "ok" : "warn"));
    }
    return new JsonObject().put("title", "Department dashboard").put("updated", "2026-12-04T10:00:00Z")
        .put("kpis", kpis).put("rows", rows).put("note", "Figures refresh every few seconds; \"late\" counts orders past due.");
  }

  /** The same dashboard with one number changed (a copy). */
  public static JsonObject oneNumberChanged(JsonObject d, Random r) {
    JsonObject next = d.copy();
    next.getJsonArray("rows").getJsonObject(r.nextInt(40)).put("orders", 1000 + r.nextInt(100_000));
    return next;
  }
}
