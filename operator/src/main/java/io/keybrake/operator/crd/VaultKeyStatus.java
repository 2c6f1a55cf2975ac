package io.keybrake.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A {@link VaultKey}'s status: phase ({@code Pending}, {@code Active}, {@code Revoked}, {@code
 * Expired}), the key's public id, the Secret holding it, today's spend and the last decision. Never
 * the key itself. Mutable bean for Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VaultKeyStatus extends SpendStatus {
  public static final String PENDING = "Pending";
  public static final String ACTIVE = "Active";
  public static final String REVOKED = "Revoked";
  public static final String EXPIRED = "Expired";

  private String keyId;
  private String secretName;
  private String expiresAt;
  private String lastDecision;

  public String getKeyId() {
    return keyId;
  }

  public void setKeyId(String keyId) {
    this.keyId = keyId;
  }

  public String getSecretName() {
    return secretName;
  }

  public void setSecretName(String secretName) {
    this.secretName = secretName;
  }

  public String getExpiresAt() {
    return expiresAt;
  }

  public void setExpiresAt(String expiresAt) {
    this.expiresAt = expiresAt;
  }

  public String getLastDecision() {
    return lastDecision;
  }

  public void setLastDecision(String lastDecision) {
    this.lastDecision = lastDecision;
  }
}
