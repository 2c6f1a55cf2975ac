package io.keybrake.extproc.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the {@code response.flags} attribute Envoy sends with the response headers (the filter asks
 * for it with {@code response_attributes}) and says whether the request surely never reached the
 * vendor. Envoy's attributes arrive in {@code ProcessingRequest.attributes} under the filter's
 * name, {@code envoy.filters.http.ext_proc}; {@code response.flags} is an integer bit vector, the
 * bits of Envoy's response flags (the access log's {@code %RESPONSE_FLAGS%}). Stateless.
 */
final class EnvoyResponseFlags {
  private static final Logger log = LoggerFactory.getLogger(EnvoyResponseFlags.class);

  /** The key Envoy files the attributes of this filter under. */
  static final String ATTRIBUTES_KEY = "envoy.filters.http.ext_proc";

  static final String FLAGS = "response.flags";
  static final String CODE_DETAILS = "response.code_details";

  /** UH: no healthy upstream host, nothing was sent. */
  static final long NO_HEALTHY_UPSTREAM = 1L << 1;

  /** UF: the connection to the upstream failed, nothing was sent. */
  static final long UPSTREAM_CONNECTION_FAILURE = 1L << 5;

  /** UO: the upstream's circuit breaker refused, nothing was sent. */
  static final long UPSTREAM_OVERFLOW = 1L << 7;

  /** NR: no route, nothing was sent. */
  static final long NO_ROUTE_FOUND = 1L << 8;

  /** NC: no cluster, nothing was sent. */
  static final long NO_CLUSTER_FOUND = 1L << 24;

  /** DF: the upstream's name did not resolve, nothing was sent. */
  static final long DNS_RESOLUTION_FAILURE = 1L << 26;

  /** Flags that each mean the request never reached the upstream. */
  static final long NEVER_SENT =
      NO_HEALTHY_UPSTREAM
          | UPSTREAM_CONNECTION_FAILURE
          | UPSTREAM_OVERFLOW
          | NO_ROUTE_FOUND
          | NO_CLUSTER_FOUND
          | DNS_RESOLUTION_FAILURE;

  private EnvoyResponseFlags() {}

  /**
   * Whether Envoy says the request never reached the upstream: at least one flag of {@link
   * #NEVER_SENT} and no other flag. Any other flag (a timeout, a reset, a retry limit: URX means an
   * earlier attempt may have been sent) keeps the reservation, as does a missing attribute.
   */
  static boolean neverSent(ProcessingRequest request) {
    Struct attributes = request.getAttributesMap().get(ATTRIBUTES_KEY);
    if (attributes == null) {
      return false;
    }
    Value flags = attributes.getFieldsMap().get(FLAGS);
    if (flags == null) {
      return false;
    }
    long bits;
    if (flags.getKindCase() == Value.KindCase.NUMBER_VALUE) {
      bits = (long) flags.getNumberValue();
    } else if (flags.getKindCase() == Value.KindCase.STRING_VALUE) {
      try {
        bits = Long.parseLong(flags.getStringValue().strip());
      } catch (NumberFormatException e) {
        return false;
      }
    } else {
      return false;
    }
    boolean never = bits != 0 && (bits & ~NEVER_SENT) == 0;
    if (never) {
      Value details = attributes.getFieldsMap().get(CODE_DETAILS);
      log.debug(
          "Envoy did not reach the vendor (response.flags {}, {}): the reservation is released",
          bits,
          details == null ? "no code details" : details.getStringValue());
    }
    return never;
  }
}
