/**
 * The xDS control plane: ADS over java-control-plane's {@code V3DiscoveryServer}, snapshots of the
 * egress listener (ext_proc then router), one TLS cluster per vendor, the ext_proc cluster and one
 * route per active vault key, republished whenever the set of active keys changes.
 */
package io.keybrake.controlplane.xds;
