package io.keybrake.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.key.VendorCredential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyEncryptionKeyTest {
  private static final VendorCredential CRED = new VendorCredential.ApiKey("re_secret_123");

  @TempDir Path dir;

  @Test
  void firstUseCreatesAnOwnerOnlyKeyFileThatLaterRunsReuse() throws Exception {
    KeyEncryptionKey first = KeyEncryptionKey.loadOrCreate(dir, Optional.empty());
    Path file = dir.resolve("kek");

    assertThat(file).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(Base64.getDecoder().decode(Files.readString(file).strip())).hasSize(32);

    KeyEncryptionKey second = KeyEncryptionKey.loadOrCreate(dir, Optional.empty());
    String blob = new CredentialCipher(first).encrypt("key_a", CRED);
    assertThat(new CredentialCipher(second).decrypt("key_a", blob)).isEqualTo(CRED);
  }

  @Test
  void environmentValueWinsAndNoFileIsWritten() {
    byte[] raw = new byte[32];
    raw[0] = 7;
    String env = Base64.getEncoder().encodeToString(raw);

    KeyEncryptionKey fromEnv = KeyEncryptionKey.loadOrCreate(dir, Optional.of(env));

    assertThat(dir.resolve("kek")).doesNotExist();
    String blob = new CredentialCipher(fromEnv).encrypt("key_a", CRED);
    KeyEncryptionKey again = KeyEncryptionKey.fromBase64(env, "test");
    assertThat(new CredentialCipher(again).decrypt("key_a", blob)).isEqualTo(CRED);
    KeyEncryptionKey fileKey = KeyEncryptionKey.loadOrCreate(dir, Optional.empty());
    assertThatThrownBy(() -> new CredentialCipher(fileKey).decrypt("key_a", blob))
        .isInstanceOf(CredentialDecryptionException.class);
  }

  @Test
  void malformedEnvironmentValueIsRefusedWithoutEchoingIt() {
    String shortKey = Base64.getEncoder().encodeToString(new byte[16]);

    assertThatThrownBy(() -> KeyEncryptionKey.loadOrCreate(dir, Optional.of(shortKey)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KEYBRAKE_KEK")
        .hasMessageContaining("32 bytes")
        .hasMessageNotContaining(shortKey);
    assertThatThrownBy(() -> KeyEncryptionKey.loadOrCreate(dir, Optional.of("not base64 secret!")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid base64")
        .hasMessageNotContaining("secret!");
  }
}
