package dev.apexpulse.reliability;

import dev.apexpulse.support.Await;
import dev.apexpulse.support.TestNode;

import java.util.Map;
import java.util.concurrent.TimeUnit;

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
    return node.node.hub().channelCount();
  }

  static Map<String, Integer> presence(TestNode node, String app) {
    try {
      return node.node.presence().channels(app).await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Waits until the node has no connection, subscription, hub channel or presence entry left. */
  static void assertEmpty(TestNode node) {
    Await.until("no connection, subscription, channel or presence left", 15_000, () ->
        connections(node) == 0 && subscriptions(node) == 0 && channels(node) == 0
            && presence(node, TestNode.APP).isEmpty() && presence(node, TestNode.OTHER_APP).isEmpty());
  }

  static String describe(TestNode node) {
    return "connections=" + connections(node) + " subscriptions=" + subscriptions(node) + " channels=" + channels(node)
        + " presence=" + presence(node, TestNode.APP);
  }
}
