package io.keybrake.harness.xds;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Key records for xDS tests. */
final class TestKeys {
  private TestKeys() {}

  static KeyRecord key(String id, String vendor, Instant created, Optional<Instant> expires) {
    Policy policy =
        new Policy(
            1_000_000,
            OptionalLong.empty(),
            List.of(),
            List.of(),
            List.of(),
            Duration.ofSeconds(60),
            Optional.empty(),
            600,
            false,
            ZoneOffset.UTC);
    return new KeyRecord(
        id,
        "agent " + id,
        vendor,
        Map.of(),
        policy,
        "hash-" + id,
        new VendorCredential.ApiKey("sk_test_secret"),
        created,
        expires,
        Optional.empty());
  }
}
