/**
 * The cost rules: an estimate before the call ({@link io.keybrake.core.cost.CallEstimate}) and the
 * vendor's own price after it ({@link io.keybrake.core.cost.ActualCost}).
 */
package io.keybrake.core.cost;
