package io.keybrake.cli.prices;

import io.keybrake.core.pricing.PriceTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a synced Twilio price table lives ({@code <data dir>/prices/twilio-prices.yaml}) and which
 * table a process uses: the synced one when present, else the one shipped in the jar. Stateless.
 */
public final class PriceFiles {
  private PriceFiles() {}

  public static Path twilio(Path dataDir) {
    return dataDir.resolve("prices").resolve("twilio-prices.yaml");
  }

  /**
   * The synced table if {@code dataDir} has one, else the shipped one.
   *
   * @throws IllegalArgumentException the synced file is unreadable or invalid (the process must not
   *     start on a price table it cannot read)
   */
  public static PriceTable load(Path dataDir) {
    Path file = twilio(dataDir);
    if (!Files.exists(file)) {
      return PriceTable.loadDefault();
    }
    try (InputStream in = Files.newInputStream(file)) {
      return PriceTable.parse(in);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "the price table " + file + " cannot be used: " + e.getMessage(), e);
    }
  }
}
