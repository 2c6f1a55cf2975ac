/**
 * Price data loaded from {@code pricing/*.yaml}, each file naming its source and date: Twilio and
 * Resend list prices ({@link io.keybrake.core.pricing.PriceTable}) and currency exponents and USD
 * rates ({@link io.keybrake.core.pricing.Currencies}).
 */
package io.keybrake.core.pricing;
