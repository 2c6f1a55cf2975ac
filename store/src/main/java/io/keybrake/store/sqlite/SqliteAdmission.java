package io.keybrake.store.sqlite;

import io.keybrake.core.admission.Admission;
import io.keybrake.core.admission.Admit;
import io.keybrake.core.admission.Ticket;
import io.keybrake.core.dedup.Claim;
import io.keybrake.core.dedup.StoredResponse;
import io.keybrake.core.ledger.ReserveOutcome;
import io.keybrake.core.ledger.ReserveRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * {@code SqliteAdmission} is the embedded store's {@link Admission}: the dedup claim and the
 * reservation in one SQLite transaction, and each finish of a {@link Ticket} (with the audit row
 * alongside) in another, each through {@link SqliteDatabase#submit}: run on the caller's thread
 * when nothing else is writing (never on an event loop), else queued for the writer thread, where
 * under load they share group commits with other writers; each stage completes after the commit
 * that holds its work. Durable means committed to the write-ahead log of {@code keybrake.db}
 * ({@code synchronous=NORMAL}): it survives the process dying; a power loss may lose the last
 * commits before a checkpoint. A stage completes only once that commit is done. Thread-safe.
 */
public final class SqliteAdmission implements Admission {
  private final SqliteDatabase db;
  private final SqliteLedger ledger;
  private final SqliteDedupCache dedup;

  /** Admits through {@code ledger} and {@code dedup}, which must use {@code db}. */
  public SqliteAdmission(SqliteDatabase db, SqliteLedger ledger, SqliteDedupCache dedup) {
    this.db = Objects.requireNonNull(db);
    this.ledger = Objects.requireNonNull(ledger);
    this.dedup = Objects.requireNonNull(dedup);
  }

  @Override
  public CompletionStage<Admit> admit(
      String fingerprint, Instant dedupUntil, ReserveRequest request) {
    return db.submit(
        "admit a call",
        s -> {
          String token = null;
          if (fingerprint != null) {
            Claim claim = dedup.claim(fingerprint, request.at(), dedupUntil);
            if (claim instanceof Claim.InFlight) {
              return new Admit.InFlight();
            }
            if (claim instanceof Claim.Completed done) {
              return new Admit.Replay(done.response());
            }
            token = ((Claim.Won) claim).token();
          }
          ReserveOutcome outcome = ledger.reserve(request);
          if (outcome instanceof ReserveOutcome.Exhausted no) {
            if (token != null) {
              dedup.abandon(fingerprint, token); // a refused call keeps no claim
            }
            return Admit.Exhausted.of(no);
          }
          return new Admit.Admitted(
              new SqliteTicket((ReserveOutcome.Reserved) outcome, fingerprint, token));
        });
  }

  @Override
  public CompletionStage<Void> awaitChange(String fingerprint, Duration maxWait) {
    return dedup.changed(fingerprint, maxWait);
  }

  /** One admitted call; each finish is one transaction with the work alongside it. */
  private final class SqliteTicket extends Ticket {
    private final String fingerprint;
    private final String token;

    SqliteTicket(ReserveOutcome.Reserved reservation, String fingerprint, String token) {
      super(reservation);
      this.fingerprint = fingerprint;
      this.token = token;
    }

    @Override
    protected CompletionStage<Void> onSettle(
        long actualMicros, boolean priceFinal, StoredResponse response, Runnable alongside) {
      return db.submit(
          "settle a call",
          s -> {
            ledger.settle(reservation().reservationId(), actualMicros);
            if (token != null) {
              if (response != null) {
                dedup.complete(fingerprint, token, response);
              } else {
                dedup.abandon(fingerprint, token);
              }
            }
            alongside.run();
            return (Void) null;
          });
    }

    @Override
    protected CompletionStage<Void> onRelease(Runnable alongside) {
      return db.submit(
          "release a call",
          s -> {
            ledger.release(reservation().reservationId());
            if (token != null) {
              dedup.abandon(fingerprint, token);
            }
            alongside.run();
            return (Void) null;
          });
    }

    @Override
    protected CompletionStage<Void> onKeepUnsettled(boolean letRetry, Runnable alongside) {
      return db.submit(
          "keep a call unsettled",
          s -> {
            ledger.markUnsettled(reservation().reservationId());
            if (letRetry && token != null) {
              dedup.abandon(fingerprint, token);
            }
            alongside.run();
            return (Void) null;
          });
    }
  }
}
