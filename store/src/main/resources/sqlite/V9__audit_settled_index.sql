-- Keybrake embedded store, schema version 9: the price reconciler asks which estimated rows have no
-- settled row yet (AuditLog.unpricedEstimates). This index answers "is this reservation settled?"
-- for each of them; it holds the reconciler's own rows only, so a decision's append never writes it.
CREATE INDEX audit_settled ON audit(reservation_id) WHERE decision = 'settled';
