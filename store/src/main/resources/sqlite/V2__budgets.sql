-- Keybrake embedded store, schema version 2: fleet and vendor budgets.

CREATE TABLE budgets (
  name            TEXT PRIMARY KEY,
  labels          TEXT NOT NULL,            -- JSON object, keys sorted; {} when selecting by vendor
  vendor          TEXT,                     -- NULL when selecting by labels
  daily_micros    INTEGER,
  monthly_micros  INTEGER,
  created_s       INTEGER NOT NULL,
  created_n       INTEGER NOT NULL
);
