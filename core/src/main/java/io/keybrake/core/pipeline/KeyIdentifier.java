package io.keybrake.core.pipeline;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.KeyPresentation;
import io.keybrake.core.vendor.VendorRegistry;
import io.keybrake.core.vendor.VendorSpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Step 1 of a decision: find the vault key the agent presented (Basic user, Bearer token or a path
 * segment such as Twilio's account SID) and check it is known, not revoked and not expired, and
 * that it was presented the way its vendor's SDKs present keys ({@code key_presentation} of the
 * spec): a Resend key sent as a Basic user, or a Twilio key sent as a Bearer token, is refused.
 * Thread-safe.
 */
final class KeyIdentifier {

  /** The key, or why the call is refused. */
  sealed interface Result {
    record Found(KeyRecord key) implements Result {}

    record Refused(Refusal refusal) implements Result {}
  }

  private final KeyCache keys;
  private final VendorRegistry vendors;

  /** The literal segments before a key path variable, e.g. {@code /Accounts/}. */
  private final List<String> keyPathPrefixes;

  KeyIdentifier(KeyCache keys, VendorRegistry vendors) {
    this.keys = keys;
    this.vendors = vendors;
    this.keyPathPrefixes = keyPathPrefixes(vendors);
  }

  Result identify(RequestHead head, String normalizedPath, Instant now) {
    return identify(head, normalizedPath, now, Optional.empty());
  }

  /**
   * As {@link #identify(RequestHead, String, Instant)}; {@code hostVendor} is the vendor whose host
   * the request was sent to, when the gateway knows it. A key sent to another vendor's host is
   * found here and refused by the pipeline as a vendor mismatch (the clearer answer), so its
   * presentation is checked only on its own vendor's host.
   */
  Result identify(
      RequestHead head, String normalizedPath, Instant now, Optional<String> hostVendor) {
    Set<String> presented = new LinkedHashSet<>();
    Set<KeyPresentation> how = EnumSet.noneOf(KeyPresentation.class);
    for (String auth : head.all("authorization")) {
      Optional<String> key = credentialIn(auth);
      if (key.isPresent()) {
        presented.add(key.get());
        how.add(
            auth.trim().regionMatches(true, 0, "bearer", 0, 6)
                ? KeyPresentation.BEARER
                : KeyPresentation.BASIC_USER);
      }
    }
    for (String prefix : keyPathPrefixes) {
      Optional<String> inPath =
          pathSegmentAfter(normalizedPath, prefix).filter(VaultKeys::looksLikeVaultKey);
      if (inPath.isPresent()) {
        presented.add(inPath.get());
        how.add(KeyPresentation.PATH_SEGMENT);
      }
    }
    if (presented.isEmpty()) {
      return refuse(
          RefusalCode.INVALID_KEY,
          "no vault key presented: send it as the Basic user, as a Bearer token, or as the"
              + " Twilio account SID in the path");
    }
    if (presented.size() > 1) {
      return refuse(RefusalCode.INVALID_KEY, "the request presents more than one credential");
    }
    String secret = presented.iterator().next();
    if (!VaultKeys.looksLikeVaultKey(secret)) {
      return refuse(
          RefusalCode.INVALID_KEY,
          "the credential presented is not a Keybrake vault key (vault_key_…)");
    }
    String hash = VaultKeys.hash(secret);
    Optional<KeyRecord> found = keys.find(hash);
    if (found.isEmpty() || !VaultKeys.constantTimeEquals(found.get().secretHash(), hash)) {
      return refuse(RefusalCode.INVALID_KEY, "unknown vault key");
    }
    KeyRecord key = found.get();
    Optional<VendorSpec> vendor = vendors.find(key.vendor());
    boolean ownHost = hostVendor.map(key.vendor()::equals).orElse(true);
    if (vendor.isPresent() && ownHost) {
      for (KeyPresentation p : how) {
        if (!vendor.get().accepts(p)) {
          return refuse(
              RefusalCode.INVALID_KEY,
              "a "
                  + key.vendor()
                  + " vault key is presented as "
                  + describe(vendor.get().keyPresentation())
                  + ", not as "
                  + describe(List.of(p)));
        }
      }
    }
    if (key.isRevoked()) {
      return refuse(RefusalCode.KEY_REVOKED, "vault key " + key.id() + " has been revoked");
    }
    if (key.isExpiredAt(now)) {
      return refuse(
          RefusalCode.KEY_EXPIRED,
          "vault key " + key.id() + " expired at " + key.expiresAt().orElseThrow());
    }
    return new Result.Found(key);
  }

  private static Result refuse(RefusalCode code, String message) {
    return new Result.Refused(Refusal.of(code, message));
  }

  /** The user of a Basic credential or a Bearer token. */
  static Optional<String> credentialIn(String authorization) {
    String v = authorization.trim();
    int sp = v.indexOf(' ');
    if (sp < 0) {
      return Optional.empty();
    }
    String scheme = v.substring(0, sp).toLowerCase(Locale.ROOT);
    String rest = v.substring(sp + 1).trim();
    if (scheme.equals("bearer")) {
      return rest.isEmpty() ? Optional.empty() : Optional.of(rest);
    }
    if (scheme.equals("basic")) {
      try {
        String decoded = new String(Base64.getDecoder().decode(rest), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        String user = colon < 0 ? decoded : decoded.substring(0, colon);
        return user.isEmpty() ? Optional.empty() : Optional.of(user);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static String describe(List<KeyPresentation> ways) {
    List<String> out = new ArrayList<>();
    for (KeyPresentation p : ways) {
      out.add(
          switch (p) {
            case BASIC_USER -> "the Basic user";
            case BEARER -> "a Bearer token";
            case PATH_SEGMENT -> "a path segment";
          });
    }
    return String.join(" or ", out);
  }

  /**
   * For every vendor whose keys ride in the path: the literal segment before its key variable in
   * each endpoint template ({@code /Accounts/} for Twilio's {@code /Accounts/{AccountSid}/…}).
   */
  static List<String> keyPathPrefixes(VendorRegistry vendors) {
    Set<String> out = new LinkedHashSet<>();
    for (VendorSpec spec : vendors.all()) {
      if (!spec.accepts(KeyPresentation.PATH_SEGMENT) || spec.keyPathVariable().isEmpty()) {
        continue;
      }
      String variable = "{" + spec.keyPathVariable().get() + "}";
      for (EndpointSpec e : spec.endpoints()) {
        String[] segments = e.pathTemplate().split("/", -1);
        for (int i = 2; i < segments.length; i++) {
          if (segments[i].equals(variable) && !segments[i - 1].contains("{")) {
            out.add("/" + segments[i - 1] + "/");
          }
        }
      }
    }
    return List.copyOf(out);
  }

  /** The segment after {@code prefix} (e.g. {@code /Accounts/}), without a {@code .json} tail. */
  static Optional<String> pathSegmentAfter(String path, String prefix) {
    int i = path.indexOf(prefix);
    if (i < 0) {
      return Optional.empty();
    }
    int start = i + prefix.length();
    int end = path.indexOf('/', start);
    String seg = end < 0 ? path.substring(start) : path.substring(start, end);
    if (seg.endsWith(".json")) {
      seg = seg.substring(0, seg.length() - 5);
    }
    return seg.isEmpty() ? Optional.empty() : Optional.of(seg);
  }
}
