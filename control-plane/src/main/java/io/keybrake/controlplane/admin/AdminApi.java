package io.keybrake.controlplane.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keybrake.controlplane.admin.JsonExchange.Reply;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.key.KeyCreation;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VaultKeys;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.KeyBudgets;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.core.store.UnitOfWork;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdminApi} is the admin REST API (DESIGN.md §6) as a Jetty core handler: {@code /keys},
 * {@code /keys/{id}}, {@code /keys/{id}/spend}, {@code /budgets} and {@code /audit}. Every route
 * needs the {@code X-Admin-Key} header. Errors are {@code {"code","message"}}.
 *
 * <p>Which requests are the admin API's, when it shares a port with the local gateway: a request
 * whose path is {@code /keys}, {@code /budgets} or {@code /audit} or lies below one of them, and
 * any request that carries an {@code X-Admin-Key} header. The API answers every one of them, with
 * 404 {@code not_found} for a path it has no route for; it declines ({@code handle} returns false)
 * every other request, so a following handler such as the local gateway serves it. No vendor API
 * has a path under those three prefixes, and an agent never sends {@code X-Admin-Key}, so an admin
 * request is never forwarded to a vendor nor audited as a vault-key call.
 *
 * <p>Every change (a key created or revoked, a budget created) is a row of the hash-chained audit
 * log naming the acting admin key by its id ({@link AdminAudit}).
 *
 * <p>Thread-safe: it holds only its collaborators, which are thread-safe themselves. Requests are
 * served blocking on Jetty's thread pool.
 */
public final class AdminApi extends Handler.Abstract {
  /** The largest request body accepted; larger ones get 413. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  static final String ADMIN_KEY_HEADER = "X-Admin-Key";

  /** How long after an idempotent creation a retry is shown the vault key again. */
  public static final java.time.Duration IDEMPOTENT_SECRET_WINDOW =
      IdempotentCreation.SECRET_WINDOW;

  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
  private static final Pattern KEY_ID = Pattern.compile("key_[0-9A-Za-z]{1,64}");

  private final String adminKeyHash;
  private final KeyStore keys;
  private final Ledger ledger;
  private final AuditLog audit;
  private final Clock clock;
  private final Consumer<KeyRecord> onRevoke;
  private final Consumer<KeyRecord> onCreate;
  private volatile KeyCollectionRoutes keyCollection;
  private volatile BudgetRoutes budgets;
  private volatile io.keybrake.core.budget.BudgetCache budgetLimits;
  private volatile UnitOfWork unitOfWork = UnitOfWork.NONE;
  private final JsonExchange exchange = new JsonExchange(MAX_BODY_BYTES);
  private final AdminAudit changes;

  /**
   * @param adminKey the value {@code X-Admin-Key} must carry; not blank
   * @param onRevoke told of every key a {@code DELETE} revoked (again, for repeated deletes), after
   *     the store holds the revocation; used to drop caches everywhere
   */
  public AdminApi(
      String adminKey,
      KeyStore keys,
      Ledger ledger,
      AuditLog audit,
      Clock clock,
      Consumer<KeyRecord> onRevoke) {
    this(adminKey, keys, ledger, audit, clock, onRevoke, created -> {});
  }

  /**
   * @param onCreate told of every key {@code POST /keys} stored (e.g. to push its xDS route)
   */
  public AdminApi(
      String adminKey,
      KeyStore keys,
      Ledger ledger,
      AuditLog audit,
      Clock clock,
      Consumer<KeyRecord> onRevoke,
      Consumer<KeyRecord> onCreate) {
    if (adminKey == null || adminKey.isBlank()) {
      throw new IllegalArgumentException("the admin key must not be blank");
    }
    this.adminKeyHash = VaultKeys.hash(adminKey);
    this.keys = Objects.requireNonNull(keys);
    this.ledger = Objects.requireNonNull(ledger);
    this.audit = Objects.requireNonNull(audit);
    this.clock = Objects.requireNonNull(clock);
    this.onRevoke = Objects.requireNonNull(onRevoke);
    this.onCreate = Objects.requireNonNull(onCreate);
    this.changes = new AdminAudit(audit, clock, adminKey);
    LOG.info("admin API: admin key id {}", changes.actor());
    this.keyCollection =
        new KeyCollectionRoutes(
            keys, clock, ids -> ids.forEach(id -> keys.findById(id).ifPresent(onRevoke)));
  }

  /**
   * Tells {@code onRevokedIds}, once per call (instead of the {@code onRevoke} hook once per key,
   * which needs the whole record), of the keys {@code DELETE /keys?label=} revoked. Call before the
   * server starts.
   */
  public AdminApi withBulkRevocation(Consumer<List<String>> onRevokedIds) {
    this.keyCollection = new KeyCollectionRoutes(keys, clock, onRevokedIds);
    return this;
  }

  /**
   * Runs a key's creation and its audit row as one unit of {@code work} (the embedded store: one
   * SQLite transaction, so both commit or neither). Without it (fleet stores) the row is appended
   * after the key, and the key revoked if the append fails. Call before the server starts.
   */
  public AdminApi withUnitOfWork(UnitOfWork work) {
    this.unitOfWork = Objects.requireNonNull(work);
    return this;
  }

  /**
   * Serves {@code POST/GET /budgets} from {@code store}, and lists every budget that applies to a
   * key in its {@code /spend}. Call before the server starts.
   *
   * @param onChange told after a budget is created (e.g. to drop the pipeline's budget cache)
   */
  public AdminApi withBudgets(io.keybrake.core.budget.BudgetStore store, Runnable onChange) {
    this.budgets = new BudgetRoutes(store, ledger, clock, onChange, changes::budgetCreated);
    this.budgetLimits =
        new io.keybrake.core.budget.BudgetCache(store, clock, java.time.Duration.ZERO);
    return this;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    Route route = Route.of(path);
    if (route == null) {
      if (!request.getHeaders().contains(ADMIN_KEY_HEADER)) {
        return false;
      }
      route = new Route(Kind.UNKNOWN, null);
    }
    Reply reply;
    try {
      reply = serve(route, request);
    } catch (StoreUnavailableException e) {
      LOG.warn("admin {} {}: store unavailable: {}", request.getMethod(), route.kind, e.toString());
      reply = Reply.error(503, "store_unavailable", "the store did not answer; try again");
    } catch (RuntimeException e) {
      LOG.error("admin {} {} failed", request.getMethod(), route.kind, e);
      reply = Reply.error(500, "internal_error", "the request failed; see the server log");
    }
    exchange.send(request, response, callback, reply);
    return true;
  }

  private Reply serve(Route route, Request request) {
    if (!authorized(request)) {
      return Reply.error(401, "unauthorized", "missing or wrong " + ADMIN_KEY_HEADER + " header");
    }
    String method = request.getMethod();
    if (route.keyId != null && !KEY_ID.matcher(route.keyId).matches()) {
      return notFound();
    }
    switch (route.kind) {
      case KEYS:
        if (method.equals("POST")) {
          return createKey(request);
        }
        if (method.equals("DELETE")) {
          return keyCollection.revokeByLabel(request);
        }
        return method.equals("GET") ? keyCollection.list(request) : notAllowed("GET, POST, DELETE");
      case KEY:
        if (method.equals("GET")) {
          return getKey(route.keyId);
        }
        return method.equals("DELETE") ? revokeKey(route.keyId) : notAllowed("GET, DELETE");
      case SPEND:
        return method.equals("GET") ? spend(route.keyId) : notAllowed("GET");
      case AUDIT:
        return method.equals("GET") ? audit(request) : notAllowed("GET");
      case UNKNOWN:
        return Reply.error(404, "not_found", "the admin API has no such route");
      case BUDGETS:
        if (budgets == null) {
          return Reply.error(404, "not_found", "budgets are not served by this process");
        }
        if (method.equals("POST")) {
          JsonExchange.Body body = exchange.read(request);
          return body.error() != null ? body.error() : budgets.create(body.node());
        }
        return method.equals("GET") ? budgets.list() : notAllowed("GET, POST");
      default:
        throw new IllegalStateException("unrouted " + route.kind);
    }
  }

  private boolean authorized(Request request) {
    String given = request.getHeaders().get(ADMIN_KEY_HEADER);
    // compare digests so neither the content nor the length of the admin key leaks through timing
    return given != null && VaultKeys.constantTimeEquals(VaultKeys.hash(given), adminKeyHash);
  }

  private Reply createKey(Request request) {
    JsonExchange.Body body = exchange.read(request);
    if (body.error() != null) {
      return body.error();
    }
    IdempotentCreation.Parsed idem = IdempotentCreation.parse(body.node());
    if (idem instanceof IdempotentCreation.Parsed.Invalid bad) {
      return Reply.error(400, "invalid_request", bad.message());
    }
    IdempotentCreation.Request retry = ((IdempotentCreation.Parsed.Ok) idem).request();
    NewKeyRequest.Parsed parsed = NewKeyRequest.parse(retry.body());
    if (parsed instanceof NewKeyRequest.Parsed.Invalid bad) {
      return Reply.error(400, "invalid_request", bad.message());
    }
    NewKeyRequest req = ((NewKeyRequest.Parsed.Ok) parsed).request();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    if (retry.key().isPresent()) {
      Optional<KeyCreation> before = keys.findCreation(retry.key().get());
      if (before.isPresent()) {
        return IdempotentCreation.replay(before.get(), retry, keys, clock.instant());
      }
    }
    String secret = VaultKeys.newSecret();
    KeyRecord key =
        new KeyRecord(
            VaultKeys.newKeyId(),
            req.name(),
            req.vendor(),
            req.labels(),
            req.policy(),
            VaultKeys.hash(secret),
            req.credential(),
            now,
            req.policy().expiresIn().map(now::plus),
            Optional.empty());
    try {
      // the key and its audit row in one transaction where the store has them (embedded): they
      // commit together, and concurrent creations share commits (SqliteDatabase's group commit)
      unitOfWork.inOne(
          "create a key",
          () -> {
            if (retry.key().isPresent()) {
              keys.create(
                  key,
                  new KeyCreation(
                      retry.key().get(), key.id(), retry.requestHash(), Optional.of(secret), now));
            } else {
              keys.create(key);
            }
            if (unitOfWork != UnitOfWork.NONE) {
              changes.keyCreated(key);
            }
            return null;
          });
    } catch (IllegalStateException e) {
      Optional<KeyCreation> raced = retry.key().flatMap(keys::findCreation);
      if (raced.isPresent()) { // a concurrent retry created it first
        return IdempotentCreation.replay(raced.get(), retry, keys, clock.instant());
      }
      // the KeyStore contract's signal for a duplicate id or secret hash (SqliteKeyStore)
      return Reply.error(409, "conflict", "a key with the same id already exists; retry");
    }
    if (unitOfWork == UnitOfWork.NONE) {
      try {
        changes.keyCreated(key);
      } catch (RuntimeException e) {
        // no change without its audit row: the secret was never shown, so revoking loses nothing
        keys.revoke(key.id(), now);
        throw e;
      }
    }
    LOG.info(
        "admin {}: created key {} ({}) for {}",
        changes.actor(),
        key.id(),
        key.name(),
        key.vendor());
    try {
      onCreate.accept(key);
    } catch (RuntimeException e) {
      LOG.warn("admin: key {} created, but listeners were not told: {}", key.id(), e.getMessage());
    }
    return new Reply(201, AdminViews.createdKey(key, now, secret), "/keys/" + key.id());
  }

  private Reply getKey(String id) {
    return keys.findById(id)
        .map(k -> Reply.ok(AdminViews.key(k, clock.instant())))
        .orElseGet(() -> notFound());
  }

  private Reply revokeKey(String id) {
    Optional<KeyRecord> revoked = keys.revoke(id, clock.instant().truncatedTo(ChronoUnit.MILLIS));
    if (revoked.isEmpty()) {
      return notFound();
    }
    LOG.info("admin {}: revoked key {}", changes.actor(), id);
    try {
      onRevoke.accept(revoked.get());
    } catch (RuntimeException e) {
      LOG.error("admin: key {} revoked in the store but the revocation hook failed", id, e);
      changes.keyRevoked(revoked.get());
      return Reply.error(
          500,
          "revoke_not_propagated",
          "the key is revoked in the registry but running instances could not be told;"
              + " repeat the DELETE");
    }
    changes.keyRevoked(revoked.get());
    return Reply.ok(AdminViews.key(revoked.get(), clock.instant()));
  }

  private Reply spend(String id) {
    Optional<KeyRecord> key = keys.findById(id);
    if (key.isEmpty()) {
      return notFound();
    }
    List<BudgetLimit> limits = KeyBudgets.limitsFor(key.get(), clock.instant());
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("key_id", id);
    o.setAll(AdminViews.spend(limits.get(0), ledger.counter(limits.get(0))));
    o.set(
        "total",
        limits.size() > 1
            ? AdminViews.spend(limits.get(1), ledger.counter(limits.get(1)))
            : JsonNodeFactory.instance.nullNode());
    ArrayNode applied = o.putArray("budgets");
    if (budgetLimits != null) {
      for (BudgetLimit limit : budgetLimits.limitsFor(key.get(), clock.instant())) {
        applied.add(AdminViews.spend(limit, ledger.counter(limit)));
      }
    }
    return Reply.ok(o);
  }

  private Reply audit(Request request) {
    Fields fields = Request.extractQueryParameters(request);
    Map<String, List<String>> params = new LinkedHashMap<>();
    for (Fields.Field f : fields) {
      params.put(f.getName(), f.getValues());
    }
    AuditParams.Parsed parsed = AuditParams.parse(params);
    if (parsed instanceof AuditParams.Parsed.Invalid bad) {
      return Reply.error(400, "invalid_request", bad.message());
    }
    ArrayNode rows = JsonNodeFactory.instance.arrayNode();
    for (AuditRecord r : audit.query(((AuditParams.Parsed.Ok) parsed).query())) {
      rows.add(AdminViews.auditRow(r));
    }
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.set("rows", rows);
    return Reply.ok(o);
  }

  private static Reply notFound() {
    // the id is not echoed: a mistaken caller may have put a secret in the path
    return Reply.error(404, "not_found", "no key with this id");
  }

  private static Reply notAllowed(String allow) {
    Reply r = Reply.error(405, "method_not_allowed", "this path allows " + allow);
    return new Reply(r.status(), r.body(), null, allow);
  }

  /** The routes this handler owns. */
  private enum Kind {
    KEYS,
    KEY,
    SPEND,
    AUDIT,
    BUDGETS,
    /** Under an admin prefix, or sent with the admin header, but no route: 404. */
    UNKNOWN
  }

  private record Route(Kind kind, String keyId) {
    /** The path prefixes the admin API owns, with every path below them. */
    static final List<String> PREFIXES = List.of("/keys", "/budgets", "/audit");

    /** The route for {@code path}, or null when the path is not under an admin prefix. */
    static Route of(String path) {
      if (path == null || PREFIXES.stream().noneMatch(p -> owns(p, path))) {
        return null;
      }
      switch (path) {
        case "/keys":
          return new Route(Kind.KEYS, null);
        case "/audit":
          return new Route(Kind.AUDIT, null);
        case "/budgets":
          return new Route(Kind.BUDGETS, null);
        default:
          break;
      }
      if (!path.startsWith("/keys/")) {
        return new Route(Kind.UNKNOWN, null);
      }
      String rest = path.substring("/keys/".length());
      boolean spend = rest.endsWith("/spend");
      String id = spend ? rest.substring(0, rest.length() - "/spend".length()) : rest;
      if (id.isEmpty() || id.indexOf('/') >= 0) {
        return new Route(Kind.UNKNOWN, null);
      }
      return new Route(spend ? Kind.SPEND : Kind.KEY, id);
    }

    /** {@code path} is {@code prefix} or below it ({@code /keys/x}, not {@code /keysx}). */
    private static boolean owns(String prefix, String path) {
      return path.equals(prefix) || path.startsWith(prefix + "/") || path.startsWith(prefix + ";");
    }
  }
}
