package io.keybrake.core.pipeline;

import io.keybrake.core.decision.Refusal;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.key.KeyCache;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.VaultKeys;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Step 1 of a decision: find the vault key the agent presented (Basic user, Bearer token or the
 * Twilio path's account segment) and check it is known, not revoked and not expired. Thread-safe.
 */
final class KeyIdentifier {
  private static final String ACCOUNTS = "/Accounts/";

  /** The key, or why the call is refused. */
  sealed interface Result {
    record Found(KeyRecord key) implements Result {}

    record Refused(Refusal refusal) implements Result {}
  }

  private final KeyCache keys;

  KeyIdentifier(KeyCache keys) {
    this.keys = keys;
  }

  Result identify(RequestHead head, String normalizedPath, Instant now) {
    Set<String> presented = new LinkedHashSet<>();
    for (String auth : head.all("authorization")) {
      credentialIn(auth).ifPresent(presented::add);
    }
    pathAccount(normalizedPath).filter(VaultKeys::looksLikeVaultKey).ifPresent(presented::add);
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

  /** The segment after {@code /Accounts/} in a Twilio path. */
  static Optional<String> pathAccount(String path) {
    int i = path.indexOf(ACCOUNTS);
    if (i < 0) {
      return Optional.empty();
    }
    int start = i + ACCOUNTS.length();
    int end = path.indexOf('/', start);
    String seg = end < 0 ? path.substring(start) : path.substring(start, end);
    if (seg.endsWith(".json")) {
      seg = seg.substring(0, seg.length() - 5);
    }
    return seg.isEmpty() ? Optional.empty() : Optional.of(seg);
  }
}
