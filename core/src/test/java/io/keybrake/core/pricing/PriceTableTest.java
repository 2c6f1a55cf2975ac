package io.keybrake.core.pricing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class PriceTableTest {
  private static final List<String> LISTED =
      List.of("US", "CA", "GB", "DE", "FR", "IN", "NG", "BR", "MX", "AU");

  private static InputStream yaml(String text) {
    return new ByteArrayInputStream(text.getBytes(UTF_8));
  }

  @Test
  void shippedTableNamesItsSourceAndDate() {
    PriceTable prices = PriceTable.loadDefault();

    assertThat(prices.source()).contains("twilio.com");
    assertThat(prices.asOf()).isAfter(LocalDate.of(2024, 1, 1));
    assertThat(prices.resendSource()).contains("resend.com");
  }

  @Test
  void shippedPricesForKnownCountries() {
    PriceTable prices = PriceTable.loadDefault();

    assertThat(prices.smsSegmentMicros("US")).isEqualTo(8_300);
    assertThat(prices.smsSegmentMicros("us")).isEqualTo(8_300);
    assertThat(prices.mmsMicros("US")).isEqualTo(22_000);
    assertThat(prices.voicePerMinuteMicros("US")).isEqualTo(14_000);
    assertThat(prices.resendEmailMicros()).isEqualTo(900);
    assertThat(prices.smsSegmentMicros("NG")).isGreaterThan(20 * prices.smsSegmentMicros("US"));
    assertThat(LISTED).allMatch(prices::lists);
  }

  @Test
  void unknownRegionGetsTheConservativeDefault() {
    PriceTable prices = PriceTable.loadDefault();

    for (String region : LISTED) {
      assertThat(prices.smsSegmentMicros("ZZ"))
          .isGreaterThanOrEqualTo(prices.smsSegmentMicros(region));
      assertThat(prices.mmsMicros("ZZ")).isGreaterThanOrEqualTo(prices.mmsMicros(region));
      assertThat(prices.whatsappMicros("ZZ")).isGreaterThanOrEqualTo(prices.whatsappMicros(region));
      assertThat(prices.voicePerMinuteMicros("ZZ"))
          .isGreaterThanOrEqualTo(prices.voicePerMinuteMicros(region));
    }
    assertThat(prices.smsSegmentMicros("TV")).isEqualTo(prices.smsSegmentMicros("ZZ"));
    assertThat(prices.smsSegmentMicros(null)).isEqualTo(prices.smsSegmentMicros("ZZ"));
  }

  @Test
  void parsesExactDecimalsRoundedUpToTheMicro() {
    PriceTable prices =
        PriceTable.parse(
            yaml(
                """
                source: test
                as_of: 2025-01-02
                currency: USD
                default: {sms: 0.1, mms: 0.2, whatsapp: 0.3, voice_per_minute: 0.4}
                countries:
                  US: {sms: "0.0000001", mms: 0.02, whatsapp: 0.03, voice_per_minute: 0.0140}
                """));

    assertThat(prices.smsSegmentMicros("US")).isEqualTo(1);
    assertThat(prices.voicePerMinuteMicros("US")).isEqualTo(14_000);
    assertThat(prices.asOf()).isEqualTo(LocalDate.of(2025, 1, 2));
    assertThat(prices.resendEmailMicros()).isEqualTo(900);
  }

  @Test
  void refusesADefaultBelowAListedCountry() {
    String text =
        """
        source: test
        as_of: 2025-01-02
        currency: USD
        default: {sms: 0.01, mms: 0.2, whatsapp: 0.3, voice_per_minute: 0.4}
        countries:
          NG: {sms: 0.29, mms: 0.02, whatsapp: 0.03, voice_per_minute: 0.2}
        """;
    assertThatThrownBy(() -> PriceTable.parse(yaml(text)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NG is dearer");
  }

  @Test
  void refusesATableWithoutSourceOrDate() {
    String text =
        """
        currency: USD
        default: {sms: 0.1, mms: 0.2, whatsapp: 0.3, voice_per_minute: 0.4}
        countries: {}
        """;
    assertThatThrownBy(() -> PriceTable.parse(yaml(text))).hasMessageContaining("'source'");
  }
}
