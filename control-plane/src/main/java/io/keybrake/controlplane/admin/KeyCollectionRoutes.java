package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.controlplane.admin.JsonExchange.Reply;
import io.keybrake.core.key.KeyPage;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /keys} (a page at a time, filtered by label, vendor and state) and {@code DELETE
 * /keys?label=name:value} (revoke every matching key in one call: "stop the whole fleet"). Neither
 * reads the whole registry. Thread-safe.
 */
final class KeyCollectionRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(KeyCollectionRoutes.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final KeyStore keys;
  private final Clock clock;
  private final Consumer<List<String>> onRevokedIds;
  private final Consumer<KeyRecord> audit;

  /**
   * @param onRevokedIds told, once per call, of the keys a bulk revocation revoked, after the store
   *     holds them (drops caches and routes everywhere)
   * @param audit told of each key a bulk revocation revoked, to write its {@code key_revoked} row
   */
  KeyCollectionRoutes(
      KeyStore keys, Clock clock, Consumer<List<String>> onRevokedIds, Consumer<KeyRecord> audit) {
    this.keys = Objects.requireNonNull(keys);
    this.clock = Objects.requireNonNull(clock);
    this.onRevokedIds = Objects.requireNonNull(onRevokedIds);
    this.audit = Objects.requireNonNull(audit);
  }

  /** {@code GET /keys}: {@code {"keys": [...], "next_cursor": "…" | null}}. */
  Reply list(Request request) {
    Instant now = clock.instant();
    KeyListParams.Parsed parsed = KeyListParams.parse(params(request), now);
    if (parsed instanceof KeyListParams.Parsed.Invalid bad) {
      return Reply.error(400, "invalid_request", bad.message());
    }
    KeyPage page = keys.page(((KeyListParams.Parsed.Ok) parsed).query());
    ArrayNode list = F.arrayNode();
    for (KeyRecord k : page.keys()) {
      list.add(AdminViews.key(k, now));
    }
    ObjectNode o = F.objectNode();
    o.set("keys", list);
    if (page.next().isPresent()) {
      o.put("next_cursor", KeyListParams.encodeCursor(page.next().get()));
    } else {
      o.putNull("next_cursor");
    }
    return Reply.ok(o);
  }

  /**
   * {@code DELETE /keys?label=name:value[&label=…]}: revokes every matching key not yet revoked and
   * answers {@code {"revoked": n, "labels": {…}}}. At least one label is required: this never
   * revokes the whole registry by accident. Each revoked key gets its {@code key_revoked} audit
   * row, as with {@code DELETE /keys/{id}}.
   */
  Reply revokeByLabel(Request request) {
    Map<String, List<String>> params = params(request);
    if (!params.keySet().stream().allMatch("label"::equals)
        || params.getOrDefault("label", List.of()).isEmpty()) {
      return Reply.error(
          400,
          "invalid_request",
          "DELETE /keys needs one or more label=name:value parameters and nothing else;"
              + " revoke a single key with DELETE /keys/{id}");
    }
    KeyListParams.Parsed parsed = KeyListParams.parse(params, clock.instant());
    if (parsed instanceof KeyListParams.Parsed.Invalid bad) {
      return Reply.error(400, "invalid_request", bad.message());
    }
    Map<String, String> labels = ((KeyListParams.Parsed.Ok) parsed).query().labels();
    List<String> revoked =
        keys.revokeMatching(labels, clock.instant().truncatedTo(ChronoUnit.MILLIS));
    LOG.info("admin: revoked {} key(s) labelled {}", revoked.size(), labels);
    if (!revoked.isEmpty()) {
      try {
        onRevokedIds.accept(revoked);
      } catch (RuntimeException e) {
        LOG.error(
            "admin: {} key(s) revoked in the store but the revocation hook failed",
            revoked.size(),
            e);
        audited(revoked);
        ObjectNode o =
            AdminViews.error(
                "revoke_not_propagated",
                revoked.size()
                    + " key(s) are revoked in the registry but running instances could not be told;"
                    + " repeat DELETE /keys/{id} for each of key_ids");
        o.putArray("key_ids").addAll(revoked.stream().map(F::textNode).toList());
        return new Reply(500, o, null);
      }
    }
    audited(revoked);
    ObjectNode o = F.objectNode();
    o.put("revoked", revoked.size());
    ObjectNode sel = o.putObject("labels");
    labels.forEach(sel::put);
    return Reply.ok(o);
  }

  private void audited(List<String> revoked) {
    for (String id : revoked) {
      keys.findById(id).ifPresent(audit);
    }
  }

  private static Map<String, List<String>> params(Request request) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Fields.Field f : Request.extractQueryParameters(request)) {
      out.put(f.getName(), f.getValues());
    }
    return out;
  }
}
