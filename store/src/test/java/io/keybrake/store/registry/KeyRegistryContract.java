package io.keybrake.store.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.key.KeyChange;
import io.keybrake.core.key.KeyCreation;
import io.keybrake.core.key.KeyPage;
import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyState;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.policy.Policy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * What every database key registry does for many keys: the change feed, paged and filtered listing,
 * revocation by label, idempotent creation and archiving. Each test gets an empty store.
 */
public abstract class KeyRegistryContract {
  protected static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123456789Z");

  /** An empty store; the subclass closes it after the test. */
  protected abstract KeyStore store();

  protected static KeyRecord key(
      String id, String vendor, Instant created, Map<String, String> labels) {
    Policy p =
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
        labels,
        p,
        "hash-" + id,
        new VendorCredential.ApiKey("sk_test_" + id),
        created,
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void theChangeFeedReportsEachKeyAtItsLatestStateInOrder() {
    KeyStore keys = store();
    keys.create(key("key_a", "stripe", T0, Map.of("team", "support")));
    keys.create(key("key_b", "twilio", T0.plusSeconds(1), Map.of()));
    List<KeyChange> first = keys.changesSince(0, 100);
    assertThat(first).extracting(KeyChange::id).containsExactly("key_a", "key_b");
    assertThat(first.get(0).labels()).containsEntry("team", "support");
    long cursor = first.get(1).seq();

    assertThat(keys.changesSince(cursor, 100)).isEmpty();
    keys.revoke("key_a", T0.plusSeconds(5));
    List<KeyChange> next = keys.changesSince(cursor, 100);
    assertThat(next).hasSize(1);
    assertThat(next.get(0).id()).isEqualTo("key_a");
    assertThat(next.get(0).revokedAt()).contains(T0.plusSeconds(5));
    assertThat(next.get(0).seq()).isGreaterThan(cursor);
    assertThat(keys.changesSince(0, 1)).extracting(KeyChange::id).containsExactly("key_b");
  }

  @Test
  void pagesWalkEveryKeyOnceNewestFirstWhileKeysAreCreated() {
    KeyStore keys = store();
    for (int i = 0; i < 25; i++) {
      keys.create(key(String.format("key_%02d", i), "stripe", T0.plusSeconds(i / 2), Map.of()));
    }
    List<String> seen = new ArrayList<>();
    Optional<KeyQuery.Position> after = Optional.empty();
    int created = 0;
    do {
      KeyPage page =
          keys.page(new KeyQuery(Map.of(), Optional.empty(), Optional.empty(), after, 10, T0));
      page.keys().forEach(k -> seen.add(k.id()));
      after = page.next();
      // a key created while paging sorts before the first page: it shifts nothing
      keys.create(key("key_new" + created++, "stripe", T0.plusSeconds(100 + created), Map.of()));
    } while (after.isPresent());
    assertThat(seen).hasSize(25).doesNotHaveDuplicates();
    assertThat(seen.get(0)).isEqualTo("key_24");
    assertThat(seen.get(24)).isEqualTo("key_00");
  }

  @Test
  void filtersByLabelVendorAndState() {
    KeyStore keys = store();
    keys.create(key("key_a", "stripe", T0, Map.of("team", "support", "env", "prod")));
    keys.create(key("key_b", "twilio", T0, Map.of("team", "support")));
    keys.create(key("key_c", "stripe", T0, Map.of("team", "growth")));
    KeyRecord expiring = key("key_d", "stripe", T0, Map.of("team", "support"));
    keys.create(
        new KeyRecord(
            expiring.id(),
            expiring.name(),
            expiring.vendor(),
            expiring.labels(),
            expiring.policy(),
            expiring.secretHash(),
            expiring.credential(),
            expiring.createdAt(),
            Optional.of(T0.plusSeconds(60)),
            Optional.empty()));
    keys.revoke("key_c", T0);
    Instant now = T0.plusSeconds(120);

    assertThat(ids(keys, Map.of("team", "support"), null, null, now))
        .containsExactlyInAnyOrder("key_a", "key_b", "key_d");
    assertThat(ids(keys, Map.of("team", "support", "env", "prod"), null, null, now))
        .containsExactly("key_a");
    assertThat(ids(keys, Map.of(), "stripe", KeyState.ACTIVE, now)).containsExactly("key_a");
    assertThat(ids(keys, Map.of(), null, KeyState.EXPIRED, now)).containsExactly("key_d");
    assertThat(ids(keys, Map.of(), null, KeyState.REVOKED, now)).containsExactly("key_c");
    assertThat(ids(keys, Map.of(), null, KeyState.ACTIVE, T0)).hasSize(3);
  }

  @Test
  void revokingByLabelRevokesEveryMatchingKeyOnceAndFeedsTheChanges() {
    KeyStore keys = store();
    for (int i = 0; i < 5; i++) {
      keys.create(key("key_s" + i, "stripe", T0, Map.of("team", "support")));
    }
    keys.create(key("key_g", "stripe", T0, Map.of("team", "growth")));
    long cursor = keys.changesSince(0, 100).get(5).seq();

    List<String> revoked = keys.revokeMatching(Map.of("team", "support"), T0.plusSeconds(1));
    assertThat(revoked).hasSize(5);
    assertThat(keys.revokeMatching(Map.of("team", "support"), T0.plusSeconds(2))).isEmpty();
    assertThat(keys.findById("key_s3").orElseThrow().revokedAt()).contains(T0.plusSeconds(1));
    assertThat(keys.findById("key_g").orElseThrow().isRevoked()).isFalse();
    assertThat(keys.changesSince(cursor, 100))
        .extracting(KeyChange::id)
        .containsExactlyInAnyOrderElementsOf(revoked);
    assertThatThrownBy(() -> keys.revokeMatching(Map.of(), T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anIdempotentCreationIsFoundAgainWithItsSecretUntilTheWindowPasses() {
    KeyStore keys = store();
    KeyRecord k = key("key_i", "stripe", T0, Map.of());
    KeyCreation c =
        new KeyCreation("run-42", "key_i", "req-hash", Optional.of("vault_key_s3cr3t"), T0);
    keys.create(k, c);
    assertThat(keys.findById("key_i")).isPresent();
    KeyCreation found = keys.findCreation("run-42").orElseThrow();
    assertThat(found.keyId()).isEqualTo("key_i");
    assertThat(found.requestHash()).isEqualTo("req-hash");
    assertThat(found.secret()).contains("vault_key_s3cr3t");
    assertThat(keys.findCreation("run-43")).isEmpty();

    KeyRecord other = key("key_j", "stripe", T0, Map.of());
    assertThatThrownBy(
            () -> keys.create(other, new KeyCreation("run-42", "key_j", "x", Optional.empty(), T0)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(keys.findById("key_j")).as("nothing half-made").isEmpty();

    keys.archive(T0.plus(Duration.ofMinutes(20)), Duration.ofDays(30), Duration.ofMinutes(10));
    assertThat(keys.findCreation("run-42").orElseThrow().secret()).isEmpty();
  }

  @Test
  void archivingMovesOnlyKeysInactiveLongerThanTheRetention() {
    KeyStore keys = store();
    keys.create(key("key_old", "stripe", T0, Map.of()));
    keys.create(key("key_recent", "stripe", T0, Map.of()));
    keys.create(key("key_live", "stripe", T0, Map.of()));
    keys.revoke("key_old", T0);
    keys.revoke("key_recent", T0.plus(Duration.ofDays(29)));

    int archived = keys.archive(T0.plus(Duration.ofDays(31)), Duration.ofDays(30), Duration.ZERO);
    assertThat(archived).isEqualTo(1);
    assertThat(keys.findById("key_old")).isEmpty();
    assertThat(keys.findById("key_recent")).isPresent();
    assertThat(keys.findById("key_live")).isPresent();
  }

  private static List<String> ids(
      KeyStore keys, Map<String, String> labels, String vendor, KeyState state, Instant now) {
    return keys
        .page(
            new KeyQuery(
                labels,
                Optional.ofNullable(vendor),
                Optional.ofNullable(state),
                Optional.empty(),
                100,
                now))
        .keys()
        .stream()
        .map(KeyRecord::id)
        .toList();
  }

  @Test
  void aKeysPolicyChangesInPlaceAndFeedsTheChangeButARevokedKeyKeepsItsPolicy() {
    KeyStore keys = store();
    keys.create(key("key_p", "twilio", T0, Map.of("team", "support")));
    keys.create(key("key_r", "twilio", T0, Map.of()));
    keys.revoke("key_r", T0.plusSeconds(1));
    long cursor = keys.changesSince(0, 100).get(1).seq();
    com.fasterxml.jackson.databind.node.ObjectNode json =
        io.keybrake.core.policy.PolicyParser.toJson(key("x", "twilio", T0, Map.of()).policy());
    json.set("daily_usd_cap", io.keybrake.core.policy.PolicyParser.usd(2_500_000));
    json.putArray("allowed_countries").add("CA");
    io.keybrake.core.policy.PolicyParser.Parsed parsed =
        io.keybrake.core.policy.PolicyParser.parse(json);
    assertThat(parsed)
        .as("%s", parsed)
        .isInstanceOf(io.keybrake.core.policy.PolicyParser.Parsed.Ok.class);
    Policy stricter = ((io.keybrake.core.policy.PolicyParser.Parsed.Ok) parsed).policy();

    KeyRecord after = keys.updatePolicy("key_p", stricter).orElseThrow();
    assertThat(after.policy()).isEqualTo(stricter);
    assertThat(after.secretHash()).isEqualTo("hash-key_p");
    assertThat(keys.findById("key_p").orElseThrow().policy()).isEqualTo(stricter);
    assertThat(keys.findBySecretHash("hash-key_p").orElseThrow().policy()).isEqualTo(stricter);
    assertThat(keys.changesSince(cursor, 100)).extracting(KeyChange::id).containsExactly("key_p");

    Policy before = keys.findById("key_r").orElseThrow().policy();
    assertThat(keys.updatePolicy("key_r", stricter).orElseThrow().policy()).isEqualTo(before);
    assertThat(keys.updatePolicy("key_missing", stricter)).isEmpty();
  }
}
