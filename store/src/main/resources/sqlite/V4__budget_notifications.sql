-- Keybrake embedded store, schema version 4: budget threshold notifications (50/80/100 %),
-- one row per threshold per budget window, so each is notified at most once.

CREATE TABLE budget_notifications (
  event_id      TEXT PRIMARY KEY,
  counter_id    TEXT NOT NULL,
  percent       INTEGER NOT NULL,
  scope         TEXT NOT NULL,
  budget        TEXT NOT NULL,
  spent_micros  INTEGER NOT NULL,
  cap_micros    INTEGER NOT NULL,
  window_start  INTEGER NOT NULL,            -- epoch seconds
  window_end    INTEGER,                     -- epoch seconds; NULL for a lifetime cap
  seen_ms       INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  delivered_ms  INTEGER
);

CREATE INDEX budget_notifications_undelivered ON budget_notifications (seen_ms)
  WHERE delivered_ms IS NULL;

-- a budget's own webhook target, besides the global KEYBRAKE_WEBHOOK_URLS
ALTER TABLE budgets ADD COLUMN webhook_url TEXT;
