package dev.apexpulse.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A SQL*Plus / SQLcl script split into what the database would see, by the rules of
 * apex/test-plsql/lib/sqlplus.js (a test checks that both split the kit's files alike), so that the
 * PL/SQL kit can be installed through JDBC:
 *
 * <ul>
 *   <li>SQL*Plus commands (@, @@, set, prompt, whenever, show errors, …) count only where a statement
 *   could start; {@code exec x} is {@code begin x; end;};</li>
 *   <li>a line holding only {@code /} ends the statement in the buffer;</li>
 *   <li>a SQL statement ends at a line whose code ends with {@code ;}; a PL/SQL unit (declare/begin,
 *   create package, procedure, function, trigger, type, …) only at {@code /};</li>
 *   <li>comments, '…' and q'[…]' literals and "identifiers" are lexed across lines.</li>
 * </ul>
 */
public final class SqlPlusScript {
  private static final List<Pattern> COMMANDS = List.of(
      Pattern.compile("^@@?\\S"),
      Pattern.compile("^(acc|accept|appi|appinfo|arraysize|attr|attribute|bre|break|bti|btitle|cl|clear|col|column|comp|compute|conn"
          + "|connect|copy|def|define|del|desc|describe|disc|disconnect|exit|get|help|ho|host|i|input|pau|pause|pri|print|pro|prompt"
          + "|quit|rem|remark|repf|repfooter|reph|repheader|sav|save|sho|show|spo|spool|sta|start|store|timi|timing|tti|ttitle|undef"
          + "|undefine|var|variable|whenever|xquery)(\\s|$)", Pattern.CASE_INSENSITIVE),
      Pattern.compile("^set\\s+(?!(transaction|role|constraints?)\\b)\\S", Pattern.CASE_INSENSITIVE));
  private static final Pattern PLSQL_START = Pattern.compile("^(declare|begin|<<)", Pattern.CASE_INSENSITIVE);
  private static final Pattern PLSQL_CREATE = Pattern.compile("^create\\s+(or\\s+replace\\s+)?((editionable|noneditionable|editioning)\\s+)?"
      + "(package|procedure|function|trigger|type|library|java|and\\s+(resolve|compile))\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern EXEC = Pattern.compile("^exec(ute)?\\s+", Pattern.CASE_INSENSITIVE);
  private static final Map<Character, Character> CLOSERS = Map.of('[', ']', '{', '}', '(', ')', '<', '>');

  private SqlPlusScript() {}

  /** A statement or a SQL*Plus command, in script order. */
  public sealed interface Item permits Statement, Command {}

  /** @param kind "sql" or "plsql"; text: its lines, whole */
  public record Statement(int startLine, int endLine, String kind, String text, String code) implements Item {
    /**
     * What JDBC runs: without the comments before it, a SQL statement without its closing ';', a
     * PL/SQL unit with it. (The masked code has the text's layout, comments blanked.)
     */
    public String sql() {
      int from = code.length() - code.stripLeading().length();
      int end = Math.min(text.length(), code.stripTrailing().length());
      if (kind.equals("sql") && code.stripTrailing().endsWith(";")) {
        end--;
      }
      return text.substring(from, end).strip();
    }
  }

  public record Command(int line, String text) implements Item {}

  private static final class Lexer {
    /** null: in code; else "block", "ident", "q", "str". */
    String mode;
    char close;
  }

  public static List<Item> split(String script) {
    String[] lines = script.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1);
    List<Item> out = new ArrayList<>();
    Lexer lex = new Lexer();
    List<String> cur = null;
    StringBuilder code = new StringBuilder();
    int start = 0;
    for (int idx = 0; idx < lines.length; idx++) {
      int lineNo = idx + 1;
      String line = lines[idx];
      String trimmed = line.strip();
      boolean atStart = lex.mode == null && (cur == null || code.toString().isBlank());
      if (lex.mode == null && trimmed.equals("/")) {
        if (cur != null && !code.toString().isBlank()) {
          out.add(statement(start, lineNo, cur, code));
        }
        cur = null;
        code.setLength(0);
        continue;
      }
      if (atStart && !trimmed.isEmpty() && COMMANDS.stream().anyMatch(p -> p.matcher(trimmed).find())) {
        out.add(new Command(lineNo, trimmed));
        continue;
      }
      if (atStart && EXEC.matcher(trimmed).find() && !trimmed.toLowerCase().matches("^execute\\s+immediate\\b.*")) {
        String body = EXEC.matcher(trimmed).replaceFirst("");
        if (!body.stripTrailing().endsWith(";")) {
          body += ";";
        }
        String text = "begin " + body + " end;";
        out.add(new Statement(lineNo, lineNo, "plsql", text, text));
        out.add(new Command(lineNo, trimmed));
        continue;
      }
      if (cur == null) {
        if (trimmed.isEmpty()) {
          continue;
        }
        cur = new ArrayList<>();
        code.setLength(0);
        start = lineNo;
      }
      cur.add(line);
      String masked = mask(line, lex);
      code.append(masked).append('\n');
      if (lex.mode == null && !code.toString().isBlank() && masked.stripTrailing().endsWith(";") && kind(code).equals("sql")) {
        out.add(statement(start, lineNo, cur, code));
        cur = null;
        code.setLength(0);
      }
    }
    if (cur != null && !code.toString().isBlank()) {
      throw new IllegalArgumentException("statement from line " + start + " is not terminated by ';' or '/'");
    }
    return out;
  }

  private static Statement statement(int start, int end, List<String> lines, StringBuilder code) {
    return new Statement(start, end, kind(code), String.join("\n", lines), code.toString());
  }

  private static String kind(CharSequence code) {
    String c = code.toString().replaceAll("\\s+", " ").strip();
    return PLSQL_START.matcher(c).find() || PLSQL_CREATE.matcher(c).find() ? "plsql" : "sql";
  }

  private static boolean identChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '#';
  }

  /** The line with comments blanked and literal contents masked, continuing from the lexer's state. */
  private static String mask(String line, Lexer lex) {
    StringBuilder m = new StringBuilder();
    int i = 0;
    int n = line.length();
    while (i < n) {
      if (lex.mode != null) {
        switch (lex.mode) {
          case "block" -> {
            int end = line.indexOf("*/", i);
            if (end < 0) {
              m.append(" ".repeat(n - i));
              return m.toString();
            }
            m.append(" ".repeat(end + 2 - i));
            i = end + 2;
          }
          case "ident" -> {
            int end = line.indexOf('"', i);
            if (end < 0) {
              m.append("x".repeat(n - i));
              return m.toString();
            }
            m.append("x".repeat(end - i)).append('"');
            i = end + 1;
          }
          case "q" -> {
            int end = line.indexOf(lex.close + "'", i);
            if (end < 0) {
              m.append("x".repeat(n - i));
              return m.toString();
            }
            m.append("x".repeat(end - i)).append(lex.close).append('\'');
            i = end + 2;
          }
          default -> { // "str"
            int j = i;
            boolean closed = false;
            while (j < n) {
              if (line.charAt(j) == '\'') {
                if (j + 1 < n && line.charAt(j + 1) == '\'') {
                  j += 2;
                  continue;
                }
                closed = true;
                break;
              }
              j++;
            }
            m.append("x".repeat(j - i));
            if (!closed) {
              return m.toString();
            }
            m.append('\'');
            i = j + 1;
          }
        }
        lex.mode = null;
        continue;
      }
      char c = line.charAt(i);
      char d = i + 1 < n ? line.charAt(i + 1) : 0;
      char prev = i > 0 ? line.charAt(i - 1) : 0;
      char beforeQ = (prev == 'n' || prev == 'N') ? (i > 1 ? line.charAt(i - 2) : 0) : prev;
      if (c == '-' && d == '-') {
        m.append(" ".repeat(n - i));
        return m.toString();
      }
      if (c == '/' && d == '*') {
        m.append("  ");
        i += 2;
        lex.mode = "block";
      } else if ((c == 'q' || c == 'Q') && d == '\'' && i + 2 < n && !identChar(beforeQ)) {
        char open = line.charAt(i + 2);
        m.append("q'").append(open);
        lex.mode = "q";
        lex.close = CLOSERS.getOrDefault(open, open);
        i += 3;
      } else if (c == '\'') {
        m.append('\'');
        lex.mode = "str";
        i++;
      } else if (c == '"') {
        m.append('"');
        lex.mode = "ident";
        i++;
      } else {
        m.append(c);
        i++;
      }
    }
    return m.toString();
  }

  /** The statements of a script file with its @@ / @ includes expanded in place (relative to the file). */
  public static List<Statement> statements(Path file) {
    List<Statement> out = new ArrayList<>();
    try {
      for (Item item : split(Files.readString(file))) {
        if (item instanceof Statement s) {
          out.add(s);
        } else if (item instanceof Command c && c.text().startsWith("@")) {
          out.addAll(statements(file.resolveSibling(c.text().replaceFirst("^@@?", "").strip())));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
