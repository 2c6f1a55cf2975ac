package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A vendor and the Secret (same namespace) that holds its real credential. The Secret's keys are
 * fixed per vendor: Twilio {@code account_sid} and {@code auth_token}; Stripe {@code secret_key};
 * Resend {@code api_key}. Mutable bean for Jackson.
 */
public class VendorCredentialSpec {
  @Required
  @Pattern("^(twilio|stripe|resend)$")
  @JsonPropertyDescription("The vendor: twilio, stripe or resend.")
  private String vendor;

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
  @JsonPropertyDescription(
      "Name of the Secret in this namespace holding the credential (twilio: account_sid,"
          + " auth_token; stripe: secret_key; resend: api_key).")
  private String secretName;

  public String getVendor() {
    return vendor;
  }

  public void setVendor(String vendor) {
    this.vendor = vendor;
  }

  public String getSecretName() {
    return secretName;
  }

  public void setSecretName(String secretName) {
    this.secretName = secretName;
  }
}
