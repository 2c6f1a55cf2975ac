package io.keybrake.harness.envoy;

/**
 * {@code Phase} names the points of one HTTP exchange at which Envoy talks to the external
 * processor, plus {@link #UPSTREAM}, the moment the vendor cluster has answered.
 *
 * <p>Used by {@link HttpRequest#cancelAfter(Phase)}: the client sends the message of that phase
 * (or, for {@code UPSTREAM}, lets the vendor answer) and then goes away, as a downstream client
 * that disconnects does. Immutable and thread-safe.
 */
public enum Phase {
  /** {@code request_headers} was sent; no answer is awaited. */
  REQUEST_HEADERS,
  /** {@code request_body} was sent; no answer is awaited. */
  REQUEST_BODY,
  /** The upstream (vendor) answered; {@code response_headers} is never sent. */
  UPSTREAM,
  /** {@code response_headers} was sent; no answer is awaited. */
  RESPONSE_HEADERS,
  /** {@code response_body} was sent; no answer is awaited. */
  RESPONSE_BODY
}
