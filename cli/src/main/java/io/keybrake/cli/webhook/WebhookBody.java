package io.keybrake.cli.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.core.money.Micros;
import io.keybrake.core.notify.ThresholdEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The JSON body of a budget threshold webhook, or its Slack-compatible form ({@code {"text": …}},
 * accepted by Slack incoming webhooks and most chat tools). Stateless.
 */
final class WebhookBody {
  private static final ObjectMapper JSON = new ObjectMapper();

  private WebhookBody() {}

  static byte[] of(ThresholdEvent e, boolean slack) {
    ObjectNode o = JSON.createObjectNode();
    if (slack) {
      o.put("text", text(e));
    } else {
      o.put("type", "budget.threshold");
      o.put("id", e.id());
      o.put("percent", e.percent());
      o.put("budget", e.budget());
      if (e.scope().startsWith("key:")) {
        o.put("key_id", e.scope().substring(4));
      } else if (e.scope().startsWith("budget:")) {
        o.put("budget_name", e.scope().substring(7));
      }
      o.put("spent_usd", Micros.toUsd(e.spentMicros()));
      o.put("cap_usd", Micros.toUsd(e.capMicros()));
      o.put(
          "window_start",
          e.windowStart().equals(Instant.EPOCH) ? null : e.windowStart().toString());
      o.put("window_end", e.windowEnd().equals(Instant.MAX) ? null : e.windowEnd().toString());
      o.put("at", e.at().toString());
    }
    try {
      return JSON.writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static String text(ThresholdEvent e) {
    String who =
        e.scope().startsWith("key:")
            ? "key " + e.scope().substring(4) + " (" + e.budget() + ")"
            : "budget " + e.budget();
    return (e.percent() >= 100 ? ":rotating_light: " : ":warning: ")
        + "Keybrake: "
        + who
        + " reached "
        + e.percent()
        + " % of its cap: $"
        + Micros.format(e.spentMicros())
        + " of $"
        + Micros.format(e.capMicros())
        + (e.percent() >= 100 ? "; further calls are refused (429 cap_exhausted)" : "");
  }
}
