package io.keybrake.core.policy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Validates the policy fields that widen a key's reach beyond what Keybrake can see: {@code
 * allowed_twiml_urls} (TwiML a Twilio call may fetch later) and {@code allowed_accounts} (Stripe
 * connected accounts). Stateless and thread-safe.
 */
final class ScopeFields {
  static final String TWIML_URLS = "allowed_twiml_urls";
  static final String ACCOUNTS = "allowed_accounts";

  private static final Pattern ACCOUNT = Pattern.compile("acct_[A-Za-z0-9]{1,64}");
  private static final int MAX_URL_CHARS = 512;

  private ScopeFields() {}

  /**
   * Each entry must be an {@code https} URL with a host and a path (at least {@code "/"}), without
   * user info, query or fragment, so a prefix cannot be extended into another host ({@code
   * https://example.com} would match {@code https://example.com.evil.net}).
   */
  static List<String> twimlUrls(List<String> raw) throws Invalid {
    String shape =
        "must hold https URL prefixes with a host and a path, e.g."
            + " \"https://hooks.example.com/twiml/\"";
    List<String> out = new ArrayList<>();
    for (String s : raw) {
      if (s.length() > MAX_URL_CHARS || !s.codePoints().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new Invalid(TWIML_URLS, shape);
      }
      URI uri;
      try {
        uri = new URI(s);
      } catch (URISyntaxException e) {
        throw new Invalid(TWIML_URLS, shape);
      }
      if (!"https".equalsIgnoreCase(uri.getScheme())
          || uri.getHost() == null
          || uri.getRawUserInfo() != null
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null
          || uri.getRawPath() == null
          || !uri.getRawPath().startsWith("/")) {
        throw new Invalid(TWIML_URLS, shape);
      }
      // scheme and host are case-insensitive: store them lower case, as the matcher compares
      String head = "https://" + uri.getRawAuthority().toLowerCase(Locale.ROOT);
      out.add(
          head + s.substring(s.indexOf(uri.getRawAuthority()) + uri.getRawAuthority().length()));
    }
    return List.copyOf(new LinkedHashSet<>(out));
  }

  /** Each entry must be a Stripe account id, {@code acct_} and letters or digits. */
  static List<String> accounts(List<String> raw) throws Invalid {
    for (String s : raw) {
      if (!ACCOUNT.matcher(s).matches()) {
        throw new Invalid(
            ACCOUNTS, "must hold Stripe account ids such as \"acct_1032D82eZvKYlo2C\"");
      }
    }
    return List.copyOf(new LinkedHashSet<>(raw));
  }

  /** A field that is not valid; caught by the parser and turned into its answer. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    final String field;
    final String reason;

    Invalid(String field, String reason) {
      super(field + " " + reason, null, false, false);
      this.field = field;
      this.reason = reason;
    }
  }
}
