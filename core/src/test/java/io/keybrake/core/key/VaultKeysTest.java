package io.keybrake.core.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VaultKeysTest {

  @Test
  void secretHasPrefixAndFortyBase62Chars() {
    String s = VaultKeys.newSecret();
    assertThat(s).matches("vault_key_[0-9A-Za-z]{40}");
    assertThat(VaultKeys.looksLikeVaultKey(s)).isTrue();
  }

  @Test
  void keyIdHasPrefixAndTwentyBase62Chars() {
    assertThat(VaultKeys.newKeyId()).matches("key_[0-9A-Za-z]{20}");
  }

  @Test
  void secretsDoNotRepeat() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      assertThat(seen.add(VaultKeys.newSecret())).isTrue();
    }
  }

  @Test
  void hashIsLowerHexSha256() {
    // sha256("abc") from FIPS 180-2
    assertThat(VaultKeys.hash("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(VaultKeys.hash(VaultKeys.newSecret())).matches("[0-9a-f]{64}");
  }

  @Test
  void constantTimeEqualsComparesContent() {
    assertThat(VaultKeys.constantTimeEquals("secret", new String("secret"))).isTrue();
    assertThat(VaultKeys.constantTimeEquals("secret", "secreT")).isFalse();
    assertThat(VaultKeys.constantTimeEquals("secret", "secret2")).isFalse();
    assertThat(VaultKeys.constantTimeEquals(null, "secret")).isFalse();
    assertThat(VaultKeys.constantTimeEquals("secret", null)).isFalse();
  }

  @Test
  void looksLikeVaultKeyRejectsOtherShapes() {
    String ok = "vault_key_" + "a".repeat(40);
    assertThat(VaultKeys.looksLikeVaultKey(ok)).isTrue();
    assertThat(VaultKeys.looksLikeVaultKey(null)).isFalse();
    assertThat(VaultKeys.looksLikeVaultKey("vault_key_" + "a".repeat(39))).isFalse();
    assertThat(VaultKeys.looksLikeVaultKey("vault_key_" + "a".repeat(41))).isFalse();
    assertThat(VaultKeys.looksLikeVaultKey("vault_kez_" + "a".repeat(40))).isFalse();
    assertThat(VaultKeys.looksLikeVaultKey("vault_key_" + "a".repeat(39) + "-")).isFalse();
    assertThat(VaultKeys.looksLikeVaultKey("sk_test_" + "a".repeat(42))).isFalse();
  }
}
