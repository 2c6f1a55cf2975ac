package io.keybrake.core.request;

import com.fasterxml.jackson.databind.JsonNode;
import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a JSON object body into the form Stripe reads ({@code application/x-www-form-urlencoded}
 * with bracket nesting), so an agent that speaks JSON can call Stripe's form endpoints and the
 * policy is checked on exactly the fields forwarded: {@code {"a":{"b":[1,true]}}} becomes {@code
 * a[b][0]=1&a[b][1]=true}. Thread-safe (stateless).
 *
 * <p>Refused with {@code unreadable_request}, because no form says the same thing: a body that is
 * not a JSON object; duplicate keys, non-finite numbers (refused by {@link JsonBody}); {@code null}
 * except as a {@code metadata} value (where Stripe reads an empty value as "unset"); empty objects
 * and arrays; keys that are empty, hold {@code [} or {@code ]} (they would alias a nested field) or
 * control characters; numbers longer than {@link #MAX_NUMBER_CHARS} characters written out.
 */
public final class StripeFormJson {
  /**
   * The longest number accepted, as plain digits (an exponent like {@code 1e999} would explode).
   */
  static final int MAX_NUMBER_CHARS = 40;

  private StripeFormJson() {}

  /** The form for a JSON body. */
  public static FormBody toForm(byte[] json) throws RequestRejected {
    JsonNode root = JsonBody.parse(json);
    if (!root.isObject()) {
      throw reject("a JSON body for a Stripe endpoint must be a JSON object");
    }
    List<Map.Entry<String, String>> fields = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      add(checkedKey(e.getKey()), e.getValue(), false, fields);
    }
    return FormBody.of(fields);
  }

  private static void add(
      String name, JsonNode value, boolean inMetadata, List<Map.Entry<String, String>> out)
      throws RequestRejected {
    if (value.isObject()) {
      if (value.isEmpty()) {
        throw reject("field '" + name + "' is an empty object; Stripe's form has no such value");
      }
      boolean metadata = name.equals("metadata") || name.endsWith("[metadata]");
      for (Map.Entry<String, JsonNode> e : value.properties()) {
        add(name + "[" + checkedKey(e.getKey()) + "]", e.getValue(), metadata, out);
      }
    } else if (value.isArray()) {
      if (value.isEmpty()) {
        throw reject("field '" + name + "' is an empty array; Stripe's form has no such value");
      }
      for (int i = 0; i < value.size(); i++) {
        add(name + "[" + i + "]", value.get(i), false, out);
      }
    } else if (value.isNull()) {
      if (!inMetadata) {
        throw reject(
            "field '" + name + "' is null; only metadata values may be null (unset) for Stripe");
      }
      out.add(Map.entry(name, ""));
    } else if (value.isBoolean()) {
      out.add(Map.entry(name, value.booleanValue() ? "true" : "false"));
    } else if (value.isNumber()) {
      out.add(Map.entry(name, number(name, value)));
    } else if (value.isTextual()) {
      out.add(Map.entry(name, value.textValue()));
    } else {
      throw reject("field '" + name + "' has a value Stripe's form cannot carry");
    }
  }

  private static String number(String name, JsonNode value) throws RequestRejected {
    String text;
    if (value.isIntegralNumber()) {
      text = value.bigIntegerValue().toString();
    } else {
      BigDecimal d = value.decimalValue();
      if (d.scale() < -MAX_NUMBER_CHARS || d.precision() - d.scale() > MAX_NUMBER_CHARS) {
        throw reject("field '" + name + "' is a number too large to forward");
      }
      text = d.toPlainString();
    }
    if (text.length() > MAX_NUMBER_CHARS) {
      throw reject("field '" + name + "' is a number too long to forward");
    }
    return text;
  }

  private static String checkedKey(String key) throws RequestRejected {
    if (key.isEmpty()) {
      throw reject("a JSON key is empty");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '[' || c == ']') {
        throw reject("JSON key '" + printable(key) + "' holds a bracket; nest objects instead");
      }
      if (Character.isISOControl(c)) {
        throw reject("a JSON key holds a control character");
      }
    }
    return key;
  }

  private static String printable(String key) {
    return key.length() > 40 ? key.substring(0, 40) + "…" : key;
  }

  private static RequestRejected reject(String message) {
    return new RequestRejected(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
