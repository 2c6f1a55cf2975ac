package io.keybrake.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.keybrake.core.audit.AuditEntry;
import io.keybrake.core.audit.AuditLog;
import io.keybrake.core.audit.AuditRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What every {@link AuditLog} answers to {@link AuditLog#unpricedEstimates}, run by each store's
 * test against an empty log: only allowed rows of the vendor settled at an estimate, naming a
 * vendor object and a reservation, recorded since the bound, without a {@code settled} row for the
 * reservation, oldest first, from the cursor, at most the limit.
 */
public final class UnpricedEstimatesContract {
  private UnpricedEstimatesContract() {}

  /** Appends the scenario's rows around {@code now} to the empty {@code log} and checks answers. */
  public static void check(AuditLog log, Instant now) {
    Instant since = now.minus(Duration.ofDays(1));
    log.append(
        row(now.minus(Duration.ofDays(2)), "twilio", "allowed", "estimated", "SMold", "r-old"));
    AuditRecord first = log.append(row(now, "twilio", "allowed", "estimated", "SM1", "r-1"));
    log.append(row(now, "twilio", "blocked", "none", null, null));
    log.append(row(now, "twilio", "allowed", "estimated", null, "r-noobject"));
    log.append(row(now, "stripe", "allowed", "estimated", "pi_1", "r-stripe"));
    log.append(row(now, "twilio", "allowed", "settled", "SM2", "r-2"));
    log.append(row(now, "twilio", "allowed", "estimated", "SM3", "r-3"));
    log.append(row(now.plusSeconds(60), "twilio", "settled", "settled", "SM3", "r-3"));
    AuditRecord last =
        log.append(row(now.plusSeconds(61), "twilio", "allowed", "estimated", "SM4", "r-4"));

    assertThat(log.unpricedEstimates("twilio", since, 0, 10))
        .extracting(r -> r.entry().vendorObjectId())
        .containsExactly("SM1", "SM4");
    assertThat(log.unpricedEstimates("twilio", since, 0, 1))
        .extracting(AuditRecord::seq)
        .containsExactly(first.seq());
    assertThat(log.unpricedEstimates("twilio", since, first.seq(), 10))
        .extracting(AuditRecord::seq)
        .containsExactly(last.seq());
    assertThat(log.unpricedEstimates("twilio", since, last.seq(), 10)).isEmpty();
    assertThat(log.unpricedEstimates("twilio", now.minus(Duration.ofDays(3)), 0, 10))
        .extracting(r -> r.entry().vendorObjectId())
        .containsExactly("SMold", "SM1", "SM4");
    assertThat(log.unpricedEstimates("twilio", now.plusSeconds(61), 0, 10))
        .extracting(r -> r.entry().vendorObjectId())
        .containsExactly("SM4");
    assertThat(log.unpricedEstimates("resend", since, 0, 10)).isEmpty();
  }

  private static AuditEntry row(
      Instant at,
      String vendor,
      String decision,
      String settlement,
      String objectId,
      String reservationId) {
    return new AuditEntry(
        at,
        "key_1",
        "agent",
        Map.of(),
        vendor,
        "POST",
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        "+1******2671",
        64,
        7_900,
        "estimated".equals(settlement) ? null : 7_900L,
        objectId,
        decision,
        "blocked".equals(decision) ? "destination_not_allowed" : null,
        "blocked".equals(decision) ? 403 : 201,
        7_900,
        900,
        settlement,
        reservationId);
  }
}
