package io.keybrake.core.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.money.Micros;
import io.keybrake.core.pricing.PriceTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Resend cost rules: one email per recipient ({@code to} + {@code cc} + {@code bcc}), summed over a
 * batch. Thread-safe (stateless).
 */
final class ResendCosts {
  private ResendCosts() {}

  static CallEstimate email(JsonNode body, String canonical, PriceTable prices)
      throws RequestRejected {
    List<Destination> recipients = recipients(body);
    return priced(recipients, 1, canonical, prices);
  }

  static CallEstimate batch(JsonNode body, String canonical, PriceTable prices)
      throws RequestRejected {
    if (!body.isArray() || body.isEmpty()) {
      throw Fields.unreadable("a Resend batch must be a non-empty JSON array of emails");
    }
    List<Destination> recipients = new ArrayList<>();
    for (JsonNode email : body) {
      recipients.addAll(recipients(email));
    }
    return priced(recipients, body.size(), canonical, prices);
  }

  private static CallEstimate priced(
      List<Destination> recipients, int emails, String canonical, PriceTable prices) {
    long price = prices.resendEmailMicros();
    String head = emails == 1 ? "" : emails + " emails, ";
    String detail =
        head
            + recipients.size()
            + (recipients.size() == 1 ? " recipient" : " recipients")
            + " x $"
            + Micros.format(price);
    return new CallEstimate(
        Math.multiplyExact(price, recipients.size()),
        recipients,
        canonical,
        Optional.empty(),
        detail);
  }

  private static List<Destination> recipients(JsonNode email) throws RequestRejected {
    if (!email.isObject()) {
      throw Fields.unreadable("a Resend email must be a JSON object");
    }
    ResendFields.check(email);
    List<Destination> out = new ArrayList<>();
    addAll(email.get("to"), "to", true, out);
    addAll(email.get("cc"), "cc", false, out);
    addAll(email.get("bcc"), "bcc", false, out);
    return out;
  }

  private static void addAll(JsonNode node, String field, boolean required, List<Destination> out)
      throws RequestRejected {
    if (node == null || node.isNull()) {
      if (required) {
        throw Fields.unreadable("field '" + field + "' is required (the recipients)");
      }
      return;
    }
    List<JsonNode> values = new ArrayList<>();
    if (node.isArray()) {
      node.forEach(values::add);
    } else {
      values.add(node);
    }
    if (required && values.isEmpty()) {
      throw Fields.unreadable("field '" + field + "' has no recipients");
    }
    for (JsonNode v : values) {
      if (!v.isTextual()) {
        throw Fields.unreadable("field '" + field + "' must be a string or an array of strings");
      }
      out.add(Destination.Email.parse(v.asText()));
    }
  }
}
