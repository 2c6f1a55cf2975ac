package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** Which keys a {@link SpendBudget} covers: by labels or by vendor. Mutable bean for Jackson. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "(has(self.labels) && size(self.labels) > 0) != has(self.vendor)",
    message = "a selector names labels or a vendor, exactly one",
    reason = "FieldValueInvalid")
public class BudgetSelector {
  @JsonPropertyDescription("Key labels that must all match.")
  private Map<String, String> labels;

  @Pattern("^(twilio|stripe|resend)$")
  @JsonPropertyDescription("Every key of this vendor.")
  private String vendor;

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public String getVendor() {
    return vendor;
  }

  public void setVendor(String vendor) {
    this.vendor = vendor;
  }
}
