package dev.apexpulse.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP forwarder on 127.0.0.1 in front of a database, to take the database away from the gateway
 * while it keeps running for the test's writers: {@link #cut()} closes every connection and refuses
 * new ones (what a stopped server or a failover looks like to the driver), {@link #restore()} listens
 * again on the same port. The same outage for H2, PostgreSQL and Oracle.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx;
  private final InetSocketAddress target;
  private final NetClient client;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private final int port;
  private NetServer server;

  private TcpProxy(Vertx vertx, InetSocketAddress target) {
    this.vertx = vertx;
    this.target = target;
    this.client = vertx.createNetClient();
    this.port = listen(0);
  }

  public static TcpProxy start(Vertx vertx, InetSocketAddress target) {
    return new TcpProxy(vertx, target);
  }

  public int port() {
    return port;
  }

  private int listen(int on) {
    server = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      track(in);
      client.connect(target.getPort(), target.getHostString()).onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        track(out);
        out.pipeTo(in);
        in.pipeTo(out);
      });
    });
    return await(server.listen(on, "127.0.0.1")).actualPort();
  }

  private void track(NetSocket s) {
    sockets.add(s);
    s.closeHandler(v -> sockets.remove(s));
  }

  /** The database is gone: every connection through the proxy breaks, new ones are refused. */
  public void cut() {
    await(server.close());
    for (NetSocket s : List.copyOf(sockets)) {
      s.close();
    }
  }

  /** The database is back, on the same port. */
  public void restore() {
    listen(port);
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    cut();
    await(client.close());
  }
}
