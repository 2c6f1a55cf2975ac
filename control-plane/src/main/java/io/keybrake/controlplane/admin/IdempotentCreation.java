package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.controlplane.admin.JsonExchange.Reply;
import io.keybrake.core.key.KeyCreation;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VaultKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code POST /keys} with {@code "idempotency_key"}: an orchestrator that retries a creation gets
 * the key the first attempt made, not a second one.
 *
 * <p>The vault key is shown once; a retry usually means the first answer was lost, so for {@link
 * #SECRET_WINDOW} after the creation a retry gets the same answer as the first call, vault key
 * included (kept sealed like a vendor credential, and forgotten when the window ends). After the
 * window a retry gets {@code 200} with the key, no vault key, and {@code "vault_key_withheld"}
 * saying why: a lost vault key then means revoke and create another. The same idempotency key with
 * a different request is refused with {@code 409 idempotency_key_reused}. Stateless and
 * thread-safe.
 */
final class IdempotentCreation {
  /** How long after a creation a retry is shown the vault key again. */
  static final Duration SECRET_WINDOW = Duration.ofMinutes(10);

  static final String FIELD = "idempotency_key";
  static final int MAX_CHARS = 255;
  private static final ObjectMapper JSON = new ObjectMapper();

  private IdempotentCreation() {}

  /** A request's idempotency key, the digest of the rest of it, and the rest of it. */
  record Request(Optional<String> key, String requestHash, JsonNode body) {}

  /** The outcome of {@link #parse}. */
  sealed interface Parsed {
    record Ok(Request request) implements Parsed {}

    record Invalid(String message) implements Parsed {}
  }

  /** Takes {@value #FIELD} out of {@code body}; the rest is parsed as usual. */
  static Parsed parse(JsonNode body) {
    if (body == null || !body.isObject() || !body.has(FIELD)) {
      return new Parsed.Ok(new Request(Optional.empty(), "", body));
    }
    JsonNode k = body.get(FIELD);
    if (!k.isTextual()
        || k.textValue().isEmpty()
        || k.textValue().length() > MAX_CHARS
        || !k.textValue().codePoints().allMatch(c -> c > 0x20 && c < 0x7f)) {
      return new Parsed.Invalid(
          FIELD + " must be 1 to " + MAX_CHARS + " printable ASCII characters without spaces");
    }
    ObjectNode rest = ((ObjectNode) body).deepCopy();
    rest.remove(FIELD);
    return new Parsed.Ok(new Request(Optional.of(k.textValue()), digest(rest), rest));
  }

  /** The answer to a request whose idempotency key already made {@code creation}. */
  static Reply replay(KeyCreation creation, Request request, KeyStore keys, Instant now) {
    if (!creation.requestHash().equals(request.requestHash())) {
      return Reply.error(
          409,
          "idempotency_key_reused",
          "this idempotency_key was used for a different request; use a new one");
    }
    Optional<KeyRecord> key = keys.findById(creation.keyId());
    if (key.isEmpty()) {
      return Reply.error(
          409, "idempotency_key_reused", "the key this idempotency_key created no longer exists");
    }
    Optional<String> secret =
        creation.createdAt().plus(SECRET_WINDOW).isAfter(now)
            ? creation.secret()
            : Optional.empty();
    if (secret.isPresent()) {
      ObjectNode body = AdminViews.createdKey(key.get(), now, secret.get());
      body.put("idempotent_replay", true);
      return new Reply(201, body, "/keys/" + key.get().id());
    }
    ObjectNode body = AdminViews.key(key.get(), now);
    body.put("idempotent_replay", true);
    body.put(
        "vault_key_withheld",
        "the vault key is shown only within "
            + SECRET_WINDOW.toMinutes()
            + " minutes of creation; if it was lost, revoke this key and create another");
    return Reply.ok(body);
  }

  /** SHA-256 of the request with object fields in name order, so field order does not matter. */
  static String digest(JsonNode body) {
    try {
      return VaultKeys.hash(JSON.writeValueAsString(canonical(body)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a parsed body", e);
    }
  }

  private static Object canonical(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> sorted = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        sorted.put(e.getKey(), canonical(e.getValue()));
      }
      return sorted;
    }
    if (n.isArray()) {
      java.util.List<Object> out = new java.util.ArrayList<>();
      n.forEach(c -> out.add(canonical(c)));
      return out;
    }
    return n;
  }
}
