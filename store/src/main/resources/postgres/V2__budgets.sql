-- Keybrake fleet store, schema version 2: fleet and vendor budgets.

CREATE TABLE budgets (
  name            text PRIMARY KEY,
  labels          jsonb NOT NULL,
  vendor          text,
  daily_micros    bigint,
  monthly_micros  bigint,
  created_at      timestamptz NOT NULL,
  created_nano    integer NOT NULL
);
