package io.keybrake.core.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CurrenciesTest {
  private final Currencies currencies = Currencies.loadDefault();

  @ParameterizedTest(name = "{0} has exponent {1}")
  @CsvSource({
    "USD,2", "usd,2", "EUR,2", "GBP,2", "JPY,0", "jpy,0", "KRW,0", "VND,0", "CLP,0", "XOF,0",
    "KWD,3", "BHD,3", "JOD,3", "OMR,3", "TND,3", "ISK,2", "HUF,2"
  })
  void exponents(String iso, int exponent) throws RequestRejected {
    assertThat(currencies.exponent(iso)).isEqualTo(exponent);
  }

  @Test
  void usdCentsAreExact() throws RequestRejected {
    assertThat(currencies.toUsdMicros(1_500, "usd")).isEqualTo(15_000_000);
    assertThat(currencies.toUsdMicros(1, "usd")).isEqualTo(10_000);
  }

  @Test
  void thousandYenIsAThousandYenNotTenYen() throws RequestRejected {
    // JPY is zero-decimal: amount=1000 means ¥1,000 (about $6.95), not ¥10.00
    assertThat(currencies.toUsdMicros(1_000, "jpy")).isEqualTo(6_950_000);
  }

  @Test
  void kuwaitiDinarHasThreeDecimals() throws RequestRejected {
    // amount=1000 in KWD is 1.000 KWD (about $3.27), not 10.00 KWD
    assertThat(currencies.toUsdMicros(1_000, "kwd")).isEqualTo(3_273_300);
  }

  @Test
  void roundsUpToTheMicroDollar() throws RequestRejected {
    // 1 VND = 0.0000384 USD = 38.4 micro-dollars -> 39
    assertThat(currencies.toUsdMicros(1, "vnd")).isEqualTo(39);
    assertThat(currencies.majorToUsdMicros(new BigDecimal("0.0000001"), "USD")).isEqualTo(1);
  }

  @Test
  void unknownCurrencyIsRefused() {
    assertThatThrownBy(() -> currencies.toUsdMicros(100, "xyz"))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST))
        .hasMessageContaining("currency 'xyz' is not known");
    assertThatThrownBy(() -> currencies.exponent("")).isInstanceOf(RequestRejected.class);
  }

  @Test
  void negativeAmountIsRefused() {
    assertThatThrownBy(() -> currencies.toUsdMicros(-1, "usd")).isInstanceOf(RequestRejected.class);
  }

  @Test
  void tableNamesItsSourceAndDate() {
    assertThat(currencies.source()).contains("stripe.com").contains("ecb.europa.eu");
    assertThat(currencies.asOf()).isNotNull();
  }
}
