package io.keybrake.store.wal;

import io.keybrake.core.audit.AuditEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * {@code WalCodec} is the write-ahead file's record format. A record is {@code [int length][int
 * CRC-32C of the payload][payload]}, big-endian; the payload is {@code [byte version = 2][long
 * local seq][entry]}, every {@link AuditEntry} field in declaration order, strings as {@code [int
 * UTF-8 length or -1 for null][bytes]}, the nullable cap as {@code [boolean present][long]}.
 * Version 1 records (written before the cap and budget existed, and perhaps not yet drained when
 * Keybrake is upgraded) end after the reservation id and decode with neither. A record that is
 * short, has an impossible length or whose CRC does not match is not a record: at the end of the
 * newest segment that is a torn write. Stateless and thread-safe.
 */
final class WalCodec {
  /** Frame header: length and CRC. */
  static final int FRAME_HEADER = 8;

  /** Largest payload accepted; anything larger is damage. */
  static final int MAX_PAYLOAD = 1 << 20;

  private static final byte VERSION = 2;

  /** Records written before the cap and budget were part of an entry. */
  private static final byte VERSION_1 = 1;

  private WalCodec() {}

  /** The entry's bytes, without the local seq (encode outside the writer's lock). */
  static byte[] entryBytes(AuditEntry e) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(e.at().getEpochSecond());
      out.writeInt(e.at().getNano());
      string(out, e.keyId());
      string(out, e.keyName());
      out.writeInt(e.labels().size());
      for (Map.Entry<String, String> l : e.labels().entrySet()) {
        string(out, l.getKey());
        string(out, l.getValue());
      }
      string(out, e.vendor());
      string(out, e.method());
      string(out, e.endpoint());
      string(out, e.destination());
      out.writeLong(e.bodyBytes());
      out.writeLong(e.estimatedMicros());
      out.writeBoolean(e.actualMicros() != null);
      out.writeLong(e.actualMicros() == null ? 0 : e.actualMicros());
      string(out, e.vendorObjectId());
      string(out, e.decision());
      string(out, e.reason());
      out.writeInt(e.httpStatus());
      out.writeLong(e.spentMicros());
      out.writeLong(e.latencyMicros());
      string(out, e.settlement());
      string(out, e.reservationId());
      out.writeBoolean(e.capMicros() != null);
      out.writeLong(e.capMicros() == null ? 0 : e.capMicros());
      string(out, e.budget());
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }

  /** The framed record for {@code localSeq} and the entry's bytes. */
  static ByteBuffer frame(long localSeq, byte[] entryBytes) {
    int payload = 1 + 8 + entryBytes.length;
    if (payload > MAX_PAYLOAD) {
      throw new IllegalArgumentException("audit entry too large for the write-ahead file");
    }
    ByteBuffer buf = ByteBuffer.allocate(FRAME_HEADER + payload);
    buf.putInt(payload);
    buf.putInt(0);
    buf.put(VERSION);
    buf.putLong(localSeq);
    buf.put(entryBytes);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), FRAME_HEADER, payload);
    buf.putInt(4, (int) crc.getValue());
    buf.flip();
    return buf;
  }

  /** Whether {@code payload} matches the CRC from its frame. */
  static boolean crcMatches(ByteBuffer payload, int expected) {
    CRC32C crc = new CRC32C();
    crc.update(payload.duplicate());
    return (int) crc.getValue() == expected;
  }

  /** The local seq of a CRC-checked payload. */
  static long seq(ByteBuffer payload) {
    byte version = payload.get(payload.position());
    if (version != VERSION && version != VERSION_1) {
      throw new IllegalStateException("unknown write-ahead record version");
    }
    return payload.getLong(payload.position() + 1);
  }

  /** Decodes a CRC-checked payload. */
  static WalRecord decode(ByteBuffer payload) {
    byte[] raw = new byte[payload.remaining()];
    payload.duplicate().get(raw);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw))) {
      byte version = in.readByte();
      if (version != VERSION && version != VERSION_1) {
        throw new IllegalStateException("unknown write-ahead record version");
      }
      long seq = in.readLong();
      Instant at = Instant.ofEpochSecond(in.readLong(), in.readInt());
      String keyId = string(in);
      String keyName = string(in);
      int labelCount = in.readInt();
      Map<String, String> labels = new TreeMap<>();
      for (int i = 0; i < labelCount; i++) {
        labels.put(string(in), string(in));
      }
      String vendor = string(in);
      String method = string(in);
      String endpoint = string(in);
      String destination = string(in);
      long bodyBytes = in.readLong();
      long estimated = in.readLong();
      boolean hasActual = in.readBoolean();
      long actual = in.readLong();
      String vendorObjectId = string(in);
      String decision = string(in);
      String reason = string(in);
      int httpStatus = in.readInt();
      long spent = in.readLong();
      long latency = in.readLong();
      String settlement = string(in);
      String reservationId = string(in);
      Long cap = null;
      String budget = null;
      if (version != VERSION_1) {
        boolean hasCap = in.readBoolean();
        long capValue = in.readLong();
        cap = hasCap ? capValue : null;
        budget = string(in);
      }
      AuditEntry e =
          new AuditEntry(
              at,
              keyId,
              keyName,
              labels,
              vendor,
              method,
              endpoint,
              destination,
              bodyBytes,
              estimated,
              hasActual ? actual : null,
              vendorObjectId,
              decision,
              reason,
              httpStatus,
              spent,
              latency,
              settlement,
              reservationId,
              cap,
              budget);
      return new WalRecord(seq, e);
    } catch (IOException ex) {
      throw new IllegalStateException("write-ahead record does not decode", ex);
    }
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String string(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("string runs past the record");
    }
    return new String(b, StandardCharsets.UTF_8);
  }
}
