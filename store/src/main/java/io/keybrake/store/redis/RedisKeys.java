package io.keybrake.store.redis;

/**
 * The key layout. Everything the ledger touches carries the one Redis Cluster hash tag {@code
 * {ledger}}: a call's counters include fleet budgets shared by many keys, so no finer tag could put
 * every counter of every call in one slot. The ledger therefore lives in one slot (one shard), and
 * so do the dedup entries: a call's claim and reservation are one script ({@code
 * claim_reserve.lua}), as are its settlement and stored response ({@code settle_complete.lua}), and
 * a script's keys must share a slot. Public for operators and tests that look at what Redis holds.
 *
 * <pre>
 * kb:{ledger}:epoch            string  '&lt;run id&gt;/&lt;epoch&gt;' of the server the ledger was (re)built on;
 *                                      missing = rebuild; another server's = fenced (fence.lua)
 * kb:{ledger}:rebuild          string  rebuild lock (token, with TTL)
 * kb:{ledger}:c:&lt;counterId&gt;   hash    settled, reserved (micro-dollars)
 * kb:{ledger}:r:&lt;reservation&gt; hash    state, amount, spent, limit, n, c1..cn, x1..xn, actual
 * kb:{ledger}:d:&lt;fingerprint&gt; hash    state, token, exp, status, headers, body, waiters
 * kb:dedup:changed             channel fingerprints whose entry completed or was abandoned
 * kb:revocations               channel revoked key ids
 * kb:lease:&lt;job&gt;              string  the token of the instance running a housekeeping job (with TTL)
 * </pre>
 */
public final class RedisKeys {
  public static final String EPOCH = "kb:{ledger}:epoch";
  public static final String REBUILD_LOCK = "kb:{ledger}:rebuild";

  /** Sorted set of open reservations (their hash keys), scored by reservation time in ms. */
  public static final String OPEN = "kb:{ledger}:open";

  public static final String DEDUP_CHANNEL = "kb:dedup:changed";
  public static final String REVOCATION_CHANNEL = "kb:revocations";

  private RedisKeys() {}

  /** The hash of one counter ({@link io.keybrake.core.ledger.BudgetLimit#counterId()}). */
  public static String counter(String counterId) {
    return "kb:{ledger}:c:" + counterId;
  }

  /** The hash of one reservation. */
  public static String reservation(String reservationId) {
    return "kb:{ledger}:r:" + reservationId;
  }

  /** The lease of one housekeeping job ({@link RedisLeases}). */
  public static String lease(String job) {
    return "kb:lease:" + job;
  }

  /** The hash of one dedup entry. */
  public static String dedup(String fingerprint) {
    return "kb:{ledger}:d:" + fingerprint;
  }
}
