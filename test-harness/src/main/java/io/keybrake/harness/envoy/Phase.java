package io.keybrake.harness.envoy;

/**
 * {@code Phase} names the points of one HTTP exchange at which Envoy talks to the external
 * processor, plus {@link #UPSTREAM}, the moment the vendor cluster has answered.
 *
 * <p>Used by {@link HttpRequest#cancelAfter(Phase)}: the client sends the message of that phase,
 * waits until the processor answers it or {@code message_timeout} passes (the answer is recorded
 * but never applied, so the processor surely received the message), then goes away: the stream is
 * half-closed and reset and the processor sees CANCELLED. For {@code UPSTREAM}, the client goes
 * away once the vendor has answered, before {@code response_headers}. Immutable and thread-safe.
 */
public enum Phase {
  /** After {@code request_headers}: the request never reaches the vendor. */
  REQUEST_HEADERS,
  /** After {@code request_body}: the request never reaches the vendor. */
  REQUEST_BODY,
  /** The upstream (vendor) answered; {@code response_headers} is never sent. */
  UPSTREAM,
  /** After {@code response_headers}: the vendor acted, the client never sees the answer. */
  RESPONSE_HEADERS,
  /** After {@code response_body}: the vendor acted, the client never sees the answer. */
  RESPONSE_BODY
}
