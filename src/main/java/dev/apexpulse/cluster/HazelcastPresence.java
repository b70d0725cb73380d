package dev.apexpulse.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.presence.ClientInfo;
import dev.apexpulse.presence.Presence;
import dev.apexpulse.presence.PresenceChange;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Cluster-wide presence in the {@code pulse.presence} map, two kinds of entries per channel:
 * <ul>
 *   <li>one per connection, {@code "c<member uuid>/<connection>@<app>:<channel>" -> ["<member uuid>","<connection>","<user>","<name>"]},
 *       written once on join and removed on leave: what presence lists and counts;</li>
 *   <li>one per user, {@code "m<user>@<app>:<channel>" -> {"name":…,"members":["<member uuid>",…]}}: the
 *       members holding at least one of the user's connections in the channel.</li>
 * </ul>
 *
 * <p>Each node counts its own connections per (channel, user) in memory and writes the user's entry
 * only when that count goes from 0 to 1 or from 1 to 0: a compare-and-set on a value as small as the
 * cluster, so "first connection of the user anywhere" (member list was empty) and "last one gone" (it
 * became empty) are decided atomically cluster-wide, and a join costs the same whether the user has
 * one other connection or thousands. Keys are partitioned by what follows the first '@' (the channel
 * id), so a channel's presence is one partition's query.
 *
 * <p>A dead member's entries are removed by the oldest pulse node when Hazelcast reports the member
 * gone (its failure-detection time): its connections, and its place in users' member lists, with
 * leave events for users no other member holds; a stopping node removes its own. Only String keys
 * and values are stored: any member of the cluster, including other services, can hold the
 * partitions.
 */
public final class HazelcastPresence implements Presence {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastPresence.class);

  private final HazelcastInstance hz;
  private final WorkerExecutor workers;
  private final IMap<String, String> map;
  private final String member;
  private final UUID membershipListener;
  /** This node's connections per user entry key; a transition 0 ↔ 1 writes the entry while holding it. */
  private final ConcurrentHashMap<String, LocalUser> local = new ConcurrentHashMap<>();
  /** Joins still running, by connection key: a leave of the same connection waits for its join. */
  private final ConcurrentHashMap<String, Future<PresenceChange>> joining = new ConcurrentHashMap<>();
  private volatile BiConsumer<ChannelKey, ClientInfo> lostUser = (k, c) -> {};

  /** A user's connections in one channel on this node. Its monitor orders the cluster writes. */
  private static final class LocalUser {
    int connections;
    /** Taken out of {@code local}: a join that finds it must start over with a fresh one. */
    boolean retired;
  }

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

  /** Called for each user whose last connection in a channel was on a member that died (connection null). */
  public void onLostUser(BiConsumer<ChannelKey, ClientInfo> action) {
    this.lostUser = action;
  }

  public String member() {
    return member;
  }

  @Override
  public Future<PresenceChange> join(ChannelKey key, ClientInfo client) {
    String k = connectionKey(member, key, client.connection());
    String entry = new JsonArray().add(member).add(client.connection()).add(client.user()).add(client.name()).encode();
    Future<PresenceChange> joined = blocking(() -> {
      if (map.putIfAbsent(k, entry) != null || client.user() == null) {
        return PresenceChange.UNCHANGED;
      }
      String userKey = userKey(key, client.user());
      while (true) {
        LocalUser u = local.computeIfAbsent(userKey, x -> new LocalUser());
        synchronized (u) {
          if (u.retired) {
            continue;
          }
          if (++u.connections > 1) {
            return PresenceChange.UNCHANGED;
          }
          try {
            return addMember(userKey, client.name()) ? PresenceChange.USER_CHANGED : PresenceChange.UNCHANGED;
          } catch (RuntimeException e) {
            u.connections--;
            retireIfIdle(userKey, u);
            map.remove(k);
            throw e;
          }
        }
      }
    });
    joining.put(k, joined);
    joined.onComplete(ar -> joining.remove(k, joined));
    return joined;
  }

  @Override
  public Future<PresenceChange> leave(ChannelKey key, ClientInfo client) {
    String k = connectionKey(member, key, client.connection());
    // after the connection's join, if that is still running: else the leave finds nothing to
    // remove and the join, landing after it, leaves the user present for good
    Future<PresenceChange> join = joining.get(k);
    Future<?> after = join == null ? Future.succeededFuture() : join.otherwiseEmpty();
    return after.compose(v -> blocking(() -> {
      String old = map.remove(k);
      String user = old == null ? null : new JsonArray(old).getString(2);
      if (user == null) {
        return PresenceChange.UNCHANGED;
      }
      String userKey = userKey(key, user);
      LocalUser u = local.get(userKey);
      if (u == null) {
        return PresenceChange.UNCHANGED;
      }
      synchronized (u) {
        if (u.retired || --u.connections > 0) {
          return PresenceChange.UNCHANGED;
        }
        try {
          return removeFromUser(userKey, member) != null ? PresenceChange.USER_CHANGED : PresenceChange.UNCHANGED;
        } finally {
          retireIfIdle(userKey, u);
        }
      }
    }));
  }

  @Override
  public Future<List<ClientInfo>> clients(ChannelKey key) {
    String channelId = HazelcastHistory.id(key);
    // the map's partitioning strategy applies to this key too: what follows its first '@' counts
    Predicate<String, String> ofChannel = Predicates.partitionPredicate("@" + channelId,
        Predicates.regex("__key", "c[^@]*@" + Pattern.quote(channelId)));
    return blocking(() -> {
      List<ClientInfo> out = new ArrayList<>();
      for (String value : map.values(ofChannel)) {
        JsonArray e = new JsonArray(value);
        out.add(new ClientInfo(e.getString(1), e.getString(2), e.getString(3)));
      }
      return out;
    });
  }

  @Override
  public Future<Map<String, Integer>> channels(String app) {
    Predicate<String, String> ofApp = Predicates.regex("__key", "c[^@]*@" + Pattern.quote(app + ":") + ".*");
    return blocking(() -> {
      Map<String, Integer> out = new TreeMap<>();
      for (String k : map.keySet(ofApp)) {
        out.merge(k.substring(k.indexOf('@') + 1 + app.length() + 1), 1, Integer::sum);
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
    return workers.executeBlocking(() -> {
      int removed = removeMember(member);
      local.clear();
      return removed;
    }, false);
  }

  /**
   * Removes a member's connections and its place in users' member lists; reports users no other
   * member holds. Returns the connections removed. Blocking. Also used by the periodic sweep for
   * members that left while no pulse node could clean up after them.
   */
  int removeMember(String uuid) {
    int removed = 0;
    for (String k : map.keySet(Predicates.like("__key", "c" + uuid + "/%"))) {
      if (map.remove(k) != null) {
        removed++;
      }
    }
    Predicate<String, String> heldByIt = Predicates.and(Predicates.like("__key", "m%"), Predicates.like("this", "%\"" + uuid + "\"%"));
    for (String userKey : map.keySet(heldByIt)) {
      JsonObject gone = removeFromUser(userKey, uuid);
      if (gone != null && !uuid.equals(member)) {
        lostUser.accept(channelOf(userKey), new ClientInfo(null, userOf(userKey), gone.getString("name")));
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
    for (String k : map.keySet(Predicates.like("__key", "c%"))) {
      String owner = k.substring(1, k.indexOf('/'));
      if (!alive.contains(owner)) {
        dead.add(owner);
      }
    }
    for (String value : map.values(Predicates.like("__key", "m%"))) {
      for (Object owner : new JsonObject(value).getJsonArray("members")) {
        if (!alive.contains((String) owner)) {
          dead.add((String) owner);
        }
      }
    }
    int removed = 0;
    for (String uuid : dead) {
      removed += removeMember(uuid);
    }
    return removed;
  }

  /** Adds this member to the user's entry; true if no member held the user before. */
  private boolean addMember(String userKey, String name) {
    while (true) {
      String old = map.get(userKey);
      if (old == null) {
        String fresh = new JsonObject().put("name", name).put("members", new JsonArray().add(member)).encode();
        if (map.putIfAbsent(userKey, fresh) == null) {
          return true;
        }
        continue;
      }
      JsonObject entry = new JsonObject(old);
      JsonArray members = entry.getJsonArray("members");
      if (members.contains(member)) {
        return false;
      }
      members.add(member);
      if (map.replace(userKey, old, entry.encode())) {
        return false;
      }
    }
  }

  /**
   * Takes a member out of the user's entry, and the entry out of the map when no member is left.
   * Returns the removed entry when the member was the last one (the user left the channel), else null.
   */
  private JsonObject removeFromUser(String userKey, String uuid) {
    while (true) {
      String old = map.get(userKey);
      if (old == null) {
        return null;
      }
      JsonObject entry = new JsonObject(old);
      JsonArray members = entry.getJsonArray("members");
      if (!members.remove(uuid)) {
        return null;
      }
      if (members.isEmpty()) {
        if (map.remove(userKey, old)) {
          return entry;
        }
      } else if (map.replace(userKey, old, entry.encode())) {
        return null;
      }
    }
  }

  /** Drops the local count once it is back to zero; called while holding {@code u}. */
  private void retireIfIdle(String userKey, LocalUser u) {
    if (u.connections <= 0) {
      u.retired = true;
      local.remove(userKey, u);
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

  /**
   * {@code c<member>/<connection>@<channel id>}: nothing before the first '@' may contain one ('%'
   * escapes), the partition key is the channel id.
   */
  static String connectionKey(String member, ChannelKey key, String connection) {
    return "c" + member + "/" + escape(connection) + "@" + HazelcastHistory.id(key);
  }

  /** {@code m<user>@<channel id>}, escaped like {@link #connectionKey}. */
  static String userKey(ChannelKey key, String user) {
    return "m" + escape(user) + "@" + HazelcastHistory.id(key);
  }

  private static String userOf(String userKey) {
    return userKey.substring(1, userKey.indexOf('@')).replace("%40", "@").replace("%25", "%");
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
