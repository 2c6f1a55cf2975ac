package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * The optional {@code webhook_url} of {@code POST /budgets}: parsed, and shown masked (a chat
 * webhook's path is its secret token). Stateless.
 */
final class BudgetWebhookField {
  private BudgetWebhookField() {}

  /** Empty when absent or null; the URL; or null when it is not an http(s) URL. */
  static Optional<URI> parse(JsonNode v) {
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual() || v.asText().length() > 2048) {
      return null;
    }
    try {
      URI u = new URI(v.asText().trim());
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
        return null;
      }
      return Optional.of(u);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** {@code scheme://host[:port]/…}: enough to recognise the target, not to call it. */
  static String masked(URI u) {
    return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "") + "/…";
  }
}
