-- Keybrake embedded store, schema version 7: indexes for the archive pass (every 60 s), which
-- finds revoked keys and expired ones past the retention, and forgets old idempotency secrets.
-- Without them each pass scanned the whole keys table inside a write transaction (about 80 ms at
-- 100,000 keys, every decision's write waiting behind it); with them it reads only what it moves.
CREATE INDEX keys_revoked ON keys(revoked_s) WHERE revoked_s IS NOT NULL;
CREATE INDEX keys_expires ON keys(expires_s) WHERE revoked_s IS NULL;
CREATE INDEX key_idempotency_secrets ON key_idempotency(created_s) WHERE sealed_secret IS NOT NULL;
