package io.keybrake.core.request;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.util.Collection;
import java.util.Optional;

/**
 * Finds field names a vendor's own parser could read as a field Keybrake checks: the same name in
 * another case, with whitespace, control or invisible (zero-width, format) characters in it, or
 * with a bracket suffix ({@code To[]}, {@code To[0]}, {@code amount[]}). Such a field is refused,
 * never ignored: Keybrake would check one value and the vendor could act on another. Thread-safe
 * (stateless).
 */
public final class FieldAliases {
  private FieldAliases() {}

  /**
   * The checked field {@code name} is an alias of, when it is one and is not that field exactly.
   */
  public static Optional<String> aliasOf(String name, Collection<String> checked) {
    String stripped = stripInvisible(name);
    int bracket = stripped.indexOf('[');
    String base = bracket < 0 ? stripped : stripped.substring(0, bracket);
    for (String c : checked) {
      if (!name.equals(c) && base.equalsIgnoreCase(c)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /**
   * Refuses a form with a field that is an alias of one of {@code checked}. A name that differs
   * only in case is left to the reader of the field, which refuses it as ambiguous.
   */
  public static void refuse(FormBody form, Collection<String> checked) throws RequestRejected {
    for (String name : form.names()) {
      Optional<String> alias = aliasOf(name, checked);
      if (alias.isPresent() && !alias.get().equalsIgnoreCase(name)) {
        throw refusal(alias.get());
      }
    }
  }

  /** The refusal for a field that reads as {@code checked}. */
  public static RequestRejected refusal(String checked) {
    return new RequestRejected(
        RefusalCode.UNREADABLE_REQUEST,
        "a field the vendor could read as '"
            + checked
            + "' is spelled another way (case, brackets, spaces or invisible characters); send"
            + " it exactly as '"
            + checked
            + "' once");
  }

  /** {@code s} without whitespace, control and format (e.g. zero-width) characters. */
  public static String stripInvisible(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .filter(
            c ->
                !Character.isWhitespace(c)
                    && !Character.isSpaceChar(c)
                    && !Character.isISOControl(c)
                    && Character.getType(c) != Character.FORMAT)
        .forEach(b::appendCodePoint);
    return b.toString();
  }
}
