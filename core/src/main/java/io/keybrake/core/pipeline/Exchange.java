package io.keybrake.core.pipeline;

import io.keybrake.core.admission.Ticket;
import io.keybrake.core.cost.CallEstimate;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.vendor.EndpointMatch;
import java.time.Instant;
import java.util.Objects;

/**
 * The state of one HTTP exchange as it passes the policy point. Where it stands is one {@link
 * State}; the rest is what the steps learned about the request on the way (written by {@link
 * DecisionPipeline} only, read by the audit row and the rewrite). Owned by one data-plane stream
 * and touched by one thread at a time (ext_proc delivers a stream's messages in order); not
 * thread-safe.
 */
public final class Exchange {

  /** Where an exchange stands. Only {@link Forwarded} holds something to finish. */
  sealed interface State {}

  /** Nothing decided yet. */
  record New() implements State {}

  /** The headers passed (key identified, endpoint in scope); the body is awaited. */
  record Scoped() implements State {}

  /** Admitted and forwarded: the ticket is finished when the response (or the abort) arrives. */
  record Forwarded(Ticket ticket) implements State {
    Forwarded {
      Objects.requireNonNull(ticket);
    }
  }

  /** Answered (refused or replayed) or finished; later messages change nothing. */
  record Done() implements State {}

  static final State NEW = new New();
  static final State SCOPED = new Scoped();
  static final State DONE = new Done();

  final Instant startedAt;
  final long startNanos;
  State state = NEW;
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

  /** The dedup fingerprint of a deduplicated call (its response is kept for replay), else null. */
  String fingerprint;

  /** The admitted reservation, for the audit row; null until admitted. */
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
    return state instanceof Forwarded;
  }

  /** The key's id once identified, for logs and metrics (never the secret). */
  public String keyId() {
    return key == null ? null : key.id();
  }
}
