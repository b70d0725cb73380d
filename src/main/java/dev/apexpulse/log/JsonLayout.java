package dev.apexpulse.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * One JSON object per line: {@code {"time":"2026-01-01T10:00:00.123Z","level":"INFO","logger":"dev.apexpulse.Main",
 * "thread":"main","message":"…"}}, plus {@code "mdc"} when set and {@code "error"} (the stack trace) when
 * a throwable was logged. Selected by {@code PULSE_LOG_FORMAT=json} in logback.xml.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(256);
    b.append("{\"time\":\"").append(TIME.format(event.getInstant())).append('"');
    field(b, "level", event.getLevel().toString());
    field(b, "logger", event.getLoggerName());
    field(b, "thread", event.getThreadName());
    field(b, "message", event.getFormattedMessage());
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) {
      b.append(",\"mdc\":{");
      boolean first = true;
      for (Map.Entry<String, String> e : mdc.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        string(b, e.getKey());
        b.append(':');
        string(b, e.getValue());
      }
      b.append('}');
    }
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      field(b, "error", ThrowableProxyUtil.asString(error));
    }
    return b.append("}\n").toString();
  }

  private static void field(StringBuilder b, String name, String value) {
    b.append(",\"").append(name).append("\":");
    string(b, value);
  }

  static void string(StringBuilder b, String s) {
    if (s == null) {
      b.append("null");
      return;
    }
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
