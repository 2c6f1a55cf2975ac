package io.keybrake.store.wal;

import static io.keybrake.store.postgres.AuditFixtures.allowed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.audit.ChainVerification;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.store.postgres.UniqueEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteAheadAuditLogTest {
  static final Instant T = Instant.parse("2026-03-01T10:15:30.123456789Z");
  static final WalSettings FAST =
      new WalSettings(
          1 << 20,
          50,
          Duration.ofMillis(5),
          Duration.ofMillis(1),
          Duration.ofMillis(20),
          Duration.ofSeconds(5),
          true);

  @TempDir Path dir;
  final RecordingSink sink = new RecordingSink();

  WriteAheadAuditLog open(WalSettings settings) {
    return WriteAheadAuditLog.open(dir, sink, NO_READER, settings);
  }

  @Test
  void awaitDrainedWaitsForTheEntriesAcknowledgedBeforeIt() throws InterruptedException {
    sink.failNextSends(1_000_000);
    try (WriteAheadAuditLog wal = open(FAST)) {
      for (int i = 0; i < 3; i++) {
        wal.append(allowed("key_w", T, i));
      }
      assertThat(wal.awaitDrained(Duration.ofMillis(200))).isFalse();
      sink.failNextSends(0);
      assertThat(wal.awaitDrained(Duration.ofSeconds(10))).isTrue();
      assertThat(sink.stored()).hasSize(3);
    }
  }

  @Test
  void appendAcknowledgesWithoutAChainPositionAndDrainsInOrder() {
    try (WriteAheadAuditLog wal = open(FAST)) {
      AuditRecord r = wal.append(allowed("key_a", T, 7));
      assertThat(r.seq()).isZero();
      assertThat(r.prevHash()).isNull();
      assertThat(r.hash()).isNull();
      assertThat(r.entry().estimatedMicros()).isEqualTo(7);
      for (int i = 1; i < 120; i++) {
        wal.append(allowed("key_a", T, 7 + i));
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      List<UniqueEntry> stored = sink.stored();
      assertThat(stored).hasSize(120);
      for (int i = 0; i < 120; i++) {
        assertThat(stored.get(i).entryId()).isEqualTo(wal.instanceId() + ":" + (i + 1));
        assertThat(stored.get(i).entry().estimatedMicros()).isEqualTo(7 + i);
      }
    }
  }

  @Test
  void entriesSurviveARestartBeforeDraining() {
    try (WriteAheadAuditLog wal = open(FAST.withDrain(false))) {
      for (int i = 0; i < 30; i++) {
        wal.append(allowed("key_r", T, i));
      }
      assertThat(wal.pending()).isEqualTo(30);
    }
    assertThat(sink.stored()).isEmpty();

    try (WriteAheadAuditLog wal = open(FAST)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      wal.append(allowed("key_r", T, 30));
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      assertThat(sink.stored())
          .extracting(u -> u.entry().estimatedMicros())
          .containsExactlyElementsOf(range(0, 31));
      assertThat(sink.stored().get(30).entryId()).endsWith(":31");
    }
  }

  @Test
  void aTornTailIsCutAndNumberingGoesOn() throws IOException {
    String instance;
    try (WriteAheadAuditLog wal = open(FAST.withDrain(false))) {
      instance = wal.instanceId();
      for (int i = 0; i < 10; i++) {
        wal.append(allowed("key_t", T, i));
      }
    }
    Path segment = newestSegment(); // one or two: a preallocated one may have followed the first
    long whole = Files.size(segment);
    // half of an 11th record: the frame header and a few bytes, as a crash mid-write leaves
    ByteBuffer frame = WalCodec.frame(11, WalCodec.entryBytes(allowed("key_t", T, 10)));
    frame.limit(frame.limit() / 2);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.APPEND)) {
      ch.write(frame);
    }
    assertThat(Files.size(segment)).isGreaterThan(whole);

    try (WriteAheadAuditLog wal = open(FAST)) {
      assertThat(Files.size(segment)).isEqualTo(whole);
      assertThat(wal.instanceId()).isEqualTo(instance);
      wal.append(allowed("key_t", T, 99));
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
    }
    assertThat(sink.stored()).hasSize(11);
    assertThat(sink.stored().get(10).entryId()).isEqualTo(instance + ":11");
    assertThat(sink.stored().get(10).entry().estimatedMicros()).isEqualTo(99);
  }

  @Test
  void aTailOfGarbageWithAValidLookingLengthIsCut() throws IOException {
    try (WriteAheadAuditLog wal = open(FAST.withDrain(false))) {
      wal.append(allowed("key_g", T, 1));
    }
    Path segment = newestSegment();
    long whole = Files.size(segment);
    ByteBuffer junk = ByteBuffer.allocate(64).putInt(40).putInt(12345);
    junk.clear();
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.APPEND)) {
      ch.write(junk);
    }

    try (WriteAheadAuditLog wal = open(FAST)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
    }
    assertThat(Files.size(segment)).isEqualTo(whole);
    assertThat(sink.stored()).hasSize(1);
  }

  @Test
  void damageBeforeTheNewestSegmentFailsTheOpen() throws IOException {
    WalSettings small = FAST.withDrain(false).withSegmentBytes(4096);
    try (WriteAheadAuditLog wal = open(small)) {
      for (int i = 0; i < 40; i++) {
        wal.append(allowed("key_d", T, i));
      }
    }
    List<Path> segs = segments();
    assertThat(segs.size()).isGreaterThan(1);
    try (FileChannel ch = FileChannel.open(segs.get(0), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x7f}), 100);
    }

    assertThatThrownBy(() -> open(small))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("damaged");
  }

  @Test
  void segmentsRotateAndDrainedOnesAreDeleted() throws IOException {
    try (WriteAheadAuditLog wal = open(FAST.withSegmentBytes(4096))) {
      for (int i = 0; i < 200; i++) {
        wal.append(allowed("key_s", T, i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> segments().size() <= 2);
    }
    assertThat(sink.stored())
        .extracting(u -> u.entry().estimatedMicros())
        .containsExactlyElementsOf(range(0, 200));
    try (WriteAheadAuditLog wal = open(FAST.withSegmentBytes(4096))) {
      wal.append(allowed("key_s", T, 200));
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      assertThat(sink.stored().get(200).entryId()).isEqualTo(wal.instanceId() + ":201");
    }
  }

  /**
   * Records go into a preallocated segment (its file already at the segment size, so a force writes
   * their pages alone); a copy of the directory taken while the log is open, which is what a crash
   * leaves (the acknowledged records, then zeros), opens with every acknowledged record and
   * numbering on; a clean close cuts the segment to its records.
   */
  @Test
  void recordsGoIntoAPreallocatedSegmentAndACrashImageKeepsEveryAcknowledgedOne(@TempDir Path image)
      throws IOException {
    long segmentBytes = FAST.segmentBytes();
    long acknowledged = 0;
    try (WriteAheadAuditLog wal = open(FAST.withDrain(false))) {
      // the segment a fresh directory starts with is followed as soon as a prepared one is ready
      while (Files.size(newestSegment()) < segmentBytes) {
        assertThat(acknowledged)
            .as("appends before a preallocated segment took over")
            .isLessThan(5000);
        wal.append(allowed("key_p", T, acknowledged++));
      }
      Path preallocated = newestSegment();
      for (int i = 0; i < 25; i++) {
        wal.append(allowed("key_p", T, acknowledged++));
      }
      assertThat(Files.size(preallocated)).isGreaterThanOrEqualTo(segmentBytes);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.copy(f, image.resolve(f.getFileName()));
        }
      }
      wal.append(allowed("key_p", T, acknowledged));
      wal.close();
      assertThat(Files.size(preallocated)).as("cut to its records").isLessThan(64 * 1024);
    }

    RecordingSink afterCrash = new RecordingSink();
    try (WriteAheadAuditLog wal = WriteAheadAuditLog.open(image, afterCrash, NO_READER, FAST)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      assertThat(afterCrash.stored())
          .extracting(u -> u.entry().estimatedMicros())
          .containsExactlyElementsOf(range(0, (int) acknowledged));
      wal.append(allowed("key_p", T, 999));
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      assertThat(afterCrash.stored().get((int) acknowledged).entryId())
          .isEqualTo(wal.instanceId() + ":" + (acknowledged + 1));
    }
  }

  @Test
  void failedSendsAreRetriedInOrderWithoutDuplicates() {
    sink.failNextSends(3);
    sink.failAfterStoringNextSends(2);
    try (WriteAheadAuditLog wal = open(FAST)) {
      for (int i = 0; i < 300; i++) {
        wal.append(allowed("key_f", T, i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
      assertThat(wal.drainError()).isEmpty();
    }
    assertThat(sink.sends()).isGreaterThan(5);
    assertThat(sink.stored())
        .extracting(u -> u.entry().estimatedMicros())
        .containsExactlyElementsOf(range(0, 300));
  }

  @Test
  void whileTheSinkIsDownAppendsGoOnAndTheErrorIsReported() {
    sink.failNextSends(Integer.MAX_VALUE);
    try (WriteAheadAuditLog wal = open(FAST)) {
      for (int i = 0; i < 50; i++) {
        wal.append(allowed("key_o", T, i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.drainError().isPresent());
      assertThat(wal.pending()).isEqualTo(50);
      assertThat(wal.drainError().orElseThrow()).contains("unreachable");
      sink.failNextSends(0);
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
    }
    assertThat(sink.stored()).hasSize(50);
  }

  @Test
  void closeWhileTheSinkIsDownGivesUpAfterItsTimeoutAndTheNextOpenSends() {
    sink.failNextSends(Integer.MAX_VALUE);
    WalSettings shortClose =
        new WalSettings(
            1 << 20,
            50,
            Duration.ofMillis(5),
            Duration.ofMillis(1),
            Duration.ofMillis(20),
            Duration.ofMillis(300),
            true);
    WriteAheadAuditLog wal = open(shortClose);
    for (int i = 0; i < 20; i++) {
      wal.append(allowed("key_down", T, i));
    }
    long start = System.nanoTime();
    wal.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(sink.stored()).isEmpty();

    sink.failNextSends(0);
    try (WriteAheadAuditLog again = open(FAST)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> again.pending() == 0);
    }
    assertThat(sink.stored())
        .extracting(u -> u.entry().estimatedMicros())
        .containsExactlyElementsOf(range(0, 20));
  }

  @Test
  void concurrentAppendsKeepEachThreadsOrder() throws Exception {
    try (WriteAheadAuditLog wal = open(FAST)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          String key = "key_" + t;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 100; i++) {
                      wal.append(allowed(key, T, i));
                    }
                  }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> wal.pending() == 0);
    }
    List<UniqueEntry> stored = sink.stored();
    assertThat(stored).hasSize(800);
    for (int t = 0; t < 8; t++) {
      String key = "key_" + t;
      assertThat(stored.stream().filter(u -> u.entry().keyId().equals(key)))
          .extracting(u -> u.entry().estimatedMicros())
          .containsExactlyElementsOf(range(0, 100));
    }
  }

  /**
   * A request thread interrupted while it appends (a server shutting a request down, a client's
   * cancellation): the JDK closes a file channel under an interrupted thread, which used to fail
   * that append and every later one until a restart. Now each interrupted append completes, the
   * thread keeps its interrupt status, other threads' appends succeed during and after, and the
   * file drains complete, in order, once each. Small segments, so rotations happen under interrupts
   * too.
   */
  @Test
  void anInterruptedAppenderFailsNoAppendAndLosesNothing() throws Exception {
    int interrupts = 50;
    try (WriteAheadAuditLog wal = open(FAST.withSegmentBytes(4096))) {
      java.util.concurrent.atomic.AtomicLong acknowledged =
          new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicInteger interruptsSeen =
          new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicReference<Throwable> failure =
          new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      Thread interrupted =
          new Thread(
              () -> {
                for (long i = 0; !stop.get(); i++) {
                  try {
                    wal.append(allowed("key_interrupted", T, i));
                  } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    return;
                  }
                  acknowledged.set(i + 1);
                  if (Thread.interrupted()) {
                    interruptsSeen.incrementAndGet();
                  }
                }
              },
              "interrupted-appender");
      interrupted.start();
      ExecutorService others = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> during = appendFrom(others, wal, "during", 4, 100);
        for (int k = 0; k < interrupts && failure.get() == null; k++) {
          long before = acknowledged.get();
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> acknowledged.get() > before || failure.get() != null);
          interrupted.interrupt(); // lands in a write, a force or a rotation, mostly
          int seen = k + 1;
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> interruptsSeen.get() >= seen || failure.get() != null);
        }
        stop.set(true);
        interrupted.join(10_000);
        assertThat(failure.get()).as("the interrupted thread's appends").isNull();
        assertThat(interrupted.isAlive()).isFalse();
        for (Future<?> f : during) {
          f.get();
        }
        // later appends, from other threads, after every interrupt
        for (Future<?> f : appendFrom(others, wal, "after", 4, 50)) {
          f.get();
        }
      } finally {
        others.shutdownNow();
      }
      assertThat(interruptsSeen.get()).isEqualTo(interrupts); // the status was left set each time
      assertThat(wal.accepting()).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> wal.pending() == 0);

      long total = acknowledged.get() + 4 * 100 + 4 * 50;
      List<UniqueEntry> stored = sink.stored();
      assertThat(stored).hasSize((int) total);
      for (int i = 0; i < stored.size(); i++) {
        assertThat(stored.get(i).entryId()).isEqualTo(wal.instanceId() + ":" + (i + 1));
      }
      assertThat(stored.stream().filter(u -> u.entry().keyId().equals("key_interrupted")))
          .extracting(u -> u.entry().estimatedMicros())
          .containsExactlyElementsOf(range(0, (int) acknowledged.get()));
      for (String phase : List.of("during", "after")) {
        for (int t = 0; t < 4; t++) {
          String key = "key_" + phase + t;
          assertThat(stored.stream().filter(u -> u.entry().keyId().equals(key)))
              .extracting(u -> u.entry().estimatedMicros())
              .containsExactlyElementsOf(range(0, phase.equals("during") ? 100 : 50));
        }
      }
    }
  }

  private static List<Future<?>> appendFrom(
      ExecutorService pool, WriteAheadAuditLog wal, String prefix, int threads, int each) {
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String key = "key_" + prefix + t;
      futures.add(
          pool.submit(
              () -> {
                for (int i = 0; i < each; i++) {
                  wal.append(allowed(key, T, i));
                }
              }));
    }
    return futures;
  }

  @Test
  void aSecondOpenOfTheDirectoryIsRefused() {
    try (WriteAheadAuditLog wal = open(FAST)) {
      assertThatThrownBy(() -> open(FAST))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("in use");
      assertThat(wal.pending()).isZero();
    }
  }

  @Test
  void appendAfterCloseIsRefused() {
    WriteAheadAuditLog wal = open(FAST);
    wal.close();
    assertThatThrownBy(() -> wal.append(allowed("key_c", T, 1)))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("closed");
  }

  private Path newestSegment() throws IOException {
    List<Path> all = segments();
    return all.get(all.size() - 1);
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("wal-")).sorted().toList();
    }
  }

  private static List<Long> range(int from, int to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  static final AuditLog NO_READER =
      new AuditLog() {
        @Override
        public AuditRecord append(io.keybrake.core.audit.AuditEntry entry) {
          throw new UnsupportedOperationException();
        }

        @Override
        public List<AuditRecord> query(AuditQuery query) {
          return List.of();
        }

        @Override
        public List<AuditRecord> unpricedEstimates(
            String vendor, java.time.Instant since, long afterSeq, int limit) {
          return List.of();
        }

        @Override
        public ChainVerification verify() {
          throw new UnsupportedOperationException();
        }
      };
}
