package io.keybrake.store.wal;

import io.keybrake.core.audit.AuditEntry;

/** One entry in the write-ahead file and the local sequence number it was written under. */
record WalRecord(long localSeq, AuditEntry entry) {}
