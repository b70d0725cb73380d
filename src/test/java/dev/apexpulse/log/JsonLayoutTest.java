package dev.apexpulse.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** PULSE_LOG_FORMAT=json: one parseable JSON object per line, whatever the message holds. */
class JsonLayoutTest {
  private final LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
  private final Logger logger = context.getLogger("dev.apexpulse.Node");

  private String layout(LoggingEvent event) {
    JsonLayout layout = new JsonLayout();
    layout.setContext(context);
    layout.start();
    return layout.doLayout(event);
  }

  @Test
  void writesOneJsonObjectPerLine() {
    LoggingEvent e = new LoggingEvent("x", logger, Level.INFO, "node {} ready on {}", null, new Object[] {"n-1", 8080});
    e.setTimeStamp(1_767_261_600_123L);
    String line = layout(e);
    assertThat(line).endsWith("}\n").hasLineCount(1);
    JsonObject json = new JsonObject(line);
    assertThat(json.getString("time")).isEqualTo("2026-01-01T10:00:00.123Z");
    assertThat(json.getString("level")).isEqualTo("INFO");
    assertThat(json.getString("logger")).isEqualTo("dev.apexpulse.Node");
    assertThat(json.getString("message")).isEqualTo("node n-1 ready on 8080");
    assertThat(json.containsKey("error")).isFalse();
  }

  @Test
  void escapesQuotesControlCharactersAndStackTraces() {
    String nasty = "say \"hi\"\\ \n\tnext\u0001 line \u2028 ü";
    LoggingEvent e = new LoggingEvent("x", logger, Level.WARN, nasty, new IllegalStateException("boom \"x\""), null);
    String line = layout(e);
    assertThat(line.strip()).doesNotContain("\n");
    JsonObject json = new JsonObject(line);
    assertThat(json.getString("message")).isEqualTo(nasty);
    assertThat(json.getString("error")).contains("IllegalStateException: boom \"x\"").contains("at dev.apexpulse.log.JsonLayoutTest");
  }
}
