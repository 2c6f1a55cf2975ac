package io.keybrake.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.keybrake.core.key.KeyBinding;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.testing.MutableClock;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeySnapshotPublisherTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  private final MutableClock clock = new MutableClock(T0);
  private final InMemoryKeyStore store = new InMemoryKeyStore();
  private final SimpleCache<String> cache = new SimpleCache<>(new NodeGroups());
  private final Queue<Runnable> oneShots = new ArrayDeque<>();
  private Runnable scheduledTick;
  private long scheduledPeriodMillis;
  private KeySnapshotPublisher publisher;

  /**
   * Captures the periodic and one-shot tasks so the test runs them itself: no threads, no sleeps.
   */
  private ScheduledExecutorService manualScheduler() {
    ScheduledFuture<?> future =
        (ScheduledFuture<?>)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ScheduledFuture.class},
                (p, m, a) -> m.getName().equals("cancel") ? Boolean.TRUE : null);
    return (ScheduledExecutorService)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ScheduledExecutorService.class},
            (p, m, a) -> {
              if (m.getName().equals("scheduleWithFixedDelay")) {
                scheduledTick = (Runnable) a[0];
                scheduledPeriodMillis = ((TimeUnit) a[3]).toMillis((Long) a[2]);
                return future;
              }
              if (m.getName().equals("schedule") && a[0] instanceof Runnable r) {
                oneShots.add(r);
                return future;
              }
              throw new UnsupportedOperationException(m.getName());
            });
  }

  @BeforeEach
  void setUp() {
    publisher =
        new KeySnapshotPublisher(
            store,
            new KeybrakeSnapshots(XdsSettings.defaults()),
            cache,
            clock,
            manualScheduler(),
            KeySnapshotPublisher.DEFAULT_PERIOD);
  }

  private void runScheduled() {
    while (!oneShots.isEmpty()) {
      oneShots.poll().run();
    }
  }

  private Set<String> routedKeys(String group) {
    Snapshot s = cache.getSnapshot(group);
    Set<String> ids = new TreeSet<>();
    for (RouteConfiguration rc : s.routes().resources().values()) {
      rc.getVirtualHosts(0).getRoutesList().stream()
          .filter(Route::hasRoute)
          .forEach(r -> ids.add(r.getMatch().getHeaders(0).getStringMatch().getExact()));
    }
    return ids;
  }

  private Map<String, String> gatewayTableVersions() {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, VersionedResource<RouteConfiguration>> e :
        cache.getSnapshot(NodeGroups.EGRESS_GATEWAY).routes().versionedResources().entrySet()) {
      out.put(e.getKey(), e.getValue().version());
    }
    return out;
  }

  private static KeyRecord bound(String id, String node) {
    KeyRecord k = InMemoryKeyStore.key(id, "twilio", T0, Optional.empty());
    return new KeyRecord(
        k.id(),
        k.name(),
        k.vendor(),
        Map.of(KeyBinding.LABEL, node),
        k.policy(),
        k.secretHash(),
        k.credential(),
        k.createdAt(),
        k.expiresAt(),
        k.revokedAt());
  }

  @Test
  void startPublishesToEveryGroupAndReadsChangesEverySecond() {
    store.create(InMemoryKeyStore.key("key_a", "twilio", T0, Optional.empty()));

    publisher.start();

    assertThat(scheduledPeriodMillis).isEqualTo(1000);
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_a");
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).containsExactly("key_a");
    assertThat(publisher.publications()).isEqualTo(2);
  }

  @Test
  void refreshPublishesOnlyWhenTheActiveSetChanges() {
    publisher.start();
    assertThat(routedKeys(NodeGroups.SIDECAR)).isEmpty();

    store.create(InMemoryKeyStore.key("key_a", "stripe", T0, Optional.empty()));
    assertThat(publisher.refresh()).isTrue();
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_a");

    assertThat(publisher.refresh()).isFalse();
    scheduledTick.run();
    assertThat(publisher.publications()).isEqualTo(4);

    store.revoke("key_a", clock.instant());
    assertThat(publisher.refresh()).isTrue();
    assertThat(routedKeys(NodeGroups.SIDECAR)).isEmpty();
  }

  @Test
  void aToldChangeIsPublishedOffTheCallersThreadAndChangesTogetherPublishOnce() {
    publisher.start();
    long before = publisher.publications();
    KeyRecord a = InMemoryKeyStore.key("key_a", "stripe", T0, Optional.empty());
    KeyRecord b = InMemoryKeyStore.key("key_b", "twilio", T0, Optional.empty());
    store.create(a);
    store.create(b);
    store.failing = true; // the told path reads nothing from the store

    publisher.keyChanged(a);
    publisher.keyChanged(b);
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).as("not on the caller's thread").isEmpty();
    assertThat(oneShots).as("coalesced into one publication").hasSize(1);

    runScheduled();
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).containsExactly("key_a", "key_b");
    assertThat(publisher.publications() - before).isEqualTo(2); // one per group

    publisher.keyRevoked("key_a");
    runScheduled();
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).containsExactly("key_b");
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_b");
  }

  @Test
  void aRevokedKeyIsNotRoutedAgainByAnOlderRead() {
    publisher.start();
    KeyRecord a = InMemoryKeyStore.key("key_a", "stripe", T0, Optional.empty());
    publisher.keyRevoked("key_a");
    publisher.keyChanged(a); // e.g. a feed read that started before the revocation committed
    runScheduled();
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).isEmpty();
  }

  @Test
  void oneKeyChangeRebuildsOneGatewayTable() {
    for (int i = 0; i < 50; i++) {
      store.create(InMemoryKeyStore.key("key_" + i, "twilio", T0, Optional.empty()));
    }
    publisher.start();
    Map<String, String> before = gatewayTableVersions();
    assertThat(before).hasSize(io.keybrake.core.key.RouteShards.COUNT);

    store.revoke("key_7", T0);
    publisher.refresh();
    Map<String, String> after = gatewayTableVersions();
    long changed =
        before.keySet().stream().filter(n -> !before.get(n).equals(after.get(n))).count();
    assertThat(changed).isEqualTo(1);
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).hasSize(49).doesNotContain("key_7");
  }

  @Test
  void aBoundKeyIsRoutedOnlyOnItsNodesSidecarAndTheGateway() {
    store.create(bound("key_mine", "pod-1"));
    store.create(bound("key_theirs", "pod-2"));
    store.create(InMemoryKeyStore.key("key_shared", "twilio", T0, Optional.empty()));
    publisher.start();
    publisher.nodeGroupSeen(NodeGroups.boundSidecar("pod-1"));
    runScheduled();

    assertThat(routedKeys(NodeGroups.boundSidecar("pod-1")))
        .containsExactly("key_mine", "key_shared");
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_shared");
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY))
        .containsExactly("key_mine", "key_shared", "key_theirs");
    assertThat(cache.getSnapshot(NodeGroups.boundSidecar("pod-2")))
        .as("no Envoy of pod-2 connected")
        .isNull();

    store.revoke("key_mine", T0);
    publisher.refresh();
    assertThat(routedKeys(NodeGroups.boundSidecar("pod-1"))).containsExactly("key_shared");
  }

  @Test
  void aKeyLosesItsRouteAtTheTickAfterItExpires() {
    store.create(InMemoryKeyStore.key("key_short", "resend", T0, Optional.of(T0.plusSeconds(30))));
    publisher.start();
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_short");

    clock.advance(Duration.ofSeconds(29));
    scheduledTick.run();
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_short");

    clock.advance(Duration.ofSeconds(1));
    scheduledTick.run();
    assertThat(routedKeys(NodeGroups.SIDECAR)).isEmpty();
  }

  @Test
  void aStoreOutageKeepsTheLastRoutesAndIsCounted() {
    store.create(InMemoryKeyStore.key("key_a", "twilio", T0, Optional.empty()));
    publisher.start();

    store.failing = true;
    store.revoke("key_a", T0);
    scheduledTick.run();
    assertThat(publisher.storeFailures()).isEqualTo(1);
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_a");

    store.failing = false;
    scheduledTick.run();
    assertThat(routedKeys(NodeGroups.SIDECAR)).isEmpty();
  }
}
