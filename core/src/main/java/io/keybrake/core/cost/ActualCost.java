package io.keybrake.core.cost;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the vendor's response says a call cost. Immutable.
 *
 * @param micros the price, micro-dollars; empty when the vendor gave none (keep the estimate)
 * @param vendorObjectId the id of the object created or read ({@code SM…}, {@code pi_…}, a Resend
 *     email id), if any
 */
public record ActualCost(OptionalLong micros, Optional<String> vendorObjectId) {
  public ActualCost {
    Objects.requireNonNull(micros);
    Objects.requireNonNull(vendorObjectId);
  }

  /** No price and no id. */
  public static ActualCost unknown() {
    return new ActualCost(OptionalLong.empty(), Optional.empty());
  }
}
