package io.keybrake.core.key;

import io.keybrake.core.vendor.CredentialField;
import io.keybrake.core.vendor.VendorSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A real vendor credential, in memory only: stores keep it encrypted, and {@link #toString()} never
 * shows a secret. New keys hold {@link Fields}, the values of the fields the vendor's spec declares
 * ({@link VendorSpec#credential()}); {@link Twilio} and {@link ApiKey} are the shapes rows written
 * before vendor specs declared credentials still decrypt to. Read every shape through {@link
 * #values(VendorSpec)}.
 */
public sealed interface VendorCredential {

  /**
   * The value of every credential field of {@code spec}, by field name.
   *
   * @throws IllegalStateException when this credential does not have the spec's fields
   */
  Map<String, String> values(VendorSpec spec);

  /** The value of one field of {@code spec}'s credential. */
  default String value(VendorSpec spec, String field) {
    String v = values(spec).get(field);
    if (v == null) {
      throw new IllegalStateException("credential has no field " + field + " of " + spec.id());
    }
    return v;
  }

  /** Values by field name, as the vendor's spec names the fields. */
  record Fields(Map<String, String> fields) implements VendorCredential {
    public Fields {
      fields = Map.copyOf(fields);
    }

    @Override
    public Map<String, String> values(VendorSpec spec) {
      for (CredentialField f : spec.credential()) {
        if (!fields.containsKey(f.name())) {
          throw new IllegalStateException(
              "credential lacks field " + f.name() + " of vendor " + spec.id());
        }
      }
      return fields;
    }

    @Override
    public String toString() {
      return "Fields" + fields.keySet() + "[***]";
    }
  }

  /**
   * Twilio, as stored before specs declared credentials: the account SID goes into the path and the
   * Basic user, the auth token is the password.
   */
  record Twilio(String accountSid, String authToken) implements VendorCredential {
    @Override
    public Map<String, String> values(VendorSpec spec) {
      Map<String, String> out = new LinkedHashMap<>();
      out.put("account_sid", accountSid);
      out.put("auth_token", authToken);
      return out;
    }

    @Override
    public String toString() {
      return "Twilio[accountSid=" + accountSid + ", authToken=***]";
    }
  }

  /**
   * One secret (a Stripe secret key, a Resend API key), as stored before specs declared
   * credentials: the value of the spec's one credential field.
   */
  record ApiKey(String secret) implements VendorCredential {
    public ApiKey {
      Objects.requireNonNull(secret);
    }

    @Override
    public Map<String, String> values(VendorSpec spec) {
      if (spec.credential().size() != 1) {
        throw new IllegalStateException(
            "a single-secret credential does not fit vendor " + spec.id());
      }
      return Map.of(spec.credential().get(0).name(), secret);
    }

    @Override
    public String toString() {
      return "ApiKey[***]";
    }
  }
}
