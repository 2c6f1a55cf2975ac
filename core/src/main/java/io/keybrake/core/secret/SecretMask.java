package io.keybrake.core.secret;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one function that keeps secrets out of everything Keybrake writes down or answers: audit
 * rows, refusal bodies, admin answers, log lines. It replaces every vault key, Twilio account SID
 * and vendor credential it recognises in a text by its kind followed by {@code ****}, e.g. {@code
 * /2010-04-01/Accounts/vault_key_****}{@code /Calls.xml}. Apply it at the edge, where a text built
 * from agent input (a path, a header, a body field) leaves the process; idempotent, so applying it
 * twice is harmless. Stateless and thread-safe.
 *
 * <p>Recognised: vault keys ({@code vault_key_…}, also percent-encoded and in any case), Twilio
 * account SIDs ({@code AC} + 32 hex), Stripe secret, restricted and webhook keys ({@code sk_…},
 * {@code rk_…}, {@code whsec_…}), Resend API keys ({@code re_…}), Twilio auth tokens (32 lower-case
 * hex characters standing alone) and the credential after {@code Basic} or {@code Bearer}.
 */
public final class SecretMask {
  /** What replaces the secret part of a recognised credential. */
  public static final String MASK = "****";

  private static final Pattern SECRETS =
      Pattern.compile(
          // 1: vault keys, percent-encoded or not; the secret is whatever follows the prefix
          "(?<vault>(?i:vault(?:_|%5f)key(?:_|%5f))(?:[A-Za-z0-9]|%[0-9A-Fa-f]{2})+)"
              // 2: Twilio account SIDs
              + "|(?<sid>\\bAC[0-9a-fA-F]{32}\\b)"
              // 3: Stripe secret / restricted / webhook keys, Resend keys
              + "|\\b(?<prefix>sk_|rk_|whsec_|re_)[A-Za-z0-9_]{6,}"
              // 4: a credential after an HTTP auth scheme (long enough not to be a word)
              + "|\\b(?<scheme>(?i:basic|bearer))(?<space>\\s+)[A-Za-z0-9+/=._~-]{16,}"
              // 5: Twilio auth tokens (and any other bare 128-bit hex secret)
              + "|(?<hex>\\b[0-9a-f]{32}\\b)");

  private SecretMask() {}

  /** {@code text} with every recognised secret masked; null stays null. */
  public static String mask(String text) {
    if (text == null || text.length() < 8) {
      return text;
    }
    Matcher m = SECRETS.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    do {
      m.appendReplacement(out, Matcher.quoteReplacement(replacement(m)));
    } while (m.find());
    m.appendTail(out);
    return out.toString();
  }

  /** Whether {@code text} holds anything {@link #mask} would change. */
  public static boolean containsSecret(String text) {
    return text != null && !mask(text).equals(text);
  }

  private static String replacement(Matcher m) {
    if (m.group("vault") != null) {
      return "vault_key_" + MASK;
    }
    if (m.group("sid") != null) {
      return "AC" + MASK;
    }
    if (m.group("prefix") != null) {
      return m.group("prefix") + MASK;
    }
    if (m.group("scheme") != null) {
      return m.group("scheme") + m.group("space") + MASK;
    }
    return MASK;
  }
}
