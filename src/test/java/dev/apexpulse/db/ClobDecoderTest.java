package dev.apexpulse.db;

import io.vertx.core.json.JsonObject;
import io.vertx.jdbcclient.impl.actions.JDBCStatementHelper;
import io.vertx.jdbcclient.spi.JDBCDecoderImpl;
import org.junit.jupiter.api.Test;

import javax.sql.rowset.serial.SerialClob;
import javax.sql.rowset.serial.SerialException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** CLOB payloads are read as characters, not through the default decoder's ASCII stream. */
class ClobDecoderTest {
  private static final String TEXT = "{\"text\":\"Grüße – 東京 € 😀\"}";

  @Test
  void readsNonAsciiClobsIntact() throws Exception {
    assertThat(new ClobDecoder().cast(new SerialClob(TEXT.toCharArray()))).isEqualTo(TEXT);
    assertThat(new ClobDecoder().cast(new SerialClob(new char[0]))).isEqualTo("");
    assertThat(new ClobDecoder().cast(42)).isEqualTo(42);
  }

  @Test
  void theDefaultDecoderWouldMangleThemOnADriverWhoseAsciiStreamIsAscii() throws Exception {
    // what the JDBC spec says getAsciiStream returns (and Oracle's driver does)
    SerialClob asciiStreaming = new SerialClob(TEXT.toCharArray()) {
      @Override
      public InputStream getAsciiStream() throws SerialException {
        return new ByteArrayInputStream(TEXT.getBytes(StandardCharsets.US_ASCII));
      }
    };
    assertThat(new JDBCDecoderImpl().cast(asciiStreaming)).isNotEqualTo(TEXT);
    assertThat(new ClobDecoder().cast(asciiStreaming)).isEqualTo(TEXT);
  }

  @Test
  void isInstalledThroughTheDecoderOption() {
    JDBCStatementHelper helper = new JDBCStatementHelper(new JsonObject().put("decoderCls", ClobDecoder.class.getName()));
    assertThat(helper.getDecoder()).isInstanceOf(ClobDecoder.class);
  }
}
