package io.keybrake.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.cost.VendorObjects;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.lookup.LookupResult;
import io.keybrake.core.lookup.ObjectLookup;
import io.keybrake.core.request.JsonBody;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vendor objects one call's cost rule reads, through {@link ObjectLookup} with the key's real
 * credential. Before the first lookup it tells the data plane it may wait ({@link WaitListener}, so
 * Envoy extends its message timeout). Anything but a 200 with a JSON object refuses the call
 * ({@code cost_lookup_failed}): fail closed. Messages and logs name the kind of object, never the
 * path (an agent may put a secret where an id belongs). Not thread-safe: one call.
 */
final class KeyLookups implements VendorObjects {
  private static final Logger log = LoggerFactory.getLogger(KeyLookups.class);

  /** How long a data plane is told one call's lookups may take. */
  static final Duration WAIT = Duration.ofSeconds(4);

  private final ObjectLookup lookup;
  private final KeyRecord key;
  private final WaitListener waits;
  private final LongSupplier nanoTicker;
  private long startNanos;
  private boolean told;

  KeyLookups(ObjectLookup lookup, KeyRecord key, WaitListener waits, LongSupplier nanoTicker) {
    this.lookup = lookup;
    this.key = key;
    this.waits = waits;
    this.nanoTicker = nanoTicker;
  }

  @Override
  public JsonNode get(String path) throws RequestRejected {
    if (!told) {
      waits.waitingUpTo(WAIT);
      told = true;
      startNanos = nanoTicker.getAsLong();
    } else if (nanoTicker.getAsLong() - startNanos > WAIT.toNanos()) {
      throw failed(0, "reading what this call acts on took longer than " + WAIT.toSeconds() + " s");
    }
    String what = kind(path);
    LookupResult result = lookup.get(key.vendor(), key.credential(), path);
    if (result instanceof LookupResult.Unreachable u) {
      log.warn("lookup of a {} for key {} failed: {}", what, key.id(), u.reason());
      throw failed(0, "the " + what + " this call acts on could not be read from " + key.vendor());
    }
    LookupResult.Answered a = (LookupResult.Answered) result;
    if (a.status() != 200) {
      throw failed(
          a.status(),
          key.vendor() + " refused to show the " + what + " this call acts on, to bound its cost");
    }
    JsonNode node;
    try {
      node = JsonBody.parse(a.body());
    } catch (RequestRejected e) {
      throw failed(a.status(), "the " + what + " read from " + key.vendor() + " is not JSON");
    }
    if (!node.isObject()) {
      throw failed(a.status(), "the " + what + " read from " + key.vendor() + " is not an object");
    }
    return node;
  }

  /** {@code /v1/invoices/in_1} → {@code invoice}: the collection, singular. */
  private static String kind(String path) {
    String[] parts = path.split("/");
    String collection = parts.length >= 3 ? parts[parts.length - 2] : "object";
    return collection.endsWith("s") ? collection.substring(0, collection.length() - 1) : collection;
  }

  private static RequestRejected failed(int status, String message) {
    String why = status == 0 ? "" : " (status " + status + ")";
    return new RequestRejected(
        RefusalCode.COST_LOOKUP_FAILED, message + why + "; the call was not forwarded");
  }
}
