package io.keybrake.core.ledger;

import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.policy.Policy;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * The budgets a key's own policy puts on every call: its daily cap, for the calendar day of the
 * policy's time zone, and its lifetime cap when it has one. Fleet and vendor budgets are added by
 * their own registry. Stateless and thread-safe.
 */
public final class KeyBudgets {
  /** {@link BudgetLimit#budget()} of a key's daily cap. */
  public static final String KEY_DAILY = "key_daily";

  /** {@link BudgetLimit#budget()} of a key's lifetime cap. */
  public static final String KEY_TOTAL = "key_total";

  private KeyBudgets() {}

  /** The counter owner of a key's own budgets: {@code "key:" + id}. */
  public static String scope(String keyId) {
    return "key:" + keyId;
  }

  /**
   * The key's limits at {@code now}: {@link #KEY_DAILY} first, then {@link #KEY_TOTAL} if the
   * policy has a total cap.
   */
  public static List<BudgetLimit> limitsFor(KeyRecord key, Instant now) {
    Policy p = key.policy();
    List<BudgetLimit> out = new ArrayList<>(2);
    out.add(daily(key.id(), p.dailyCapMicros(), p.timeZone(), now));
    p.totalCapMicros()
        .ifPresent(
            cap ->
                out.add(
                    new BudgetLimit(KEY_TOTAL, scope(key.id()), cap, Instant.EPOCH, Instant.MAX)));
    return List.copyOf(out);
  }

  /**
   * The daily limit for the calendar day of {@code zone} that contains {@code now}: from that day's
   * first instant (inclusive) to the next day's first instant (exclusive). Days are 23 or 25 hours
   * long across daylight-saving changes.
   */
  public static BudgetLimit daily(String keyId, long capMicros, ZoneId zone, Instant now) {
    LocalDate day = LocalDate.ofInstant(now, zone);
    Instant start = day.atStartOfDay(zone).toInstant();
    Instant end = day.plusDays(1).atStartOfDay(zone).toInstant();
    return new BudgetLimit(KEY_DAILY, scope(keyId), capMicros, start, end);
  }
}
