package dev.apexpulse.support;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A database variant that cannot run here: its tests are skipped (a JUnit assumption, never counted
 * as passed) and the run prints one line per database saying why, however many classes it skips.
 */
final class SkipLine {
  private static final Set<String> PRINTED = ConcurrentHashMap.newKeySet();

  private SkipLine() {}

  /** The skip reason for a database, printed the first time. */
  static String once(String database, String why) {
    String line = database + " tests skipped: " + why;
    if (PRINTED.add(database)) {
      System.out.println(line);
    }
    return line;
  }
}
