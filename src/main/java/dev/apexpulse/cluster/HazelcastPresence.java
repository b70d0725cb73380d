package dev.apexpulse.cluster;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.Presence;
import dev.apexpulse.presence.PresenceChange;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Cluster-wide presence in the {@code pulse.presence} map. One entry per (channel, user), or per
 * connection for anonymous ones, whose value lists that user's connections in the channel, each
 * tagged with the Hazelcast member that holds the socket:
 * {@code key "u<user>@<app>:<channel>" -> [["<member uuid>","<connection>","<user>","<name>"], …]}.
 *
 * <p>A join or leave is a compare-and-set on that one entry, so "first connection of the user
 * anywhere" and "last one gone" are decided atomically cluster-wide, with contention only between a
 * user's own tabs. Keys are partitioned by what follows the first '@' (the channel id), so a
 * channel's presence is one partition's query.
 *
 * <p>A dead member's entries are removed by the oldest pulse node when Hazelcast reports the member
 * gone (its failure-detection time), with leave events for users who had no other connection; a
 * stopping node removes its own. Only String keys and values are stored: any member of the cluster,
 * including other services, can hold the partitions.
 */
public final class HazelcastPresence implements Presence {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastPresence.class);

  private final HazelcastInstance hz;
  private final WorkerExecutor workers;
  private final IMap<String, String> map;
  private final String member;
  private final UUID membershipListener;
  private volatile BiConsumer<ChannelKey, ClientInfo> lostUser = (k, c) -> {};

  public HazelcastPresence(HazelcastInstance hz, WorkerExecutor workers) {
    this.hz = hz;
    this.workers = workers;
    this.map = hz.getMap(HazelcastSetup.PRESENCE);
    this.member = hz.getCluster().getLocalMember().getUuid().toString();
    this.membershipListener = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {}

      @Override
      public void memberRemoved(MembershipEvent e) {
        if (oldestPulseMember(e.getMembers())) {
          String gone = e.getMember().getUuid().toString();
          workers.executeBlocking(() -> removeMember(gone), false).onComplete(ar -> {
            if (ar.succeeded()) {
              LOG.info("member {} left: removed {} presence entries", gone, ar.result());
            } else {
              LOG.warn("member {} left: presence cleanup failed: {}", gone, ar.cause().toString());
            }
          });
        }
      }
    });
  }

  /** Called for each user whose last connection in a channel was on a member that died. */
  public void onLostUser(BiConsumer<ChannelKey, ClientInfo> action) {
    this.lostUser = action;
  }

  public String member() {
    return member;
  }

  @Override
  public Future<PresenceChange> join(ChannelKey key, ClientInfo client) {
    String k = entryKey(key, client);
    JsonArray mine = entry(member, client);
    return blocking(() -> {
      while (true) {
        String old = map.get(k);
        if (old == null) {
          if (map.putIfAbsent(k, new JsonArray().add(mine).encode()) == null) {
            return client.user() != null ? PresenceChange.USER_CHANGED : PresenceChange.UNCHANGED;
          }
          continue;
        }
        JsonArray list = new JsonArray(old);
        if (indexOf(list, client.connection()) >= 0) {
          return PresenceChange.UNCHANGED;
        }
        if (map.replace(k, old, list.add(mine).encode())) {
          return PresenceChange.UNCHANGED;
        }
      }
    });
  }

  @Override
  public Future<PresenceChange> leave(ChannelKey key, ClientInfo client) {
    String k = entryKey(key, client);
    return blocking(() -> removeConnection(k, client.connection()) && client.user() != null
        ? PresenceChange.USER_CHANGED : PresenceChange.UNCHANGED);
  }

  @Override
  public Future<List<ClientInfo>> clients(ChannelKey key) {
    String channelId = HazelcastHistory.id(key);
    // the map's partitioning strategy applies to this key too: what follows its first '@' counts
    Predicate<String, String> ofChannel = Predicates.partitionPredicate("@" + channelId,
        Predicates.regex("__key", "[^@]*@" + Pattern.quote(channelId)));
    return blocking(() -> {
      List<ClientInfo> out = new ArrayList<>();
      for (String value : map.values(ofChannel)) {
        JsonArray list = new JsonArray(value);
        for (int i = 0; i < list.size(); i++) {
          JsonArray e = list.getJsonArray(i);
          out.add(new ClientInfo(e.getString(1), e.getString(2), e.getString(3)));
        }
      }
      return out;
    });
  }

  @Override
  public Future<Map<String, Integer>> channels(String app) {
    Predicate<String, String> ofApp = Predicates.regex("__key", "[^@]*@" + Pattern.quote(app + ":") + ".*");
    return blocking(() -> {
      Map<String, Integer> out = new TreeMap<>();
      for (Map.Entry<String, String> e : map.entrySet(ofApp)) {
        String channel = e.getKey().substring(e.getKey().indexOf('@') + 1 + app.length() + 1);
        out.merge(channel, new JsonArray(e.getValue()).size(), Integer::sum);
      }
      return out;
    });
  }

  @Override
  public void close() {
    try {
      hz.getCluster().removeMembershipListener(membershipListener);
    } catch (RuntimeException e) {
      LOG.debug("membership listener not removed: {}", e.toString());
    }
  }

  /** Removes this node's own entries (on stop). */
  public Future<Integer> removeOwn() {
    return workers.executeBlocking(() -> removeMember(member), false);
  }

  /**
   * Removes every entry of a member; reports users left with no connection. Blocking. Also used by
   * the periodic sweep for members that left while no pulse node could clean up after them.
   */
  int removeMember(String uuid) {
    int removed = 0;
    Set<String> keys = map.keySet(Predicates.like("this", "%\"" + uuid + "\"%"));
    for (String k : keys) {
      while (true) {
        String old = map.get(k);
        if (old == null) {
          break;
        }
        JsonArray list = new JsonArray(old);
        JsonArray kept = new JsonArray();
        JsonArray gone = null;
        for (int i = 0; i < list.size(); i++) {
          JsonArray e = list.getJsonArray(i);
          if (uuid.equals(e.getString(0))) {
            gone = e;
          } else {
            kept.add(e);
          }
        }
        if (gone == null) {
          break;
        }
        boolean done = kept.isEmpty() ? map.remove(k, old) : map.replace(k, old, kept.encode());
        if (done) {
          removed += list.size() - kept.size();
          if (kept.isEmpty() && gone.getString(2) != null && !uuid.equals(member)) {
            lostUser.accept(channelOf(k), new ClientInfo(gone.getString(1), gone.getString(2), gone.getString(3)));
          }
          break;
        }
      }
    }
    return removed;
  }

  /** On the oldest pulse node: drops entries of members no longer in the cluster. Blocking. */
  int sweep() {
    if (!oldestPulseMember(hz.getCluster().getMembers())) {
      return 0;
    }
    Set<String> alive = new HashSet<>();
    for (Member m : hz.getCluster().getMembers()) {
      alive.add(m.getUuid().toString());
    }
    Set<String> dead = new HashSet<>();
    for (String value : map.values()) {
      JsonArray list = new JsonArray(value);
      for (int i = 0; i < list.size(); i++) {
        String owner = list.getJsonArray(i).getString(0);
        if (!alive.contains(owner)) {
          dead.add(owner);
        }
      }
    }
    int removed = 0;
    for (String uuid : dead) {
      removed += removeMember(uuid);
    }
    return removed;
  }

  private boolean removeConnection(String k, String connection) {
    while (true) {
      String old = map.get(k);
      if (old == null) {
        return false;
      }
      JsonArray list = new JsonArray(old);
      int at = indexOf(list, connection);
      if (at < 0) {
        return false;
      }
      list.remove(at);
      if (list.isEmpty()) {
        if (map.remove(k, old)) {
          return true;
        }
      } else if (map.replace(k, old, list.encode())) {
        return false;
      }
    }
  }

  private boolean oldestPulseMember(Set<Member> members) {
    for (Member m : members) {
      if (m.getAttribute(HazelcastSetup.NODE_ATTRIBUTE) != null) {
        return m.localMember();
      }
    }
    return false;
  }

  private static int indexOf(JsonArray list, String connection) {
    for (int i = 0; i < list.size(); i++) {
      if (connection.equals(list.getJsonArray(i).getString(1))) {
        return i;
      }
    }
    return -1;
  }

  private static JsonArray entry(String member, ClientInfo c) {
    return new JsonArray().add(member).add(c.connection()).add(c.user()).add(c.name());
  }

  /**
   * {@code u<user>@<channel id>} or, anonymous, {@code a<connection>@<channel id>}: nothing before the
   * first '@' may contain one ('%' escapes), the partition key is the channel id.
   */
  static String entryKey(ChannelKey key, ClientInfo c) {
    String who = c.user() != null ? "u" + escape(c.user()) : "a" + escape(c.connection());
    return who + "@" + HazelcastHistory.id(key);
  }

  private static ChannelKey channelOf(String entryKey) {
    String id = entryKey.substring(entryKey.indexOf('@') + 1);
    int colon = id.indexOf(':');
    return new ChannelKey(id.substring(0, colon), id.substring(colon + 1));
  }

  private static String escape(String s) {
    return s.replace("%", "%25").replace("@", "%40");
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return workers.executeBlocking(task, false);
  }
}
