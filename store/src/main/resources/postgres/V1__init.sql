-- Keybrake fleet store (PostgreSQL), schema version 1.
-- Instants are stored as timestamptz truncated to the microsecond (what PostgreSQL keeps) plus the
-- exact nano-of-second in a *_nano column, so they round-trip exactly and the audit hash, which
-- covers nanoseconds, recomputes.

CREATE TABLE keys (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  vendor        text NOT NULL,
  labels        jsonb NOT NULL,               -- {"team": "growth", ...}
  policy        jsonb NOT NULL,               -- every Policy field, the embedded store's format
  secret_hash   text NOT NULL UNIQUE,         -- hex SHA-256 of the vault key; never the secret
  credential    text NOT NULL,                -- AES-GCM sealed vendor credential ("v1:...")
  created_at    timestamptz NOT NULL,
  created_nano  integer NOT NULL,
  expires_at    timestamptz,
  expires_nano  integer,
  revoked_at    timestamptz,
  revoked_nano  integer
);
CREATE INDEX keys_created ON keys (created_at DESC, created_nano DESC, id DESC);

-- One global chain: every writer locks this row (FOR UPDATE) while it appends a batch.
CREATE TABLE audit_head (
  id    integer PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Global uniqueness of entry ids and sequence numbers (a partitioned table can only enforce
-- uniqueness that includes its partition key): a retried batch never inserts a row twice.
CREATE TABLE audit_entry_ids (
  entry_id  text PRIMARY KEY,                 -- "<writer instance id>:<writer's local seq>"
  seq       bigint NOT NULL UNIQUE
);

CREATE TABLE audit (
  seq               bigint NOT NULL,
  entry_id          text NOT NULL,
  at                timestamptz NOT NULL,     -- the decision's time, truncated to microseconds
  at_nano           integer NOT NULL CHECK (at_nano BETWEEN 0 AND 999999999),
  key_id            text,
  key_name          text,
  labels            jsonb NOT NULL,
  vendor            text,
  method            text,
  endpoint          text,
  destination       text,
  body_bytes        bigint NOT NULL,
  estimated_micros  bigint NOT NULL,
  actual_micros     bigint,
  vendor_object_id  text,
  decision          text,
  reason            text,
  http_status       integer NOT NULL,
  spent_micros      bigint NOT NULL,
  latency_micros    bigint NOT NULL,
  settlement        text,
  reservation_id    text,
  prev_hash         text NOT NULL,
  hash              text NOT NULL,
  PRIMARY KEY (at, seq)
) PARTITION BY RANGE (at);
CREATE INDEX audit_seq ON audit (seq);
CREATE INDEX audit_key ON audit (key_id, seq);

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Row triggers on a partitioned table are cloned onto every partition, present and future.
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_ids_append_only BEFORE UPDATE OR DELETE ON audit_entry_ids
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_ids_no_truncate BEFORE TRUNCATE ON audit_entry_ids
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- What each row counted against the budgets, in micro-dollars; the reports in docs/reporting.md
-- sum this column.
--   allowed + settled            the vendor's price (or the estimate when the call was free)
--   allowed + estimated          the estimate (vendor gave no price yet)
--   allowed + unsettled          the estimate (the vendor may have acted)
--   allowed + released           0 (a 4xx the vendor did not charge)
--   settled (reconciliation)     actual - estimate: the later correction of an estimated row
--   blocked, replayed            0
CREATE VIEW audit_cost AS
SELECT a.*,
       CASE
         WHEN a.decision = 'allowed' AND a.settlement = 'settled'
           THEN COALESCE(a.actual_micros, a.estimated_micros)
         WHEN a.decision = 'allowed' AND a.settlement IN ('estimated', 'unsettled')
           THEN a.estimated_micros
         WHEN a.decision = 'settled'
           THEN COALESCE(a.actual_micros, a.estimated_micros) - a.estimated_micros
         ELSE 0
       END AS cost_micros
FROM audit a;
