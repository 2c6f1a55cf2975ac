package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A vendor and the Secret (same namespace) that holds its real credential. The Secret's keys are
 * fixed per vendor: Twilio {@code account_sid} and {@code auth_token}; Stripe {@code secret_key};
 * Resend {@code api_key}; a vendor defined by a spec (a VendorSpec) the names of its credential
 * fields. Mutable bean for Jackson.
 */
public class VendorCredentialSpec {
  @Required
  @Pattern("^[a-z][a-z0-9]{0,31}$")
  @JsonPropertyDescription(
      "The vendor: twilio, stripe, resend, or the id of a vendor defined by a VendorSpec.")
  private String vendor;

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
  @JsonPropertyDescription(
      "Name of the Secret in this namespace holding the credential (twilio: account_sid,"
          + " auth_token; stripe: secret_key; resend: api_key; a VendorSpec's vendor: its"
          + " credential field names).")
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
