package dev.apexpulse.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 decoding: the protocol refuses malformed text instead of replacing it. */
public final class Utf8 {
  private static final ThreadLocal<CharsetDecoder> STRICT = ThreadLocal.withInitial(() ->
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT));

  private Utf8() {}

  public static String decode(byte[] bytes) throws CharacterCodingException {
    return STRICT.get().decode(ByteBuffer.wrap(bytes)).toString();
  }
}
