package io.keybrake.store.redis;

import io.keybrake.core.guard.GuardCounters;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The guards' counters in Redis, shared by every instance of a fleet: one {@code guard_count.lua}
 * run per call checks and raises all of a key's counters atomically (INCRBY with a PEXPIRE at the
 * window's end). Keys are {@code kb:{g:<key id>}:<counter id>}, one hash slot per vault key. The
 * counters are not rebuilt after Redis loses its data: they restart from zero (a loop is caught
 * again within its window). Thread-safe.
 */
public final class RedisGuardCounters implements GuardCounters {
  static final LuaScript GUARD_COUNT = LuaScript.load("guard_count");

  private final RedisStore store;

  public RedisGuardCounters(RedisStore store) {
    this.store = Objects.requireNonNull(store);
  }

  /** The Redis key of one guard counter or marker of {@code keyId}. */
  public static String key(String keyId, String counterId) {
    return "kb:{g:" + keyId + "}:" + counterId;
  }

  @Override
  public Tally count(String keyId, List<Step> steps, boolean enforce, Instant now) {
    int n = steps.size();
    String[] keys = new String[2 * n];
    List<String> args = new ArrayList<>(3 + 4 * n);
    args.add(Integer.toString(n));
    args.add(enforce ? "1" : "0");
    args.add(Long.toString(now.toEpochMilli()));
    for (int i = 0; i < n; i++) {
      Step step = steps.get(i);
      keys[i] = key(keyId, step.counterId());
      keys[n + i] = key(keyId, step.once().map(Once::markerId).orElse("none"));
      args.add(Long.toString(step.amount()));
      args.add(Long.toString(step.limit()));
      args.add(Long.toString(step.expiresAt().toEpochMilli()));
      args.add(Long.toString(step.once().map(o -> o.ttl().toMillis()).orElse(0L)));
    }
    List<Object> out = store.run(GUARD_COUNT, keys, args.toArray(new String[0]));
    long[] totals = new long[n];
    for (int i = 0; i < n; i++) {
      totals[i] = Long.parseLong(out.get(i + 1).toString());
    }
    return new Tally(Integer.parseInt(out.get(0).toString()) - 1, totals);
  }
}
