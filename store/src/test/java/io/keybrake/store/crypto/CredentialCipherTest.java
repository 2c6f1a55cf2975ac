package io.keybrake.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.key.VendorCredential;
import java.util.Base64;
import java.util.Map;
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
  void specFieldsRoundTrip() {
    VendorCredential vonage =
        new VendorCredential.Fields(Map.of("api_key", "abc123", "api_secret", TOKEN));

    String blob = cipher.encrypt("key_v", vonage);

    assertThat(blob).doesNotContain(TOKEN).doesNotContain("abc123");
    assertThat(cipher.decrypt("key_v", blob)).isEqualTo(vonage);
    assertThat(vonage.toString()).doesNotContain(TOKEN).doesNotContain("abc123");
  }

  /** Rows stored before credentials were spec fields: sealed by hand here, in that format. */
  @Test
  void rowsInTheOldFormatStillDecrypt() throws Exception {
    KeyEncryptionKey kek = KeyEncryptionKey.random();
    String twilioRow =
        sealByHand(
            kek,
            "key_old",
            "{\"type\":\"twilio\",\"account_sid\":\"AC123\",\"auth_token\":\"" + TOKEN + "\"}");
    String stripeRow =
        sealByHand(kek, "key_old2", "{\"type\":\"api_key\",\"secret\":\"sk_test_old\"}");
    CredentialCipher reader = new CredentialCipher(kek);

    VendorCredential twilio = reader.decrypt("key_old", twilioRow);
    VendorCredential stripe = reader.decrypt("key_old2", stripeRow);

    assertThat(twilio).isEqualTo(new VendorCredential.Twilio("AC123", TOKEN));
    assertThat(stripe).isEqualTo(new VendorCredential.ApiKey("sk_test_old"));
    var registry = io.keybrake.core.vendor.VendorRegistry.loadDefault();
    assertThat(twilio.values(registry.find("twilio").orElseThrow()))
        .containsEntry("account_sid", "AC123")
        .containsEntry("auth_token", TOKEN);
    assertThat(stripe.values(registry.find("stripe").orElseThrow()))
        .containsEntry("secret_key", "sk_test_old");
  }

  private static String sealByHand(KeyEncryptionKey kek, String keyId, String json)
      throws Exception {
    byte[] nonce = new byte[12];
    new java.security.SecureRandom().nextBytes(nonce);
    javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    c.init(
        javax.crypto.Cipher.ENCRYPT_MODE,
        kek.secretKey(),
        new javax.crypto.spec.GCMParameterSpec(128, nonce));
    c.updateAAD(keyId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] sealed = c.doFinal(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] out = new byte[nonce.length + sealed.length];
    System.arraycopy(nonce, 0, out, 0, nonce.length);
    System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
    return "v1:" + Base64.getEncoder().encodeToString(out);
  }

  @Test
  void everyEncryptionUsesAFreshNonce() {
    VendorCredential c = new VendorCredential.ApiKey("sk_test_abcdef");

    assertThat(cipher.encrypt("key_a", c)).isNotEqualTo(cipher.encrypt("key_a", c));
  }

  /**
   * One thread reuses one cipher: every seal still takes a nonce of its own, and every value opens,
   * also when seals, opens and refused opens alternate on that thread.
   */
  @Test
  void manySealsOnOneThreadTakeDistinctNoncesAndAllOpen() {
    int count = 2_000;
    java.util.List<String> blobs = new java.util.ArrayList<>();
    java.util.Set<String> nonces = new java.util.HashSet<>();
    for (int i = 0; i < count; i++) {
      String blob = cipher.encrypt("key_" + i, new VendorCredential.ApiKey("sk_test_" + i));
      blobs.add(blob);
      nonces.add(Base64.getEncoder().encodeToString(nonce(blob)));
      if (i % 100 == 0) {
        // a refused open in between leaves nothing behind in the thread's cipher
        assertThatThrownBy(() -> cipher.decrypt("key_moved", blob))
            .isInstanceOf(CredentialDecryptionException.class);
        assertThat(cipher.decrypt("key_" + i, blob))
            .isEqualTo(new VendorCredential.ApiKey("sk_test_" + i));
      }
    }

    assertThat(nonces).hasSize(count);
    for (int i = 0; i < count; i++) {
      assertThat(cipher.decrypt("key_" + i, blobs.get(i)))
          .isEqualTo(new VendorCredential.ApiKey("sk_test_" + i));
    }
  }

  /** Values sealed on several threads at once open on any thread. */
  @Test
  void sealsOnManyThreadsOpenOnAnother() throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<String>> sealed = new java.util.ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int n = i;
        sealed.add(
            pool.submit(
                () -> cipher.encrypt("key_" + n, new VendorCredential.Twilio("AC" + n, TOKEN))));
      }
      java.util.Set<String> nonces = new java.util.HashSet<>();
      for (int i = 0; i < sealed.size(); i++) {
        String blob = sealed.get(i).get();
        nonces.add(Base64.getEncoder().encodeToString(nonce(blob)));
        assertThat(cipher.decrypt("key_" + i, blob))
            .isEqualTo(new VendorCredential.Twilio("AC" + i, TOKEN));
      }
      assertThat(nonces).hasSize(sealed.size());
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] nonce(String blob) {
    return java.util.Arrays.copyOf(Base64.getDecoder().decode(blob.substring(3)), 12);
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
