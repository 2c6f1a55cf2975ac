package io.keybrake.core.key;

/**
 * A real vendor credential, in memory only: stores keep it encrypted, and {@link #toString()} never
 * shows the secret.
 */
public sealed interface VendorCredential {

  /**
   * Twilio: the account SID goes into the path and the Basic user, the auth token is the password.
   */
  record Twilio(String accountSid, String authToken) implements VendorCredential {
    @Override
    public String toString() {
      return "Twilio[accountSid=" + accountSid + ", authToken=***]";
    }
  }

  /** Stripe secret key or Resend API key, sent as {@code Authorization: Bearer …}. */
  record ApiKey(String secret) implements VendorCredential {
    @Override
    public String toString() {
      return "ApiKey[***]";
    }
  }
}
