package dev.apexpulse.channel;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.ChannelName;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.Message;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.history.History;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.Json;

/**
 * The one way in for every publish (client frame, HTTP API, event bus, outbox, jobs): validate, store
 * in history (which assigns the offset), then hand to the bridge for delivery everywhere. A message of
 * an ephemeral channel skips history: it goes to the bridge without an offset. A publish with an
 * idempotency key runs once per key and channel within the window ({@link Idempotency}).
 */
public final class Publisher {
  private final PulseConfig config;
  private final History history;
  private final Bridge bridge;
  private final Idempotency idempotency;
  private final PulseMetrics metrics;

  public Publisher(PulseConfig config, History history, Bridge bridge, Idempotency idempotency, PulseMetrics metrics) {
    this.config = config;
    this.history = history;
    this.bridge = bridge;
    this.idempotency = idempotency;
    this.metrics = metrics;
  }

  /** Publishes a JSON value (anything {@link Json#encode} accepts, or null). */
  public Future<Published> publish(String app, Object channel, Object data, String from) {
    return publish(app, channel, data, from, null);
  }

  /** Publishes a JSON value once per {@link IdempotencyKey} (null: no key). */
  public Future<Published> publish(String app, Object channel, Object data, String from, String idempotencyKey) {
    String json;
    try {
      json = Json.encode(data);
    } catch (RuntimeException e) {
      return Future.failedFuture(new PulseException(ErrorCode.BAD_REQUEST, "data is not JSON"));
    }
    return publishJson(app, channel, json, from, idempotencyKey);
  }

  /**
   * Publishes data that is already JSON text (trusted to be valid: it came from a JSON parser).
   *
   * @param idempotencyKey an {@link IdempotencyKey}, or null
   */
  public Future<Published> publishJson(String app, Object channel, String json, String from, String idempotencyKey) {
    ChannelKey key;
    try {
      key = key(app, channel);
    } catch (PulseException e) {
      return Future.failedFuture(e);
    }
    try {
      checkSize(json);
    } catch (PulseException e) {
      return Future.failedFuture(e);
    }
    return store(key, json, null, from, idempotencyKey);
  }

  /** Publishes a binary message: the bytes are delivered as they are, in a binary frame. */
  public Future<Published> publishBinary(String app, Object channel, byte[] bytes, String from, String idempotencyKey) {
    ChannelKey key;
    try {
      key = key(app, channel);
      checkSize(bytes);
    } catch (PulseException e) {
      return Future.failedFuture(e);
    }
    return store(key, null, bytes, from, idempotencyKey);
  }

  private Future<Published> store(ChannelKey key, String json, byte[] bytes, String from, String idempotencyKey) {
    return idempotencyKey == null ? send(key, json, bytes, from, null)
        : idempotency.once(key, idempotencyKey, () -> send(key, json, bytes, from, idempotencyKey));
  }

  private Future<Published> send(ChannelKey key, String json, byte[] bytes, String from, String tag) {
    if (config.channelOptions(key).ephemeral()) {
      Message m = Message.of(key, Message.NO_OFFSET, "", json, bytes, from, System.currentTimeMillis());
      metrics.published(key);
      return bridge.publish(m).map(Published.of(m));
    }
    return history.append(key, json, bytes, from, tag)
        .recover(e -> Future.failedFuture(new PulseException(ErrorCode.UNAVAILABLE, "history unavailable")))
        .compose(m -> {
          metrics.published(key);
          return bridge.publish(m).map(Published.of(m));
        });
  }

  /** Validates app and channel, naming what is wrong. */
  public ChannelKey key(String app, Object channel) {
    if (config.app(app) == null) {
      throw new PulseException(ErrorCode.NOT_FOUND, "unknown app " + app);
    }
    try {
      return new ChannelKey(app, ChannelName.normalise(channel));
    } catch (ChannelName.InvalidChannelException e) {
      throw new PulseException(ErrorCode.BAD_REQUEST, e.getMessage());
    }
  }

  /** Refuses data over {@code limits.maxPublishBytes} (UTF-8 bytes of the JSON text). */
  public void checkSize(String json) {
    // length in chars is a lower bound of the UTF-8 size: cheap first check, exact one after
    if (json.length() > config.limits().maxPublishBytes() || utf8Length(json) > config.limits().maxPublishBytes()) {
      throw tooLarge();
    }
  }

  /** Refuses a binary payload over {@code limits.maxPublishBytes}. */
  public void checkSize(byte[] bytes) {
    if (bytes.length > config.limits().maxPublishBytes()) {
      throw tooLarge();
    }
  }

  private PulseException tooLarge() {
    return new PulseException(ErrorCode.TOO_LARGE, "data larger than " + config.limits().maxPublishBytes() + " bytes");
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
