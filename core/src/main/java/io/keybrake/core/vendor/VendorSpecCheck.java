package io.keybrake.core.vendor;

import io.keybrake.core.vendor.CredentialField.Injection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether the parts of a spec fit each other, checked once when it loads (the spec is refused at
 * start, never a request at run time): every cost rule reads the body format its endpoint declares
 * and only fields that format can hold, the key and the credential go where the endpoints have room
 * for them, and the refusal envelope is complete. Each problem names the endpoint and the field.
 * Stateless.
 */
final class VendorSpecCheck {
  private VendorSpecCheck() {}

  /**
   * @throws IllegalArgumentException naming the first problem
   */
  static void check(VendorSpec spec) {
    for (EndpointSpec e : spec.endpoints()) {
      endpoint(e).ifPresent(p -> fail("endpoint " + e.name() + ": " + p));
    }
    keyPresentation(spec);
    credential(spec);
    refusal(spec);
  }

  private static Optional<String> endpoint(EndpointSpec e) {
    Optional<BodyFormat> reads = e.cost().reads();
    if (reads.isPresent() && reads.get() != e.body()) {
      return Optional.of(
          "cost rule "
              + e.cost()
              + " reads a "
              + reads.get()
              + " body, but the endpoint's body is "
              + e.body());
    }
    if (e.generic().isEmpty()) {
      return Optional.empty();
    }
    GenericCost g = e.generic().get();
    if (e.body() == BodyFormat.NONE && !g.fieldsRead().isEmpty()) {
      return Optional.of(
          "cost rule "
              + g.kind()
              + " reads field '"
              + g.fieldsRead().get(0)
              + "', but the endpoint takes no body (body: NONE)");
    }
    if (e.body() == BodyFormat.STRIPE_FORM) {
      return Optional.of("cost rule " + g.kind() + " reads FORM or JSON bodies, not STRIPE_FORM");
    }
    if (e.body() == BodyFormat.FORM || e.body() == BodyFormat.FORM_OR_JSON) {
      for (String f : g.fieldsRead()) {
        if (GenericCost.nested(f)) {
          return Optional.of(
              "field '"
                  + f
                  + "' is a JSON path, but the endpoint's body is "
                  + e.body()
                  + (e.body() == BodyFormat.FORM
                      ? " (flat fields)"
                      : " (flat fields, which both encodings carry)"));
        }
      }
    }
    if (g.priceMicros() < 0 && g.kind() != GenericCost.Kind.AMOUNT) {
      return Optional.of("cost rule " + g.kind() + " needs field 'price_usd'");
    }
    List<String> missing = new ArrayList<>();
    switch (g.kind()) {
      case PER_CALL -> {}
      case PER_ENTRY -> {
        if (g.entries().isEmpty()) {
          missing.add("entries");
        }
      }
      case AMOUNT -> {
        if (g.amountField().isEmpty()) {
          missing.add("amount");
        }
        if (g.currencyField().isEmpty() && g.defaultCurrency().isEmpty()) {
          missing.add("currency");
        }
      }
      case SMS_SEGMENTS -> {
        if (g.textField().isEmpty()) {
          missing.add("text");
        }
        if (g.destination().size() != 1) {
          missing.add("destination");
        }
        if (g.destinationKind() != GenericCost.DestinationKind.PHONE) {
          return Optional.of(
              "cost rule SMS_SEGMENTS prices by the destination's country: field"
                  + " 'destination_kind' must be PHONE");
        }
      }
      case PER_MINUTE -> {
        if (g.maxSeconds() <= 0) {
          missing.add("max_seconds");
        }
      }
    }
    if (!missing.isEmpty()) {
      return Optional.of("cost rule " + g.kind() + " needs field '" + missing.get(0) + "'");
    }
    if (g.destination().isEmpty() != (g.destinationKind() == GenericCost.DestinationKind.NONE)) {
      return Optional.of(
          "field 'destination' and field 'destination_kind' go together (PHONE or EMAIL)");
    }
    if (!g.countryPrices().isEmpty() && g.kind() != GenericCost.Kind.SMS_SEGMENTS) {
      return Optional.of("field 'country_prices_usd' applies to SMS_SEGMENTS only");
    }
    return Optional.empty();
  }

  private static void keyPresentation(VendorSpec spec) {
    boolean path = spec.accepts(KeyPresentation.PATH_SEGMENT);
    if (path != spec.keyPathVariable().isPresent()) {
      fail(
          "field 'key_path_variable' is "
              + (path ? "required with" : "only for")
              + " key_presentation PATH_SEGMENT");
    }
    spec.keyPathVariable()
        .ifPresent(
            v -> {
              if (spec.endpoints().stream()
                  .noneMatch(e -> e.pathTemplate().contains("{" + v + "}"))) {
                fail("field 'key_path_variable': no endpoint path has {" + v + "}");
              }
            });
  }

  private static void credential(VendorSpec spec) {
    int user = 0;
    int password = 0;
    int bearer = 0;
    for (CredentialField f : spec.credential()) {
      for (Injection i : f.inject()) {
        switch (i.kind()) {
          case BASIC_USER -> user++;
          case BASIC_PASSWORD -> password++;
          case BEARER -> bearer++;
          case PATH -> {
            if (spec.endpoints().stream()
                .noneMatch(e -> e.pathTemplate().contains("{" + i.target() + "}"))) {
              fail(
                  "credential field '"
                      + f.name()
                      + "': inject path:"
                      + i.target()
                      + ", but no endpoint path has {"
                      + i.target()
                      + "}");
            }
          }
          case HEADER -> {}
        }
      }
    }
    if (user > 1 || password > 1 || bearer > 1 || (bearer > 0 && user + password > 0)) {
      fail(
          "credential: one Authorization header: one bearer, or one basic_user (+ basic_password)");
    }
    if (password > 0 && user == 0) {
      fail("credential: basic_password needs a basic_user field");
    }
    if (user + bearer == 0
        && spec.credential().stream()
            .flatMap(f -> f.inject().stream())
            .noneMatch(i -> i.kind() == Injection.Kind.HEADER)) {
      fail("credential: no field is injected into the request (basic_user, bearer or header)");
    }
  }

  private static void refusal(VendorSpec spec) {
    RefusalEnvelope r = spec.refusal();
    if (r.kind() == RefusalEnvelope.Kind.TWILIO) {
      for (var c : r.codes().entrySet()) {
        if (!c.getValue().matches("[0-9]{1,9}")) {
          fail("refusal: code '" + c.getKey() + "' must be a number for a TWILIO envelope");
        }
      }
      if (r.numericBase() <= 0 && !r.codes().containsKey("default")) {
        fail("refusal: a TWILIO envelope needs 'numeric_base' or a 'default' code");
      }
    }
  }

  private static void fail(String problem) {
    throw new IllegalArgumentException(problem);
  }
}
