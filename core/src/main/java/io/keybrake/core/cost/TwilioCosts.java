package io.keybrake.core.cost;

import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.destination.Destination;
import io.keybrake.core.money.Micros;
import io.keybrake.core.phone.Channel;
import io.keybrake.core.phone.PhoneDestination;
import io.keybrake.core.phone.PhoneNumbers;
import io.keybrake.core.policy.Policy;
import io.keybrake.core.pricing.PriceTable;
import io.keybrake.core.request.FormBody;
import io.keybrake.core.sms.SegmentCount;
import io.keybrake.core.sms.SmsSegments;
import java.util.List;
import java.util.Optional;

/** Twilio cost rules: messages (SMS, MMS, WhatsApp) and calls. Thread-safe (stateless). */
final class TwilioCosts {
  private TwilioCosts() {}

  static CallEstimate message(FormBody form, String canonical, PriceTable prices)
      throws RequestRejected {
    PhoneDestination to = to(form);
    String region = to.regionCode();
    List<Destination> destinations = List.of(new Destination.Phone(to));
    if (to.channel() == Channel.WHATSAPP) {
      long price = prices.whatsappMicros(region);
      return estimate(price, destinations, canonical, "1 WhatsApp message x " + at(region, price));
    }
    if (!Fields.all(form, "MediaUrl").isEmpty()) {
      long price = prices.mmsMicros(region);
      return estimate(price, destinations, canonical, "1 MMS x " + at(region, price));
    }
    SegmentCount count = SmsSegments.count(Fields.single(form, "Body").orElse(""));
    long price = prices.smsSegmentMicros(region);
    String unit = count.segments() == 1 ? " segment x " : " segments x ";
    return estimate(
        Math.multiplyExact(price, count.segments()),
        destinations,
        canonical,
        count.segments() + unit + at(region, price));
  }

  static CallEstimate call(FormBody form, String canonical, Policy policy, PriceTable prices)
      throws RequestRejected {
    PhoneDestination to = to(form);
    long max =
        policy.maxCallSeconds() > 0 ? policy.maxCallSeconds() : Policy.DEFAULT_MAX_CALL_SECONDS;
    Optional<String> given = Fields.single(form, "TimeLimit");
    long limit = max;
    Optional<byte[]> rewritten = Optional.of(form.with("TimeLimit", Long.toString(max)).encode());
    if (given.isPresent()) {
      long asked;
      try {
        asked = Fields.whole(given.get(), "TimeLimit");
      } catch (RequestRejected e) {
        throw Fields.unreadable("field 'TimeLimit' must be a whole number of seconds");
      }
      if (asked > 0 && asked <= max) {
        limit = asked;
        rewritten = Optional.empty();
      }
    }
    long minutes = Math.max(1, (limit + 59) / 60);
    long perMinute = prices.voicePerMinuteMicros(to.regionCode());
    TwilioCallReach.Reach reach = TwilioCallReach.of(form, policy, prices, to);
    List<Destination> destinations = new java.util.ArrayList<>();
    destinations.add(new Destination.Phone(to));
    destinations.addAll(reach.destinations());
    String detail =
        minutes + " min x " + at(to.regionCode(), perMinute) + "/min (TimeLimit " + limit + " s)";
    if (reach.legMicrosPerMinute() > 0) {
      detail += " + dialled leg $" + Micros.format(reach.legMicrosPerMinute()) + "/min";
    }
    if (reach.messageMicros() > 0) {
      detail += " + messages $" + Micros.format(reach.messageMicros());
    }
    return new CallEstimate(
        Math.addExact(
            Math.multiplyExact(Math.addExact(perMinute, reach.legMicrosPerMinute()), minutes),
            reach.messageMicros()),
        destinations,
        canonical,
        rewritten,
        detail);
  }

  private static PhoneDestination to(FormBody form) throws RequestRejected {
    return PhoneNumbers.parse(Fields.required(form, "To", "(the destination number)"));
  }

  private static CallEstimate estimate(
      long micros, List<Destination> destinations, String canonical, String detail) {
    return new CallEstimate(micros, destinations, canonical, Optional.empty(), detail);
  }

  static String at(String region, long micros) {
    return region + " $" + Micros.format(micros);
  }
}
