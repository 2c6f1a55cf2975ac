package io.keybrake.store.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.store.postgres.AuditFixtures;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WalCodecTest {
  static final Instant T = Instant.parse("2026-03-01T10:15:30.123456789Z");

  @Test
  void everyFieldRoundTrips() {
    AuditEntry full = AuditFixtures.allowed("key_a", T, 12_345);
    AuditEntry sparse =
        new AuditEntry(
            T,
            null,
            null,
            Map.of(),
            null,
            null,
            "/x",
            null,
            0,
            0,
            null,
            null,
            "blocked",
            "invalid_key",
            401,
            0,
            3,
            "none",
            null);

    AuditEntry capped = sparse.withCap(1_000_000L, "key_daily");
    AuditEntry budgetOnly = sparse.withCap(null, "eng-fleet");

    for (AuditEntry e : new AuditEntry[] {full, sparse, capped, budgetOnly}) {
      ByteBuffer frame = WalCodec.frame(42, WalCodec.entryBytes(e));
      int length = frame.getInt(0);
      int crc = frame.getInt(4);
      ByteBuffer payload = frame.position(WalCodec.FRAME_HEADER).slice();

      assertThat(length).isEqualTo(payload.remaining());
      assertThat(WalCodec.crcMatches(payload, crc)).isTrue();
      assertThat(WalCodec.seq(payload)).isEqualTo(42);
      assertThat(WalCodec.decode(payload)).isEqualTo(new WalRecord(42, e));
    }
  }

  /**
   * A record written before entries carried a cap and budget (version 1: the entry ends after the
   * reservation id) may still wait in the write-ahead file when Keybrake is upgraded: it decodes,
   * naming neither.
   */
  @Test
  void aVersion1RecordDecodesWithoutCapOrBudget() {
    AuditEntry e = AuditFixtures.allowed("key_a", T, 12_345);
    byte[] now = WalCodec.entryBytes(e);
    // version 2 appends [boolean][long][int -1] for a null cap and budget: 13 bytes
    byte[] v1Entry = java.util.Arrays.copyOf(now, now.length - 13);
    ByteBuffer payload = ByteBuffer.allocate(1 + 8 + v1Entry.length);
    payload.put((byte) 1).putLong(7).put(v1Entry).flip();

    assertThat(WalCodec.seq(payload)).isEqualTo(7);
    assertThat(WalCodec.decode(payload)).isEqualTo(new WalRecord(7, e));
  }

  @Test
  void aFlippedByteFailsTheCrc() {
    ByteBuffer frame = WalCodec.frame(1, WalCodec.entryBytes(AuditFixtures.allowed("k", T, 1)));
    int crc = frame.getInt(4);
    frame.put(30, (byte) (frame.get(30) ^ 1));

    assertThat(WalCodec.crcMatches(frame.position(WalCodec.FRAME_HEADER).slice(), crc)).isFalse();
  }
}
