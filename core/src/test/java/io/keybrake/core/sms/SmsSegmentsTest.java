package io.keybrake.core.sms;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SmsSegmentsTest {

  private static SegmentCount count(String body) {
    return SmsSegments.count(body);
  }

  @Test
  void emptyOrAbsentBodyIsOneSegment() {
    assertThat(count(null)).isEqualTo(new SegmentCount(SmsEncoding.GSM7, 0, 1));
    assertThat(count("")).isEqualTo(new SegmentCount(SmsEncoding.GSM7, 0, 1));
  }

  @ParameterizedTest(name = "{0} GSM chars -> {1} segments")
  @CsvSource({"1,1", "160,1", "161,2", "306,2", "307,3", "459,3", "460,4"})
  void gsmBoundaries(int length, int segments) {
    SegmentCount c = count("a".repeat(length));

    assertThat(c.encoding()).isEqualTo(SmsEncoding.GSM7);
    assertThat(c.units()).isEqualTo(length);
    assertThat(c.segments()).isEqualTo(segments);
  }

  @Test
  void gsmBasicSetIncludesAccentsAndGreekCapitals() {
    SegmentCount c = count("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r");

    assertThat(c.encoding()).isEqualTo(SmsEncoding.GSM7);
    assertThat(c.units()).isEqualTo(44);
  }

  @Test
  void extensionCharactersCountTwice() {
    SegmentCount c = count("^{}\\[~]|€\f");

    assertThat(c.encoding()).isEqualTo(SmsEncoding.GSM7);
    assertThat(c.units()).isEqualTo(20);
  }

  @Test
  void extensionCharactersPushPastTheSingleSegmentLimit() {
    assertThat(count("a".repeat(158) + "€").segments()).isEqualTo(1); // 160 septets
    assertThat(count("a".repeat(159) + "€").segments()).isEqualTo(2); // 161 septets
    assertThat(count("€".repeat(80)).units()).isEqualTo(160);
    assertThat(count("€".repeat(80)).segments()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} UCS-2 units -> {1} segments")
  @CsvSource({"70,1", "71,2", "134,2", "135,3", "201,3", "202,4"})
  void ucs2Boundaries(int length, int segments) {
    SegmentCount c = count("ж".repeat(length));

    assertThat(c.encoding()).isEqualTo(SmsEncoding.UCS2);
    assertThat(c.units()).isEqualTo(length);
    assertThat(c.segments()).isEqualTo(segments);
  }

  @Test
  void oneEmojiSwitchesTheWholeBodyToUcs2InUtf16Units() {
    String emoji = "\uD83D\uDE00"; // 😀, two UTF-16 code units
    assertThat(count("a".repeat(68) + emoji)).isEqualTo(new SegmentCount(SmsEncoding.UCS2, 70, 1));
    assertThat(count("a".repeat(69) + emoji)).isEqualTo(new SegmentCount(SmsEncoding.UCS2, 71, 2));
    assertThat(count("a".repeat(132) + emoji).segments()).isEqualTo(2); // 134 = 2 x 67
    assertThat(count("a".repeat(133) + emoji).segments()).isEqualTo(3);
  }

  @Test
  void charactersOutsideGsmSuchAsCurlyQuotesForceUcs2() {
    assertThat(count("it’s").encoding()).isEqualTo(SmsEncoding.UCS2);
    assertThat(count("ç").encoding()).isEqualTo(SmsEncoding.UCS2); // only capital Ç is in GSM-7
    assertThat(count("`").encoding()).isEqualTo(SmsEncoding.UCS2);
  }
}
