package io.keybrake.core.vendor;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One field of a vendor's real credential, as its spec declares it: the admin API takes it as
 * {@code <vendor>_<name>} (e.g. {@code twilio_account_sid}), the store keeps it encrypted, and the
 * gateway injects it where {@link #inject()} says. Immutable.
 *
 * @param name lower-case field name, e.g. {@code auth_token}
 * @param secret whether the value is secret (masked everywhere; never shown in a key's view)
 * @param pattern what a valid value looks like, if the vendor documents it
 * @param description how a valid value is described in the admin API's error, e.g. {@code "AC"
 *     followed by 32 hex characters}
 * @param inject where the gateway puts the value on the forwarded request
 */
public record CredentialField(
    String name,
    boolean secret,
    Optional<Pattern> pattern,
    String description,
    List<Injection> inject) {
  /** The longest credential value the admin API accepts. */
  public static final int MAX_CHARS = 512;

  public CredentialField {
    Objects.requireNonNull(name);
    Objects.requireNonNull(pattern);
    Objects.requireNonNull(description);
    inject = List.copyOf(inject);
  }

  /** The admin API's field for it on a key of {@code vendor}. */
  public String adminField(String vendor) {
    return vendor + "_" + name;
  }

  /** Whether {@code value} is acceptable: printable ASCII without spaces, matching the pattern. */
  public boolean accepts(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_CHARS) {
      return false;
    }
    if (!value.codePoints().allMatch(c -> c > 0x20 && c < 0x7f)) {
      return false;
    }
    return pattern.map(p -> p.matcher(value).matches()).orElse(true);
  }

  /** Where a credential value goes on the forwarded request. */
  public record Injection(Kind kind, String target) {
    public enum Kind {
      /** The user name of {@code Authorization: Basic}. */
      BASIC_USER,
      /** The password of {@code Authorization: Basic}. */
      BASIC_PASSWORD,
      /** {@code Authorization: Bearer value}. */
      BEARER,
      /** A request header named {@link #target()}. */
      HEADER,
      /** The path segment of the template variable {@link #target()}. */
      PATH
    }

    public Injection {
      Objects.requireNonNull(kind);
      target = target == null ? "" : target;
    }

    /** {@code basic_user}, {@code bearer}, {@code header:X-Api-Key}, {@code path:AccountSid}. */
    public static Injection parse(String text) {
      int colon = text.indexOf(':');
      String head = (colon < 0 ? text : text.substring(0, colon)).trim();
      String target = colon < 0 ? "" : text.substring(colon + 1).trim();
      Kind kind =
          switch (head) {
            case "basic_user" -> Kind.BASIC_USER;
            case "basic_password" -> Kind.BASIC_PASSWORD;
            case "bearer" -> Kind.BEARER;
            case "header" -> Kind.HEADER;
            case "path" -> Kind.PATH;
            default ->
                throw new IllegalArgumentException(
                    "unknown injection '"
                        + text
                        + "' (basic_user, basic_password, bearer, header:<name>, path:<variable>)");
          };
      boolean needsTarget = kind == Kind.HEADER || kind == Kind.PATH;
      if (needsTarget == target.isEmpty()) {
        throw new IllegalArgumentException(
            "injection '" + text + "': " + (needsTarget ? "needs" : "takes no") + " ':<target>'");
      }
      if (kind == Kind.HEADER && !target.matches("[A-Za-z0-9-]+")) {
        throw new IllegalArgumentException("injection '" + text + "': not a header name");
      }
      return new Injection(kind, target);
    }
  }
}
