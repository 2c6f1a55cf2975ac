package io.keybrake.harness.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code StripeSimulator} plays Stripe's v1 API for one secret key, enough for money-moving calls:
 * {@code POST /v1/payment_intents} (+ {@code /{id}/confirm}, {@code /{id}/capture}), {@code
 * /v1/charges}, {@code /v1/refunds}, {@code /v1/payouts}, {@code /v1/transfers}, {@code
 * /v1/invoices/{id}/pay}, Billing ({@link StripeBilling}: prices, invoices, invoice items,
 * subscriptions, billing-portal sessions), and {@code GET /v1/customers}, {@code /v1/balance},
 * {@code /v1/subscriptions} and retrieval of the objects it created. Form bodies with bracket
 * nesting; answers are Stripe objects ({@code id}, {@code object}, {@code amount}, {@code
 * currency}, {@code status}, …) or Stripe's error envelope {@code
 * {"error":{"type","code","message","param"}}}. Auth is Bearer (or Basic user) equal to the key,
 * else 401. Every response carries {@code Request-Id}; a repeated {@code Idempotency-Key} is
 * replayed with {@code Idempotent-Replayed: true}, as Stripe does. Works with stripe-java pointed
 * at {@link #baseUri()}. Thread-safe.
 */
public final class StripeSimulator extends VendorSimulator {
  private static final Pattern PI_ACTION =
      Pattern.compile("^/v1/payment_intents/([^/]+)/(confirm|capture)$");
  private static final Pattern INVOICE_PAY = Pattern.compile("^/v1/invoices/([^/]+)/pay$");
  private static final Pattern RETRIEVE =
      Pattern.compile(
          "^/v1/(payment_intents|charges|refunds|payouts|transfers|invoices|prices|invoiceitems"
              + "|subscriptions)/([^/]+)$");

  private final String secretKey;
  private final Clock clock;
  private final Map<String, ObjectNode> objects = new ConcurrentHashMap<>();
  private final Map<String, SimResponse> idempotent = new ConcurrentHashMap<>();
  private final StripeObjects factory;
  private final StripeBilling billing;

  public StripeSimulator(String secretKey) {
    this(secretKey, Clock.systemUTC());
  }

  public StripeSimulator(String secretKey, Clock clock) {
    this.secretKey = Objects.requireNonNull(secretKey, "secretKey");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.factory = new StripeObjects(JSON, this.clock);
    this.billing = new StripeBilling(JSON, this.clock, objects);
  }

  @Override
  public StripeSimulator start() {
    super.start();
    return this;
  }

  /** Creates a price of {@code unitAmount} minor units a month; returns its id. */
  public String createPrice(long unitAmount, String currency) {
    FormBody form =
        FormBody.parse(
            "unit_amount=" + unitAmount + "&currency=" + currency + "&recurring[interval]=month");
    return idOf(billing.post("/v1/prices", form).orElseThrow());
  }

  /**
   * Creates a PaymentIntent with a payment method: awaiting confirmation, or, when {@code
   * confirmed}, confirmed with manual capture (awaiting capture); returns its id.
   */
  public String createPaymentIntent(long amount, String currency, boolean confirmed) {
    String capture = confirmed ? "&capture_method=manual&confirm=true" : "";
    FormBody form =
        FormBody.parse(
            "amount="
                + amount
                + "&currency="
                + currency
                + "&payment_method=pm_card_visa"
                + capture);
    return idOf(paymentIntent(form));
  }

  private static String idOf(SimResponse created) {
    try {
      return JSON.readTree(created.bytes()).get("id").asText();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("simulator answered unreadable JSON", e);
    }
  }

  /** Creates an open invoice that {@code POST /v1/invoices/{id}/pay} can pay; returns its id. */
  public String createInvoice(long amountDue, String currency) {
    ObjectNode invoice = factory.invoice(amountDue, currency);
    objects.put(invoice.get("id").asText(), invoice);
    return invoice.get("id").asText();
  }

  /** A snapshot of an object this simulator holds, by id. */
  public Optional<String> object(String id) {
    return Optional.ofNullable(objects.get(id)).map(ObjectNode::toString);
  }

  @Override
  protected SimResponse respond(RecordedRequest request) {
    Optional<SimResponse> refusal = authenticate(request);
    if (refusal.isPresent()) {
      return withRequestId(refusal.get());
    }
    String key = request.header("Idempotency-Key").orElse("");
    if (!key.isEmpty() && request.method().equals("POST")) {
      SimResponse earlier = idempotent.get(key);
      if (earlier != null) {
        return earlier.withHeader("Idempotent-Replayed", "true");
      }
    }
    SimResponse answer = withRequestId(route(request));
    if (!key.isEmpty() && request.method().equals("POST")) {
      SimResponse raced = idempotent.putIfAbsent(key, answer.withHeader("Idempotency-Key", key));
      if (raced != null) {
        return raced.withHeader("Idempotent-Replayed", "true");
      }
      return answer.withHeader("Idempotency-Key", key);
    }
    return answer;
  }

  private Optional<SimResponse> authenticate(RecordedRequest request) {
    Optional<String> auth = request.header("Authorization");
    Optional<String> presented =
        Ids.bearer(auth)
            .or(
                () ->
                    Ids.basic(auth).map(b -> b.contains(":") ? b.substring(0, b.indexOf(':')) : b));
    if (presented.isEmpty() || presented.get().isEmpty()) {
      return Optional.of(
          StripeErrors.error(
              401,
              "invalid_request_error",
              null,
              "You did not provide an API key. You need to provide your API key in the"
                  + " Authorization header, using Bearer auth (e.g. 'Authorization: Bearer"
                  + " YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for"
                  + " details, or we can help at https://support.stripe.com/.",
              null));
    }
    if (!Ids.same(presented.get(), secretKey)) {
      return Optional.of(
          StripeErrors.error(
              401,
              "invalid_request_error",
              null,
              "Invalid API Key provided: " + StripeErrors.mask(presented.get()),
              null));
    }
    return Optional.empty();
  }

  private SimResponse route(RecordedRequest request) {
    String path = request.path();
    String method = request.method();
    if (method.equals("GET")) {
      return switch (path) {
        case "/v1/customers" -> ok(factory.list("/v1/customers"));
        case "/v1/balance" -> ok(factory.balance());
        case "/v1/subscriptions" -> billing.listSubscriptions(request.query());
        default -> retrieve(request);
      };
    }
    if (!method.equals("POST")) {
      return StripeErrors.unrecognized(method, path);
    }
    FormBody form;
    try {
      form = request.form();
    } catch (IllegalArgumentException e) {
      return StripeErrors.error(400, "invalid_request_error", null, "Invalid request body", null);
    }
    Matcher action = PI_ACTION.matcher(path);
    if (action.matches()) {
      return paymentIntentAction(action.group(1), action.group(2), form);
    }
    Optional<SimResponse> billed = billing.post(path, form);
    if (billed.isPresent()) {
      return billed.get();
    }
    Matcher pay = INVOICE_PAY.matcher(path);
    if (pay.matches()) {
      return payInvoice(pay.group(1));
    }
    return switch (path) {
      case "/v1/payment_intents" -> create(form, this::paymentIntent);
      case "/v1/charges" -> create(form, f -> store(factory.charge(f, null)));
      case "/v1/refunds" -> refund(form);
      case "/v1/payouts" -> create(form, f -> store(factory.payout(f)));
      case "/v1/transfers" -> transfer(form);
      default -> StripeErrors.unrecognized(method, path);
    };
  }

  private SimResponse retrieve(RecordedRequest request) {
    Matcher m = RETRIEVE.matcher(request.path());
    if (!m.matches()) {
      return StripeErrors.unrecognized(request.method(), request.path());
    }
    ObjectNode o = objects.get(m.group(2));
    if (o == null) {
      return StripeErrors.missing(404, m.group(1), m.group(2), "id");
    }
    return ok(o);
  }

  private interface Creator {
    SimResponse create(FormBody form);
  }

  private SimResponse create(FormBody form, Creator creator) {
    Optional<SimResponse> invalid = StripeErrors.requireAmount(form);
    if (invalid.isPresent()) {
      return invalid.get();
    }
    if (!form.has("currency")) {
      return StripeErrors.parameterMissing("currency");
    }
    return creator.create(form);
  }

  private SimResponse paymentIntent(FormBody form) {
    ObjectNode pi = factory.paymentIntent(form);
    if (form.first("confirm").filter("true"::equals).isPresent()) {
      confirm(pi);
    }
    return store(pi);
  }

  private void confirm(ObjectNode pi) {
    boolean manual = "manual".equals(pi.get("capture_method").asText());
    ObjectNode charge = factory.chargeFor(pi, !manual);
    objects.put(charge.get("id").asText(), charge);
    pi.put("latest_charge", charge.get("id").asText());
    if (manual) {
      pi.put("status", "requires_capture");
      pi.put("amount_capturable", pi.get("amount").asLong());
    } else {
      pi.put("status", "succeeded");
      pi.put("amount_received", pi.get("amount").asLong());
    }
  }

  private SimResponse paymentIntentAction(String id, String action, FormBody form) {
    ObjectNode pi = objects.get(id);
    if (pi == null || !"payment_intent".equals(pi.get("object").asText())) {
      return StripeErrors.missing(404, "payment_intent", id, "intent");
    }
    synchronized (pi) {
      String status = pi.get("status").asText();
      if (action.equals("confirm")) {
        if (!status.equals("requires_payment_method") && !status.equals("requires_confirmation")) {
          return StripeErrors.unexpectedState(id, status, "confirm");
        }
        form.first("payment_method").ifPresent(pm -> pi.put("payment_method", pm));
        confirm(pi);
      } else {
        if (!status.equals("requires_capture")) {
          return StripeErrors.unexpectedState(id, status, "capture");
        }
        long amount =
            form.first("amount_to_capture").map(Long::parseLong).orElse(pi.get("amount").asLong());
        pi.put("status", "succeeded");
        pi.put("amount_capturable", 0);
        pi.put("amount_received", amount);
        ObjectNode charge = objects.get(pi.get("latest_charge").asText());
        if (charge != null) {
          charge.put("captured", true);
          charge.put("amount_captured", amount);
        }
      }
      return ok(pi);
    }
  }

  private SimResponse refund(FormBody form) {
    String chargeId = form.first("charge").orElse("");
    String intentId = form.first("payment_intent").orElse("");
    if (chargeId.isEmpty() && !intentId.isEmpty()) {
      ObjectNode pi = objects.get(intentId);
      if (pi == null) {
        return StripeErrors.missing(400, "payment_intent", intentId, "payment_intent");
      }
      chargeId = pi.path("latest_charge").asText("");
    }
    if (chargeId.isEmpty()) {
      return StripeErrors.error(
          400,
          "invalid_request_error",
          "parameter_missing",
          "One of the following params should be provided for this request: payment_intent or"
              + " charge.",
          null);
    }
    ObjectNode charge = objects.get(chargeId);
    if (charge == null) {
      return StripeErrors.missing(400, "charge", chargeId, "charge");
    }
    synchronized (charge) {
      long remaining = charge.get("amount").asLong() - charge.get("amount_refunded").asLong();
      long amount;
      if (form.has("amount")) {
        Optional<SimResponse> invalid = StripeErrors.requireAmount(form);
        if (invalid.isPresent()) {
          return invalid.get();
        }
        amount = Long.parseLong(form.first("amount").orElseThrow());
      } else {
        amount = remaining;
      }
      if (amount > remaining || remaining == 0) {
        return StripeErrors.error(
            400,
            "invalid_request_error",
            remaining == 0 ? "charge_already_refunded" : "amount_too_large",
            "Refund amount ("
                + amount
                + ") is greater than unrefunded amount on charge ("
                + remaining
                + ")",
            "amount");
      }
      charge.put("amount_refunded", charge.get("amount_refunded").asLong() + amount);
      charge.put(
          "refunded", charge.get("amount_refunded").asLong() == charge.get("amount").asLong());
      return store(factory.refund(charge, amount, form));
    }
  }

  private SimResponse transfer(FormBody form) {
    if (form.has("amount") && form.has("currency") && !form.has("destination")) {
      return StripeErrors.parameterMissing("destination");
    }
    return create(form, f -> store(factory.transfer(f)));
  }

  private SimResponse payInvoice(String id) {
    ObjectNode invoice = objects.get(id);
    if (invoice == null || !"invoice".equals(invoice.get("object").asText())) {
      return StripeErrors.missing(404, "invoice", id, "invoice");
    }
    synchronized (invoice) {
      if ("paid".equals(invoice.get("status").asText())) {
        return StripeErrors.error(
            400, "invalid_request_error", "invoice_already_paid", "Invoice is already paid", null);
      }
      long due = invoice.get("amount_due").asLong();
      invoice.put("status", "paid");
      invoice.put("paid", true);
      invoice.put("amount_paid", due);
      invoice.put("amount_remaining", 0);
      return ok(invoice);
    }
  }

  private SimResponse store(ObjectNode o) {
    objects.put(o.get("id").asText(), o);
    return ok(o);
  }

  private static SimResponse ok(ObjectNode o) {
    synchronized (o) {
      return SimResponse.json(200, o.toString());
    }
  }

  private static SimResponse withRequestId(SimResponse r) {
    return r.withHeader("Request-Id", Ids.stripe("req_").substring(0, 18));
  }

  @Override
  protected SimResponse forcedError(int status) {
    return withRequestId(StripeErrors.forced(status));
  }
}
