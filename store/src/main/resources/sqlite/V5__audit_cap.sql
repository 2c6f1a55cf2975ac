-- Keybrake embedded store, schema version 5: an audit row names the cap in effect and the budget
-- whose spend it records (a refusal's cap_exhausted budget, or the key's daily budget). Rows
-- written before this version keep NULL in both; their hashes do not cover them (see AuditChain).

ALTER TABLE audit ADD COLUMN cap_micros INTEGER;
ALTER TABLE audit ADD COLUMN budget TEXT;
