-- The key registry's change feed, listing by filters, idempotent creation and an archive.

-- Every write to a key takes the next value of the sequence; readers ask for what changed after
-- the position they have seen (KeyStore.changesSince), never for the whole registry. Values are
-- handed out when a write starts, so readers re-read a little behind their cursor.
CREATE SEQUENCE keys_change_seq;
ALTER TABLE keys ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('keys_change_seq');
CREATE INDEX keys_change_seq_idx ON keys (change_seq);
CREATE INDEX keys_vendor_created ON keys (vendor, created_at DESC, created_nano DESC, id DESC);
CREATE INDEX keys_labels ON keys USING gin (labels jsonb_path_ops);

-- POST /keys with an idempotency_key: the key it created, the request it answered, and the vault
-- key sealed like a credential for a short replay window (NULL once the window has passed).
CREATE TABLE key_idempotency (
  idempotency_key text PRIMARY KEY,
  key_id          text NOT NULL,
  request_hash    text NOT NULL,
  sealed_secret   text,
  created_at      timestamptz NOT NULL
);

-- Revoked and expired keys past the retention leave the hot table (the audit log keeps all).
CREATE TABLE keys_archive (LIKE keys);
ALTER TABLE keys_archive ALTER COLUMN change_seq DROP DEFAULT;
ALTER TABLE keys_archive ADD COLUMN archived_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE keys_archive ADD PRIMARY KEY (id);
