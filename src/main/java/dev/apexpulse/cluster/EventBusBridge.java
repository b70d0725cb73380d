package dev.apexpulse.cluster;

import dev.apexpulse.channel.Bridge;
import dev.apexpulse.channel.LocalHub;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;
import dev.apexpulse.history.History;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The clustered bridge: one event-bus consumer per (node, channel in use) on
 * {@code pulse.ch.<app>.<channel>}, never one per client. A message is published once to the
 * channel's address as a compact {@link Buffer}; every node with subscribers decodes it once and hands
 * it to its hub, whose per-channel sequencer orders, dedupes and fills gaps from history.
 *
 * <p>A new consumer becomes visible to other nodes' event-bus caches a little after its registration
 * completed. A message published in that window would not reach this node; the hub recovers it when
 * the next one shows the gap, and for the last message of a burst the bridge checks history itself a
 * few times after opening ({@link #CATCH_UP_MILLIS}) and feeds what is there to the hub, which drops
 * what it already delivered.
 *
 * <p>When members come or go, messages published around that moment can miss this node (an event-bus
 * connection to a dying member, subscriptions being re-read), and a missed message is only noticed
 * when a later one arrives: the last ones of a burst would never be. So after every membership change
 * each channel compares what its sequencer delivered with history a few times ({@link #RECHECK_MILLIS}).
 * Both kinds of reads are paced ({@link CatchUp}: {@value #CATCH_UP_IN_FLIGHT} at once, at most
 * {@value #CATCH_UP_PER_SECOND} a second), so a rolling update of nodes with many channels is no burst of reads.
 */
public final class EventBusBridge implements Bridge {
  private static final Logger LOG = LoggerFactory.getLogger(EventBusBridge.class);
  public static final String ADDRESS_PREFIX = "pulse.ch.";
  static final long[] CATCH_UP_MILLIS = {500, 2000};
  static final long[] RECHECK_MILLIS = {500, 2000, 5000};
  static final int CATCH_UP_IN_FLIGHT = 4;
  static final int CATCH_UP_PER_SECOND = 1000;
  private static final byte MESSAGE = 1;
  private static final byte EVENT = 2;
  private static final byte BINARY_MESSAGE = 3;

  private final EventBus eventBus;
  private final LocalHub hub;
  private final History history;
  private final ConcurrentHashMap<ChannelKey, MessageConsumer<Buffer>> consumers = new ConcurrentHashMap<>();
  private final CatchUp catchUp;

  public EventBusBridge(Vertx vertx, LocalHub hub, History history, int replayLimit) {
    this(vertx, hub, history, replayLimit, CATCH_UP_IN_FLIGHT, CATCH_UP_PER_SECOND);
  }

  EventBusBridge(Vertx vertx, LocalHub hub, History history, int replayLimit, int catchUpInFlight, int catchUpPerSecond) {
    this.eventBus = vertx.eventBus();
    this.hub = hub;
    this.history = history;
    this.catchUp = new CatchUp(vertx, hub, history, replayLimit, consumers::containsKey, catchUpInFlight, catchUpPerSecond);
  }

  public static String address(ChannelKey key) {
    return ADDRESS_PREFIX + key.app() + "." + key.channel();
  }

  /** Event-bus consumers this node has registered: one per channel with local subscribers. */
  public int consumerCount() {
    return consumers.size();
  }

  @Override
  public Future<Void> open(ChannelKey key) {
    MessageConsumer<Buffer> consumer = eventBus.consumer(address(key));
    consumer.handler(m -> receive(key, m.body()));
    MessageConsumer<Buffer> previous = consumers.put(key, consumer);
    if (previous != null) {
      previous.unregister();
    }
    Future<Void> registered = consumer.completion();
    registered.onSuccess(v -> history.position(key).onSuccess(p -> catchUp.schedule(List.of(key), p, CATCH_UP_MILLIS)));
    return registered;
  }

  @Override
  public void close(ChannelKey key) {
    MessageConsumer<Buffer> consumer = consumers.remove(key);
    catchUp.forget(key);
    if (consumer != null) {
      consumer.unregister().onFailure(e -> LOG.debug("unregistering {} failed: {}", key, e.toString()));
    }
  }

  @Override
  public Future<Void> publish(Message message) {
    eventBus.publish(address(message.key()), encode(message));
    return Future.succeededFuture();
  }

  @Override
  public void publishEvent(ChannelKey key, String frame) {
    byte[] bytes = frame.getBytes(StandardCharsets.UTF_8);
    eventBus.publish(address(key), Buffer.buffer(bytes.length + 1).appendByte(EVENT).appendBytes(bytes));
  }

  @Override
  public Future<Void> stop() {
    List<Future<Void>> all = new ArrayList<>();
    for (ChannelKey key : List.copyOf(consumers.keySet())) {
      MessageConsumer<Buffer> c = consumers.remove(key);
      if (c != null) {
        all.add(c.unregister().recover(e -> Future.succeededFuture()));
      }
    }
    return Future.all(all).mapEmpty();
  }

  /** After a membership change: every channel here catches up with history, from what it delivered. */
  public void recheck() {
    catchUp.schedule(consumers.keySet(), null, RECHECK_MILLIS);
  }

  /** Catch-up reads started on this node. */
  long catchUpReads() {
    return catchUp.reads();
  }

  /** No catch-up read due or under way. */
  boolean catchUpIdle() {
    return catchUp.idle();
  }

  private void receive(ChannelKey key, Buffer body) {
    try {
      byte kind = body.getByte(0);
      if (kind == MESSAGE || kind == BINARY_MESSAGE) {
        hub.deliver(decode(key, body));
      } else if (kind == EVENT) {
        hub.deliverEvent(key, body.getString(1, body.length(), "UTF-8"));
      } else {
        LOG.warn("unknown bridge frame kind {} on {}", kind, address(key));
      }
    } catch (RuntimeException e) {
      LOG.warn("undecodable bridge frame on {}: {}", address(key), e.toString());
    }
  }

  // kind (1 JSON, 3 binary), offset, publishedAt, epoch (short length + UTF-8), from (int length,
  // -1 none), payload (rest: the JSON text in UTF-8, or the raw bytes)
  static Buffer encode(Message m) {
    byte[] epoch = m.epoch().getBytes(StandardCharsets.UTF_8);
    byte[] from = m.from() == null ? null : m.from().getBytes(StandardCharsets.UTF_8);
    byte[] data = m.binary() ? m.bytes() : m.data().getBytes(StandardCharsets.UTF_8);
    Buffer b = Buffer.buffer(1 + 8 + 8 + 2 + epoch.length + 4 + (from == null ? 0 : from.length) + data.length)
        .appendByte(m.binary() ? BINARY_MESSAGE : MESSAGE).appendLong(m.offset()).appendLong(m.publishedAt())
        .appendShort((short) epoch.length).appendBytes(epoch)
        .appendInt(from == null ? -1 : from.length);
    if (from != null) {
      b.appendBytes(from);
    }
    return b.appendBytes(data);
  }

  static Message decode(ChannelKey key, Buffer b) {
    int at = 1;
    long offset = b.getLong(at);
    at += 8;
    long publishedAt = b.getLong(at);
    at += 8;
    int el = b.getShort(at);
    at += 2;
    String epoch = b.getString(at, at + el, "UTF-8");
    at += el;
    int fl = b.getInt(at);
    at += 4;
    String from = null;
    if (fl >= 0) {
      from = b.getString(at, at + fl, "UTF-8");
      at += fl;
    }
    if (b.getByte(0) == BINARY_MESSAGE) {
      return Message.of(key, offset, epoch, null, b.getBytes(at, b.length()), from, publishedAt);
    }
    return new Message(key, offset, epoch, b.getString(at, b.length(), "UTF-8"), from, publishedAt);
  }
}
