-- Partner events (POST /partners/events), recorded once per id whatever the
-- Queue's redeliveries: `queued` when accepted, then `processed` by the
-- consumer, or `dead` from the dead-letter queue. `data` is the event's
-- JSON object; `deliveries` counts the consumer's deliveries of it;
-- `last_error` is why its last try failed.
CREATE TABLE partner_events (
  id TEXT PRIMARY KEY,
  consumer TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'processed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  deliveries INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL,
  processed_at TEXT,
  last_error TEXT
);

-- Idempotency keys for POST /partners/events, per consumer, with the event
-- they were first used for (accepted once that event is recorded). Kept at
-- least 24 hours: new keys delete keys older than a day.
CREATE TABLE partner_event_keys (
  consumer TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (consumer, key)
);
CREATE INDEX partner_event_keys_created_at ON partner_event_keys (created_at);
