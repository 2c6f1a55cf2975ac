-- The key registry's change feed, listing by filters, idempotent creation and an archive.

-- Every write to a key takes the next position in the feed; readers ask for what changed after
-- the position they have seen (KeyStore.changesSince), never for the whole registry.
CREATE TABLE key_change_seq (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL
);
INSERT INTO key_change_seq (id, seq) SELECT 1, COALESCE(MAX(rowid), 0) FROM keys;
ALTER TABLE keys ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE keys SET change_seq = rowid;
CREATE INDEX keys_change_seq ON keys(change_seq);
CREATE INDEX keys_vendor_created ON keys(vendor, created_s DESC, created_n DESC);

-- POST /keys with an idempotency_key: the key it created, the request it answered, and the vault
-- key sealed like a credential for a short replay window (NULL once the window has passed).
CREATE TABLE key_idempotency (
  idempotency_key TEXT PRIMARY KEY,
  key_id          TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  sealed_secret   TEXT,
  created_s       INTEGER NOT NULL
);

-- Revoked and expired keys past the retention leave the hot table (the audit log keeps all).
CREATE TABLE keys_archive (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  vendor          TEXT NOT NULL,
  labels          TEXT NOT NULL,
  policy          TEXT NOT NULL,
  secret_hash     TEXT NOT NULL,
  credential      TEXT NOT NULL,
  created_s       INTEGER NOT NULL,
  created_n       INTEGER NOT NULL,
  expires_s       INTEGER,
  expires_n       INTEGER,
  revoked_s       INTEGER,
  revoked_n       INTEGER,
  change_seq      INTEGER NOT NULL,
  archived_s      INTEGER NOT NULL
);
