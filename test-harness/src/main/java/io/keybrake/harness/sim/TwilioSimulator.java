package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code TwilioSimulator} plays Twilio's REST API 2010-04-01 for one account: {@code POST
 * .../Messages.json} and {@code .../Calls.json} (form bodies) create resources (201) with the
 * documented shapes, {@code GET .../Messages/{Sid}.json} and {@code .../Calls/{Sid}.json} fetch
 * them. A message is created {@code queued} with {@code price} null and becomes {@code sent} with a
 * negative {@code price} string (e.g. {@code "-0.00830"}) once {@code pricingDelay} has passed on
 * the injected clock; calls become {@code completed} with a price the same way. Basic auth must be
 * {@code accountSid:authToken} and the path's AccountSid must be {@code accountSid}, else 401 with
 * Twilio's error 20003. Thread-safe.
 */
public final class TwilioSimulator extends VendorSimulator {
  private static final Pattern ACCOUNT_PATH =
      Pattern.compile("^/2010-04-01/Accounts/([^/]+)/(Messages|Calls)(?:/([^/]+))?\\.json$");
  private static final DateTimeFormatter RFC_2822 =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US)
          .withZone(ZoneOffset.UTC);

  private final String accountSid;
  private final String authToken;
  private final Clock clock;
  private final Duration pricingDelay;
  private final Map<String, Resource> resources = new ConcurrentHashMap<>();
  private volatile BigDecimal pricePerSegment = new BigDecimal("0.00830");
  private volatile BigDecimal pricePerMinute = new BigDecimal("0.01400");

  /** A simulator on the system clock whose messages are priced as soon as they are fetched. */
  public TwilioSimulator(String accountSid, String authToken) {
    this(accountSid, authToken, Clock.systemUTC(), Duration.ZERO);
  }

  public TwilioSimulator(String accountSid, String authToken, Clock clock, Duration pricingDelay) {
    this.accountSid = Objects.requireNonNull(accountSid, "accountSid");
    this.authToken = Objects.requireNonNull(authToken, "authToken");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pricingDelay = Objects.requireNonNull(pricingDelay, "pricingDelay");
  }

  @Override
  public TwilioSimulator start() {
    super.start();
    return this;
  }

  /** Sets the USD price of one SMS segment (default 0.00830). */
  public void pricePerSegment(BigDecimal usd) {
    pricePerSegment = usd;
  }

  /** Sets the USD price of one call minute (default 0.01400). */
  public void pricePerMinute(BigDecimal usd) {
    pricePerMinute = usd;
  }

  /**
   * Deletes a message or call, as the account's owner may through Twilio's API or console: fetches
   * of it answer 404 from now on, so it is never priced.
   */
  public void delete(String sid) {
    resources.remove(sid);
  }

  /** A created resource (message or call), rendered on each fetch. */
  private record Resource(
      String kind, String sid, Map<String, String> params, int units, Instant created) {}

  @Override
  protected SimResponse respond(RecordedRequest request) {
    String credentials = Ids.basic(request.header("Authorization")).orElse("");
    Matcher m = ACCOUNT_PATH.matcher(request.path());
    boolean authentic = Ids.same(credentials, accountSid + ":" + authToken);
    if (!authentic || (m.matches() && !m.group(1).equals(accountSid))) {
      return error(401, 20003, "Authenticate");
    }
    if (!m.matches()) {
      return notFound(request.path());
    }
    String kind = m.group(2);
    String sid = m.group(3);
    if (sid == null && request.method().equals("POST")) {
      return kind.equals("Messages") ? createMessage(request.form()) : createCall(request.form());
    }
    if (sid != null && request.method().equals("GET")) {
      Resource r = resources.get(sid);
      if (r == null || !r.kind().equals(kind)) {
        return notFound(request.path());
      }
      return SimResponse.json(200, render(r, true));
    }
    return error(405, 20004, "Method not allowed");
  }

  private SimResponse createMessage(FormBody form) {
    if (!form.has("To")) {
      return error(400, 21604, "A 'To' phone number is required.");
    }
    if (!form.has("From") && !form.has("MessagingServiceSid")) {
      return error(400, 21603, "A 'From' phone number is required.");
    }
    if (!form.has("Body") && !form.has("MediaUrl") && !form.has("ContentSid")) {
      return error(400, 21602, "Message body is required.");
    }
    Map<String, String> params = new java.util.LinkedHashMap<>();
    for (String name : new String[] {"To", "From", "Body", "MessagingServiceSid", "MediaUrl"}) {
      form.first(name).ifPresent(v -> params.put(name, v));
    }
    int segments = SmsSegments.count(params.getOrDefault("Body", ""));
    Resource r = new Resource("Messages", Ids.hex32("SM"), params, segments, clock.instant());
    resources.put(r.sid(), r);
    return SimResponse.json(201, render(r, false));
  }

  private SimResponse createCall(FormBody form) {
    if (!form.has("To")) {
      return error(400, 21201, "No 'To' number is specified");
    }
    if (!form.has("From")) {
      return error(400, 21213, "No 'From' number is specified");
    }
    if (!form.has("Url") && !form.has("Twiml") && !form.has("ApplicationSid")) {
      return error(400, 21205, "Url parameter is required.");
    }
    Map<String, String> params = new java.util.LinkedHashMap<>();
    for (String name : new String[] {"To", "From", "TimeLimit"}) {
      form.first(name).ifPresent(v -> params.put(name, v));
    }
    int seconds;
    try {
      seconds = Math.min(60, Integer.parseInt(params.getOrDefault("TimeLimit", "60")));
    } catch (NumberFormatException e) {
      return error(400, 21220, "Invalid TimeLimit");
    }
    Resource r = new Resource("Calls", Ids.hex32("CA"), params, seconds, clock.instant());
    resources.put(r.sid(), r);
    return SimResponse.json(201, render(r, false));
  }

  /** Twilio never prices a resource in the response that creates it; a fetch may see the price. */
  private String render(Resource r, boolean fetch) {
    Instant now = clock.instant();
    boolean priced = fetch && !now.isBefore(r.created().plus(pricingDelay));
    String base = "/2010-04-01/Accounts/" + accountSid + "/" + r.kind() + "/" + r.sid();
    ObjectNode o = JSON.createObjectNode();
    o.put("account_sid", accountSid);
    o.put("api_version", "2010-04-01");
    o.put("date_created", RFC_2822.format(r.created()));
    o.put("date_updated", RFC_2822.format(priced ? now : r.created()));
    o.put("direction", "outbound-api");
    o.put("from", r.params().get("From"));
    o.put("to", r.params().get("To"));
    o.put("price_unit", "USD");
    o.put("sid", r.sid());
    o.put("uri", base + ".json");
    if (r.kind().equals("Messages")) {
      o.put("body", r.params().getOrDefault("Body", ""));
      o.put("date_sent", priced ? RFC_2822.format(now) : null);
      o.putNull("error_code");
      o.putNull("error_message");
      o.put("messaging_service_sid", r.params().get("MessagingServiceSid"));
      o.put("num_media", r.params().containsKey("MediaUrl") ? "1" : "0");
      o.put("num_segments", Integer.toString(r.units()));
      o.put(
          "price",
          priced ? negative(pricePerSegment.multiply(BigDecimal.valueOf(r.units()))) : null);
      o.put("status", priced ? "sent" : "queued");
      o.putObject("subresource_uris").put("media", base + "/Media.json");
    } else {
      int minutes = (r.units() + 59) / 60;
      o.put("answered_by", (String) null);
      o.put("caller_name", (String) null);
      o.put("duration", priced ? Integer.toString(r.units()) : null);
      o.put("start_time", priced ? RFC_2822.format(r.created()) : null);
      o.put("end_time", priced ? RFC_2822.format(now) : null);
      o.put(
          "price", priced ? negative(pricePerMinute.multiply(BigDecimal.valueOf(minutes))) : null);
      o.put("status", priced ? "completed" : "queued");
      o.putObject("subresource_uris").put("recordings", base + "/Recordings.json");
    }
    return o.toString();
  }

  private static String negative(BigDecimal usd) {
    return usd.setScale(5, RoundingMode.HALF_UP).negate().toPlainString();
  }

  private SimResponse notFound(String path) {
    return error(404, 20404, "The requested resource " + path + " was not found");
  }

  @Override
  protected SimResponse forcedError(int status) {
    return switch (status) {
      case 400 -> error(400, 21211, "Invalid 'To' Phone Number");
      case 401 -> error(401, 20003, "Authenticate");
      case 429 -> error(429, 20429, "Too Many Requests");
      case 503 -> error(503, 20503, "Service Unavailable");
      default -> error(status, 20500, "Internal Server Error");
    };
  }

  private static SimResponse error(int status, int code, String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("code", code);
    o.put("message", message);
    o.put("more_info", "https://www.twilio.com/docs/errors/" + code);
    o.put("status", status);
    return SimResponse.json(status, o.toString());
  }
}
