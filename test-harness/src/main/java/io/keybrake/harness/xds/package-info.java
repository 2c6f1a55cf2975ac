/**
 * An Envoy-faithful xDS client: an ADS stream opened, ACKed and NACKed the way Envoy does, with
 * every resource checked against Envoy's protos, so tests see what Envoy would accept.
 */
package io.keybrake.harness.xds;
