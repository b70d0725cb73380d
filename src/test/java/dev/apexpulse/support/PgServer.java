package dev.apexpulse.support;

import com.sun.security.auth.module.UnixSystem;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from the machine's binaries (Debian's {@code postgresql} package), made for
 * the tests: {@code initdb} into a temporary directory, {@code pg_ctl start} on a free loopback port,
 * password (SCRAM) authentication, stopped and deleted when the test JVM exits, whatever happened.
 *
 * <p>PostgreSQL refuses to run as root: as root, every command runs as the OS user {@code postgres}
 * (created by the Debian package) through {@code runuser}.
 *
 * <p>Two roles: {@value #ADMIN} (superuser: creates databases, drops them) and {@value #GATEWAY},
 * which owns each test database and is what the gateway and the tests connect as, like a production
 * gateway that owns its schema.
 */
public final class PgServer {
  public static final String ADMIN = "pulse_admin";
  public static final String GATEWAY = "pulse_gw";
  /** Set by .ci/run: missing PostgreSQL binaries fail the PostgreSQL variants instead of skipping them. */
  public static final String REQUIRED_ENV = "PULSE_TEST_POSTGRES";

  private static PgServer shared;
  private static RuntimeException sharedFailure;

  public final Path bin;
  public final int port;
  public final String password;
  private final Path dir;
  private final Path data;

  private PgServer(Path bin, Path dir, int port, String password) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.password = password;
  }

  /**
   * Why PostgreSQL tests cannot run here (printed once), or null: no binaries, unless
   * {@value #REQUIRED_ENV}=required, when they must be here and {@link #shared()} fails instead.
   */
  static String missing() {
    if (findBinaries() != null || "required".equals(System.getenv(REQUIRED_ENV))) {
      return null;
    }
    return SkipLine.once("PostgreSQL", "no server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on the PATH:"
        + " apt-get install postgresql (.ci/run does, and sets " + REQUIRED_ENV + "=required so that they cannot go missing there)");
  }

  /** The server shared by this test JVM, started on first use and stopped when the JVM exits. */
  public static synchronized PgServer shared() {
    if (sharedFailure != null) {
      throw sharedFailure;
    }
    if (shared == null) {
      try {
        String missing = missing();
        if (missing != null) {
          throw new TestAbortedException(missing);
        }
        Path bin = findBinaries();
        if (bin == null) {
          throw new IllegalStateException("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on the PATH,"
              + " and " + REQUIRED_ENV + "=required (.ci/run installs Debian's postgresql)");
        }
        shared = start(bin);
      } catch (RuntimeException e) {
        sharedFailure = e;
        throw e;
      }
      PgServer s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "pg-test-server-stop"));
    }
    return shared;
  }

  static Path findBinaries() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      Path debian = versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
          .orElse(null);
      if (debian != null) {
        return debian;
      }
    } catch (IOException ignored) {
      // not Debian's layout: try the PATH
    }
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path b = Path.of(p);
      if (Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl"))) {
        return b;
      }
    }
    return null;
  }

  private static boolean root() {
    return new UnixSystem().getUid() == 0;
  }

  private static PgServer start(Path bin) {
    String password = HexFormat.of().formatHex(randomBytes(12));
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      Path dir = null;
      try {
        dir = Files.createTempDirectory("pulse-pg-");
        if (root()) {
          UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
          Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
        }
        PgServer s = new PgServer(bin, dir, freePort(), password);
        s.initAndStart();
        return s;
      } catch (IOException | IllegalStateException e) {
        last = e instanceof IllegalStateException i ? i : new IllegalStateException(e);
        if (dir != null) {
          new PgServer(bin, dir, 0, password).stop();
        }
        if (last.getMessage() == null || !last.getMessage().contains("could not bind")) {
          break; // only a port taken in the meantime is worth another attempt
        }
      }
    }
    throw last;
  }

  private void initAndStart() throws IOException {
    long t0 = System.nanoTime();
    Path pwfile = dir.resolve("pw");
    Files.writeString(pwfile, password + "\n");
    run(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", ADMIN, "--pwfile=" + pwfile, "--auth=scram-sha-256",
        "--encoding=UTF8", "--locale=C", "--no-sync");
    // fsync and full-page writes off: a throwaway test server (never for production)
    Files.writeString(data.resolve("postgresql.conf"), String.join("\n", "",
        "listen_addresses = '127.0.0.1'",
        "port = " + port,
        "unix_socket_directories = '" + dir + "'",
        "max_connections = 200",
        "fsync = off",
        "full_page_writes = off",
        ""), java.nio.file.StandardOpenOption.APPEND);
    run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "start");
    try (Connection c = admin("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + GATEWAY + " LOGIN PASSWORD '" + password + "'");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    System.out.printf("PostgreSQL %s: test server on 127.0.0.1:%d (%s) ready in %d ms%n", version(), port, dir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  public String version() {
    try (Connection c = admin("postgres"); Statement s = c.createStatement(); var r = s.executeQuery("SHOW server_version")) {
      r.next();
      return r.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** A superuser connection to a database of this server. */
  public Connection admin(String database) throws SQLException {
    return DriverManager.getConnection(url(database), ADMIN, password);
  }

  /** A new, empty database owned by {@value #GATEWAY}. */
  public void createDatabase(String name) {
    try (Connection c = admin("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " OWNER " + GATEWAY);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Drops a database, ending the sessions still connected to it. */
  public void dropDatabase(String name) {
    try (Connection c = admin("postgres"); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code psql -c sql} as {@value #GATEWAY}: what an operator or a script would run. */
  public String psql(String database, String sql) {
    Path psql = bin.resolve("psql");
    return run(false, Map.of("PGPASSWORD", password), psql.toString(), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
        Integer.toString(port), "-U", GATEWAY, "-d", database, "-c", sql);
  }

  /** pg_ctl stop (fast, then immediate), then the directory goes. */
  void stop() {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      try {
        run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "20", "stop");
      } catch (IllegalStateException e) {
        run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "-t", "20", "stop");
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }

  /** A server command (initdb, pg_ctl): as postgres when this JVM is root. */
  private String run(String... command) {
    return run(root(), Map.of(), command);
  }

  /** Runs a command and returns its output; fails with the output and the server's log. */
  private String run(boolean asPostgres, Map<String, String> env, String... command) {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(List.of(command));
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", cmd));
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        String log = Files.exists(dir.resolve("server.log")) ? Files.readString(dir.resolve("server.log")) : "";
        throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text + log);
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }
}
