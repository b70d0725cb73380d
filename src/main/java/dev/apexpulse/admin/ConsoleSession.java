package dev.apexpulse.admin;

import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.CloseCode;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.protocol.BadFrame;
import dev.apexpulse.protocol.ClientFrame;
import dev.apexpulse.protocol.Frames;
import dev.apexpulse.session.FrameRate;
import dev.apexpulse.transport.ConnectionInfo;
import dev.apexpulse.transport.Endpoint;
import dev.apexpulse.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * An operator console socket ({@code /console/ws?token=<ticket>}): it may follow the console channel
 * ({@value ConsoleFeed#CHANNEL}) and ping, nothing else; it publishes nothing and sees no app channel.
 * Opened with a ticket ({@link AdminAccess}), it ends when the console session does.
 */
final class ConsoleSession implements Endpoint {
  private final String id;
  private final Transport transport;
  private final ConsoleGate gate;
  private final Vertx vertx;
  private final Context context;
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final FrameRate rate;
  private final long connectedAtMillis = System.currentTimeMillis();
  /** Null until the ticket is verified. */
  private AdminAccess.Grant grant;
  private AdminSocket attached;
  private ConsoleFeed feed;
  private long expiryTimer = -1;
  private boolean closed;

  ConsoleSession(String id, Transport transport, ConsoleGate gate, Vertx vertx, Context context, PulseConfig config,
                 PulseMetrics metrics) {
    this.id = id;
    this.transport = transport;
    this.gate = gate;
    this.vertx = vertx;
    this.context = context;
    this.config = config;
    this.metrics = metrics;
    this.rate = new FrameRate(config);
  }

  /** Welcomes a valid ticket (until its console session ends), or refuses with 1008 like a bad app token. */
  void start(AdminAccess.Grant grant, String refusal) {
    if (closed) {
      return;
    }
    if (refusal != null) {
      fail(null, ErrorCode.UNAUTHORIZED, refusal);
      close(CloseCode.POLICY, refusal);
      return;
    }
    this.grant = grant;
    long left = grant.expiresAtMillis() - System.currentTimeMillis();
    if (left <= 0) {
      close(CloseCode.POLICY, "token expired");
      return;
    }
    expiryTimer = vertx.setTimer(left, t -> close(CloseCode.POLICY, "token expired"));
    sendIfOpen(Frames.welcome(null, id, config.nodeId(), config.heartbeatSeconds()));
  }

  @Override
  public void onText(String text) {
    if (closed || !withinRate()) {
      return;
    }
    ClientFrame frame;
    try {
      frame = ClientFrame.parse(text);
      dispatch(frame);
    } catch (BadFrame e) {
      fail(e.id(), e.code(), e.getMessage());
    }
  }

  private void dispatch(ClientFrame frame) {
    try {
      if (grant == null) {
        throw new PulseException(ErrorCode.UNAUTHORIZED, "console ticket not verified yet");
      }
      switch (frame.type()) {
        case "subscribe" -> subscribe(frame);
        case "unsubscribe" -> unsubscribe(frame);
        case "ping" -> sendIfOpen(Frames.pong(frame.id()));
        case "auth" -> throw new PulseException(ErrorCode.FORBIDDEN, "a console connection cannot authenticate: reconnect with a new ticket");
        default -> throw onlyConsole();
      }
    } catch (PulseException e) {
      fail(frame.id(), e.code(), e.getMessage());
    }
  }

  @Override
  public void onBinary(Buffer data) {
    if (!closed && withinRate()) {
      fail(null, ErrorCode.FORBIDDEN, onlyConsole().getMessage());
    }
  }

  private void subscribe(ClientFrame frame) {
    if (!ConsoleFeed.CHANNEL.equals(frame.channel())) {
      throw onlyConsole();
    }
    if (attached != null) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "already subscribed to " + ConsoleFeed.CHANNEL);
    }
    feed = gate.feed();
    attached = new AdminSocket(id, context, this::sendIfOpen);
    feed.attach(attached, frame.id(), frame.body().getValue("since"));
  }

  private void unsubscribe(ClientFrame frame) {
    if (attached == null || !ConsoleFeed.CHANNEL.equals(frame.channel())) {
      throw new PulseException(ErrorCode.NOT_FOUND, "not subscribed to that channel");
    }
    detach();
    sendIfOpen(Frames.unsubscribed(frame.id(), ConsoleFeed.CHANNEL));
  }

  private static PulseException onlyConsole() {
    return new PulseException(ErrorCode.FORBIDDEN, "a console connection may only subscribe to " + ConsoleFeed.CHANNEL);
  }

  private boolean withinRate() {
    FrameRate.Verdict verdict = rate.take();
    if (verdict == FrameRate.Verdict.ACCEPT) {
      return true;
    }
    if (verdict == FrameRate.Verdict.CLOSE) {
      close(CloseCode.POLICY, "frame rate limit exceeded");
    } else {
      fail(null, ErrorCode.RATE_LIMITED, "more than " + config.limits().frameRate() + " frames per second");
    }
    return false;
  }

  private void fail(Long requestId, ErrorCode code, String message) {
    metrics.error(code, "console " + id + ": " + message);
    sendIfOpen(Frames.error(requestId, code, message));
  }

  /** The console's frames are few and small; a console that stops reading is closed like any slow client. */
  private void sendIfOpen(String frame) {
    if (closed) {
      return;
    }
    if (!transport.writable()) {
      metrics.slowConsumer("console " + id);
      close(CloseCode.TRY_AGAIN_LATER, "too slow: outbound queue full");
      return;
    }
    transport.send(frame);
  }

  private void detach() {
    if (attached != null) {
      feed.detach(attached);
      attached = null;
    }
  }

  @Override
  public void close(short code, String reason) {
    if (!closed) {
      onClosed();
      metrics.closed(code);
      transport.close(code, reason);
    }
  }

  @Override
  public void onClosed() {
    if (!closed) {
      closed = true;
      if (expiryTimer >= 0) {
        vertx.cancelTimer(expiryTimer);
      }
      detach();
    }
  }

  @Override
  public ConnectionInfo info() {
    return new ConnectionInfo(id, config.nodeId(), AdminAccess.APP, grant == null ? null : grant.operator(),
        attached != null ? 1 : 0, connectedAtMillis, true, transport.kind());
  }
}
