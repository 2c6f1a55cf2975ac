package io.keybrake.core.twiml;

import java.util.Objects;

/**
 * A URL whose TwiML Twilio fetches and runs later, out of Keybrake's sight: {@code <Redirect>}, and
 * the {@code action}, {@code url} and {@code waitUrl} attributes of the verbs and nouns.
 *
 * @param where e.g. {@code "<Redirect>"} or {@code "<Dial action>"}
 * @param url the URL as written
 */
public record TwimlHandoff(String where, String url) {
  public TwimlHandoff {
    Objects.requireNonNull(where);
    Objects.requireNonNull(url);
  }
}
