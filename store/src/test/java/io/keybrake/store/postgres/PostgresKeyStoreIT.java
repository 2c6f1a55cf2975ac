package io.keybrake.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.CredentialDecryptionException;
import io.keybrake.store.crypto.KeyEncryptionKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresKeyStoreIT {
  static final String AUTH_TOKEN = "twilio-auth-token-7d1c5e9a0b";
  static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123456789Z");
  static final KeyEncryptionKey KEK = KeyEncryptionKey.random();

  static TestSchema schema;
  static PostgresDatabase db;
  static PostgresKeyStore keys;

  @BeforeAll
  static void open() throws Exception {
    schema = TestSchema.create();
    db = PostgresDatabase.open(schema.url());
    keys = new PostgresKeyStore(db, new CredentialCipher(KEK));
  }

  @AfterAll
  static void close() throws Exception {
    db.close();
    schema.close();
  }

  static Policy fullPolicy() {
    return new Policy(
        5_000_000,
        OptionalLong.of(100_000_000),
        List.of("+1", "+44"),
        List.of("US", "GB"),
        List.of("POST /2010-04-01/Accounts/{sid}/Messages.json"),
        Duration.ofSeconds(90),
        Optional.of(Duration.ofHours(8).plusMinutes(30)),
        120,
        true,
        ZoneId.of("America/New_York"));
  }

  static KeyRecord twilioKey(String id, Instant createdAt) {
    return new KeyRecord(
        id,
        "agent " + id,
        "twilio",
        Map.of("team", "growth", "env", "prod"),
        fullPolicy(),
        "hash-" + id,
        new VendorCredential.Twilio("AC0123456789abcdef", AUTH_TOKEN),
        createdAt,
        Optional.of(createdAt.plus(Duration.ofHours(8))),
        Optional.empty());
  }

  static KeyRecord stripeKey(String id, Instant createdAt) {
    return new KeyRecord(
        id,
        "billing bot",
        "stripe",
        Map.of(),
        new Policy(
            1_000_000,
            OptionalLong.empty(),
            List.of(),
            List.of(),
            List.of(),
            Duration.ZERO,
            Optional.empty(),
            Policy.DEFAULT_MAX_CALL_SECONDS,
            false,
            ZoneId.of("Z")),
        "hash-" + id,
        new VendorCredential.ApiKey("sk_test_51Hxyz"),
        createdAt,
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void everyFieldRoundTripsToTheNanosecond() {
    KeyRecord twilio = twilioKey("key_rt_a", T0);
    KeyRecord stripe = stripeKey("key_rt_b", T0.plusNanos(1));
    keys.create(twilio);
    keys.create(stripe);

    assertThat(keys.findById("key_rt_a")).contains(twilio);
    assertThat(keys.findBySecretHash("hash-key_rt_a")).contains(twilio);
    assertThat(keys.findById("key_rt_b")).contains(stripe);
    assertThat(keys.findById("nope")).isEmpty();
    assertThat(keys.findBySecretHash("nope")).isEmpty();
  }

  @Test
  void listIsNewestFirst() {
    Instant t = T0.plusSeconds(3600);
    keys.create(stripeKey("key_ls_old", t));
    keys.create(stripeKey("key_ls_new", t.plusNanos(5)).withRevokedAt(t));
    keys.create(stripeKey("key_ls_mid", t.plusNanos(1)));

    assertThat(keys.list())
        .extracting(KeyRecord::id)
        .filteredOn(id -> id.startsWith("key_ls_"))
        .containsExactly("key_ls_new", "key_ls_mid", "key_ls_old");
  }

  @Test
  void duplicateIdOrSecretHashIsRefused() {
    keys.create(stripeKey("key_dup", T0));
    KeyRecord sameHash =
        new KeyRecord(
            "key_dup_other",
            "x",
            "stripe",
            Map.of(),
            fullPolicy(),
            "hash-key_dup",
            new VendorCredential.ApiKey("sk_x"),
            T0,
            Optional.empty(),
            Optional.empty());

    assertThatThrownBy(() -> keys.create(stripeKey("key_dup", T0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> keys.create(sameHash)).isInstanceOf(IllegalStateException.class);
    assertThat(keys.findById("key_dup_other")).isEmpty();
  }

  @Test
  void revokeKeepsTheFirstTime() {
    keys.create(twilioKey("key_rv", T0));
    Instant first = T0.plusSeconds(60).plusNanos(7);

    assertThat(keys.revoke("key_rv", first).orElseThrow().revokedAt()).contains(first);
    assertThat(keys.revoke("key_rv", first.plusSeconds(60)).orElseThrow().revokedAt())
        .contains(first);
    assertThat(keys.findBySecretHash("hash-key_rv").orElseThrow().isRevoked()).isTrue();
    assertThat(keys.revoke("key_missing", first)).isEmpty();
  }

  @Test
  void credentialIsSealedAndPolicyIsTheEmbeddedFormat() throws Exception {
    keys.create(twilioKey("key_sealed", T0));
    try (Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT credential, policy::text, labels->>'team' FROM keys"
                    + " WHERE id = 'key_sealed'")) {
      rs.next();
      assertThat(rs.getString(1)).startsWith("v1:").doesNotContain(AUTH_TOKEN);
      ObjectMapper json = new ObjectMapper();
      assertThat(json.readTree(rs.getString(2)))
          .isEqualTo(
              json.readTree(
                  "{\"daily_cap_micros\":5000000,\"total_cap_micros\":100000000,"
                      + "\"allowed_prefixes\":[\"+1\",\"+44\"],\"allowed_countries\":[\"US\",\"GB\"],"
                      + "\"allowed_endpoints\":[\"POST /2010-04-01/Accounts/{sid}/Messages.json\"],"
                      + "\"dedup_window\":\"PT1M30S\",\"expires_in\":\"PT8H30M\","
                      + "\"max_call_seconds\":120,\"allow_premium\":true,"
                      + "\"time_zone\":\"America/New_York\"}"));
      assertThat(rs.getString(3)).isEqualTo("growth");
    }
  }

  @Test
  void anotherKeyEncryptionKeyCannotOpenTheCredential() {
    keys.create(twilioKey("key_kek", T0));
    PostgresKeyStore other =
        new PostgresKeyStore(db, new CredentialCipher(KeyEncryptionKey.random()));

    assertThatThrownBy(() -> other.findById("key_kek"))
        .isInstanceOf(CredentialDecryptionException.class)
        .hasMessageNotContaining(AUTH_TOKEN);
  }

  @Test
  void reopeningMigratesNothingTwice() throws Exception {
    try (PostgresDatabase again = PostgresDatabase.open(schema.url());
        Connection c = schema.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*), max(version) FROM schema_version")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(PostgresMigrations.FILES.size());
      assertThat(rs.getInt(2)).isEqualTo(PostgresMigrations.latestVersion());
      assertThat(new PostgresKeyStore(again, new CredentialCipher(KEK)).list()).isNotNull();
    }
  }
}
