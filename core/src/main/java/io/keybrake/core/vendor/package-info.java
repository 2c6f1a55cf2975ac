/**
 * Vendors as data: {@code vendors/*.yaml} specs (upstream, key presentation, endpoints with a body
 * format and a cost rule) and matching of a normalized request to an endpoint.
 */
package io.keybrake.core.vendor;
