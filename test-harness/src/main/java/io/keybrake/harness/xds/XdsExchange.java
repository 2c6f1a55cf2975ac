package io.keybrake.harness.xds;

/**
 * One response received and how the client answered it.
 *
 * @param typeUrl resource type of the response
 * @param version the response's {@code version_info}
 * @param nonce the response's nonce
 * @param accepted true for an ACK, false for a NACK
 * @param error the NACK's {@code error_detail.message}, empty for an ACK
 * @param receivedNanos {@link System#nanoTime()} when the response arrived
 */
public record XdsExchange(
    String typeUrl,
    String version,
    String nonce,
    boolean accepted,
    String error,
    long receivedNanos) {}
