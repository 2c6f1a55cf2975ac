package io.keybrake.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.keybrake.core.testing.MutableClock;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
  private Runnable scheduledTick;
  private long scheduledPeriodMillis;
  private KeySnapshotPublisher publisher;

  /** Captures the periodic task so the test runs ticks itself: no threads, no sleeps. */
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

  private List<String> routedKeys(String group) {
    Snapshot s = cache.getSnapshot(group);
    return s
        .routes()
        .resources()
        .get(KeyRoutes.ROUTE_CONFIG_NAME)
        .getVirtualHosts(0)
        .getRoutesList()
        .stream()
        .filter(Route::hasRoute)
        .map(r -> r.getMatch().getHeaders(0).getStringMatch().getExact())
        .toList();
  }

  @Test
  void startPublishesToEveryGroupAndTicksEvery100ms() {
    store.create(InMemoryKeyStore.key("key_a", "twilio", T0, Optional.empty()));

    publisher.start();

    assertThat(scheduledPeriodMillis).isEqualTo(100);
    assertThat(routedKeys(NodeGroups.SIDECAR)).containsExactly("key_a");
    assertThat(routedKeys(NodeGroups.EGRESS_GATEWAY)).containsExactly("key_a");
    assertThat(publisher.publications()).isEqualTo(1);
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
    assertThat(publisher.publications()).isEqualTo(2);

    store.revoke("key_a", clock.instant());
    assertThat(publisher.refresh()).isTrue();
    assertThat(routedKeys(NodeGroups.SIDECAR)).isEmpty();
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
