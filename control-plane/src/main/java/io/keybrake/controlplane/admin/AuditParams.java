package io.keybrake.controlplane.admin;

import io.keybrake.core.audit.AuditQuery;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code GET /audit?key_id=&since=&until=&limit=} into an {@link AuditQuery}. {@code since}
 * and {@code until} are ISO-8601 instants ({@code 2026-01-02T03:04:05Z}, or with an offset); {@code
 * limit} defaults to {@value #DEFAULT_LIMIT}, at most {@link AuditQuery#MAX_LIMIT}. Unknown or
 * repeated parameters are refused. Stateless and thread-safe.
 */
final class AuditParams {
  static final int DEFAULT_LIMIT = 100;
  private static final Set<String> NAMES = Set.of("key_id", "since", "until", "limit");
  private static final int MAX_KEY_ID_CHARS = 128;

  private AuditParams() {}

  /** The query, or the problem as a 400 message. */
  sealed interface Parsed {
    record Ok(AuditQuery query) implements Parsed {}

    record Invalid(String message) implements Parsed {}
  }

  /** {@code params}: every value of every query parameter, decoded. */
  static Parsed parse(Map<String, List<String>> params) {
    for (Map.Entry<String, List<String>> e : params.entrySet()) {
      if (!NAMES.contains(e.getKey())) {
        return new Parsed.Invalid("unknown query parameter; use key_id, since, until and limit");
      }
      if (e.getValue().size() != 1) {
        return new Parsed.Invalid(e.getKey() + " must be given once");
      }
    }
    Optional<String> keyId = one(params, "key_id");
    if (keyId.isPresent() && (keyId.get().isEmpty() || keyId.get().length() > MAX_KEY_ID_CHARS)) {
      return new Parsed.Invalid("key_id must be 1 to " + MAX_KEY_ID_CHARS + " characters");
    }
    Optional<Instant> since;
    Optional<Instant> until;
    try {
      since = one(params, "since").map(AuditParams::instant);
    } catch (DateTimeParseException e) {
      return new Parsed.Invalid("since must be an ISO-8601 instant such as 2026-01-02T03:04:05Z");
    }
    try {
      until = one(params, "until").map(AuditParams::instant);
    } catch (DateTimeParseException e) {
      return new Parsed.Invalid("until must be an ISO-8601 instant such as 2026-01-02T03:04:05Z");
    }
    if (since.isPresent() && until.isPresent() && since.get().isAfter(until.get())) {
      return new Parsed.Invalid("since must not be after until");
    }
    int limit = DEFAULT_LIMIT;
    Optional<String> limitText = one(params, "limit");
    if (limitText.isPresent()) {
      String range = "limit must be a whole number from 1 to " + AuditQuery.MAX_LIMIT;
      if (!limitText.get().matches("[0-9]{1,9}")) {
        return new Parsed.Invalid(range);
      }
      limit = Integer.parseInt(limitText.get());
      if (limit < 1 || limit > AuditQuery.MAX_LIMIT) {
        return new Parsed.Invalid(range);
      }
    }
    return new Parsed.Ok(new AuditQuery(keyId, since, until, limit));
  }

  private static Optional<String> one(Map<String, List<String>> params, String name) {
    List<String> v = params.get(name);
    return v == null ? Optional.empty() : Optional.of(v.get(0));
  }

  private static Instant instant(String text) {
    // an unencoded '+' in a query string arrives as a space
    String t = text.strip().replace(' ', '+');
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException e) {
      return OffsetDateTime.parse(t).toInstant();
    }
  }
}
