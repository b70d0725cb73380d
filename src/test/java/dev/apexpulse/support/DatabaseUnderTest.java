package dev.apexpulse.support;

/**
 * The databases the database suite runs on: each parametrised test class (JUnit's
 * {@code @ParameterizedClass} over this enum) runs once per value, the same code against each.
 *
 * <ul>
 *   <li>{@link #H2}: in memory, always there;</li>
 *   <li>{@link #POSTGRESQL}: a real server from the machine's PostgreSQL binaries ({@link PgServer});
 *   skipped with one line when they are missing, failing instead when {@code PULSE_TEST_POSTGRES=required}
 *   (.ci/run sets it);</li>
 *   <li>{@link #ORACLE}: your own, from {@code PULSE_TEST_ORACLE_URL} ({@link OracleTestDb}); skipped with
 *   one line when it is not set.</li>
 * </ul>
 */
public enum DatabaseUnderTest {
  H2 {
    @Override
    public TestDatabase open(String prefix) {
      return TestDb.memory(prefix);
    }

    @Override
    public TestDatabase openServed(String prefix) {
      return TestDb.served(prefix);
    }
  },
  POSTGRESQL {
    @Override
    public TestDatabase open(String prefix) {
      return PgTestDb.create(prefix);
    }

    @Override
    public String missing() {
      return PgServer.missing();
    }
  },
  ORACLE {
    @Override
    public TestDatabase open(String prefix) {
      return OracleTestDb.fromEnv();
    }

    @Override
    public String missing() {
      return OracleTestDb.missing();
    }
  };

  /** A fresh database for a gateway in this JVM; skips the caller's tests when this database is not here. */
  public abstract TestDatabase open(String prefix);

  /**
   * Why the tests on this database cannot run here (the reason is printed once), or null. A database
   * that must be here but is not (PostgreSQL in CI) is not "missing": its tests run and fail.
   */
  public String missing() {
    return null;
  }

  /** A fresh database that gateway processes (and a {@link TcpProxy}) reach over TCP. */
  public TestDatabase openServed(String prefix) {
    return open(prefix);
  }
}
