package dev.apexpulse.gateway;

import dev.apexpulse.api.ApiError;
import dev.apexpulse.config.PulseConfig;
import dev.apexpulse.core.ErrorCode;
import dev.apexpulse.core.PulseException;
import dev.apexpulse.metrics.PulseMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side of an event stream, {@code POST /sse/<session>}: a body of one protocol frame or a
 * JSON array of frames ({@code application/json}), or one binary frame ({@code application/octet-stream}),
 * answered {@code 202} once the session took them; its replies travel on the stream. The session id is
 * the credential (an {@code Authorization} header is ignored), with the Origin rules of the session's app.
 * Limits: each frame at most {@code limits.maxFrameBytes}, a body at most four times that and at most
 * {@code limits.frameBurst} frames; the frames count against the session's frame rate as on a socket,
 * and the POSTs themselves against {@code limits.frameRate} per second.
 */
final class SsePosts {
  private static final String PREFIX = "/sse/";
  /** An oversize body is read and dropped up to this many times the limit; beyond, the connection is closed. */
  private static final long DISCARD_FACTOR = 16;

  private final PulseConfig config;
  private final PulseMetrics metrics;
  private final SseCors cors;
  private final SseSessions sessions;

  SsePosts(PulseConfig config, PulseMetrics metrics, SseCors cors, SseSessions sessions) {
    this.config = config;
    this.metrics = metrics;
    this.cors = cors;
    this.sessions = sessions;
  }

  void handle(HttpServerRequest req) {
    if (req.method() == HttpMethod.OPTIONS) {
      cors.preflight(req, "POST");
      return;
    }
    if (req.method() != HttpMethod.POST) {
      answer(req, 405, ErrorCode.BAD_REQUEST, "POST frames to /sse/<session>; GET /sse opens an event stream");
      return;
    }
    if (!cors.allow(req)) {
      metrics.ssePost(403);
      return;
    }
    String type = mediaType(req.getHeader("Content-Type"));
    boolean binary = "application/octet-stream".equals(type);
    if (!binary && !"application/json".equals(type)) {
      answer(req, 415, ErrorCode.BAD_REQUEST, "send application/json (a frame or an array of frames) or application/octet-stream (a binary frame)");
      return;
    }
    long limit = binary ? config.limits().maxFrameBytes() : 4L * config.limits().maxFrameBytes();
    long declared = contentLength(req.getHeader("Content-Length"));
    if (declared > DISCARD_FACTOR * limit) {
      // not worth reading to the end: answer and hang up
      answer(req, 413, ErrorCode.TOO_LARGE, "body larger than " + limit + " bytes");
      req.connection().close();
      return;
    }
    Buffer body = Buffer.buffer();
    long[] seen = {0};
    req.handler(chunk -> {
      seen[0] += chunk.length();
      if (seen[0] > DISCARD_FACTOR * limit) {
        req.connection().close();
      } else if (seen[0] > limit) {
        // answered at once; the rest is read and dropped so the answer is not lost to a reset
        if (!req.response().ended()) {
          answer(req, 413, ErrorCode.TOO_LARGE, "body larger than " + limit + " bytes");
        }
      } else {
        body.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> {
      if (seen[0] <= limit) {
        received(req, body, binary);
      }
    });
  }

  private void received(HttpServerRequest req, Buffer body, boolean binary) {
    String origin = req.getHeader("Origin");
    SseSessions.Posted posted;
    try {
      posted = binary ? new SseSessions.Posted(null, body.getBytes(), origin) : new SseSessions.Posted(frames(body), null, origin);
    } catch (PulseException e) {
      answer(req, e.code().httpStatus(), e.code(), e.getMessage());
      return;
    }
    String id = req.path().substring(PREFIX.length());
    // answered on the request's own event loop (the session's may be another)
    Context context = Vertx.currentContext();
    sessions.deliver(id, posted).onComplete(ar -> context.runOnContext(v -> {
      if (ar.succeeded()) {
        metrics.ssePost(202);
        req.response().setStatusCode(202).end();
      } else if (ar.cause() instanceof PulseException p) {
        answer(req, p.code().httpStatus(), p.code(), p.getMessage());
      } else {
        answer(req, 503, ErrorCode.UNAVAILABLE, "temporarily unavailable, try again");
      }
    }));
  }

  /** The frames of a JSON body, each as the text a socket would have received. */
  private List<String> frames(Buffer body) {
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "body is not JSON");
    }
    int max = config.limits().maxFrameBytes();
    if (value instanceof JsonObject) {
      if (body.length() > max) {
        throw new PulseException(ErrorCode.TOO_LARGE, "frame larger than " + max + " bytes");
      }
      return List.of(body.toString(StandardCharsets.UTF_8));
    }
    if (!(value instanceof JsonArray array)) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "body must be a frame (a JSON object) or an array of frames");
    }
    if (array.isEmpty()) {
      throw new PulseException(ErrorCode.BAD_REQUEST, "an empty array carries no frame");
    }
    int most = config.limits().frameBurst();
    if (array.size() > most) {
      throw new PulseException(ErrorCode.TOO_LARGE, "at most " + most + " frames per request");
    }
    List<String> texts = new ArrayList<>(array.size());
    for (Object frame : array) {
      if (!(frame instanceof JsonObject o)) {
        throw new PulseException(ErrorCode.BAD_REQUEST, "every element of the array must be a frame (a JSON object)");
      }
      String text = o.encode();
      if (text.length() > max || text.getBytes(StandardCharsets.UTF_8).length > max) {
        throw new PulseException(ErrorCode.TOO_LARGE, "frame larger than " + max + " bytes");
      }
      texts.add(text);
    }
    return texts;
  }

  private void answer(HttpServerRequest req, int status, ErrorCode code, String message) {
    metrics.ssePost(status);
    metrics.error(code, "POST /sse: " + message);
    ApiError.send(req.response(), status, code, message);
  }

  private static long contentLength(String header) {
    if (header == null || header.isEmpty() || header.length() > 18 || !header.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Long.parseLong(header);
  }

  private static String mediaType(String contentType) {
    if (contentType == null) {
      return null;
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase();
  }
}
