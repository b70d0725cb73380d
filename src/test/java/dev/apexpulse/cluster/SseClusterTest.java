package dev.apexpulse.cluster;

import dev.apexpulse.cluster.ClusterFixture.NodeProcess;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.Http;
import dev.apexpulse.support.SseClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event streams in a cluster without sticky sessions: two node processes; a stream held by A is driven
 * by POSTs that land on B, which forwards them over the event bus; the replies come on A's stream.
 */
@Timeout(180)
class SseClusterTest {
  static ClusterFixture cluster;
  static NodeProcess a;
  static NodeProcess b;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture(2);
    try {
      a = cluster.launch("sse-a", 0);
      a.awaitReady(90_000);
      b = cluster.launch("sse-b", 1);
      b.awaitReady(90_000);
      for (NodeProcess n : new NodeProcess[] {a, b}) {
        Await.until("2 members seen by " + n.label, 30_000, () -> n.metric("pulse_cluster_members") == 2);
      }
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.closeAll();
    }
  }

  private static Http.Response postTo(NodeProcess n, String session, String body) {
    return Http.post(n.http() + "/sse/" + session, null, body);
  }

  @Test
  void postsLandingOnAnotherNodeReachTheStreamAndTheRepliesComeOnIt() {
    try (SseClient stream = SseClient.open(a.httpPort, "token=" + cluster.token("scott"))) {
      // B learns A's address from the cluster's subscription map within a second or two
      Await.until("B forwards to A", 15_000, () -> postTo(b, stream.session, "{\"type\":\"ping\",\"id\":1}").status() == 202);
      stream.replyTo(1);

      assertThat(postTo(b, stream.session, "{\"type\":\"subscribe\",\"id\":2,\"channel\":\"cluster/sse\"}").status()).isEqualTo(202);
      JsonObject sub = stream.replyTo(2);
      assertThat(sub.getString("type")).isEqualTo("subscribed");
      // alternate the nodes, as a round-robin balancer would
      assertThat(postTo(a, stream.session, "{\"type\":\"publish\",\"id\":3,\"channel\":\"cluster/sse\",\"data\":\"via a\"}").status()).isEqualTo(202);
      assertThat(postTo(b, stream.session, "{\"type\":\"publish\",\"id\":4,\"channel\":\"cluster/sse\",\"data\":\"via b\"}").status()).isEqualTo(202);
      assertThat(stream.replyTo(3).getLong("offset")).isEqualTo(sub.getLong("offset") + 1);
      assertThat(stream.replyTo(4).getLong("offset")).isEqualTo(sub.getLong("offset") + 2);
      assertThat(stream.next("message").getString("data")).isEqualTo("via a");
      assertThat(stream.next("message").getString("data")).isEqualTo("via b");
      assertThat(postTo(b, stream.session, "{\"type\":\"presence\",\"id\":5,\"channel\":\"cluster/sse\"}").status()).isEqualTo(202);
      assertThat(stream.replyTo(5).getInteger("count")).isEqualTo(1);
      // a frame the session refuses is a protocol error on the stream, wherever it was posted
      assertThat(postTo(b, stream.session, "{\"type\":\"subscribe\",\"id\":6,\"channel\":\"bad//name\"}").status()).isEqualTo(202);
      assertThat(stream.replyTo(6).getString("code")).isEqualTo("bad_request");
    }
  }

  @Test
  void theHoldersAnswersComeBackThroughTheForwardingNode() throws Exception {
    try (SseClient stream = SseClient.open(a.httpPort, "token=" + cluster.token("king"))) {
      Await.until("B forwards to A", 15_000, () -> postTo(b, stream.session, "{\"type\":\"ping\"}").status() == 202);
      // A's route, a secret A never handed out: A says unknown, B passes it on
      String forged = stream.session.substring(0, 9) + "A".repeat(24);
      Http.Response unknown = postTo(b, forged, "{\"type\":\"ping\"}");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.errorCode()).isEqualTo("unknown_session");
      // an Origin app 100 does not allow (no app does here: production without origins)
      HttpResponse<String> foreign = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(b.http() + "/sse/" + stream.session))
          .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\"}")).header("Content-Type", "application/json")
          .header("Origin", "https://evil.example.net").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(foreign.statusCode()).isEqualTo(403);
    }
    // a node that no longer exists: its route has no consumer
    Http.Response gone = postTo(b, "0badc0de." + "B".repeat(24), "{\"type\":\"ping\"}");
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.errorCode()).isEqualTo("unknown_session");
  }
}
