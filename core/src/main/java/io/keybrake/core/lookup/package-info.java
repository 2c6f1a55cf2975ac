/**
 * The port through which a cost rule reads a vendor object before the call it prices (an invoice's
 * {@code amount_due}, a PaymentIntent's {@code amount}, a price's {@code unit_amount}). The core
 * declares it; the data plane that holds the real credential and reaches the vendor implements it.
 */
package io.keybrake.core.lookup;
