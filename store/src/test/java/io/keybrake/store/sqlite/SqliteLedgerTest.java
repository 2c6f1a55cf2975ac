package io.keybrake.store.sqlite;

import static io.keybrake.store.sqlite.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteLedgerTest {
  private static final Instant DAY = Instant.parse("2026-03-01T00:00:00Z");
  private static final BudgetLimit DAILY =
      new BudgetLimit("key_daily", "key:key_a", 1_000_000, DAY, DAY.plus(Duration.ofDays(1)));
  private static final BudgetLimit TOTAL =
      new BudgetLimit("key_total", "key:key_a", 10_000_000, Instant.EPOCH, Instant.MAX);
  private static final BudgetLimit FLEET =
      new BudgetLimit("eng-fleet", "budget:eng-fleet", 500_000, DAY, DAY.plus(Duration.ofDays(1)));

  @TempDir Path dir;
  private SqliteDatabase db;
  private SqliteLedger ledger;

  @BeforeEach
  void open() {
    db = SqliteDatabase.open(dir);
    ledger = new SqliteLedger(db);
  }

  @AfterEach
  void close() {
    db.close();
  }

  private static ReserveRequest req(String id, long amount, BudgetLimit... limits) {
    return new ReserveRequest(id, "key_a", List.of(limits), amount, T0);
  }

  @Test
  void reservesUntilTheCapIsExactlyReachedThenRefuses() {
    List<ReserveOutcome> outcomes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      outcomes.add(ledger.reserve(req("r" + i, 100_000, DAILY, TOTAL)));
    }

    assertThat(outcomes.subList(0, 10)).allMatch(o -> o instanceof ReserveOutcome.Reserved);
    assertThat(outcomes.get(9)).isEqualTo(new ReserveOutcome.Reserved("r9", 1_000_000, 1_000_000));
    assertThat(outcomes.get(10)).isEqualTo(new ReserveOutcome.Exhausted(DAILY, 1_000_000, 100_000));
    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(0, 1_000_000));
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(0, 1_000_000));
  }

  @Test
  void reservedOutcomeReportsTheLimitWithTheLeastRoom() {
    ReserveOutcome o = ledger.reserve(req("r1", 300_000, TOTAL, DAILY, FLEET));

    assertThat(o).isEqualTo(new ReserveOutcome.Reserved("r1", 300_000, 500_000));
    assertThat(((ReserveOutcome.Reserved) o).remainingMicros()).isEqualTo(200_000);
  }

  @Test
  void allOrNoneAcrossTwoLimits() {
    ledger.reserve(req("fill", 450_000, FLEET));

    ReserveOutcome o = ledger.reserve(req("r1", 100_000, DAILY, FLEET));

    assertThat(o).isEqualTo(new ReserveOutcome.Exhausted(FLEET, 450_000, 100_000));
    assertThat(ledger.counter(DAILY)).isEqualTo(CounterSnapshot.EMPTY);
    assertThat(ledger.counter(FLEET)).isEqualTo(new CounterSnapshot(0, 450_000));
    assertThat(ledger.openReservations()).containsExactly("fill");
  }

  @Test
  void exhaustedNamesTheFirstLimitThatRefused() {
    ledger.reserve(req("fill", 1_000_000, DAILY));

    ReserveOutcome o = ledger.reserve(req("r1", 600_000, DAILY, FLEET));

    assertThat(o).isEqualTo(new ReserveOutcome.Exhausted(DAILY, 1_000_000, 600_000));
  }

  @Test
  void repeatedReservationIdReturnsTheEarlierOutcome() {
    ReserveOutcome first = ledger.reserve(req("r1", 400_000, DAILY));
    ReserveOutcome again = ledger.reserve(req("r1", 400_000, DAILY));
    ReserveOutcome refused = ledger.reserve(req("r2", 700_000, DAILY));
    ledger.release("r1");
    ReserveOutcome refusedAgain = ledger.reserve(req("r2", 700_000, DAILY));

    assertThat(again).isEqualTo(first);
    assertThat(ledger.counter(DAILY)).isEqualTo(CounterSnapshot.EMPTY);
    assertThat(refused).isEqualTo(new ReserveOutcome.Exhausted(DAILY, 400_000, 700_000));
    assertThat(refusedAgain).isEqualTo(refused);
  }

  @Test
  void adjustReplacesASettledAmountByTheVendorsLaterPrice() {
    ledger.reserve(req("r1", 8_300, DAILY, TOTAL));
    assertThat(ledger.adjust("r1", 7_900)).as("not settled yet").isFalse();
    ledger.settle("r1", 8_300);

    assertThat(ledger.adjust("r1", 7_900)).isTrue();
    assertThat(ledger.adjust("r1", 7_900)).as("idempotent").isFalse();
    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(7_900, 0));
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(7_900, 0));
    assertThat(ledger.adjust("unknown", 1)).isFalse();
  }

  @Test
  void settleReplacesTheReservationByTheActualCostInEveryCounter() {
    ledger.reserve(req("r1", 300_000, DAILY, TOTAL));

    ledger.settle("r1", 120_000);
    ledger.settle("r1", 999_999);
    ledger.settle("unknown", 5);

    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(120_000, 0));
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(120_000, 0));
    assertThat(ledger.openReservations()).isEmpty();
  }

  @Test
  void actualCostAboveTheReservationShowsInTheCap() {
    ledger.reserve(req("r1", 900_000, DAILY));
    ledger.settle("r1", 1_200_000);

    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(1_200_000, 0));
    assertThat(ledger.reserve(req("r2", 0, DAILY)))
        .isEqualTo(new ReserveOutcome.Exhausted(DAILY, 1_200_000, 0));
  }

  @Test
  void releaseRemovesTheReservationOnce() {
    ledger.reserve(req("r1", 300_000, DAILY));
    ledger.reserve(req("r2", 200_000, DAILY));

    ledger.release("r1");
    ledger.release("r1");
    ledger.settle("r1", 300_000);

    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(0, 200_000));
    assertThat(ledger.openReservations()).containsExactly("r2");
  }

  @Test
  void unsettledReservationStaysCountedAndCanStillBeSettled() {
    ledger.reserve(req("r1", 300_000, DAILY));

    ledger.markUnsettled("r1");

    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(0, 300_000));
    assertThat(ledger.openReservations()).isEmpty();
    ledger.settle("r1", 250_000);
    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(250_000, 0));
  }

  @Test
  void thirtyTwoThreadsRacingOnOneCapNeverExceedIt() throws Exception {
    BudgetLimit cap =
        new BudgetLimit("key_daily", "key:race", 1_000_000, DAY, DAY.plusSeconds(86400));
    int threads = 32;
    int perThread = 20;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  int won = 0;
                  for (int i = 0; i < perThread; i++) {
                    ReserveOutcome o =
                        ledger.reserve(
                            new ReserveRequest(
                                "t" + thread + "-" + i, "key_race", List.of(cap), 7_000, T0));
                    if (o instanceof ReserveOutcome.Reserved) {
                      won++;
                      if (i % 2 == 0) {
                        ledger.settle("t" + thread + "-" + i, 7_000);
                      }
                    }
                  }
                  return won;
                }));
      }
      start.countDown();
      int won = 0;
      for (Future<Integer> f : futures) {
        won += f.get(60, TimeUnit.SECONDS);
      }

      CounterSnapshot c = ledger.counter(cap);
      assertThat(won).isEqualTo(1_000_000 / 7_000);
      assertThat(c.totalMicros()).isEqualTo(won * 7_000L).isLessThanOrEqualTo(1_000_000);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void stateSurvivesCloseAndReopen() {
    ledger.reserve(req("r1", 300_000, DAILY, TOTAL));
    ledger.reserve(req("r2", 200_000, DAILY));
    ledger.settle("r2", 150_000);
    ledger.reserve(req("r3", 100_000, DAILY));
    ledger.markUnsettled("r3");
    db.close();

    db = SqliteDatabase.open(dir);
    ledger = new SqliteLedger(db);

    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(150_000, 400_000));
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(0, 300_000));
    assertThat(ledger.openReservations()).containsExactly("r1");
    assertThat(ledger.reserve(req("r1", 300_000, DAILY, TOTAL)))
        .isEqualTo(new ReserveOutcome.Reserved("r1", 300_000, 1_000_000));
    ledger.settle("r1", 300_000);
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(300_000, 0));
  }

  @Test
  void purgeDropsClosedReservationsButKeepsOpenOnesAndCounters() {
    ledger.reserve(req("r1", 100_000, DAILY));
    ledger.reserve(req("r2", 100_000, DAILY));
    ledger.settle("r1", 100_000);

    int deleted = ledger.purge(T0.plusSeconds(1));

    assertThat(deleted).isEqualTo(1);
    assertThat(ledger.openReservations()).containsExactly("r2");
    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(100_000, 100_000));
    ledger.settle("r2", 50_000);
    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(150_000, 0));
  }

  @Test
  void anAmountAboveTheCapIsRefusedAndLeavesEveryCounterAsItWas() {
    ledger.reserve(req("small", 100_000, TOTAL));

    ReserveOutcome o = ledger.reserve(req("r1", 1_500_000, TOTAL, DAILY));

    assertThat(o).isEqualTo(new ReserveOutcome.Exhausted(DAILY, 0, 1_500_000));
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(0, 100_000));
    assertThat(ledger.counter(DAILY)).isEqualTo(CounterSnapshot.EMPTY);
    assertThat(ledger.reserve(req("r1", 1_500_000, TOTAL, DAILY))).isEqualTo(o);
  }

  @Test
  void aReservationMadeBeforeSchemaEightStillSettlesIntoEveryCounterItHeld() throws Exception {
    db.close();
    Path old = dir.resolve("v7");
    java.nio.file.Files.createDirectories(old);
    try (java.sql.Connection c = Fixtures.raw(old);
        java.sql.Statement st = c.createStatement()) {
      st.executeUpdate(
          "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
              + " applied_at INTEGER NOT NULL)");
      for (String file : SchemaMigrations.FILES.subList(0, 7)) {
        st.executeUpdate(SchemaMigrations.load(file));
        st.executeUpdate(
            "INSERT INTO schema_version VALUES ("
                + SchemaMigrations.version(file)
                + ", '"
                + file
                + "', 0)");
      }
      st.executeUpdate(
          "INSERT INTO counters VALUES ('"
              + DAILY.counterId()
              + "', 0, 300000, 0), ('"
              + TOTAL.counterId()
              + "', 50000, 300000, 0)");
      st.executeUpdate(
          "INSERT INTO reservations (id, key_id, amount_micros, state, created_at, spent_micros,"
              + " cap_micros) VALUES ('r-old', 'key_a', 300000, 'reserved', 0, 300000, 1000000)");
      st.executeUpdate(
          "INSERT INTO reservation_counters VALUES ('r-old', '"
              + DAILY.counterId()
              + "'), ('r-old', '"
              + TOTAL.counterId()
              + "')");
    }
    db = SqliteDatabase.open(old);
    ledger = new SqliteLedger(db);

    ledger.settle("r-old", 120_000);

    assertThat(ledger.counter(DAILY)).isEqualTo(new CounterSnapshot(120_000, 0));
    assertThat(ledger.counter(TOTAL)).isEqualTo(new CounterSnapshot(170_000, 0));
    assertThat(ledger.openReservations()).isEmpty();
  }
}
