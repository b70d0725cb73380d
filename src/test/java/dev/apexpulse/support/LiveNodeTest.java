package dev.apexpulse.support;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;

/** Base of test classes that share one live node and one client Vert.x, stopped after the class. */
public abstract class LiveNodeTest {
  protected static TestNode node;
  protected static Vertx vertx;

  protected static void startNode(JsonObject config) {
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
      node = null;
    }
    if (vertx != null) {
      vertx.close();
      vertx = null;
    }
  }
}
