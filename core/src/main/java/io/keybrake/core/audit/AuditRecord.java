package io.keybrake.core.audit;

/**
 * An entry as stored: its place in the chain ({@code seq}, from 1), the previous row's hash and its
 * own. {@code hash = AuditChain.hash(seq, prevHash, entry)}.
 */
public record AuditRecord(long seq, AuditEntry entry, String prevHash, String hash) {}
