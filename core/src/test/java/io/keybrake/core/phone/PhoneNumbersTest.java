package io.keybrake.core.phone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PhoneNumbersTest {

  @Test
  void usNumber() throws RequestRejected {
    PhoneDestination d = PhoneNumbers.parse("+14155552671");

    assertThat(d.e164()).isEqualTo("+14155552671");
    assertThat(d.regionCode()).isEqualTo("US");
    assertThat(d.premiumRate()).isFalse();
    assertThat(d.channel()).isEqualTo(Channel.SMS_OR_VOICE);
    assertThat(d.masked()).isEqualTo("+1415555****");
  }

  @Test
  void canadianNumberSharesCountryCodeOneButNotTheRegion() throws RequestRejected {
    assertThat(PhoneNumbers.parse("+16135550123").regionCode()).isEqualTo("CA");
  }

  @Test
  void nigerianMobile() throws RequestRejected {
    PhoneDestination d = PhoneNumbers.parse("+2348031234567");

    assertThat(d.regionCode()).isEqualTo("NG");
    assertThat(d.premiumRate()).isFalse();
    assertThat(d.masked()).isEqualTo("+234803123****");
  }

  @Test
  void ukPremiumRateNumberIsDetected() throws RequestRejected {
    // 09xx is the UK premium-rate range (Ofcom); libphonenumber types it PREMIUM_RATE
    PhoneDestination d = PhoneNumbers.parse("+449098790000");

    assertThat(d.regionCode()).isEqualTo("GB");
    assertThat(d.premiumRate()).isTrue();
  }

  @Test
  void usPremiumRate900NumberIsDetected() throws RequestRejected {
    assertThat(PhoneNumbers.parse("+19002345678").premiumRate()).isTrue();
  }

  @Test
  void ukMobileIsNotPremium() throws RequestRejected {
    PhoneDestination d = PhoneNumbers.parse("+447400123456");
    assertThat(d.regionCode()).isEqualTo("GB");
    assertThat(d.premiumRate()).isFalse();
  }

  @Test
  void whatsappPrefixKeepsTheChannel() throws RequestRejected {
    PhoneDestination d = PhoneNumbers.parse("whatsapp:+14155552671");

    assertThat(d.e164()).isEqualTo("+14155552671");
    assertThat(d.channel()).isEqualTo(Channel.WHATSAPP);
    assertThat(d.masked()).isEqualTo("whatsapp:+1415555****");
  }

  @Test
  void nonGeographicNumberHasUnknownRegion() throws RequestRejected {
    // +800 is the international freephone service: no country
    assertThat(PhoneNumbers.parse("+80012345678").regionCode()).isEqualTo("ZZ");
  }

  @ParameterizedTest(name = "refuses \"{0}\"")
  @ValueSource(
      strings = {
        "",
        "14155552671",
        " 14155552671",
        "+1 415 555 2671",
        "+1-415-555-2671",
        "+1(415)5552671",
        "+",
        "+1",
        "+14155552671x1",
        "+999123456",
        "+1415555267112345678",
        "whatsapp:14155552671",
        "WhatsApp:+14155552671",
        "client:alice",
        "sip:alice@example.com",
        "+4402079460000",
        "hello",
      })
  void refusesAnythingThatIsNotE164(String raw) {
    assertThatThrownBy(() -> PhoneNumbers.parse(raw))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> {
              assertThat(e.refusal().code()).isEqualTo(RefusalCode.INVALID_DESTINATION);
              assertThat(e.refusal().status()).isEqualTo(400);
            });
  }

  @Test
  void unencodedPlusInAFormGetsAHintAndIsMasked() {
    assertThatThrownBy(() -> PhoneNumbers.parse(" 2348031234567"))
        .hasMessage(
            "destination  234803123**** is not an E.164 number such as +14155550123"
                + " (a '+' in a form body must be sent as %2B)");
  }

  @Test
  void aNumberReadAgainIsRememberedAndARefusedOneIsJudgedEachTime() throws Exception {
    PhoneDestination first = PhoneNumbers.parse("+14155550123");
    assertThat(PhoneNumbers.parse("+14155550123")).isSameAs(first).isEqualTo(first);
    assertThat(PhoneNumbers.parse("whatsapp:+14155550123").channel()).isEqualTo(Channel.WHATSAPP);
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> PhoneNumbers.parse("+1415555012"))
          .isInstanceOf(RequestRejected.class);
    }
  }
}
