package dev.apexpulse.presence;

import dev.apexpulse.core.ChannelKey;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static dev.apexpulse.presence.PresenceChange.UNCHANGED;
import static dev.apexpulse.presence.PresenceChange.USER_CHANGED;
import static org.assertj.core.api.Assertions.assertThat;

/** The standalone presence: first join and last leave of a user, anonymous connections, counts. */
class LocalPresenceTest {
  final LocalPresence presence = new LocalPresence();
  final ChannelKey room = new ChannelKey("100", "chat/room");

  static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.await(5, TimeUnit.SECONDS);
  }

  @Test
  void onlyAUsersFirstJoinAndLastLeaveChangeTheChannel() throws Exception {
    ClientInfo s1 = new ClientInfo("c-1", "scott", "Scott");
    ClientInfo s2 = new ClientInfo("c-2", "scott", "Scott");
    ClientInfo k1 = new ClientInfo("c-3", "king", null);
    assertThat(await(presence.join(room, s1))).isEqualTo(USER_CHANGED);
    assertThat(await(presence.join(room, s2))).isEqualTo(UNCHANGED);
    assertThat(await(presence.join(room, k1))).isEqualTo(USER_CHANGED);
    assertThat(await(presence.join(new ChannelKey("100", "other"), s1))).as("per channel").isEqualTo(USER_CHANGED);
    assertThat(await(presence.leave(room, s1))).isEqualTo(UNCHANGED);
    assertThat(await(presence.leave(room, s2))).isEqualTo(USER_CHANGED);
    assertThat(await(presence.join(room, s2))).as("back after leaving").isEqualTo(USER_CHANGED);
  }

  @Test
  void aRepeatedJoinOrLeaveOfOneConnectionCountsOnce() throws Exception {
    ClientInfo s1 = new ClientInfo("c-1", "scott", null);
    ClientInfo s2 = new ClientInfo("c-2", "scott", null);
    await(presence.join(room, s1));
    assertThat(await(presence.join(room, s1))).isEqualTo(UNCHANGED);
    await(presence.join(room, s2));
    assertThat(await(presence.leave(room, s1))).isEqualTo(UNCHANGED);
    assertThat(await(presence.leave(room, s1))).as("twice: scott still has c-2").isEqualTo(UNCHANGED);
    assertThat(await(presence.clients(room))).extracting(ClientInfo::connection).containsExactly("c-2");
    assertThat(await(presence.leave(room, s2))).isEqualTo(USER_CHANGED);
    assertThat(await(presence.leave(room, new ClientInfo("c-9", "nobody", null)))).isEqualTo(UNCHANGED);
  }

  @Test
  void anonymousConnectionsAreCountedButNeverChangeTheUsers() throws Exception {
    ClientInfo anon1 = new ClientInfo("c-a1", null, null);
    ClientInfo anon2 = new ClientInfo("c-a2", null, null);
    assertThat(await(presence.join(room, anon1))).isEqualTo(UNCHANGED);
    assertThat(await(presence.join(room, anon2))).isEqualTo(UNCHANGED);
    assertThat(await(presence.join(room, new ClientInfo("c-1", "scott", null)))).isEqualTo(USER_CHANGED);
    assertThat(await(presence.channels("100"))).containsEntry("chat/room", 3);
    assertThat(await(presence.leave(room, anon1))).isEqualTo(UNCHANGED);
    assertThat(await(presence.clients(room))).extracting(ClientInfo::connection).containsExactlyInAnyOrder("c-a2", "c-1");
  }

  @Test
  void thousandsOfConnectionsOfOneUserAndOfDistinctUsersCountRight() throws Exception {
    int n = 5000;
    int changed = 0;
    for (int i = 0; i < n; i++) {
      changed += await(presence.join(room, new ClientInfo("w-" + i, "wall", null))) == USER_CHANGED ? 1 : 0;
      changed += await(presence.join(room, new ClientInfo("d-" + i, "user-" + i, null))) == USER_CHANGED ? 1 : 0;
    }
    assertThat(changed).as("one first join for the wall, one per distinct user").isEqualTo(n + 1);
    assertThat(await(presence.channels("100"))).containsEntry("chat/room", 2 * n);
    int left = 0;
    for (int i = 0; i < n; i++) {
      left += await(presence.leave(room, new ClientInfo("w-" + i, "wall", null))) == USER_CHANGED ? 1 : 0;
      left += await(presence.leave(room, new ClientInfo("d-" + i, "user-" + i, null))) == USER_CHANGED ? 1 : 0;
    }
    assertThat(left).isEqualTo(n + 1);
    assertThat(await(presence.channels("100"))).isEmpty();
  }
}
