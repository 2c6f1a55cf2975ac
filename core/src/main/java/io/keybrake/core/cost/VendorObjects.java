package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;

/**
 * Reads the vendor objects a cost rule needs with the key's real credential (the pipeline binds
 * {@link io.keybrake.core.lookup.ObjectLookup} to one key and one call). Not thread-safe: one call.
 */
@FunctionalInterface
public interface VendorObjects {

  /** Reads nothing: a rule that needs an object refuses the call ({@code cost_lookup_failed}). */
  VendorObjects NONE =
      path -> {
        throw new RequestRejected(
            RefusalCode.COST_LOOKUP_FAILED,
            "this call is priced from a vendor object, and no lookup is configured");
      };

  /**
   * The object at {@code path} (e.g. {@code /v1/invoices/in_123}) as the vendor returns it.
   *
   * @throws RequestRejected {@code cost_lookup_failed} when the vendor cannot be reached or does
   *     not answer 200 with a JSON object
   */
  JsonNode get(String path) throws RequestRejected;
}
