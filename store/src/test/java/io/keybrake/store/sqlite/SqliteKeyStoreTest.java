package io.keybrake.store.sqlite;

import static io.keybrake.store.sqlite.Fixtures.AUTH_TOKEN;
import static io.keybrake.store.sqlite.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.CredentialDecryptionException;
import io.keybrake.store.crypto.KeyEncryptionKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteKeyStoreTest {
  @TempDir Path dir;
  private SqliteDatabase db;
  private SqliteKeyStore keys;

  @BeforeEach
  void open() {
    db = SqliteDatabase.open(dir);
    keys = new SqliteKeyStore(db, Fixtures.cipher());
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void everyFieldRoundTrips() {
    KeyRecord twilio = Fixtures.twilioKey("key_a", T0);
    KeyRecord stripe = Fixtures.stripeKey("key_b", T0.plusNanos(1));
    keys.create(twilio);
    keys.create(stripe);

    assertThat(keys.findById("key_a")).contains(twilio);
    assertThat(keys.findBySecretHash("hash-key_a")).contains(twilio);
    assertThat(keys.findById("key_b")).contains(stripe);
    assertThat(keys.findById("key_b").orElseThrow().policy().timeZone().getId()).isEqualTo("Z");
    assertThat(keys.findById("nope")).isEmpty();
    assertThat(keys.findBySecretHash("nope")).isEmpty();
  }

  /**
   * The archive pass runs every minute inside a write transaction: it must find what it moves
   * through indexes, not by scanning every key (at 100,000 keys a scan held every decision's write
   * for about 80 ms).
   */
  @Test
  void theArchivePassFindsItsRowsThroughIndexesNotAScan() {
    java.util.List<String> keyPlan = plan("SELECT id" + SqliteKeyStore.INACTIVE);
    java.util.List<String> secretPlan =
        plan(
            "SELECT idempotency_key FROM key_idempotency"
                + " WHERE sealed_secret IS NOT NULL AND created_s < ?");
    assertThat(keyPlan).noneMatch(step -> step.startsWith("SCAN")).isNotEmpty();
    assertThat(String.join("\n", keyPlan)).contains("keys_revoked").contains("keys_expires");
    assertThat(secretPlan).noneMatch(step -> step.startsWith("SCAN")).isNotEmpty();
  }

  private java.util.List<String> plan(String query) {
    return db.read(
        "explain",
        s -> {
          java.util.List<String> steps = new java.util.ArrayList<>();
          java.sql.PreparedStatement ps = s.prepare("EXPLAIN QUERY PLAN " + query);
          for (int i = 1; i <= ps.getParameterMetaData().getParameterCount(); i++) {
            ps.setLong(i, 0);
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              steps.add(rs.getString("detail"));
            }
          }
          return steps;
        });
  }

  @Test
  void listIsNewestFirst() {
    keys.create(Fixtures.stripeKey("key_old", T0));
    keys.create(Fixtures.stripeKey("key_new", T0.plusNanos(5)).withRevokedAt(T0));
    keys.create(Fixtures.stripeKey("key_mid", T0.plusNanos(1)));

    assertThat(keys.list())
        .extracting(KeyRecord::id)
        .containsExactly("key_new", "key_mid", "key_old");
  }

  @Test
  void duplicateIdOrSecretHashIsRefused() {
    keys.create(Fixtures.stripeKey("key_a", T0));
    KeyRecord sameHash =
        new KeyRecord(
            "key_other",
            "x",
            "stripe",
            java.util.Map.of(),
            Fixtures.minimalPolicy(),
            "hash-key_a",
            new io.keybrake.core.key.VendorCredential.ApiKey("sk_x"),
            T0,
            Optional.empty(),
            Optional.empty());

    assertThatThrownBy(() -> keys.create(Fixtures.stripeKey("key_a", T0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> keys.create(sameHash)).isInstanceOf(IllegalStateException.class);
    assertThat(keys.list()).hasSize(1);
  }

  @Test
  void revokeIsIdempotentAndKeepsTheFirstTime() {
    keys.create(Fixtures.twilioKey("key_a", T0));

    KeyRecord first = keys.revoke("key_a", T0.plusSeconds(10)).orElseThrow();
    KeyRecord second = keys.revoke("key_a", T0.plusSeconds(99)).orElseThrow();

    assertThat(first.revokedAt()).contains(T0.plusSeconds(10));
    assertThat(second.revokedAt()).contains(T0.plusSeconds(10));
    assertThat(keys.findBySecretHash("hash-key_a").orElseThrow().isRevoked()).isTrue();
    assertThat(keys.revoke("key_missing", T0)).isEmpty();
  }

  @Test
  void credentialIsEncryptedAtRestAndVaultSecretIsNotStored() throws Exception {
    keys.create(Fixtures.twilioKey("key_a", T0));
    try (Connection c = Fixtures.raw(dir);
        ResultSet rs = c.createStatement().executeQuery("SELECT * FROM keys")) {
      assertThat(rs.next()).isTrue();
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.append(rs.getString(i)).append('|');
      }
      assertThat(row.toString()).doesNotContain(AUTH_TOKEN).doesNotContain("vault_key_");
      assertThat(rs.getString("credential")).startsWith("v1:");
    }
    db.close();

    byte[] file = Files.readAllBytes(dir.resolve(SqliteDatabase.FILE_NAME));
    String text = new String(file, StandardCharsets.ISO_8859_1);
    assertThat(text).contains("hash-key_a").doesNotContain(AUTH_TOKEN);
    assertThat(dir.resolve(SqliteDatabase.FILE_NAME + "-wal"))
        .satisfiesAnyOf(
            p -> assertThat(p).doesNotExist(),
            p ->
                assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1))
                    .doesNotContain(AUTH_TOKEN));
  }

  @Test
  void keysPersistAcrossReopenAndAWrongKekIsRefused() {
    KeyRecord twilio = Fixtures.twilioKey("key_a", T0);
    keys.create(twilio);
    keys.revoke("key_a", T0.plus(Duration.ofMinutes(1)));
    db.close();

    db = SqliteDatabase.open(dir);
    keys = new SqliteKeyStore(db, Fixtures.cipher());
    assertThat(keys.findById("key_a"))
        .contains(twilio.withRevokedAt(T0.plus(Duration.ofMinutes(1))));

    SqliteKeyStore wrongKek =
        new SqliteKeyStore(db, new CredentialCipher(KeyEncryptionKey.random()));
    assertThatThrownBy(() -> wrongKek.findById("key_a"))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageNotContaining(AUTH_TOKEN);
  }

  @Test
  void ciphertextCopiedToAnotherRowDoesNotOpen() throws Exception {
    keys.create(Fixtures.twilioKey("key_a", T0));
    keys.create(Fixtures.stripeKey("key_b", T0));
    try (Connection c = Fixtures.raw(dir)) {
      c.createStatement()
          .executeUpdate(
              "UPDATE keys SET credential = (SELECT credential FROM keys WHERE id = 'key_a')"
                  + " WHERE id = 'key_b'");
    }

    assertThatThrownBy(() -> keys.findById("key_b"))
        .isInstanceOf(CredentialDecryptionException.class);
    assertThat(keys.findById("key_a")).isPresent();
  }
}
