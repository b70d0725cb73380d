package dev.apexpulse.db;

import io.vertx.jdbcclient.spi.JDBCDecoderImpl;

import java.sql.Clob;
import java.sql.SQLException;

/**
 * Reads CLOBs as characters. The default decoder of vertx-jdbc-client 5 reads them through
 * {@code Clob.getAsciiStream()}, which is not UTF-8 on every driver (Oracle's is ASCII), and would
 * mangle any non-ASCII payload. Installed by {@link Database} through the {@code decoderCls} option.
 */
public class ClobDecoder extends JDBCDecoderImpl {

  @Override
  public Object cast(Object value) throws SQLException {
    if (value instanceof Clob clob) {
      long length = clob.length();
      if (length > Integer.MAX_VALUE) {
        throw new SQLException("CLOB of " + length + " characters is too long to read");
      }
      String text = length == 0 ? "" : clob.getSubString(1, (int) length);
      try {
        clob.free();
      } catch (SQLException | UnsupportedOperationException ignored) {
        // not every driver frees
      }
      return text;
    }
    return super.cast(value);
  }
}
