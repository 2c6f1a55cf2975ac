-- Keybrake fleet store, schema version 5: an audit row names the cap in effect and the budget
-- whose spend it records (a refusal's cap_exhausted budget, or the key's daily budget). Rows
-- written before this version keep NULL in both; their hashes do not cover them (see AuditChain).

ALTER TABLE audit ADD COLUMN cap_micros bigint;
ALTER TABLE audit ADD COLUMN budget text;

-- audit_cost lists the columns of audit as they were when it was created: recreate it (same
-- definition as version 1) so it shows the new ones too.
DROP VIEW audit_cost;
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
