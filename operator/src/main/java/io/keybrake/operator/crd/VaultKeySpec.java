package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Map;

/** One concrete vault key under a {@link SpendPolicy}. Mutable bean for Jackson. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VaultKeySpec {
  static final String NAME = "^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$";

  @Required
  @Pattern(NAME)
  @JsonPropertyDescription("The SpendPolicy (same namespace) the key is issued under.")
  private String policy;

  @Pattern(NAME)
  @JsonPropertyDescription(
      "The Secret (owned by this VaultKey) the key is written to, under vault_key; default"
          + " <name>-vault-key.")
  private String secretName;

  @Size(max = 64)
  @JsonPropertyDescription("Labels added to the policy's for this key.")
  private Map<String, String> labels;

  public String getPolicy() {
    return policy;
  }

  public void setPolicy(String policy) {
    this.policy = policy;
  }

  public String getSecretName() {
    return secretName;
  }

  public void setSecretName(String secretName) {
    this.secretName = secretName;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }
}
