package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A fleet or vendor budget (admin API {@code POST /budgets}): a daily and/or monthly cap over every
 * key its selector matches. Mutable bean for Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.dailyUsdCap) || has(self.monthlyUsdCap)",
    message = "a budget needs dailyUsdCap or monthlyUsdCap",
    reason = "FieldValueRequired")
@ValidationRule(
    value = "self == oldSelf",
    message = "a SpendBudget cannot change; create a new one and delete this one",
    reason = "FieldValueForbidden")
public class SpendBudgetSpec {
  @Required
  @JsonPropertyDescription("The keys the budget covers.")
  private BudgetSelector selector;

  @Pattern(Money.USD_PATTERN)
  @Size(max = Money.MAX_CHARS)
  @ValidationRule(value = "double(self) > 0.0", message = "dailyUsdCap must be greater than 0")
  @JsonPropertyDescription("Daily cap over all covered keys, in USD (UTC days).")
  private String dailyUsdCap;

  @Pattern(Money.USD_PATTERN)
  @Size(max = Money.MAX_CHARS)
  @ValidationRule(value = "double(self) > 0.0", message = "monthlyUsdCap must be greater than 0")
  @JsonPropertyDescription("Monthly cap over all covered keys, in USD (calendar months, UTC).")
  private String monthlyUsdCap;

  public BudgetSelector getSelector() {
    return selector;
  }

  public void setSelector(BudgetSelector selector) {
    this.selector = selector;
  }

  public String getDailyUsdCap() {
    return dailyUsdCap;
  }

  public void setDailyUsdCap(String dailyUsdCap) {
    this.dailyUsdCap = dailyUsdCap;
  }

  public String getMonthlyUsdCap() {
    return monthlyUsdCap;
  }

  public void setMonthlyUsdCap(String monthlyUsdCap) {
    this.monthlyUsdCap = monthlyUsdCap;
  }
}
