-- Keybrake fleet registry, schema version 6: indexes for the archive pass, which finds revoked
-- keys and expired ones past the retention, and forgets old idempotency secrets. Without them
-- each pass scanned the whole keys table.
CREATE INDEX keys_revoked ON keys(revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX keys_expires ON keys(expires_at) WHERE revoked_at IS NULL;
CREATE INDEX key_idempotency_secrets ON key_idempotency(created_at) WHERE sealed_secret IS NOT NULL;
