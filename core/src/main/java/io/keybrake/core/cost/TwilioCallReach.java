package io.keybrake.core.cost;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.phone.PhoneDestination;
import io.keybrake.core.phone.PhoneNumbers;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.sms.SmsSegments;
import io.keybrake.core.twiml.Twiml;
import io.keybrake.core.twiml.TwimlHandoff;
import io.keybrake.core.twiml.TwimlReader;
import io.keybrake.core.twiml.TwimlTarget;
import io.keybrake.core.twiml.TwimlUrls;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything a Twilio call can reach besides its {@code To}: the numbers its inline {@code Twiml}
 * dials, the messages it sends, and the TwiML it hands the call to ({@code Url}, {@code
 * FallbackUrl}, {@code ApplicationSid}, {@code <Redirect>}, {@code action} attributes). Hand-offs
 * are refused unless the policy names their URL prefix in {@code allowed_twiml_urls} ({@code
 * ApplicationSid} always: its URL lives in the Twilio account, out of sight); SIP, SIM and
 * application targets are refused. Thread-safe (stateless).
 */
final class TwilioCallReach {
  /** Fields that hand the call to TwiML fetched from a URL later. */
  private static final List<String> URL_FIELDS = List.of("Url", "FallbackUrl");

  /**
   * What the call reaches beyond {@code To}.
   *
   * @param destinations every number dialled or texted by the TwiML, for the destination policy
   * @param legMicrosPerMinute the per-minute price of the most expensive dialled number (0 when
   *     none), added to the {@code To} leg's
   * @param messageMicros the price of every message the TwiML sends
   */
  record Reach(List<Destination> destinations, long legMicrosPerMinute, long messageMicros) {}

  private TwilioCallReach() {}

  static Reach of(FormBody form, Policy policy, PriceTable prices, PhoneDestination to)
      throws RequestRejected {
    for (String field : URL_FIELDS) {
      Optional<String> url = Fields.single(form, field);
      if (url.isPresent() && !url.get().isEmpty()) {
        requireAllowed(policy, field, url.get());
      }
    }
    Optional<String> app = Fields.single(form, "ApplicationSid");
    if (app.isPresent() && !app.get().isEmpty()) {
      throw refused(
          "ApplicationSid hands the call to the TwiML of a Twilio application, which Keybrake"
              + " cannot see, so its destinations cannot be checked; send the TwiML inline in"
              + " 'Twiml', or a 'Url' whose prefix the key's policy names in allowed_twiml_urls");
    }
    Optional<String> text = Fields.single(form, "Twiml");
    if (text.isEmpty() || text.get().isEmpty()) {
      return new Reach(List.of(), 0, 0);
    }
    Twiml twiml = TwimlReader.read(text.get());
    for (TwimlHandoff h : twiml.handoffs()) {
      requireAllowed(policy, h.where(), h.url());
    }
    List<Destination> destinations = new ArrayList<>();
    long leg = 0;
    long messages = 0;
    for (TwimlTarget t : twiml.targets()) {
      if (t instanceof TwimlTarget.Phone p) {
        PhoneDestination number = PhoneNumbers.parse(p.raw());
        destinations.add(new Destination.Phone(number));
        leg = Math.max(leg, prices.voicePerMinuteMicros(number.regionCode()));
      } else if (t instanceof TwimlTarget.Message m) {
        PhoneDestination number = m.to().isEmpty() ? to : PhoneNumbers.parse(m.to());
        destinations.add(new Destination.Phone(number));
        long segments = SmsSegments.count(m.body()).segments();
        messages =
            Math.addExact(
                messages,
                Math.multiplyExact(
                    Math.max(1, segments), prices.smsSegmentMicros(number.regionCode())));
      } else if (t instanceof TwimlTarget.Opaque o) {
        throw refused(
            "TwiML <"
                + o.element()
                + "> reaches an address Keybrake cannot check against the key's allowed"
                + " destinations (a SIP far end or an application may route to any number)");
      }
      // InAccount targets (Client, Conference, Queue, Enqueue) stay inside the Twilio account
    }
    return new Reach(destinations, leg, messages);
  }

  private static void requireAllowed(Policy policy, String where, String url)
      throws RequestRejected {
    if (policy.allowedTwimlUrls().isEmpty()) {
      throw refused(
          where
              + " hands the call to TwiML fetched later from a URL, which Keybrake cannot see, so"
              + " the numbers it dials cannot be checked; the key's policy names no"
              + " allowed_twiml_urls (add the URL's prefix there, or send the TwiML inline in"
              + " 'Twiml')");
    }
    if (!TwimlUrls.allowed(policy.allowedTwimlUrls(), url)) {
      throw refused(
          where
              + " hands the call to TwiML at a URL that does not start with one of the key's"
              + " allowed_twiml_urls, and Keybrake cannot see that TwiML to check what it dials");
    }
  }

  private static RequestRejected refused(String message) {
    return new RequestRejected(RefusalCode.DESTINATION_NOT_ALLOWED, message);
  }
}
