package io.keybrake.core.pipeline;

import io.keybrake.core.cost.CallEstimate;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.vendor.EndpointMatch;
import java.time.Instant;

/**
 * The state of one HTTP exchange as it passes the policy point. Owned by one data-plane stream and
 * touched by one thread at a time (ext_proc delivers a stream's messages in order); not
 * thread-safe.
 */
public final class Exchange {
  enum Phase {
    NEW,
    AWAIT_BODY,
    FORWARDED,
    ANSWERED,
    DONE
  }

  final Instant startedAt;
  final long startNanos;
  Phase phase = Phase.NEW;
  RequestHead head;
  String path;
  String encodedPath;
  KeyRecord key;
  io.keybrake.core.vendor.VendorSpec vendor;
  EndpointMatch match;
  CallEstimate estimate;

  /** The agent sent JSON; the vendor gets it form-encoded (the content type changes too). */
  boolean formFromJson;

  /** The data plane says the call never left the machine (no connection was made). */
  boolean neverSent;

  /**
   * guards: in shadow mode, the first refusal the policy would have made (audited, not applied).
   */
  io.keybrake.core.decision.Refusal wouldRefuse;

  long bodyBytes;
  String fingerprint;
  String claimToken;
  ReserveOutcome.Reserved reservation;
  int responseStatus;
  String responseContentType;
  java.util.List<String> dropHeaders = java.util.List.of();

  Exchange(Instant startedAt, long startNanos) {
    this.startedAt = startedAt;
    this.startNanos = startNanos;
  }

  /** True when the call was forwarded and its response has not been settled yet. */
  public boolean awaitingResponse() {
    return phase == Phase.FORWARDED;
  }

  /** The key's id once identified, for logs and metrics (never the secret). */
  public String keyId() {
    return key == null ? null : key.id();
  }
}
