package io.keybrake.core.secret;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccountSidMaskTest {
  static final String SID = "AC" + "0123456789abcdef0123456789abcdef";

  static KeyRecord key(String vendor, VendorCredential credential) {
    // the policy plays no part in masking
    return new KeyRecord(
        "key_Dg17PKfMrMNZs2oOYUwb",
        "bot",
        vendor,
        Map.of(),
        null,
        "h",
        credential,
        Instant.EPOCH,
        Optional.empty(),
        Optional.empty());
  }

  private static io.keybrake.core.vendor.VendorSpec spec(String vendor) {
    return io.keybrake.core.vendor.VendorRegistry.loadDefault().find(vendor).orElseThrow();
  }

  @Test
  void aTwilioKeyStoredAsSpecFieldsIsMaskedToo() {
    AccountSidMask mask =
        AccountSidMask.of(
                key(
                    "twilio",
                    new VendorCredential.Fields(
                        java.util.Map.of("account_sid", SID, "auth_token", "token"))),
                spec("twilio"))
            .orElseThrow();
    assertThat(mask.text("/2010-04-01/Accounts/" + SID + "/Messages.json"))
        .isEqualTo("/2010-04-01/Accounts/key_Dg17PKfMrMNZs2oOYUwb/Messages.json");
  }

  @Test
  void everyRealSidInATwilioAnswerBecomesTheKeyId() {
    AccountSidMask mask =
        AccountSidMask.of(key("twilio", new VendorCredential.Twilio(SID, "token")), spec("twilio"))
            .orElseThrow();
    String body =
        "{\"account_sid\":\""
            + SID
            + "\",\"uri\":\"/2010-04-01/Accounts/"
            + SID
            + "/Messages/SM1.json\",\"subresource_uris\":{\"media\":\"/2010-04-01/Accounts/"
            + SID
            + "/Messages/SM1/Media.json\"},\"body\":\"héllo\"}";

    String shown =
        new String(mask.body(body.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);

    assertThat(shown).isEqualTo(body.replace(SID, "key_Dg17PKfMrMNZs2oOYUwb")).doesNotContain(SID);
    assertThat(mask.text("https://api.twilio.com/2010-04-01/Accounts/" + SID + "/Calls/CA1.json"))
        .isEqualTo(
            "https://api.twilio.com/2010-04-01/Accounts/key_Dg17PKfMrMNZs2oOYUwb/Calls/CA1.json");
  }

  @Test
  void anAnswerWithoutTheSidIsPassedOnAsItIs() {
    AccountSidMask mask =
        AccountSidMask.of(key("twilio", new VendorCredential.Twilio(SID, "token")), spec("twilio"))
            .orElseThrow();
    byte[] body = "{\"sid\":\"SM1\",\"account_sid\":\"AC0123\"}".getBytes(StandardCharsets.UTF_8);
    byte[] sidAtTheEnd = ("x" + SID).getBytes(StandardCharsets.UTF_8);

    assertThat(mask.body(body)).isSameAs(body);
    assertThat(mask.body(new byte[0])).isEmpty();
    assertThat(new String(mask.body(sidAtTheEnd), StandardCharsets.UTF_8))
        .isEqualTo("xkey_Dg17PKfMrMNZs2oOYUwb");
    String header = "application/json";
    assertThat(mask.text(header)).isSameAs(header);
  }

  @Test
  void otherVendorsAnswersAreNotMasked() {
    assertThat(
            AccountSidMask.of(
                key("stripe", new VendorCredential.ApiKey("sk_test_1")), spec("stripe")))
        .isEmpty();
    assertThat(AccountSidMask.of(null, spec("twilio"))).isEmpty();
  }
}
