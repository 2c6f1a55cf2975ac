package io.keybrake.core.cost;

import io.keybrake.core.destination.Destination;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a call is expected to cost before it is forwarded. Immutable.
 *
 * @param micros the estimate to reserve, micro-dollars
 * @param destinations phone numbers / email addresses the call sends to, for the destination policy
 *     and the dedup fingerprint
 * @param canonicalBody the body in canonical form (sorted fields / keys), {@code ""} for none
 * @param rewrittenBody the body to forward instead of the original (e.g. Twilio {@code TimeLimit}
 *     injected), if it must change
 * @param detail a short human text, e.g. {@code "2 segments x US $0.0083"}
 */
public record CallEstimate(
    long micros,
    List<Destination> destinations,
    String canonicalBody,
    Optional<byte[]> rewrittenBody,
    String detail) {
  public CallEstimate {
    destinations = List.copyOf(destinations);
    Objects.requireNonNull(canonicalBody);
    Objects.requireNonNull(rewrittenBody);
    Objects.requireNonNull(detail);
  }

  /** This estimate, forwarding {@code body} instead of the body received. */
  public CallEstimate withRewrittenBody(byte[] body) {
    return new CallEstimate(micros, destinations, canonicalBody, Optional.of(body), detail);
  }
}
