-- Keybrake fleet store, schema version 4: budget threshold notifications (50/80/100 %),
-- one row per threshold per budget window, so each is notified at most once by the whole fleet.

CREATE TABLE budget_notifications (
  event_id      text PRIMARY KEY,
  counter_id    text NOT NULL,
  percent       integer NOT NULL,
  scope         text NOT NULL,
  budget        text NOT NULL,
  spent_micros  bigint NOT NULL,
  cap_micros    bigint NOT NULL,
  window_start  bigint NOT NULL,             -- epoch seconds
  window_end    bigint,                      -- epoch seconds; NULL for a lifetime cap
  seen_ms       bigint NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,
  delivered_ms  bigint
);

CREATE INDEX budget_notifications_undelivered ON budget_notifications (seen_ms)
  WHERE delivered_ms IS NULL;

-- a budget's own webhook target, besides the global KEYBRAKE_WEBHOOK_URLS
ALTER TABLE budgets ADD COLUMN webhook_url text;
