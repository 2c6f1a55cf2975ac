package io.keybrake.core.key;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.policy.Policy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class KeyCacheTest {
  private static final Instant T0 = Instant.parse("2026-11-22T12:00:00Z");

  private static final class MovableClock extends Clock {
    final AtomicReference<Instant> now = new AtomicReference<>(T0);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  }

  /** A store whose reads can be held open, counting them. */
  private static final class SlowStore implements KeyStore {
    final AtomicInteger reads = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    final KeyRecord key;

    SlowStore(KeyRecord key) {
      this.key = key;
    }

    @Override
    public Optional<KeyRecord> findBySecretHash(String secretHash) {
      reads.incrementAndGet();
      try {
        gate.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Optional.of(key);
    }

    @Override
    public void create(KeyRecord k) {}

    @Override
    public Optional<KeyRecord> findById(String id) {
      return Optional.of(key);
    }

    @Override
    public List<KeyRecord> list() {
      return List.of(key);
    }

    @Override
    public Optional<KeyRecord> revoke(String id, Instant at) {
      return Optional.empty();
    }
  }

  /** A store of keys whose secret hash is their id, counting reads. */
  private static final class MapStore implements KeyStore {
    final AtomicInteger reads = new AtomicInteger();
    final java.util.concurrent.ConcurrentHashMap<String, KeyRecord> keys =
        new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public Optional<KeyRecord> findBySecretHash(String secretHash) {
      reads.incrementAndGet();
      return Optional.ofNullable(keys.get(secretHash));
    }

    @Override
    public void create(KeyRecord k) {
      keys.put(k.secretHash(), k);
    }

    @Override
    public Optional<KeyRecord> findById(String id) {
      return Optional.ofNullable(keys.get(id));
    }

    @Override
    public List<KeyRecord> list() {
      return List.copyOf(keys.values());
    }

    @Override
    public Optional<KeyRecord> revoke(String id, Instant at) {
      return Optional.ofNullable(keys.computeIfPresent(id, (h, k) -> k.withRevokedAt(at)));
    }
  }

  private static KeyRecord key(String id, Optional<Instant> expires) {
    KeyRecord k = key();
    return new KeyRecord(
        id,
        k.name(),
        k.vendor(),
        k.labels(),
        k.policy(),
        id,
        k.credential(),
        T0,
        expires,
        Optional.empty());
  }

  @Test
  void holdsAtMostItsBoundWhateverTheRegistryHolds() {
    MovableClock clock = new MovableClock();
    MapStore store = new MapStore();
    for (int i = 0; i < 1000; i++) {
      store.create(key("key_" + i, Optional.empty()));
    }
    KeyCache cache = new KeyCache(store, clock, Duration.ofSeconds(30), 100);
    for (int i = 0; i < 1000; i++) {
      assertThat(cache.find("key_" + i)).isPresent();
    }
    assertThat(cache.size()).isLessThanOrEqualTo(100);
  }

  @Test
  void anExpiringKeyLeavesWhenItExpiresAndComesBackExpired() {
    MovableClock clock = new MovableClock();
    MapStore store = new MapStore();
    store.create(key("key_short", Optional.of(T0.plusSeconds(5))));
    KeyCache cache = new KeyCache(store, clock, Duration.ofSeconds(30));
    assertThat(cache.find("key_short")).isPresent();
    assertThat(store.reads).hasValue(1);
    clock.now.set(T0.plusSeconds(6));
    assertThat(cache.find("key_short").orElseThrow().isExpiredAt(clock.instant())).isTrue();
    assertThat(store.reads).as("read again once expired").hasValue(2);
  }

  @Test
  void aRevokedKeyIsDroppedAndRefusedFromTheStoreState() {
    MovableClock clock = new MovableClock();
    MapStore store = new MapStore();
    store.create(key("key_r", Optional.empty()));
    KeyCache cache = new KeyCache(store, clock, Duration.ofSeconds(30));
    assertThat(cache.find("key_r").orElseThrow().isRevoked()).isFalse();
    store.revoke("key_r", T0);
    cache.invalidate("key_r");
    assertThat(cache.find("key_r").orElseThrow().isRevoked()).isTrue();
    assertThat(cache.find("key_r").orElseThrow().isRevoked()).isTrue();
    assertThat(store.reads).as("the revoked state is cached too").hasValue(2);
  }

  private static KeyRecord key() {
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
        "key_a",
        "a",
        "twilio",
        Map.of(),
        p,
        "h",
        new VendorCredential.ApiKey("x"),
        T0,
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void anOldEntryIsRefreshedByOneCallerWhileTheOthersAreServed() throws Exception {
    MovableClock clock = new MovableClock();
    SlowStore store = new SlowStore(key());
    KeyCache cache = new KeyCache(store, clock, Duration.ofSeconds(1));
    cache.find("h");
    assertThat(store.reads).hasValue(1);

    clock.now.set(T0.plusMillis(1500)); // old, still usable
    store.gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    Future<?> refresher = pool.submit(() -> cache.find("h"));
    org.awaitility.Awaitility.await().until(() -> store.reads.get() == 2);
    for (int i = 0; i < 20; i++) {
      assertThat(pool.submit(() -> cache.find("h")).get(5, TimeUnit.SECONDS)).isPresent();
    }
    assertThat(store.reads).as("one refresh, not twenty").hasValue(2);
    store.gate.countDown();
    refresher.get(5, TimeUnit.SECONDS);
    pool.shutdown();

    clock.now.set(T0.plusMillis(1500 + 2500)); // older than twice the TTL: read again
    store.gate = new CountDownLatch(0);
    cache.find("h");
    assertThat(store.reads).hasValue(3);
  }

  @Test
  void invalidateDropsTheKeyAtOnce() {
    MovableClock clock = new MovableClock();
    SlowStore store = new SlowStore(key());
    KeyCache cache = new KeyCache(store, clock, Duration.ofSeconds(1));
    cache.find("h");
    cache.invalidate("key_a");
    cache.find("h");
    assertThat(store.reads).hasValue(2);
  }
}
