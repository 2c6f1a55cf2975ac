package io.keybrake.store.wal;

import io.keybrake.store.postgres.UniqueEntry;
import java.util.List;

/**
 * Where the drainer sends batches: {@link io.keybrake.store.postgres.PostgresAuditLog#appendAll} in
 * production. {@code send} must store the batch whole or not at all, skip entry ids it already
 * holds, and throw (any runtime exception) when it could not. The drainer calls it from its one
 * thread, one batch at a time.
 */
@FunctionalInterface
public interface AuditBatchSink {
  void send(List<UniqueEntry> batch);
}
