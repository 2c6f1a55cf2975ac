package io.keybrake.controlplane.xds;

import java.time.Instant;

/**
 * A configuration an Envoy refused: the response it NACKed and why.
 *
 * @param nodeId the Envoy node id
 * @param group its snapshot group
 * @param typeUrl the resource type of the refused response
 * @param rejectedVersion the version that was refused ({@code ""} if unknown)
 * @param message Envoy's {@code error_detail.message}
 * @param at when the NACK arrived
 */
public record XdsNack(
    String nodeId,
    String group,
    String typeUrl,
    String rejectedVersion,
    String message,
    Instant at) {}
