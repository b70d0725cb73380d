package dev.apexpulse.support;

import dev.apexpulse.config.Dialect;

import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** A fresh database on the test JVM's {@link PgServer}, owned by the gateway's role; dropped on close. */
public final class PgTestDb extends TestDatabase {
  public final PgServer server;
  public final String name;

  private PgTestDb(PgServer server, String name) {
    super(Dialect.POSTGRESQL, server.url(name), PgServer.GATEWAY, server.password);
    this.server = server;
    this.name = name;
  }

  public static PgTestDb create(String prefix) {
    PgServer server = PgServer.shared();
    byte[] b = new byte[4];
    ThreadLocalRandom.current().nextBytes(b);
    String name = (prefix + "_" + HexFormat.of().formatHex(b)).toLowerCase();
    server.createDatabase(name);
    return new PgTestDb(server, name);
  }

  /** {@code psql -c sql} on this database, as the gateway's role. */
  public String psql(String sql) {
    return server.psql(name, sql);
  }

  @Override
  public InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", server.port);
  }

  @Override
  public String urlVia(int port) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
  }

  @Override
  public void close() {
    server.dropDatabase(name);
  }
}
