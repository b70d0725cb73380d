package dev.apexpulse.support;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The "nothing logged at ERROR" checks of the fuzz, attack and exhaustion suites see the node's logging. */
class LogCaptureTest {

  @Test
  void seesErrorsLoggedThroughTheNodesLoggingSetup() {
    try (LogCapture logs = LogCapture.install()) {
      LoggerFactory.getLogger("dev.apexpulse.gateway.Connection").info("an ordinary line");
      assertThat(logs.lines("an ordinary line")).hasSize(1);
      assertThat(logs.suspicious()).isEmpty();
      LoggerFactory.getLogger("dev.apexpulse.gateway.Connection").error("connection c-1: unexpected failure handling a frame",
          new IllegalStateException("boom"));
      assertThat(logs.suspicious()).anyMatch(l -> l.contains("unexpected failure"));
    }
  }
}
