package io.keybrake.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The tamper-evident link between audit rows: SHA-256 over the previous hash and a canonical,
 * length-prefixed encoding of every field of the row. Stateless and thread-safe.
 *
 * <p>The cap and budget (added in schema version 5) are encoded after every older field, behind a
 * marker, and only when either is present: a row written before they existed has neither and hashes
 * exactly as it did then, so old chains still verify; a row that has them cannot lose, gain or
 * change them without its hash changing.
 */
public final class AuditChain {
  /** The {@code prevHash} of the first row. */
  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {}

  public static String hash(long seq, String prevHash, AuditEntry e) {
    StringBuilder b = new StringBuilder(512);
    field(b, Long.toString(seq));
    field(b, prevHash);
    field(b, Long.toString(e.at().getEpochSecond()) + "." + e.at().getNano());
    field(b, e.keyId());
    field(b, e.keyName());
    // sorted: the hash must not depend on a map's iteration order
    for (Map.Entry<String, String> l : new java.util.TreeMap<>(e.labels()).entrySet()) {
      field(b, l.getKey() + "=" + l.getValue());
    }
    field(b, "|");
    field(b, e.vendor());
    field(b, e.method());
    field(b, e.endpoint());
    field(b, e.destination());
    field(b, Long.toString(e.bodyBytes()));
    field(b, Long.toString(e.estimatedMicros()));
    field(b, e.actualMicros() == null ? null : e.actualMicros().toString());
    field(b, e.vendorObjectId());
    field(b, e.decision());
    field(b, e.reason());
    field(b, Integer.toString(e.httpStatus()));
    field(b, Long.toString(e.spentMicros()));
    field(b, Long.toString(e.latencyMicros()));
    field(b, e.settlement());
    field(b, e.reservationId());
    if (e.capMicros() != null || e.budget() != null) {
      field(b, "v5");
      field(b, e.capMicros() == null ? null : e.capMicros().toString());
      field(b, e.budget());
    }
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(d.digest(b.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static void field(StringBuilder b, String v) {
    if (v == null) {
      b.append("-1:");
    } else {
      b.append(v.length()).append(':').append(v);
    }
    b.append(';');
  }
}
