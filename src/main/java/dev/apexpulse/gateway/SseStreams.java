package dev.apexpulse.gateway;

import dev.apexpulse.api.ApiError;
import dev.apexpulse.channel.Shard;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.metrics.PulseMetrics;
import dev.apexpulse.session.Services;
import dev.apexpulse.session.Session;
import dev.apexpulse.transport.sse.SseTransport;
import io.vertx.core.Context;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

/**
 * Opens app sessions on Server-Sent Events streams, {@code GET /sse}: the fallback for pages behind a
 * proxy that lets no WebSocket through. The same checks as a socket upgrade ({@link Admission}); the
 * credential comes with the request ({@code ?token=}, an {@code Authorization: Bearer} header, or
 * {@code ?app=} for anonymous read-only apps), since the stream's client can say nothing before its
 * {@code welcome} tells it the session id to POST to. A token that does not verify still opens the stream,
 * which carries the error and a {@code close} frame with 1008: EventSource shows no HTTP status, and the
 * code tells pulse.js to fetch a fresh token.
 */
final class SseStreams {
  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final Services services;
  private final Admission admission;
  private final SseCors cors;
  private final ConnectionIds ids;
  private final SseSessions sessions;

  SseStreams(PulseConfig config, PulseMetrics metrics, Services services, Admission admission, SseCors cors,
             ConnectionIds ids, SseSessions sessions) {
    this.config = config;
    this.metrics = metrics;
    this.services = services;
    this.admission = admission;
    this.cors = cors;
    this.ids = ids;
    this.sessions = sessions;
  }

  void open(HttpServerRequest req, Shard shard, Connections connections, Context context) {
    if (req.method() == HttpMethod.OPTIONS) {
      cors.preflight(req, "GET");
      return;
    }
    if (req.method() != HttpMethod.GET) {
      ApiError.send(req.response(), 405, ErrorCode.BAD_REQUEST, "GET /sse opens an event stream; POST frames to /sse/<session>");
      return;
    }
    String token = req.getParam("token");
    if (token == null) {
      token = bearer(req.getHeader("Authorization"));
    }
    String app = req.getParam("app");
    if (token == null && app == null) {
      admission.refuse(req, "credentials", 401, ErrorCode.UNAUTHORIZED,
          "an event stream needs ?token=, an Authorization: Bearer header or ?app= for an anonymous app");
      return;
    }
    admission.admit(req, token, app, admitted -> {
      if (req.response().closed()) {
        return; // the client left while its token was checked: nothing would ever end this stream
      }
      metrics.connectionOpened();
      String id = sessions.newId();
      SseTransport stream = new SseTransport(req, id, shard, config.limits().maxQueuedBytes(), c -> {
        sessions.remove(id);
        connections.ended(c);
      });
      connections.add(stream);
      sessions.add(stream, context);
      HttpDeadlines.detach(req.connection());
      Session session = new Session(ids.next(), stream, shard, services, admitted.origin());
      stream.start(session, admitted.origin());
      session.start(admitted.identity(), admitted.refusal());
    });
  }

  private static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }
}
