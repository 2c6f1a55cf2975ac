package io.keybrake.core.ledger;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditQuery;
import io.keybrake.core.audit.AuditRecord;
import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetLimits;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.key.KeyRecord;
import io.keybrake.core.key.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The spend a shared ledger is rebuilt from, read from the audit log: every allowed decision whose
 * reservation still counts in a window open now, with the limits its key and the budgets gave it at
 * the time of the decision. Settled and estimated rows count as settled spend, unsettled rows as
 * reserved, released rows not at all. Reservations still in flight when the ledger lost its
 * counters have no row yet and are not counted. Thread-safe (stateless between calls).
 */
public final class AuditSpendRecord implements SpendRecord {
  private static final int PAGE = AuditQuery.MAX_LIMIT;

  private final AuditLog audit;
  private final KeyStore keys;
  private final BudgetStore budgets;

  public AuditSpendRecord(AuditLog audit, KeyStore keys, BudgetStore budgets) {
    this.audit = audit;
    this.keys = keys;
    this.budgets = budgets;
  }

  @Override
  public List<RecordedSpend> openSpend(Instant now) {
    List<KeyRecord> allKeys = keys.list();
    Map<String, KeyRecord> byId = new HashMap<>();
    boolean lifetime = false;
    for (KeyRecord k : allKeys) {
      byId.put(k.id(), k);
      lifetime |= k.policy().totalCapMicros().isPresent();
    }
    List<Budget> all = budgets.list();
    // the oldest window that can still be open: a lifetime cap, else this month (monthly budgets)
    // less a day (daily windows in time zones west of UTC)
    Instant since =
        lifetime
            ? Instant.EPOCH
            : now.atZone(ZoneOffset.UTC)
                .withDayOfMonth(1)
                .toLocalDate()
                .atStartOfDay(ZoneOffset.UTC)
                .toInstant()
                .minus(Duration.ofDays(1));
    // per reservation the newest row wins: a later 'settled' row (the vendor's final price)
    // replaces the allowed row's amount
    Map<String, AuditRecord> newest = new HashMap<>();
    // The log orders rows by sequence, not by time, so pages are found by halving time ranges
    // until each holds fewer rows than a page.
    Deque<Instant[]> ranges = new ArrayDeque<>();
    ranges.push(new Instant[] {since, now.plusNanos(1)});
    while (!ranges.isEmpty()) {
      Instant[] r = ranges.pop();
      List<AuditRecord> page =
          audit.query(new AuditQuery(Optional.empty(), Optional.of(r[0]), Optional.of(r[1]), PAGE));
      long span = Duration.between(r[0], r[1]).toNanos();
      if (page.size() >= PAGE && span > 1) {
        Instant mid = r[0].plusNanos(span / 2);
        ranges.push(new Instant[] {r[0], mid});
        ranges.push(new Instant[] {mid, r[1]});
        continue;
      }
      if (page.size() >= PAGE) {
        throw new IllegalStateException(
            "more than " + PAGE + " audit rows share the instant " + r[0] + "; cannot rebuild");
      }
      for (AuditRecord rec : page) {
        String rid = rec.entry().reservationId();
        if (rid != null) {
          newest.merge(rid, rec, (x, y) -> x.seq() >= y.seq() ? x : y);
        }
      }
    }
    List<RecordedSpend> out = new ArrayList<>();
    for (AuditRecord rec : newest.values()) {
      spendOf(rec.entry(), byId, all, now).ifPresent(out::add);
    }
    return out;
  }

  private static Optional<RecordedSpend> spendOf(
      AuditEntry e, Map<String, KeyRecord> keys, List<Budget> budgets, Instant now) {
    boolean counted = "allowed".equals(e.decision()) || "settled".equals(e.decision());
    if (!counted || e.reservationId() == null || e.keyId() == null) {
      return Optional.empty();
    }
    KeyRecord key = keys.get(e.keyId());
    if (key == null) {
      return Optional.empty();
    }
    boolean settled;
    long micros;
    switch (e.settlement()) {
      case "settled" -> {
        settled = true;
        micros = e.actualMicros() != null ? e.actualMicros() : e.estimatedMicros();
      }
      case "estimated" -> {
        settled = true;
        micros = e.estimatedMicros();
      }
      case "unsettled" -> {
        settled = false;
        micros = e.estimatedMicros();
      }
      default -> {
        return Optional.empty();
      }
    }
    List<BudgetLimit> limits = new ArrayList<>(KeyBudgets.limitsFor(key, e.at()));
    limits.addAll(BudgetLimits.limitsFor(budgets, key, e.at()));
    limits.removeIf(l -> !l.windowEnd().isAfter(now));
    if (limits.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new RecordedSpend(e.reservationId(), limits, micros, settled));
  }
}
