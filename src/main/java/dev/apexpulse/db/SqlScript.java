package dev.apexpulse.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a schema script into statements: {@code ;} ends a statement, {@code --} starts a comment
 * (both only outside single-quoted literals, where {@code ''} is a quote). No PL/SQL blocks.
 */
public final class SqlScript {
  private SqlScript() {}

  public static List<String> resource(String name) {
    try (InputStream in = SqlScript.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no resource " + name);
      }
      return split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<String> split(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < script.length(); i++) {
      char c = script.charAt(i);
      if (quoted) {
        current.append(c);
        if (c == '\'') {
          if (i + 1 < script.length() && script.charAt(i + 1) == '\'') {
            current.append('\'');
            i++;
          } else {
            quoted = false;
          }
        }
      } else if (c == '\'') {
        quoted = true;
        current.append(c);
      } else if (c == '-' && i + 1 < script.length() && script.charAt(i + 1) == '-') {
        while (i < script.length() && script.charAt(i) != '\n') {
          i++;
        }
        current.append('\n');
      } else if (c == ';') {
        add(out, current);
      } else {
        current.append(c);
      }
    }
    add(out, current);
    return out;
  }

  private static void add(List<String> out, StringBuilder current) {
    String s = current.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
    current.setLength(0);
  }
}
