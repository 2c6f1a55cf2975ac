package io.keybrake.core.store;

import java.util.function.Supplier;

/**
 * Runs several store calls of one step as one unit where the store can (the embedded store: one
 * SQLite transaction, one commit instead of several). Stores that cannot simply run the work. The
 * decision path finishes its calls through {@code io.keybrake.core.admission.Ticket} instead; the
 * admin API creates a key and its audit row through this.
 */
@FunctionalInterface
public interface UnitOfWork {
  UnitOfWork NONE =
      new UnitOfWork() {
        @Override
        public <T> T inOne(String what, Supplier<T> work) {
          return work.get();
        }
      };

  <T> T inOne(String what, Supplier<T> work);
}
