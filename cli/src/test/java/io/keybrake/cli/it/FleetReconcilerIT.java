package io.keybrake.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.cli.app.KeybrakeApp;
import io.keybrake.cli.settings.FleetTuning;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.testing.MutableClock;
import io.keybrake.harness.redis.RedisServer;
import io.keybrake.harness.sim.TwilioSimulator;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Housekeeping in a fleet: one instance at a time runs each job, the holder of its lease in Redis.
 * The Twilio price reconciler, so Twilio sees one fetch per message and pass however many instances
 * run; the stale-reservation sweep, so Redis is scanned once a minute, not once per instance.
 */
class FleetReconcilerIT {
  @TempDir Path dirA;
  @TempDir Path dirB;
  final MutableClock clock = new MutableClock(Instant.now());
  RedisServer redis;
  TwilioSimulator twilio;
  FleetFixture fleet;
  KeybrakeApp a;
  KeybrakeApp b;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    // never priced within the test: an instance's first pass fetches the message, its later ones
    // wait (TwilioPriceReconciler.FIRST_RETRY on the instances' clock, which stands still here)
    twilio =
        new TwilioSimulator(
            Gateway.TWILIO_SID, Gateway.TWILIO_TOKEN, Clock.systemUTC(), Duration.ofDays(1));
    twilio.start();
    fleet = new FleetFixture();
    Map<String, URI> upstreams = Map.of("twilio", twilio.baseUri());
    a = fleet.start(dirA, redis.uri(), upstreams, FleetTuning.DEFAULTS, clock);
    b = fleet.start(dirB, redis.uri(), upstreams, FleetTuning.DEFAULTS, clock);
  }

  @AfterEach
  void stop() throws Exception {
    for (KeybrakeApp app : new KeybrakeApp[] {a, b}) {
      if (app != null) {
        app.close();
      }
    }
    twilio.close();
    redis.close();
    fleet.close();
  }

  @Test
  void oneInstanceFetchesThePricesAndAnotherTakesOverAtOnceWhenItStops() throws Exception {
    JsonNode key = fleet.twilioKey(a, "{\"daily_usd_cap\":5,\"allowed_prefixes\":[\"+1\"]}");
    assertThat(fleet.sms(a, key.get("vault_key").asText(), "priced later").statusCode())
        .isEqualTo(201);
    awaitEstimateInPostgres(key.get("id").asText());

    assertThat(a.reconcilePass()).as("a takes the lease").isTrue();
    assertThat(b.reconcilePass()).as("b leaves the pass to a").isFalse();
    assertThat(fetches()).as("one fetch for the two instances' passes").isEqualTo(1);

    assertThat(a.reconcilePass()).as("a extends its lease").isTrue();
    assertThat(b.reconcilePass()).isFalse();
    assertThat(fetches()).as("a waits before fetching it again; b fetches nothing").isEqualTo(1);

    a.close(); // gives the lease up
    a = null;
    assertThat(b.reconcilePass())
        .as("b takes over without waiting for the lease to run out")
        .isTrue();
    assertThat(fetches()).as("b's first pass fetches it").isEqualTo(2);
    assertThat(b.reconciler().oldestUnpriced()).as("b's pass found the estimate").isPresent();
  }

  @Test
  void oneInstanceSweepsStaleReservationsAndAnotherTakesOverWhenItStops() throws Exception {
    assertThat(a.sweepPass()).as("a takes the sweep's lease").isTrue();
    assertThat(b.sweepPass()).as("b leaves the sweep to a").isFalse();
    assertThat(a.sweepPass()).as("a extends its lease").isTrue();
    assertThat(b.sweepPass()).isFalse();

    a.close(); // gives the lease up
    a = null;
    assertThat(b.sweepPass()).as("b takes over without waiting for the lease to run out").isTrue();
  }

  private long fetches() {
    return twilio.received().stream().filter(r -> r.method().equals("GET")).count();
  }

  /** The estimate's audit row reaches PostgreSQL (where every reconciler reads) from a's file. */
  private void awaitEstimateInPostgres(String keyId) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    // the key's creation has a row too: wait for the message's own
    while (a
        .store()
        .auditLog()
        .query(new AuditQuery(Optional.of(keyId), Optional.empty(), Optional.empty(), 10))
        .stream()
        .noneMatch(r -> "estimated".equals(r.entry().settlement()))) {
      assertThat(System.nanoTime()).as("the audit row drained").isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }
}
