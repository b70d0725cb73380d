package dev.apexpulse.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** PULSE_LOG_FORMAT=json, as logback.xml configures it: one parseable JSON object per line, whatever the message holds. */
class JsonLogTest {

  /** The encoder of the "json" appender, configured by the real logback.xml in a context of its own. */
  private static String encode(ILoggingEvent event) throws Exception {
    LoggerContext context = context();
    JoranConfigurator config = new JoranConfigurator();
    config.setContext(context);
    config.doConfigure(JsonLogTest.class.getResource("/logback.xml"));
    return new String(findJson(context).getEncoder().encode(event), StandardCharsets.UTF_8);
  }

  private static ConsoleAppender<ILoggingEvent> findJson(LoggerContext context) {
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    var appender = root.getAppender("json");
    assertThat(appender).as("logback.xml routes the root logger to the json appender under PULSE_LOG_FORMAT=json").isNotNull();
    return (ConsoleAppender<ILoggingEvent>) appender;
  }

  private static LoggerContext context() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    return context;
  }

  private static LoggingEvent event(String message, Throwable error, Object... args) {
    Logger logger = context().getLogger("dev.apexpulse.Node");
    return new LoggingEvent("x", logger, Level.WARN, message, error, args);
  }

  @Test
  void writesOneJsonObjectPerLine() throws Exception {
    var e = event("node {} ready on {}", null, "n-1", 8080);
    e.setTimeStamp(1_767_261_600_123L);
    String line = withJsonFormat(() -> encode(e));
    assertThat(line).endsWith("}\n").hasLineCount(1);
    JsonObject json = new JsonObject(line);
    assertThat(json.getLong("timestamp")).isEqualTo(1_767_261_600_123L);
    assertThat(json.getString("level")).isEqualTo("WARN");
    assertThat(json.getString("loggerName")).isEqualTo("dev.apexpulse.Node");
    assertThat(json.getString("formattedMessage")).isEqualTo("node n-1 ready on 8080");
    assertThat(json.getValue("throwable")).isNull();
  }

  @Test
  void escapesQuotesControlCharactersAndStackTraces() throws Exception {
    String nasty = "say \"hi\"\\ \n\tnext\u0001 line \u2028 ü";
    String line = withJsonFormat(() -> encode(event(nasty, new IllegalStateException("boom \"x\""))));
    assertThat(line.strip()).doesNotContain("\n");
    JsonObject json = new JsonObject(line);
    assertThat(json.getString("formattedMessage")).isEqualTo(nasty);
    assertThat(json.getJsonObject("throwable").encode()).contains("IllegalStateException").contains("boom \\\"x\\\"");
  }

  private interface Action {
    String run() throws Exception;
  }

  /** logback.xml picks the appender from PULSE_LOG_FORMAT (environment or system property). */
  private static String withJsonFormat(Action action) throws Exception {
    String before = System.getProperty("PULSE_LOG_FORMAT");
    System.setProperty("PULSE_LOG_FORMAT", "json");
    try {
      return action.run();
    } finally {
      if (before == null) {
        System.clearProperty("PULSE_LOG_FORMAT");
      } else {
        System.setProperty("PULSE_LOG_FORMAT", before);
      }
    }
  }
}
