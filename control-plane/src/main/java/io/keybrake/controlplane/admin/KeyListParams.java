package io.keybrake.controlplane.admin;

import io.keybrake.core.key.KeyQuery;
import io.keybrake.core.key.KeyState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The query of {@code GET /keys} and {@code DELETE /keys}, parsed into a {@link KeyQuery} or a
 * clear error: {@code limit} (1 to 1000, default 100), {@code cursor} (the {@code next_cursor} of
 * the previous page), {@code label=name:value} (repeatable, all must match), {@code vendor}, {@code
 * state} ({@code active}, {@code revoked}, {@code expired}). Stateless and thread-safe.
 */
final class KeyListParams {
  static final int DEFAULT_LIMIT = 100;
  private static final Set<String> KNOWN = Set.of("limit", "cursor", "label", "vendor", "state");

  private KeyListParams() {}

  /** The outcome of parsing: a query, or the first problem. */
  sealed interface Parsed {
    record Ok(KeyQuery query) implements Parsed {}

    record Invalid(String message) implements Parsed {}
  }

  static Parsed parse(Map<String, List<String>> params, Instant now) {
    for (String name : params.keySet()) {
      if (!KNOWN.contains(name)) {
        return new Parsed.Invalid(printable(name) + " is not a known parameter");
      }
    }
    int limit = DEFAULT_LIMIT;
    Optional<String> limitText = single(params, "limit");
    if (limitText.isPresent()) {
      try {
        limit = Integer.parseInt(limitText.get());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > KeyQuery.MAX_LIMIT) {
        return new Parsed.Invalid("limit must be a whole number from 1 to " + KeyQuery.MAX_LIMIT);
      }
    }
    Optional<KeyQuery.Position> after = Optional.empty();
    Optional<String> cursor = single(params, "cursor");
    if (cursor.isPresent()) {
      after = decodeCursor(cursor.get());
      if (after.isEmpty()) {
        return new Parsed.Invalid("cursor is not a next_cursor this API returned");
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (String l : params.getOrDefault("label", List.of())) {
      int colon = l.indexOf(':');
      if (colon <= 0) {
        return new Parsed.Invalid("label must be name:value, e.g. label=team:support");
      }
      String name = l.substring(0, colon);
      if (labels.containsKey(name)) {
        return new Parsed.Invalid("label " + printable(name) + " is given twice");
      }
      labels.put(name, l.substring(colon + 1));
    }
    Optional<String> vendor = single(params, "vendor");
    if (vendor.isPresent()
        && io.keybrake.core.vendor.VendorRegistry.configured().find(vendor.get()).isEmpty()) {
      return new Parsed.Invalid("vendor must be one of " + NewKeyRequest.vendorList());
    }
    Optional<KeyState> state = Optional.empty();
    Optional<String> stateText = single(params, "state");
    if (stateText.isPresent()) {
      state = KeyState.parse(stateText.get());
      if (state.isEmpty()) {
        return new Parsed.Invalid("state must be one of \"active\", \"revoked\", \"expired\"");
      }
    }
    return new Parsed.Ok(new KeyQuery(labels, vendor, state, after, limit, now));
  }

  private static String printable(String s) {
    if (!s.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      return "(unprintable)";
    }
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }

  private static Optional<String> single(Map<String, List<String>> params, String name) {
    List<String> v = params.getOrDefault(name, List.of());
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
  }

  /** An opaque cursor: URL-safe base64 of {@code seconds.nanos.id}. */
  static String encodeCursor(KeyQuery.Position p) {
    String raw = p.createdAt().getEpochSecond() + "." + p.createdAt().getNano() + "." + p.id();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  static Optional<KeyQuery.Position> decodeCursor(String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split("\\.", 3);
      if (parts.length != 3 || !parts[2].startsWith("key_")) {
        return Optional.empty();
      }
      Instant at = Instant.ofEpochSecond(Long.parseLong(parts[0]), Integer.parseInt(parts[1]));
      return Optional.of(new KeyQuery.Position(at, parts[2]));
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      return Optional.empty();
    }
  }
}
