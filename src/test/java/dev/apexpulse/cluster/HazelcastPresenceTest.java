package dev.apexpulse.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.apexpulse.config.ClusterConfig;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.PresenceChange;
import dev.apexpulse.support.Await;
import dev.apexpulse.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.apexpulse.presence.PresenceChange.UNCHANGED;
import static dev.apexpulse.presence.PresenceChange.USER_CHANGED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster presence on two real Hazelcast members in this JVM (loopback), each with its own
 * {@link HazelcastPresence} as two gateway nodes have: first join and last leave of a user decided
 * cluster-wide, a member's death, the sweep, and entries whose size does not grow with a user's
 * connections.
 */
@Timeout(120)
class HazelcastPresenceTest {
  Vertx vertx;
  HazelcastInstance hz1;
  HazelcastInstance hz2;
  HazelcastPresence p1;
  HazelcastPresence p2;
  final List<String> lost = new CopyOnWriteArrayList<>();
  final ChannelKey room = new ChannelKey("100", "chat/room");

  @BeforeEach
  void start() {
    int base = ClusterFixture.freePortRange(2);
    String name = "pulse-presence-" + System.nanoTime();
    vertx = Vertx.vertx();
    var workers = vertx.createSharedWorkerExecutor("test-presence", 8);
    hz1 = Hazelcast.newHazelcastInstance(config(name, base, 0));
    hz2 = Hazelcast.newHazelcastInstance(config(name, base, 1));
    Await.until("two members", 30_000, () -> hz1.getCluster().getMembers().size() == 2);
    p1 = new HazelcastPresence(hz1, workers);
    p2 = new HazelcastPresence(hz2, workers);
    // hz1 is the oldest member: it cleans up after hz2
    p1.onLostUser((k, c) -> lost.add(k.channel() + " " + c.user() + " " + c.name()));
  }

  static com.hazelcast.config.Config config(String name, int base, int i) {
    JsonObject json = TestNode.config().put("node", new JsonObject().put("id", "n-presence-" + i))
        .put("cluster", new JsonObject().put("enabled", true).put("name", name).put("port", base + i).put("portCount", 1)
            .put("members", new JsonArray().add("127.0.0.1:" + base).add("127.0.0.1:" + (base + 1))));
    PulseConfig config = PulseConfig.from(json);
    return HazelcastSetup.build(ClusterConfig.from(config), config, Map.of());
  }

  @AfterEach
  void stop() {
    p1.close();
    p2.close();
    hz2.getLifecycleService().terminate();
    hz1.getLifecycleService().terminate();
    vertx.close().await();
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static ClientInfo c(String connection, String user) {
    return new ClientInfo(connection, user, user == null ? null : user.toUpperCase());
  }

  @Test
  void aUsersFirstJoinAndLastLeaveAreDecidedAcrossMembers() {
    assertThat(await(p1.join(room, c("c-1", "scott")))).isEqualTo(USER_CHANGED);
    assertThat(await(p2.join(room, c("c-1", "scott")))).as("same connection id on another node: another connection").isEqualTo(UNCHANGED);
    assertThat(await(p2.join(room, c("c-2", "scott")))).isEqualTo(UNCHANGED);
    assertThat(await(p2.join(room, c("c-3", "king")))).isEqualTo(USER_CHANGED);
    assertThat(await(p1.join(room, c("c-4", null)))).isEqualTo(UNCHANGED);
    assertThat(await(p2.clients(room))).hasSize(5).extracting(ClientInfo::user)
        .containsExactlyInAnyOrder("scott", "scott", "scott", "king", null);
    assertThat(await(p1.channels("100"))).containsEntry("chat/room", 5);

    assertThat(await(p1.leave(room, c("c-1", "scott")))).as("scott still on node 2").isEqualTo(UNCHANGED);
    assertThat(await(p2.leave(room, c("c-1", "scott")))).isEqualTo(UNCHANGED);
    assertThat(await(p2.leave(room, c("c-2", "scott")))).as("scott's last connection").isEqualTo(USER_CHANGED);
    assertThat(await(p2.leave(room, c("c-2", "scott")))).as("twice").isEqualTo(UNCHANGED);
    assertThat(await(p1.join(room, c("c-5", "scott")))).as("back").isEqualTo(USER_CHANGED);
    assertThat(await(p1.clients(room))).extracting(ClientInfo::connection).containsExactlyInAnyOrder("c-3", "c-4", "c-5");
  }

  @Test
  void aUsersEntryStaysAsSmallAsTheClusterWhateverItsConnections() {
    List<Future<PresenceChange>> joins = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      joins.add((i % 2 == 0 ? p1 : p2).join(room, c("w-" + i, "wall")));
    }
    long firsts = joins.stream().map(HazelcastPresenceTest::await).filter(USER_CHANGED::equals).count();
    assertThat(firsts).as("one first join, however the 1,000 concurrent joins interleave").isEqualTo(1);
    String entry = hz1.<String, String>getMap(HazelcastSetup.PRESENCE).get(HazelcastPresence.userKey(room, "wall"));
    assertThat(entry).as("the user's entry names the members, not the connections").hasSizeLessThan(200);
    assertThat(await(p1.clients(room))).hasSize(1000);

    List<Future<PresenceChange>> leaves = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      leaves.add((i % 2 == 0 ? p1 : p2).leave(room, c("w-" + i, "wall")));
    }
    assertThat(leaves.stream().map(HazelcastPresenceTest::await).filter(USER_CHANGED::equals).count()).as("one last leave").isEqualTo(1);
    assertThat(hz1.getMap(HazelcastSetup.PRESENCE).size()).isZero();
  }

  /** A connection that closes while its join is still being written must not stay present. */
  @Test
  void aLeaveRightAfterItsJoinLeavesNothingBehind() {
    List<Future<PresenceChange>> all = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      ClientInfo quick = c("q-" + i, "quick-" + (i % 3));
      all.add(p1.join(room, quick));
      all.add(p1.leave(room, quick));
    }
    all.forEach(HazelcastPresenceTest::await);
    assertThat(await(p1.clients(room))).isEmpty();
    for (int u = 0; u < 3; u++) {
      assertThat(await(p2.join(room, c("later-" + u, "quick-" + u)))).as("quick-%d is gone cluster-wide", u).isEqualTo(USER_CHANGED);
    }
  }

  @Test
  void aDeadMembersConnectionsGoAndUsersNoOneElseHoldsLeave() {
    for (int i = 0; i < 3; i++) {
      await(p2.join(room, c("a-" + i, "alice")));
    }
    await(p1.join(room, c("b-1", "bob")));
    await(p2.join(room, c("b-2", "bob")));
    await(p2.join(room, c("b-3", "bob")));
    await(p1.join(room, c("k-1", "carol")));
    await(p2.join(room, c("anon", null)));
    await(p2.join(new ChannelKey("100", "other"), c("a-9", "alice")));

    hz2.getLifecycleService().terminate();
    Await.until("alice's leaves reported", 30_000, () -> lost.size() >= 2);
    assertThat(lost).containsExactlyInAnyOrder("chat/room alice ALICE", "other alice ALICE");
    Await.until("node 2's connections removed", 10_000, () -> await(p1.clients(room)).size() == 2);
    assertThat(await(p1.clients(room))).extracting(ClientInfo::connection).containsExactlyInAnyOrder("b-1", "k-1");
    assertThat(await(p1.leave(room, c("b-1", "bob")))).as("bob's connections on node 2 died with it").isEqualTo(USER_CHANGED);
    assertThat(await(p1.join(room, c("a-10", "alice")))).as("alice can come back").isEqualTo(USER_CHANGED);
    assertThat(lost).hasSize(2);
  }

  @Test
  void theSweepRemovesEntriesOfMembersNoLongerInTheCluster() {
    await(p1.join(room, c("k-1", "carol")));
    var map = hz1.<String, String>getMap(HazelcastSetup.PRESENCE);
    String ghost = "00000000-0000-0000-0000-00000000dead";
    // what a member that left unnoticed (no pulse node saw it go) leaves behind
    map.put(HazelcastPresence.connectionKey(ghost, room, "g-1"), new JsonArray().add(ghost).add("g-1").add("ghost").add("Ghost").encode());
    map.put(HazelcastPresence.userKey(room, "ghost"), new JsonObject().put("name", "Ghost").put("members", new JsonArray().add(ghost)).encode());
    assertThat(await(p1.clients(room))).hasSize(2);

    assertThat(p2.sweep()).as("only the oldest pulse member sweeps").isZero();
    assertThat(p1.sweep()).isEqualTo(1);
    assertThat(lost).containsExactly("chat/room ghost Ghost");
    assertThat(await(p1.clients(room))).extracting(ClientInfo::user).containsExactly("carol");
    assertThat(map.containsKey(HazelcastPresence.userKey(room, "ghost"))).isFalse();
  }
}
