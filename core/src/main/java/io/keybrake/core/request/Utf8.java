package io.keybrake.core.request;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 decoding (no replacement characters). Thread-safe (stateless). */
final class Utf8 {
  private Utf8() {}

  /**
   * Decodes {@code bytes}, refusing malformed or unmappable input.
   *
   * @throws IllegalArgumentException when the bytes are not valid UTF-8
   */
  static String decodeStrict(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("invalid UTF-8", e);
    }
  }
}
