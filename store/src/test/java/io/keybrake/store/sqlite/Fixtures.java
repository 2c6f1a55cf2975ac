package io.keybrake.store.sqlite;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import io.keybrake.store.crypto.CredentialCipher;
import io.keybrake.store.crypto.KeyEncryptionKey;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Shared test data. */
final class Fixtures {
  static final String AUTH_TOKEN = "twilio-auth-token-7d1c5e9a0b";
  static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123456789Z");
  static final KeyEncryptionKey KEK = KeyEncryptionKey.random();

  private Fixtures() {}

  static CredentialCipher cipher() {
    return new CredentialCipher(KEK);
  }

  static Policy fullPolicy() {
    return new Policy(
        5_000_000,
        OptionalLong.of(100_000_000),
        List.of("+1", "+44"),
        List.of("US", "GB"),
        List.of("POST /2010-04-01/Accounts/{sid}/Messages.json", "send_sms"),
        Duration.ofSeconds(90),
        Optional.of(Duration.ofHours(8).plusMinutes(30)),
        120,
        true,
        ZoneId.of("America/New_York"));
  }

  static Policy minimalPolicy() {
    return new Policy(
        1_000_000,
        OptionalLong.empty(),
        List.of(),
        List.of(),
        List.of(),
        Duration.ZERO,
        Optional.empty(),
        Policy.DEFAULT_MAX_CALL_SECONDS,
        false,
        ZoneId.of("Z"));
  }

  static KeyRecord twilioKey(String id, Instant createdAt) {
    return new KeyRecord(
        id,
        "agent " + id,
        "twilio",
        Map.of("team", "growth", "env", "prod", "run", "42"),
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
        minimalPolicy(),
        "hash-" + id,
        new VendorCredential.ApiKey("sk_test_51Hxyz"),
        createdAt,
        Optional.empty(),
        Optional.empty());
  }

  /** A plain JDBC connection to the store's file, for looking under the hood. */
  static Connection raw(Path dir) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:sqlite:" + dir.resolve(SqliteDatabase.FILE_NAME).toAbsolutePath());
  }
}
