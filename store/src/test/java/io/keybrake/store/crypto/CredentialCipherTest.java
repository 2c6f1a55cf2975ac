package io.keybrake.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.key.VendorCredential;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CredentialCipherTest {
  private static final String TOKEN = "auth-token-5f2b9c0d1e";
  private final CredentialCipher cipher = new CredentialCipher(KeyEncryptionKey.random());

  @Test
  void twilioCredentialRoundTrips() {
    VendorCredential twilio = new VendorCredential.Twilio("AC123", TOKEN);

    String blob = cipher.encrypt("key_a", twilio);

    assertThat(blob).startsWith("v1:").doesNotContain(TOKEN).doesNotContain("AC123");
    assertThat(cipher.decrypt("key_a", blob)).isEqualTo(twilio);
  }

  @Test
  void apiKeyRoundTrips() {
    VendorCredential stripe = new VendorCredential.ApiKey("sk_test_abcdef");

    assertThat(cipher.decrypt("key_b", cipher.encrypt("key_b", stripe))).isEqualTo(stripe);
  }

  @Test
  void everyEncryptionUsesAFreshNonce() {
    VendorCredential c = new VendorCredential.ApiKey("sk_test_abcdef");

    assertThat(cipher.encrypt("key_a", c)).isNotEqualTo(cipher.encrypt("key_a", c));
  }

  @Test
  void ciphertextMovedToAnotherKeyIsRefused() {
    String blob = cipher.encrypt("key_a", new VendorCredential.Twilio("AC123", TOKEN));

    assertThatThrownBy(() -> cipher.decrypt("key_other", blob))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageContaining("key_other")
        .hasMessageNotContaining(TOKEN)
        .hasMessageNotContaining(blob);
  }

  @Test
  void tamperedCiphertextIsRefused() {
    String blob = cipher.encrypt("key_a", new VendorCredential.Twilio("AC123", TOKEN));
    byte[] raw = Base64.getDecoder().decode(blob.substring(3));
    raw[raw.length / 2] ^= 0x01;
    String tampered = "v1:" + Base64.getEncoder().encodeToString(raw);

    assertThatThrownBy(() -> cipher.decrypt("key_a", tampered))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageContaining("altered")
        .hasMessageNotContaining(TOKEN);
  }

  @Test
  void wrongKeyEncryptionKeyIsRefused() {
    String blob = cipher.encrypt("key_a", new VendorCredential.Twilio("AC123", TOKEN));
    CredentialCipher other = new CredentialCipher(KeyEncryptionKey.random());

    assertThatThrownBy(() -> other.decrypt("key_a", blob))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageContaining("wrong key-encryption key")
        .hasMessageNotContaining(TOKEN);
  }

  @Test
  void unknownVersionAndGarbageAreRefused() {
    assertThatThrownBy(() -> cipher.decrypt("key_a", "v2:AAAA"))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageContaining("unknown format version");
    assertThatThrownBy(() -> cipher.decrypt("key_a", "v1:%%%"))
        .isInstanceOf(CredentialDecryptionException.class);
    assertThatThrownBy(() -> cipher.decrypt("key_a", "v1:AAAA"))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void credentialsNeverPrintTheirSecret() {
    assertThat(new VendorCredential.Twilio("AC123", TOKEN).toString()).doesNotContain(TOKEN);
    assertThat(KeyEncryptionKey.random().toString()).isEqualTo("KeyEncryptionKey[***]");
  }
}
