-- Keybrake embedded store, schema version 6: the loop and velocity guards' counters
-- (max_calls_per_destination, max_identical_calls_per_hour, max_usd_per_minute) and their
-- once-per-dedup-window markers. A row is dead once expires_ms has passed; dead rows are
-- deleted now and then. Counter ids hold digests, never a phone number or an address.

CREATE TABLE guard_counters (
  counter_id  TEXT PRIMARY KEY,            -- key id | rule | digest | window start
  total       INTEGER NOT NULL,            -- calls, or micro-dollars for max_usd_per_minute
  expires_ms  INTEGER NOT NULL             -- end of the window (unix ms)
);

CREATE INDEX guard_counters_expiry ON guard_counters (expires_ms);
