package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** Where a {@link SpendPolicy} finds its {@link VendorCredential}. Mutable bean for Jackson. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CredentialReference {
  @Required
  @JsonPropertyDescription("Name of the VendorCredential.")
  private String name;

  @JsonPropertyDescription(
      "Namespace of the VendorCredential (the platform team's); defaults to the policy's own.")
  private String namespace;

  public CredentialReference() {}

  public CredentialReference(String name, String namespace) {
    this.name = name;
    this.namespace = namespace;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CredentialReference r
        && Objects.equals(name, r.name)
        && Objects.equals(namespace, r.namespace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, namespace);
  }
}
