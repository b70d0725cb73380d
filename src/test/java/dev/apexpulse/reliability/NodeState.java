package dev.apexpulse.reliability;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.TestNode;
import io.vertx.core.json.JsonArray;


/** What a node holds for its clients, and the check that it holds nothing once they are gone. */
final class NodeState {
  private NodeState() {}

  static int connections(TestNode node) {
    return node.node.metrics().connections();
  }

  static double subscriptions(TestNode node) {
    return node.node.metrics().registry().get("pulse_subscriptions").gauge().value();
  }

  static int channels(TestNode node) {
    return (int) node.node.metrics().registry().get("pulse_channels").gauge().value();
  }

  /** The app's channels with subscribers, as the HTTP API lists them. */
  static JsonArray presence(TestNode node, String app) {
    String key = TestNode.APP.equals(app) ? TestNode.API_KEY : TestNode.OTHER_API_KEY;
    Http.Response r = Http.get(node.httpBase() + "/api/v1/apps/" + app + "/channels", key);
    if (r.status() != 200) {
      throw new AssertionError("GET channels of app " + app + ": " + r.status() + " " + r.body());
    }
    return r.json().getJsonArray("channels");
  }

  /** Waits until the node has no connection, subscription, hub channel or presence entry left. */
  static void assertEmpty(TestNode node) {
    try {
      Await.until("no connection, subscription, channel or presence left", 15_000, () ->
          connections(node) == 0 && subscriptions(node) == 0 && channels(node) == 0
              && presence(node, TestNode.APP).isEmpty() && presence(node, TestNode.OTHER_APP).isEmpty());
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; left: " + describe(node), e);
    }
  }

  static String describe(TestNode node) {
    return "connections=" + connections(node) + " subscriptions=" + subscriptions(node) + " channels=" + channels(node)
        + " presence=" + presence(node, TestNode.APP);
  }
}
