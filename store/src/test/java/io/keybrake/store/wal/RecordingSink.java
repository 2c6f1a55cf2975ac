package io.keybrake.store.wal;

import io.keybrake.store.postgres.UniqueEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory sink with the audit log's contract: a batch is stored whole or not at all, entry ids
 * already held are skipped. It can be told to fail the next sends, before or after storing.
 */
final class RecordingSink implements AuditBatchSink {
  private final Map<String, UniqueEntry> stored = new LinkedHashMap<>();
  private int failBefore;
  private int failAfter;
  private int sends;

  @Override
  public synchronized void send(List<UniqueEntry> batch) {
    sends++;
    if (failBefore > 0) {
      failBefore--;
      throw new IllegalStateException("audit log unreachable (test)");
    }
    for (UniqueEntry u : batch) {
      stored.putIfAbsent(u.entryId(), u);
    }
    if (failAfter > 0) {
      failAfter--;
      throw new IllegalStateException("commit outcome unknown (test)");
    }
  }

  synchronized void failNextSends(int n) {
    failBefore = n;
  }

  synchronized void failAfterStoringNextSends(int n) {
    failAfter = n;
  }

  synchronized List<UniqueEntry> stored() {
    return new ArrayList<>(stored.values());
  }

  synchronized int sends() {
    return sends;
  }
}
