package dev.apexpulse.support;

import dev.apexpulse.config.Dialect;
import org.h2.tools.Server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A real H2 database for tests: in memory, kept alive by a connection of the test (so the gateway
 * and the test see the same data), dropped on close. {@link #url} is what the gateway uses: the
 * embedded URL, or a TCP one through an H2 server of this JVM (see {@link #served}).
 */
public final class TestDb extends TestDatabase {
  public final String name;
  /** The URL the test itself connects with (embedded, same JVM). */
  public final String localUrl;
  private final Server server;
  private final Connection keep;

  private TestDb(String name, Server server) {
    super(Dialect.H2, server == null ? memoryUrl(name) : "jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/mem:" + name, "", "");
    this.name = name;
    this.localUrl = memoryUrl(name);
    this.server = server;
    try {
      this.keep = DriverManager.getConnection(localUrl);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String memoryUrl(String name) {
    return "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
  }

  /** A fresh in-memory database with a unique name, for a gateway in this JVM. */
  public static TestDb memory(String prefix) {
    return new TestDb(unique(prefix), null);
  }

  /**
   * A fresh in-memory database that gateways (also other processes) reach through an H2 TCP server on
   * 127.0.0.1, started for it and stopped on close.
   */
  public static TestDb served(String prefix) {
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      return new TestDb(unique(prefix), Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists").start());
    } catch (SQLException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String unique(String prefix) {
    byte[] b = new byte[4];
    ThreadLocalRandom.current().nextBytes(b);
    return prefix + "_" + HexFormat.of().formatHex(b);
  }

  @Override
  public Connection connect() {
    try {
      return DriverManager.getConnection(localUrl);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public InetSocketAddress address() {
    if (server == null) {
      throw new IllegalStateException("an embedded database has no address: use TestDb.served");
    }
    return new InetSocketAddress("127.0.0.1", server.getPort());
  }

  @Override
  public String urlVia(int port) {
    address();
    return "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:" + name;
  }

  @Override
  public void close() {
    try (Statement s = keep.createStatement()) {
      s.execute("SHUTDOWN");
    } catch (SQLException ignored) {
      // already gone
    }
    try {
      keep.close();
    } catch (SQLException ignored) {
      // closed by SHUTDOWN
    }
    if (server != null) {
      server.stop();
    }
  }
}
