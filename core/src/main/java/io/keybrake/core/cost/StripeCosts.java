package io.keybrake.core.cost;

import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.Currencies;
import io.keybrake.core.request.FormBody;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Stripe cost rules: the {@code amount} of a money-moving POST in USD. Thread-safe. */
final class StripeCosts {
  private StripeCosts() {}

  static CallEstimate amount(FormBody form, String canonical, Currencies currencies)
      throws RequestRejected {
    String why = "to price this Stripe call";
    long amount = Fields.whole(Fields.required(form, "amount", why), "amount");
    String currency = Fields.required(form, "currency", why);
    return priced(amount, currency, canonical, currencies);
  }

  static CallEstimate priced(long amount, String currency, String canonical, Currencies currencies)
      throws RequestRejected {
    long micros = currencies.toUsdMicros(amount, currency);
    String detail = describe(amount, currency, micros, currencies);
    return new CallEstimate(micros, List.of(), canonical, Optional.empty(), detail);
  }

  /** {@code "1000 JPY minor units (exponent 0) = $6.700000"}. */
  static String describe(long amount, String currency, long micros, Currencies currencies)
      throws RequestRejected {
    return amount
        + " "
        + currency.toUpperCase(Locale.ROOT)
        + " minor units (exponent "
        + currencies.exponent(currency)
        + ") = $"
        + Micros.format(micros);
  }
}
