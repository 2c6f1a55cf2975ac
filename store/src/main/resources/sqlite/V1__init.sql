-- Keybrake embedded store, schema version 1.
-- Instants are stored as (epoch seconds, nanos) pairs so they round-trip exactly.

CREATE TABLE keys (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  vendor          TEXT NOT NULL,
  labels          TEXT NOT NULL,            -- JSON object, keys sorted
  policy          TEXT NOT NULL,            -- JSON, every Policy field
  secret_hash     TEXT NOT NULL UNIQUE,     -- hex SHA-256 of the vault key; never the secret
  credential      TEXT NOT NULL,            -- AES-GCM sealed vendor credential ("v1:...")
  created_s       INTEGER NOT NULL,
  created_n       INTEGER NOT NULL,
  expires_s       INTEGER,
  expires_n       INTEGER,
  revoked_s       INTEGER,
  revoked_n       INTEGER
);
CREATE INDEX keys_created ON keys(created_s DESC, created_n DESC);

CREATE TABLE counters (
  counter_id      TEXT PRIMARY KEY,
  settled_micros  INTEGER NOT NULL DEFAULT 0,
  reserved_micros INTEGER NOT NULL DEFAULT 0,
  window_end      INTEGER NOT NULL          -- epoch seconds, exclusive
) WITHOUT ROWID;

CREATE TABLE reservations (
  id              TEXT PRIMARY KEY,
  key_id          TEXT NOT NULL,
  amount_micros   INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('reserved','settled','released','unsettled','refused')),
  created_at      INTEGER NOT NULL,         -- epoch millis
  actual_micros   INTEGER,                  -- set when settled
  spent_micros    INTEGER NOT NULL,         -- the outcome, replayed for a repeated id
  cap_micros      INTEGER NOT NULL,
  refusal         TEXT                      -- JSON of the refused limit when state = 'refused'
) WITHOUT ROWID;
CREATE INDEX reservations_open ON reservations(id) WHERE state = 'reserved';
CREATE INDEX reservations_created ON reservations(created_at);

CREATE TABLE reservation_counters (
  reservation_id  TEXT NOT NULL REFERENCES reservations(id) ON DELETE CASCADE,
  counter_id      TEXT NOT NULL,
  PRIMARY KEY (reservation_id, counter_id)
) WITHOUT ROWID;

CREATE TABLE dedup (
  fingerprint     TEXT PRIMARY KEY,
  token           TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('inflight','completed')),
  expires_at      INTEGER NOT NULL,         -- epoch nanos
  status          INTEGER,
  headers         TEXT,                     -- JSON array of [name, value]
  body            BLOB
);
CREATE INDEX dedup_expires ON dedup(expires_at);

CREATE TABLE audit (
  seq              INTEGER PRIMARY KEY,
  at_s             INTEGER NOT NULL,
  at_n             INTEGER NOT NULL,
  key_id           TEXT,
  key_name         TEXT,
  labels           TEXT NOT NULL,           -- JSON object, keys sorted
  vendor           TEXT,
  method           TEXT,
  endpoint         TEXT,
  destination      TEXT,
  body_bytes       INTEGER NOT NULL,
  estimated_micros INTEGER NOT NULL,
  actual_micros    INTEGER,
  vendor_object_id TEXT,
  decision         TEXT,
  reason           TEXT,
  http_status      INTEGER NOT NULL,
  spent_micros     INTEGER NOT NULL,
  latency_micros   INTEGER NOT NULL,
  settlement       TEXT,
  reservation_id   TEXT,
  prev_hash        TEXT NOT NULL,
  hash             TEXT NOT NULL
);
CREATE INDEX audit_key ON audit(key_id, seq);
CREATE INDEX audit_at ON audit(at_s, at_n);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
  SELECT RAISE(ABORT, 'audit log is append-only');
END;
