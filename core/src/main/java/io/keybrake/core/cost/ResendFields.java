package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.request.FieldAliases;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Refuses a Resend email whose recipients could be read from somewhere Keybrake does not count
 * them: a key that reads as {@code to}, {@code cc} or {@code bcc} once case and invisible
 * characters are set aside ({@code "To"}, {@code "BCC"}, {@code "to\u200b"}), or a recipient header
 * in {@code headers}. Thread-safe (stateless).
 */
final class ResendFields {
  private static final List<String> RECIPIENTS = List.of("to", "cc", "bcc");

  /** Message headers that name recipients. */
  private static final Set<String> RECIPIENT_HEADERS =
      Set.of(
          "to",
          "cc",
          "bcc",
          "resent-to",
          "resent-cc",
          "resent-bcc",
          "apparently-to",
          "envelope-to",
          "x-original-to",
          "delivered-to");

  private ResendFields() {}

  static void check(JsonNode email) throws RequestRejected {
    for (Map.Entry<String, JsonNode> field : email.properties()) {
      String name = field.getKey();
      if (FieldAliases.aliasOf(name, RECIPIENTS).isPresent()) {
        throw FieldAliases.refusal(FieldAliases.stripInvisible(name).toLowerCase(Locale.ROOT));
      }
      if (FieldAliases.stripInvisible(name).equalsIgnoreCase("headers")
          && field.getValue().isObject()) {
        for (Map.Entry<String, JsonNode> h : field.getValue().properties()) {
          String header = FieldAliases.stripInvisible(h.getKey()).toLowerCase(Locale.ROOT);
          if (RECIPIENT_HEADERS.contains(header)) {
            throw Fields.unreadable(
                "recipients may not be set in 'headers' (a "
                    + header
                    + " header there would not be checked); use to, cc and bcc");
          }
        }
      }
    }
  }
}
