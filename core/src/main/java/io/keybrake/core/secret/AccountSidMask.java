package io.keybrake.core.secret;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.vendor.CredentialField;
import io.keybrake.core.vendor.VendorSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Keeps a Twilio key's real Account SID out of the vendor answers passed back to the agent: every
 * occurrence in the response body and header values ({@code account_sid}, {@code uri}, {@code
 * subresource_uris}, paging URIs, {@code Location}) becomes the key's public id ({@code key_…}).
 *
 * <p>The key id, not the vault key the agent presented: an answer lands in agent logs and LLM
 * transcripts, where a vault key must not. The id is public (it names the key in {@code GET
 * /keys/{id}} and the audit log) and works where the SID worked: a URI the SDK follows, with the
 * key id as its account segment, reaches the gateway with the vault key as the Basic user, and the
 * gateway puts the real SID back in the path (as it does for any account segment). Stateless and
 * thread-safe.
 */
public final class AccountSidMask {
  private final byte[] real;
  private final byte[] shown;

  private AccountSidMask(String real, String shown) {
    this.real = real.getBytes(StandardCharsets.UTF_8);
    this.shown = shown.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The mask for {@code key}'s answers: for a vendor whose spec puts a credential field into the
   * request path (Twilio's {@code account_sid} as {@code path:AccountSid}), the vendor echoes that
   * identifier in its answers, so its value is masked; other vendors' answers hold none.
   */
  public static Optional<AccountSidMask> of(KeyRecord key, VendorSpec spec) {
    if (key == null || spec == null) {
      return Optional.empty();
    }
    for (CredentialField field : spec.credential()) {
      boolean inPath =
          field.inject().stream().anyMatch(i -> i.kind() == CredentialField.Injection.Kind.PATH);
      if (!inPath) {
        continue;
      }
      String value;
      try {
        value = key.credential().values(spec).get(field.name());
      } catch (IllegalStateException e) {
        return Optional.empty();
      }
      if (value != null && !value.isEmpty()) {
        return Optional.of(new AccountSidMask(value, key.id()));
      }
    }
    return Optional.empty();
  }

  /** {@code body} with every real SID replaced; the same array when it holds none. */
  public byte[] body(byte[] body) {
    int at = indexOf(body, 0);
    if (at < 0) {
      return body;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
    int from = 0;
    while (at >= 0) {
      out.write(body, from, at - from);
      out.writeBytes(shown);
      from = at + real.length;
      at = indexOf(body, from);
    }
    out.write(body, from, body.length - from);
    return out.toByteArray();
  }

  /** {@code value} with every real SID replaced; the same string when it holds none. */
  public String text(String value) {
    String r = new String(real, StandardCharsets.UTF_8);
    return value == null || !value.contains(r)
        ? value
        : value.replace(r, new String(shown, StandardCharsets.UTF_8));
  }

  private int indexOf(byte[] hay, int from) {
    outer:
    for (int i = from; i <= hay.length - real.length; i++) {
      for (int j = 0; j < real.length; j++) {
        if (hay[i + j] != real[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public String toString() {
    return "AccountSidMask[shown=" + new String(shown, StandardCharsets.UTF_8) + "]";
  }
}
