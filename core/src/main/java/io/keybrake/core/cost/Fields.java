package io.keybrake.core.cost;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import io.keybrake.core.request.FormBody;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reading the form fields a cost rule depends on, strictly. Thread-safe (stateless). */
final class Fields {
  private static final Pattern WHOLE = Pattern.compile("[0-9]{1,18}");

  private Fields() {}

  /**
   * The single value of {@code name}. A second field whose name differs only in case is refused
   * too: the vendor might read that one instead.
   */
  static Optional<String> single(FormBody form, String name) throws RequestRejected {
    return unambiguous(form, name).single(name);
  }

  /** Every value of {@code name}, refusing a field whose name differs only in case. */
  static java.util.List<String> all(FormBody form, String name) throws RequestRejected {
    return unambiguous(form, name).all(name);
  }

  private static FormBody unambiguous(FormBody form, String name) throws RequestRejected {
    for (String other : form.names()) {
      if (!other.equals(name) && other.equalsIgnoreCase(name)) {
        throw unreadable("ambiguous fields '" + name + "' and '" + other + "'");
      }
    }
    return form;
  }

  static String required(FormBody form, String name, String why) throws RequestRejected {
    Optional<String> value = single(form, name);
    if (value.isEmpty() || value.get().isEmpty()) {
      throw unreadable("field '" + name + "' is required " + why);
    }
    return value.get();
  }

  static long whole(String value, String name) throws RequestRejected {
    if (!WHOLE.matcher(value).matches()) {
      throw unreadable("field '" + name + "' must be a non-negative whole number");
    }
    return Long.parseLong(value);
  }

  static RequestRejected unreadable(String message) {
    return new RequestRejected(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
