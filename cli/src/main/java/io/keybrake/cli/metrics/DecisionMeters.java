package io.keybrake.cli.metrics;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.money.Micros;
import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Counts decisions from their audit rows (exactly one row per decision), labelled by vendor,
 * endpoint name, decision, reason code and the key labels the operator chose. Every label takes its
 * value from a bounded set: a vendor id or {@code unknown}, an endpoint name of the vendor's spec
 * or {@code unmatched} (never a raw path), a lower-case code or {@code other}; key label values are
 * the operator's own. Never a key id or a secret. Thread-safe.
 */
final class DecisionMeters {
  /** The reason prefix of a shadow-mode row the policy would have refused. */
  static final String WOULD_REFUSE = "would_refuse:";

  private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,47}");
  private static final Pattern VENDOR = Pattern.compile("[a-z0-9_]{1,32}");

  private final MeterRegistry registry;
  private final List<String> keyLabels;
  private final Map<String, String> endpointNames = new HashMap<>();
  private final ConcurrentHashMap<List<Tag>, Counter> decisions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<List<Tag>, Counter> spend = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> replays = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<List<Tag>, Counter> wouldRefuse = new ConcurrentHashMap<>();

  /**
   * @param keyLabels the key labels (e.g. {@code team}) that become metric labels {@code
   *     key_<name>}; keep them few and low-cardinality
   */
  DecisionMeters(MeterRegistry registry, VendorRegistry vendors, List<String> keyLabels) {
    this.registry = registry;
    this.keyLabels = List.copyOf(keyLabels);
    for (VendorSpec spec : vendors.all()) {
      for (EndpointSpec e : spec.endpoints()) {
        endpointNames.put(
            spec.id() + " " + e.method() + " " + e.pathTemplate(),
            e.name().toLowerCase(Locale.ROOT));
      }
      replays(spec.id());
      for (String code : SHADOW_CODES) {
        wouldRefuse(spec.id(), code); // from zero, so rates work from the first one
      }
    }
  }

  /** The refusals a shadow-mode policy records instead of applying (a closed set). */
  static final List<String> SHADOW_CODES =
      List.of(
          "destination_not_allowed",
          "max_call_exceeded",
          "cap_exhausted",
          "destination_rate_exceeded",
          "identical_calls_exceeded",
          "spend_rate_exceeded",
          "outside_allowed_hours");

  /** One decision, as its audit row says. */
  void record(AuditEntry e) {
    if ("admin".equals(e.decision())) {
      return; // a key or budget change made through the admin API, not a gateway decision
    }
    String vendor =
        e.vendor() != null && VENDOR.matcher(e.vendor()).matches() ? e.vendor() : "unknown";
    String endpoint =
        endpointNames.getOrDefault(vendor + " " + e.method() + " " + e.endpoint(), "unmatched");
    List<Tag> tags = new ArrayList<>(8);
    tags.add(Tag.of("vendor", vendor));
    tags.add(Tag.of("endpoint", endpoint));
    tags.add(Tag.of("decision", code(e.decision())));
    String shadowCode = null;
    if (e.reason() != null && e.reason().startsWith(WOULD_REFUSE)) {
      shadowCode = code(e.reason().substring(WOULD_REFUSE.length()));
    }
    tags.add(
        Tag.of(
            "reason",
            e.reason() == null ? "none" : shadowCode != null ? "would_refuse" : code(e.reason())));
    for (String label : keyLabels) {
      String v = e.labels().get(label);
      tags.add(Tag.of("key_" + label, v == null ? "" : v));
    }
    decisions
        .computeIfAbsent(
            List.copyOf(tags),
            t ->
                Counter.builder("keybrake_decisions")
                    .description(
                        "Decisions of the policy point by vendor, endpoint, decision (allowed,"
                            + " blocked, replayed, unsettled) and reason code; counted when the"
                            + " decision's audit row is written")
                    .tags(t)
                    .register(registry))
        .increment();
    if (shadowCode != null) {
      wouldRefuse(vendor, shadowCode).increment();
    }
    if ("replayed".equals(e.decision())) {
      replays(vendor).increment();
    }
    if ("allowed".equals(e.decision())) {
      long micros = e.actualMicros() != null ? e.actualMicros() : e.estimatedMicros();
      spend
          .computeIfAbsent(
              List.of(Tag.of("vendor", vendor), Tag.of("endpoint", endpoint)),
              t ->
                  Counter.builder("keybrake_spend_usd")
                      .description(
                          "USD spent through allowed calls (the vendor's price, else the estimate),"
                              + " by vendor and endpoint; later price corrections are not included")
                      .tags(t)
                      .register(registry))
          .increment(Micros.toUsd(micros).doubleValue());
    }
  }

  private Counter wouldRefuse(String vendor, String code) {
    return wouldRefuse.computeIfAbsent(
        List.of(Tag.of("vendor", vendor), Tag.of("reason", code)),
        t ->
            Counter.builder("keybrake_would_refuse")
                .description(
                    "Calls a shadow-mode policy forwarded that it would have refused, by vendor"
                        + " and the refusal code it would have given")
                .tags(t)
                .register(registry));
  }

  private Counter replays(String vendor) {
    return replays.computeIfAbsent(
        vendor,
        v ->
            Counter.builder("keybrake_dedup_replays")
                .description(
                    "Calls answered from the dedup cache with the first call's response (the vendor"
                        + " saw one call): a retry storm shows here")
                .tag("vendor", v)
                .register(registry));
  }

  private static String code(String value) {
    return value != null && CODE.matcher(value).matches() ? value : "other";
  }
}
