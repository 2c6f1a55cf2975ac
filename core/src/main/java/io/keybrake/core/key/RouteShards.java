package io.keybrake.core.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An egress gateway's routes are split into {@value #COUNT} route tables by a digest of the key id,
 * so one key change re-sends one small table, not every key's route. The processor names the table
 * of the key it admitted in the {@value #HEADER} header; Envoy picks the table by it (scoped
 * routes). Stateless and thread-safe.
 */
public final class RouteShards {
  /** How many route tables a gateway's routes are split into. */
  public static final int COUNT = 256;

  /** The request header carrying the admitted key's route table, set next to its id. */
  public static final String HEADER = "x-keybrake-route-shard";

  private RouteShards() {}

  /** The table of {@code keyId}: two lower-case hex digits, {@code 00} to {@code ff}. */
  public static String of(String keyId) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(keyId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().toHexDigits(d[0]);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /** The name of table {@code index} (0 to {@value #COUNT} - 1). */
  public static String name(int index) {
    return HexFormat.of().toHexDigits((byte) index);
  }
}
