package io.keybrake.cli.prices;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.cost.ActualCost;
import io.keybrake.core.cost.CostEstimator;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import io.keybrake.core.key.VendorCredential;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.store.StoreUnavailableException;
import io.keybrake.core.vendor.EndpointMatch;
import io.keybrake.core.vendor.EndpointSpec;
import io.keybrake.core.vendor.VendorSpec;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Twilio answers a new message or call with {@code price: null}; Keybrake settles it at the
 * estimate, marked {@code estimated}. This job fetches each such resource again with the real
 * credential once Twilio has priced it, replaces the settled amount by the price ({@link
 * Ledger#adjust}) and appends a {@code settled} audit row carrying the estimate and the actual
 * cost. Rows already followed by a {@code settled} row are skipped. A fleet runs it from one
 * instance at a time (the holder of its lease: {@code KeybrakeApp#reconcilePass}), but it is safe
 * to run from several: the adjustment is atomic and idempotent, and only the instance whose
 * adjustment changed the amount appends the row (when the price equals the amount settled at, no
 * adjustment changes anything, and two instances racing may both append a row correcting nothing).
 *
 * <p>A pass keeps up to {@value #FETCHES_IN_FLIGHT} fetches in flight and settles their answers in
 * the log's order, so the cursor and the "oldest unpriced" figure mean what they would one fetch at
 * a time; it looks each key up (and decrypts its credential) once, not once per row.
 *
 * <p>A row Twilio answers without a price (or with an error: a message deleted since answers 404)
 * is fetched again after {@link #FIRST_RETRY}, then after twice as long each time up to {@link
 * #LONGEST_RETRY}; until then passes skip it without spending their budget on it. A message Twilio
 * never prices is so fetched about 30 times in the lookback instead of at every pass, and a few
 * hundred of them no longer take every pass's budget from the messages sent after them (a pass
 * still reads the waiting rows, and skips them). Thread-safe: {@link #runOnce} is synchronized.
 */
public final class TwilioPriceReconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TwilioPriceReconciler.class);
  private static final Map<String, String> FETCH_PATH =
      Map.of(
          "/2010-04-01/Accounts/{AccountSid}/Messages.json", "Messages",
          "/2010-04-01/Accounts/{AccountSid}/Calls.json", "Calls");

  /**
   * Bounds one pass's work (and its load on the vendor); a full pass leaves the rest to the next.
   */
  static final int MAX_FETCHES_PER_PASS = 500;

  /**
   * Fetches a pass has in flight at once: a pass of {@value #MAX_FETCHES_PER_PASS} waits for the
   * vendor's round trips a quarter as long, well under Twilio's per-account concurrency limit.
   */
  static final int FETCHES_IN_FLIGHT = 4;

  /** The wait before a row fetched without a price is fetched again; doubled after each fetch. */
  static final Duration FIRST_RETRY = Duration.ofSeconds(30);

  /** The longest wait between two fetches of a row still without a price. */
  static final Duration LONGEST_RETRY = Duration.ofHours(1);

  /** A fetched message or call is a few hundred bytes; anything near this is not one. */
  private static final int MAX_ANSWER_BYTES = 1 << 20;

  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

  /** Rows read from the audit log at a time. */
  private static final int PAGE = 200;

  private final AuditLog audit;
  private final KeyStore keys;
  private final Ledger ledger;
  private final VendorSpec twilio;
  private final CostEstimator costs;
  private final String base;
  private final Clock clock;
  private final Duration lookback;
  private final HttpClient http;

  /** Every row at or below this seq is settled or not the reconciler's (guarded by this). */
  private long cursor;

  /**
   * When the oldest row still at its estimate after the last pass was recorded (guarded by this).
   */
  private Optional<Instant> oldestUnpriced = Optional.empty();

  /**
   * Rows fetched without a price, by seq: how often, and when they may be fetched again (guarded by
   * this; rows at or below {@link #cursor} are dropped after each pass).
   */
  private final NavigableMap<Long, Retry> retries = new TreeMap<>();

  /** A row fetched {@code fetches} times without a price, fetched again from {@code due}. */
  private record Retry(int fetches, Instant due) {
    Retry next(Instant now) {
      Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(fetches, 20));
      return new Retry(
          fetches + 1, now.plus(wait.compareTo(LONGEST_RETRY) < 0 ? wait : LONGEST_RETRY));
    }
  }

  /**
   * @param base Twilio's API base URL (or a simulator's)
   * @param lookback how far back estimated rows are considered
   */
  public TwilioPriceReconciler(
      AuditLog audit,
      KeyStore keys,
      Ledger ledger,
      VendorSpec twilio,
      CostEstimator costs,
      URI base,
      Clock clock,
      Duration lookback) {
    this.audit = audit;
    this.keys = keys;
    this.ledger = ledger;
    this.twilio = twilio;
    this.costs = costs;
    this.base = base.toString().replaceAll("/+$", "");
    this.clock = clock;
    this.lookback = lookback;
    // Jetty's client, as the gateway's upstream calls use: answers are read on its selector thread
    // and handed to the pass's thread only, where the JDK's client moved each one through a
    // worker pool (half the reconciler's CPU per fetch went to those hand-offs)
    QueuedThreadPool threads = new QueuedThreadPool(8, 1);
    threads.setName("keybrake-reconciler-http");
    threads.setDaemon(true);
    this.http = new HttpClient();
    http.setExecutor(threads);
    http.setFollowRedirects(false);
    http.setConnectTimeout(5_000);
    http.setMaxConnectionsPerDestination(FETCHES_IN_FLIGHT);
    try {
      http.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the price reconciler's HTTP client", e);
    }
  }

  /**
   * One pass over the estimated rows of the lookback not settled yet, oldest first, from where the
   * last pass left off: every one is found in turn however busy the log is; at most {@value
   * #MAX_FETCHES_PER_PASS} fetches a pass. Returns how many were settled at the vendor's price.
   */
  public synchronized int runOnce() {
    Pass pass = new Pass();
    Instant since = clock.instant().minus(lookback);
    long after = cursor;
    try {
      while (pass.reading()) {
        List<AuditRecord> rows = audit.unpricedEstimates(twilio.id(), since, after, PAGE);
        for (AuditRecord r : rows) {
          if (!pass.reading()) {
            break;
          }
          pass.add(r);
        }
        if (rows.isEmpty()) {
          break;
        }
        after = rows.get(rows.size() - 1).seq();
        if (rows.size() < PAGE) {
          break;
        }
      }
      pass.drain(0);
    } finally {
      // fetches a stop left behind are not waited for; when the log could not be read, the
      // exception leaves the cursor where it was
      pass.abandonRest();
    }
    cursor = pass.firstLeft == null ? pass.after : pass.firstLeft.seq() - 1;
    retries.headMap(cursor, true).clear(); // settled, or out of the lookback
    oldestUnpriced = Optional.ofNullable(pass.firstLeft).map(r -> r.entry().at());
    pass.reportRefused();
    return pass.settled;
  }

  /**
   * When the oldest Twilio message or call still counted at its estimate was recorded, as the last
   * pass left it; empty when every one is priced (or no pass has run).
   */
  public synchronized Optional<Instant> oldestUnpriced() {
    return oldestUnpriced;
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      log.warn("the price reconciler's HTTP client did not stop cleanly: {}", e.getMessage());
    }
  }

  /** What one row's attempt came to. */
  private enum Outcome {
    /** Settled at the vendor's price. */
    SETTLED,
    /** Not priced yet (or the vendor answered otherwise): fetched again after a wait. */
    NOT_YET,
    /** Fetched without a price before, and its wait is not over: not fetched in this pass. */
    WAITING,
    /** Its key is gone, or nothing can fetch a price for its endpoint. */
    NEVER,
    /**
     * Another instance adjusted it first (that instance appends the row), or its reservation is
     * gone: nothing to record here.
     */
    ELSEWHERE,
    /** The vendor or the store cannot be reached, or the pass's budget is spent: stop here. */
    STOPPED;

    boolean leavesRow() {
      return this == NOT_YET || this == WAITING || this == STOPPED;
    }
  }

  /** One row on its way: its fetch (null when it needs none) and, once known, its outcome. */
  private record Step(AuditRecord row, CompletableFuture<ContentResponse> fetch, Outcome known) {}

  /**
   * The rows of one pass in the log's order, with up to {@value #FETCHES_IN_FLIGHT} fetches in
   * flight; a row's outcome is applied only after every earlier row's, so the first row left at its
   * estimate is the oldest. Not thread-safe: the pass's own thread.
   */
  private final class Pass {
    private final ArrayDeque<Step> window = new ArrayDeque<>();
    private final Map<String, Optional<KeyRecord>> keysSeen = new HashMap<>();
    private final Instant now = clock.instant();
    private int inFlight;
    private int refused; // fetches answered other than 200
    private String firstRefused;
    private int fetched;
    int settled;
    boolean stopped;
    boolean stopQueued;
    long after = cursor;
    AuditRecord firstLeft; // the oldest row still at its estimate

    void add(AuditRecord r) {
      AuditEntry e = r.entry();
      Retry retry = retries.get(r.seq());
      if (!FETCH_PATH.containsKey(e.endpoint())) {
        window.add(new Step(r, null, Outcome.NEVER)); // an estimate nothing can fetch a price for
      } else if (retry != null && now.isBefore(retry.due())) {
        window.add(new Step(r, null, Outcome.WAITING));
      } else if (fetched >= MAX_FETCHES_PER_PASS) {
        queueStop(r); // the first row the budget leaves
      } else {
        Optional<KeyRecord> key = key(e.keyId());
        if (key == null) {
          queueStop(r); // the store cannot be reached
        } else if (key.isEmpty() || !twilio.id().equals(key.get().vendor())) {
          window.add(new Step(r, null, Outcome.NEVER));
        } else {
          fetched++;
          inFlight++;
          window.add(new Step(r, fetch(e, key.get()), null));
        }
      }
      drain(FETCHES_IN_FLIGHT - 1);
    }

    /** Whether the pass reads on: no row it cannot settle now (budget spent, store down) yet. */
    boolean reading() {
      return !stopped && !stopQueued;
    }

    private void queueStop(AuditRecord r) {
      window.add(new Step(r, null, Outcome.STOPPED));
      stopQueued = true;
    }

    /** The key (looked up once a pass), or null when the store cannot be reached. */
    private Optional<KeyRecord> key(String id) {
      Optional<KeyRecord> known = keysSeen.get(id);
      if (known == null) {
        try {
          known = keys.findById(id);
        } catch (StoreUnavailableException failure) {
          log.warn("price reconciliation stopped: {}", failure.toString());
          return null;
        }
        keysSeen.put(id, known);
      }
      return known;
    }

    /** Applies outcomes from the oldest row until at most {@code maxInFlight} fetches remain. */
    void drain(int maxInFlight) {
      while (!stopped && !window.isEmpty()) {
        Step head = window.peek();
        if (head.fetch() != null && inFlight <= maxInFlight) {
          return;
        }
        window.poll();
        Outcome done;
        if (head.fetch() == null) {
          done = head.known();
        } else {
          inFlight--;
          done = settle(head.row().entry(), head.fetch());
        }
        apply(head.row(), done);
      }
    }

    private void apply(AuditRecord r, Outcome done) {
      if (done.leavesRow() && firstLeft == null) {
        firstLeft = r;
      }
      if (done == Outcome.STOPPED) {
        stopped = true;
        return;
      }
      if (done == Outcome.SETTLED) {
        settled++;
      }
      if (done == Outcome.NOT_YET) {
        Retry was = retries.get(r.seq());
        retries.put(r.seq(), (was == null ? new Retry(0, now) : was).next(now));
      } else if (done != Outcome.WAITING) {
        retries.remove(r.seq());
      }
      after = r.seq();
    }

    /** Rows after a stop wait for the next pass; their fetches are not waited for. */
    void abandonRest() {
      for (Step s : window) {
        if (s.fetch() != null) {
          s.fetch().cancel(true);
        }
      }
      window.clear();
    }

    /** One line a pass, not one per fetch: a deleted message answers 404 at each of its fetches. */
    void reportRefused() {
      if (refused > 0) {
        log.warn(
            "{} price fetch(es) answered other than 200 (the first: {}); each is fetched again later",
            refused,
            firstRefused);
      }
    }

    /** Waits for a row's fetch and settles the row at the price it shows. */
    private Outcome settle(AuditEntry e, CompletableFuture<ContentResponse> fetch) {
      ContentResponse resp;
      try {
        resp = fetch.get();
      } catch (InterruptedException failure) {
        Thread.currentThread().interrupt();
        return Outcome.STOPPED;
      } catch (ExecutionException | CancellationException failure) {
        Throwable cause = failure.getCause() == null ? failure : failure.getCause();
        log.warn("price of {} not reconciled yet: {}", e.vendorObjectId(), cause.toString());
        return Outcome.STOPPED;
      }
      if (resp.getStatus() != 200) {
        if (refused++ == 0) {
          firstRefused = e.vendorObjectId() + " " + resp.getStatus();
        }
        return Outcome.NOT_YET;
      }
      String create =
          FETCH_PATH.get(e.endpoint()).equals("Messages") ? "messages.create" : "calls.create";
      EndpointSpec spec = twilio.endpoint(create).orElseThrow();
      ActualCost actual = costs.actual(new EndpointMatch(spec, Map.of()), 200, resp.getContent());
      if (actual.micros().isEmpty()) {
        return Outcome.NOT_YET; // not priced yet: fetched again after a wait
      }
      try {
        return record(e, actual.micros().getAsLong(), resp.getStatus());
      } catch (StoreUnavailableException failure) {
        log.warn("price of {} not reconciled yet: {}", e.vendorObjectId(), failure.toString());
        return Outcome.STOPPED;
      }
    }
  }

  /** Starts fetching the message or call with the key's real credential. */
  private CompletableFuture<ContentResponse> fetch(AuditEntry e, KeyRecord key) {
    VendorCredential cred = key.credential();
    String kind = FETCH_PATH.get(e.endpoint());
    Request request =
        http.newRequest(
                URI.create(
                    base
                        + "/2010-04-01/Accounts/"
                        + cred.value(twilio, "account_sid")
                        + "/"
                        + kind
                        + "/"
                        + e.vendorObjectId()
                        + ".json"))
            .method(HttpMethod.GET)
            .timeout(FETCH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    // the credential where the spec injects it (Basic account SID : auth token)
    List<Map.Entry<String, String>> auth =
        io.keybrake.core.key.CredentialInjection.headers(twilio, cred);
    request.headers(
        m -> {
          for (Map.Entry<String, String> h : auth) {
            m.put(h.getKey(), h.getValue());
          }
        });
    return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send();
  }

  /** Replaces the settled amount by the price and appends the {@code settled} row. */
  private Outcome record(AuditEntry e, long micros, int status) {
    // no change: another instance adjusted it first, or the price is the estimate it was settled at
    if (!ledger.adjust(e.reservationId(), micros) && micros != e.estimatedMicros()) {
      return Outcome.ELSEWHERE; // a second settled row would count the correction twice
    }
    audit.append(
        new AuditEntry(
            clock.instant(),
            e.keyId(),
            e.keyName(),
            e.labels(),
            e.vendor(),
            e.method(),
            e.endpoint(),
            e.destination(),
            0,
            e.estimatedMicros(),
            micros,
            e.vendorObjectId(),
            "settled",
            null,
            status,
            0,
            0,
            "settled",
            e.reservationId()));
    return Outcome.SETTLED;
  }
}
