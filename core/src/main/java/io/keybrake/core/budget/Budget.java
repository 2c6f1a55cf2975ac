package io.keybrake.core.budget;

import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A fleet or vendor budget: a daily and/or monthly USD cap over every key its selector matches
 * (DESIGN.md §6). Windows are UTC days and calendar months. Immutable.
 *
 * @param labels the key labels that must all match (empty when the budget selects by vendor)
 * @param vendor the vendor whose keys it covers (empty when it selects by labels)
 * @param webhookUrl where its threshold notifications go besides the global webhooks (may carry a
 *     token: never shown whole)
 */
public record Budget(
    String name,
    Map<String, String> labels,
    Optional<String> vendor,
    OptionalLong dailyCapMicros,
    OptionalLong monthlyCapMicros,
    Instant createdAt,
    Optional<URI> webhookUrl) {

  /** A budget without a webhook of its own. */
  public Budget(
      String name,
      Map<String, String> labels,
      Optional<String> vendor,
      OptionalLong dailyCapMicros,
      OptionalLong monthlyCapMicros,
      Instant createdAt) {
    this(name, labels, vendor, dailyCapMicros, monthlyCapMicros, createdAt, Optional.empty());
  }

  public Budget {
    Objects.requireNonNull(webhookUrl);
    Objects.requireNonNull(name);
    labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    Objects.requireNonNull(vendor);
    Objects.requireNonNull(dailyCapMicros);
    Objects.requireNonNull(monthlyCapMicros);
    Objects.requireNonNull(createdAt);
    if (labels.isEmpty() == vendor.isEmpty()) {
      throw new IllegalArgumentException("a budget selects by labels or by vendor, exactly one");
    }
    if (dailyCapMicros.isEmpty() && monthlyCapMicros.isEmpty()) {
      throw new IllegalArgumentException("a budget needs a daily or a monthly cap");
    }
  }

  /** Whether the budget covers a key with these labels and vendor. */
  public boolean covers(Map<String, String> keyLabels, String keyVendor) {
    if (vendor.isPresent()) {
      return vendor.get().equals(keyVendor);
    }
    for (Map.Entry<String, String> l : labels.entrySet()) {
      if (!l.getValue().equals(keyLabels.get(l.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
