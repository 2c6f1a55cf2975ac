package io.keybrake.core.admission;

import java.time.Instant;
import java.util.List;

/**
 * The store's open reservations, for {@link OrphanSweep}. Thread-safe; faults throw {@link
 * io.keybrake.core.store.StoreUnavailableException}.
 */
public interface OpenReservations {

  /**
   * Reservations still open that were made before {@code before}, oldest first, at most {@code
   * max}.
   */
  List<OpenReservation> openBefore(Instant before, int max);

  /**
   * Keeps a reservation as spend, marked unsettled, if it is still open.
   *
   * @return true when this call moved it (so exactly one caller audits it)
   */
  boolean unsettleIfOpen(String reservationId);
}
