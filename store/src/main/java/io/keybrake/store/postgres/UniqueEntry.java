package io.keybrake.store.postgres;

import io.keybrake.core.audit.AuditEntry;
import java.util.Objects;

/**
 * An audit entry with the id its writer gave it, unique across the fleet (for example {@code
 * "<instance id>:<local seq>"}). The audit log stores an entry id at most once, so sending the same
 * entry again (a retry after a crash or a lost commit) never adds a row.
 */
public record UniqueEntry(String entryId, AuditEntry entry) {
  public UniqueEntry {
    Objects.requireNonNull(entryId);
    Objects.requireNonNull(entry);
  }
}
