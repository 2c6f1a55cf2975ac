package io.keybrake.core.testing;

import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.OpenReservation;
import io.keybrake.core.admission.OpenReservations;
import io.keybrake.core.admission.Stages;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.CounterSnapshot;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import io.keybrake.core.store.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory fake of the spend store's ports, {@link Admission} and {@link Ledger}, with the
 * meaning their real implementations have (one lock makes every step atomic). {@link #unavailable}
 * makes every call throw {@link StoreUnavailableException}, as a store that does not answer. For
 * tests of the pipeline and of anything built on these ports; thread-safe.
 */
public final class InMemoryStore implements Admission, Ledger, OpenReservations {

  /** A reservation's state as the fake keeps it. */
  public enum State {
    RESERVED,
    SETTLED,
    RELEASED,
    UNSETTLED
  }

  /** One reservation: its limits, amount and state. */
  public record Reservation(
      String id, String keyId, List<BudgetLimit> limits, long micros, State state, Instant at) {
    Reservation with(long newMicros, State newState) {
      return new Reservation(id, keyId, limits, newMicros, newState, at);
    }
  }

  private record Entry(String token, Instant expiresAt, StoredResponse response) {}

  private final Map<String, long[]> counters = new HashMap<>(); // counterId → {settled, reserved}
  private final Map<String, Reservation> reservations = new HashMap<>();
  private final Map<String, Entry> dedup = new HashMap<>();
  private final List<CompletableFuture<Void>> changes = new java.util.ArrayList<>();
  private final java.util.Set<String> finalPrices = new java.util.HashSet<>();
  private volatile boolean unavailable;
  private int admits;

  /** From now on every call fails as a store that does not answer (or answers again). */
  public void unavailable(boolean down) {
    this.unavailable = down;
  }

  /** How many times {@link #admit} reached the store. */
  public synchronized int admits() {
    return admits;
  }

  /**
   * Whether the reservation was settled through its ticket at a price said to be final (nothing
   * will adjust it), rather than at an estimate the vendor prices later.
   */
  public synchronized boolean settledAtFinalPrice(String reservationId) {
    return finalPrices.contains(reservationId);
  }

  /** Every reservation made, by id. */
  public synchronized Map<String, Reservation> reservations() {
    return Map.copyOf(reservations);
  }

  /** Adds settled spend to a counter, as earlier calls would have. */
  public synchronized void spend(BudgetLimit limit, long micros) {
    counter(limit.counterId())[0] += micros;
  }

  /** Whether a live dedup entry exists for the fingerprint (in flight or completed). */
  public synchronized boolean holdsClaim(String fingerprint, Instant now) {
    Entry e = dedup.get(fingerprint);
    return e != null && e.expiresAt().isAfter(now);
  }

  /** Completes at once, as a store that answered (or failed) before the call returned. */
  @Override
  public CompletionStage<Admit> admit(
      String fingerprint, Instant dedupUntil, ReserveRequest request) {
    return Stages.call(
        () -> CompletableFuture.completedFuture(admitNow(fingerprint, dedupUntil, request)));
  }

  private synchronized Admit admitNow(
      String fingerprint, Instant dedupUntil, ReserveRequest request) {
    up();
    admits++;
    String token = null;
    if (fingerprint != null) {
      Entry e = dedup.get(fingerprint);
      if (e != null && e.expiresAt().isAfter(request.at())) {
        return e.response() == null ? new Admit.InFlight() : new Admit.Replay(e.response());
      }
      token = UUID.randomUUID().toString();
    }
    ReserveOutcome outcome = reserve(request);
    if (outcome instanceof ReserveOutcome.Exhausted no) {
      return Admit.Exhausted.of(no);
    }
    if (token != null) {
      dedup.put(fingerprint, new Entry(token, dedupUntil, null));
    }
    return new Admit.Admitted(
        new FakeTicket((ReserveOutcome.Reserved) outcome, fingerprint, token));
  }

  @Override
  public CompletionStage<Void> awaitChange(String fingerprint, Duration maxWait) {
    CompletableFuture<Void> changed = new CompletableFuture<>();
    synchronized (this) {
      changes.add(changed);
    }
    return changed
        .completeOnTimeout(null, Math.max(1, maxWait.toNanos()), TimeUnit.NANOSECONDS)
        .whenComplete(
            (v, e) -> {
              synchronized (this) {
                changes.remove(changed);
              }
            });
  }

  /**
   * Wakes every waiter of {@link #awaitChange}: some entry changed. The waiters run on another
   * thread, as a store's notification would, not inside this store's lock.
   */
  private void changed() {
    List<CompletableFuture<Void>> woken = List.copyOf(changes);
    changes.clear();
    if (!woken.isEmpty()) {
      CompletableFuture.runAsync(() -> woken.forEach(f -> f.complete(null)));
    }
  }

  @Override
  public synchronized ReserveOutcome reserve(ReserveRequest request) {
    up();
    Reservation known = reservations.get(request.reservationId());
    long tightestSpent = 0;
    long tightestCap = Long.MAX_VALUE;
    for (BudgetLimit limit : request.limits()) {
      long[] c = counter(limit.counterId());
      long spent = c[0] + c[1];
      if (known == null && spent + request.amountMicros() > limit.capMicros()) {
        return new ReserveOutcome.Exhausted(limit, spent, request.amountMicros());
      }
      long after = spent + (known == null ? request.amountMicros() : 0);
      if (limit.capMicros() - after < tightestCap - tightestSpent) {
        tightestSpent = after;
        tightestCap = limit.capMicros();
      }
    }
    if (known == null) {
      for (BudgetLimit limit : request.limits()) {
        counter(limit.counterId())[1] += request.amountMicros();
      }
      reservations.put(
          request.reservationId(),
          new Reservation(
              request.reservationId(),
              request.keyId(),
              request.limits(),
              request.amountMicros(),
              State.RESERVED,
              request.at()));
    }
    return new ReserveOutcome.Reserved(request.reservationId(), tightestSpent, tightestCap);
  }

  @Override
  public synchronized void settle(String reservationId, long actualMicros) {
    up();
    Reservation r = reservations.get(reservationId);
    if (r == null || r.state() == State.SETTLED || r.state() == State.RELEASED) {
      return;
    }
    for (BudgetLimit limit : r.limits()) {
      long[] c = counter(limit.counterId());
      c[1] -= r.micros();
      c[0] += actualMicros;
    }
    reservations.put(reservationId, r.with(actualMicros, State.SETTLED));
  }

  @Override
  public synchronized boolean adjust(String reservationId, long actualMicros) {
    up();
    Reservation r = reservations.get(reservationId);
    if (r == null || r.state() != State.SETTLED || r.micros() == actualMicros) {
      return false;
    }
    for (BudgetLimit limit : r.limits()) {
      counter(limit.counterId())[0] += actualMicros - r.micros();
    }
    reservations.put(reservationId, r.with(actualMicros, State.SETTLED));
    return true;
  }

  @Override
  public synchronized void release(String reservationId) {
    up();
    Reservation r = reservations.get(reservationId);
    if (r == null || r.state() == State.SETTLED || r.state() == State.RELEASED) {
      return;
    }
    for (BudgetLimit limit : r.limits()) {
      counter(limit.counterId())[1] -= r.micros();
    }
    reservations.put(reservationId, r.with(0, State.RELEASED));
  }

  @Override
  public synchronized void markUnsettled(String reservationId) {
    up();
    Reservation r = reservations.get(reservationId);
    if (r != null && r.state() == State.RESERVED) {
      reservations.put(reservationId, r.with(r.micros(), State.UNSETTLED));
    }
  }

  @Override
  public synchronized List<OpenReservation> openBefore(Instant before, int max) {
    up();
    return reservations.values().stream()
        .filter(r -> r.state() == State.RESERVED && r.at().isBefore(before))
        .sorted(java.util.Comparator.comparing(Reservation::at))
        .limit(max)
        .map(r -> new OpenReservation(r.id(), r.keyId(), r.micros(), r.at()))
        .toList();
  }

  @Override
  public synchronized boolean unsettleIfOpen(String reservationId) {
    up();
    Reservation r = reservations.get(reservationId);
    if (r == null || r.state() != State.RESERVED) {
      return false;
    }
    reservations.put(reservationId, r.with(r.micros(), State.UNSETTLED));
    return true;
  }

  @Override
  public synchronized CounterSnapshot counter(BudgetLimit limit) {
    up();
    long[] c = counters.get(limit.counterId());
    return c == null ? new CounterSnapshot(0, 0) : new CounterSnapshot(c[0], c[1]);
  }

  /** The response kept for replay under the fingerprint, if any. */
  public synchronized Optional<StoredResponse> kept(String fingerprint) {
    Entry e = dedup.get(fingerprint);
    return e == null ? Optional.empty() : Optional.ofNullable(e.response());
  }

  private long[] counter(String id) {
    return counters.computeIfAbsent(id, k -> new long[2]);
  }

  private void up() {
    if (unavailable) {
      throw new StoreUnavailableException("the in-memory store is down (test)");
    }
  }

  private synchronized void dropClaim(String fingerprint, String token) {
    Entry e = dedup.get(fingerprint);
    if (e != null && e.token().equals(token)) {
      dedup.remove(fingerprint);
    }
    changed();
  }

  private synchronized void keep(String fingerprint, String token, StoredResponse response) {
    Entry e = dedup.get(fingerprint);
    if (e != null && e.token().equals(token) && e.response() == null) {
      dedup.put(fingerprint, new Entry(token, e.expiresAt(), response));
    }
    changed();
  }

  private final class FakeTicket extends Ticket {
    private final String fingerprint;
    private final String token;

    FakeTicket(ReserveOutcome.Reserved reservation, String fingerprint, String token) {
      super(reservation);
      this.fingerprint = fingerprint;
      this.token = token;
    }

    @Override
    protected CompletionStage<Void> onSettle(
        long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
      synchronized (InMemoryStore.this) {
        InMemoryStore.this.settle(reservation().reservationId(), actualMicros);
        if (priceFinal) {
          finalPrices.add(reservation().reservationId());
        }
        if (token != null) {
          if (response != null) {
            keep(fingerprint, token, response);
          } else {
            dropClaim(fingerprint, token);
          }
        }
      }
      alongside.run();
      return Stages.done();
    }

    @Override
    protected CompletionStage<Void> onRelease(Runnable alongside) {
      synchronized (InMemoryStore.this) {
        InMemoryStore.this.release(reservation().reservationId());
        if (token != null) {
          dropClaim(fingerprint, token);
        }
      }
      alongside.run();
      return Stages.done();
    }

    @Override
    protected CompletionStage<Void> onKeepUnsettled(boolean letRetry, Runnable alongside) {
      synchronized (InMemoryStore.this) {
        InMemoryStore.this.markUnsettled(reservation().reservationId());
        if (letRetry && token != null) {
          dropClaim(fingerprint, token);
        }
      }
      alongside.run();
      return Stages.done();
    }
  }
}
