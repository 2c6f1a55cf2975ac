package io.keybrake.core.secret;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.key.VaultKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretMaskTest {
  private static final String KEY = "vault_key_" + "AbCdEfGhIj0123456789KlMnOpQrSt0123456789";

  @Test
  void vaultKeyInATwilioPathIsMaskedAndTheRestKept() {
    assertThat(SecretMask.mask("/2010-04-01/Accounts/" + KEY + "/Messages.xml"))
        .isEqualTo("/2010-04-01/Accounts/vault_key_****/Messages.xml");
    assertThat(SecretMask.mask("POST /2010-04-01/Accounts/" + KEY + ". is not an endpoint"))
        .isEqualTo("POST /2010-04-01/Accounts/vault_key_****. is not an endpoint");
  }

  @Test
  void everyGeneratedVaultKeyIsMasked() {
    for (int i = 0; i < 200; i++) {
      String secret = VaultKeys.newSecret();
      assertThat(SecretMask.mask("x " + secret + " y")).doesNotContain(secret.substring(10));
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/Accounts/vault%5Fkey%5FAbCdEf0123%41/Calls.json | /Accounts/vault_key_****/Calls.json",
        "VAULT_KEY_abcdef0123 | vault_key_****",
        "/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json | /Accounts/AC****/Calls.json",
        "key sk_live_51HxAbCdEf0123 refused | key sk_****",
        "rk_test_abcdef12 and whsec_abcdefgh | rk_**** and whsec_****",
        "resend re_123456789_abc | resend re_****",
        "Authorization: Basic dmF1bHRfa2V5X2FiYzp4eHh4 | Authorization: Basic ****",
        "bearer sk_live_0123456789 | bearer ****",
        "token 0123456789abcdef0123456789abcdef. | token ****.",
      })
  void recognisedCredentialsAreMasked(String in, String out) {
    assertThat(SecretMask.mask(in)).startsWith(out.strip());
    assertThat(SecretMask.mask(SecretMask.mask(in))).isEqualTo(SecretMask.mask(in));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "POST /v1/refunds is not an endpoint this key may call",
        "the credential presented is not a Keybrake vault key (vault_key_…)",
        "store_unavailable key_AbCdEf0123456789AbCd",
        "send it as the Basic user, as a Bearer token",
        "a basic authentication scheme, bearer authorization",
        "hash 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "/2010-04-01/Accounts/{AccountSid}/Messages/SM0123456789abcdef0123456789abcdef.json",
      })
  void ordinaryTextIsLeftAlone(String text) {
    assertThat(SecretMask.mask(text)).isEqualTo(text);
    assertThat(SecretMask.containsSecret(text)).isFalse();
  }

  @Test
  void nullAndShortTextsPassThrough() {
    assertThat(SecretMask.mask(null)).isNull();
    assertThat(SecretMask.mask("abc")).isEqualTo("abc");
  }
}
