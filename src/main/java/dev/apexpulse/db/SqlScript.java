package dev.apexpulse.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a schema script into statements: {@code ;} ends a statement, {@code --} starts a comment
 * (both only outside single-quoted literals, where {@code ''} is a quote, and outside PostgreSQL's
 * dollar-quoted bodies {@code $$ … $$} / {@code $tag$ … $tag$}, which hold the doorbell trigger's
 * PL/pgSQL). No Oracle PL/SQL blocks.
 */
public final class SqlScript {
  /** An opening dollar quote: {@code $}, an optional tag, {@code $}. */
  private static final Pattern DOLLAR_TAG = Pattern.compile("\\$([A-Za-z_][A-Za-z_0-9]*)?\\$");

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
    Matcher dollar = DOLLAR_TAG.matcher(script);
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
      } else if (c == '$' && !identifierBefore(script, i) && dollar.region(i, script.length()).lookingAt()) {
        // copied whole up to the same tag: ; and -- inside a function body end nothing
        String tag = dollar.group();
        int end = script.indexOf(tag, dollar.end());
        if (end < 0) {
          throw new IllegalArgumentException("unterminated dollar quote " + tag);
        }
        current.append(script, i, end + tag.length());
        i = end + tag.length() - 1;
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

  /** A {@code $} after an identifier character is part of a name (Oracle's v$session), not a quote. */
  private static boolean identifierBefore(String s, int i) {
    return i > 0 && (Character.isLetterOrDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '_' || s.charAt(i - 1) == '$');
  }

  private static void add(List<String> out, StringBuilder current) {
    String s = current.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
    current.setLength(0);
  }
}
