package io.keybrake.core.request;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * A strictly parsed {@code application/x-www-form-urlencoded} body (UTF-8, {@code '+'} is a space).
 * Field order and repeated fields are kept; names are case-sensitive. Immutable and thread-safe.
 *
 * <p>Refused with {@code unreadable_request}: malformed percent-escapes, bytes that are not UTF-8,
 * raw control bytes (a compressed or binary body), and fields with an empty name.
 */
public final class FormBody {
  private static final String HEX = "0123456789ABCDEF";

  private record Field(String name, String value) {}

  private final List<Field> fields;

  private FormBody(List<Field> fields) {
    this.fields = List.copyOf(fields);
  }

  /** An empty form. */
  public static FormBody empty() {
    return new FormBody(List.of());
  }

  /** A form of these fields, in this order (names and values as decoded text). */
  public static FormBody of(List<java.util.Map.Entry<String, String>> fields) {
    List<Field> out = new ArrayList<>(fields.size());
    for (java.util.Map.Entry<String, String> f : fields) {
      out.add(new Field(f.getKey(), f.getValue()));
    }
    return new FormBody(out);
  }

  /** Parses {@code body}; an empty array is an empty form. */
  public static FormBody parse(byte[] body) throws RequestRejected {
    List<Field> fields = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= body.length; i++) {
      if (i == body.length || body[i] == '&') {
        if (i > start) {
          fields.add(parsePair(body, start, i));
        }
        start = i + 1;
      }
    }
    return new FormBody(fields);
  }

  private static Field parsePair(byte[] body, int from, int to) throws RequestRejected {
    int eq = -1;
    for (int i = from; i < to; i++) {
      if (body[i] == '=') {
        eq = i;
        break;
      }
    }
    String name = decode(body, from, eq < 0 ? to : eq);
    String value = eq < 0 ? "" : decode(body, eq + 1, to);
    if (name.isEmpty()) {
      throw reject("form body has a field with an empty name");
    }
    return new Field(name, value);
  }

  private static String decode(byte[] body, int from, int to) throws RequestRejected {
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    for (int i = from; i < to; i++) {
      int b = body[i] & 0xff;
      if (b < 0x20 || b == 0x7f) {
        throw reject("form body contains raw control bytes (binary or compressed data?)");
      }
      if (b == '+') {
        out.write(' ');
      } else if (b == '%') {
        if (i + 2 >= to) {
          throw reject("form body has a malformed percent-escape");
        }
        int hi = Character.digit(body[i + 1], 16);
        int lo = Character.digit(body[i + 2], 16);
        if (hi < 0 || lo < 0) {
          throw reject("form body has a malformed percent-escape");
        }
        out.write((hi << 4) | lo);
        i += 2;
      } else {
        out.write(b);
      }
    }
    try {
      return Utf8.decodeStrict(out.toByteArray());
    } catch (IllegalArgumentException e) {
      throw reject("form body is not valid UTF-8");
    }
  }

  /** Distinct field names in first-seen order. */
  public List<String> names() {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (Field f : fields) {
      names.add(f.name());
    }
    return List.copyOf(names);
  }

  /** Every value of {@code name}, in order; empty when absent. */
  public List<String> all(String name) {
    List<String> values = new ArrayList<>();
    for (Field f : fields) {
      if (f.name().equals(name)) {
        values.add(f.value());
      }
    }
    return List.copyOf(values);
  }

  /**
   * The value of {@code name}, if present.
   *
   * @throws RequestRejected ({@code unreadable_request}) when the field appears more than once
   */
  public Optional<String> single(String name) throws RequestRejected {
    List<String> values = all(name);
    if (values.size() > 1) {
      throw reject("duplicate field '" + name + "'");
    }
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** A copy where {@code name} has exactly the one value {@code value}, at its first position. */
  public FormBody with(String name, String value) {
    List<Field> out = new ArrayList<>(fields.size() + 1);
    boolean placed = false;
    for (Field f : fields) {
      if (!f.name().equals(name)) {
        out.add(f);
      } else if (!placed) {
        out.add(new Field(name, value));
        placed = true;
      }
    }
    if (!placed) {
      out.add(new Field(name, value));
    }
    return new FormBody(out);
  }

  /** The form encoded as UTF-8 bytes, fields in their order. */
  public byte[] encode() {
    return encode(fields).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * A stable text for fingerprints: fields sorted by name, values of one name in their original
   * order, encoded. Two bodies that a vendor reads the same way give the same text.
   */
  public String canonical() {
    List<Field> sorted = new ArrayList<>(fields);
    sorted.sort(Comparator.comparing(Field::name)); // stable: keeps value order per name
    return encode(sorted);
  }

  @Override
  public String toString() {
    return "FormBody" + names();
  }

  private static String encode(List<Field> fields) {
    StringBuilder out = new StringBuilder();
    for (Field f : fields) {
      if (out.length() > 0) {
        out.append('&');
      }
      encodeComponent(f.name(), out);
      out.append('=');
      encodeComponent(f.value(), out);
    }
    return out.toString();
  }

  private static void encodeComponent(String s, StringBuilder out) {
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '*') {
        out.append((char) c);
      } else if (c == ' ') {
        out.append('+');
      } else {
        out.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
      }
    }
  }

  private static RequestRejected reject(String message) {
    return new RequestRejected(RefusalCode.UNREADABLE_REQUEST, message);
  }
}
