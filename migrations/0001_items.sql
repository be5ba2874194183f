-- Items, listed oldest first by id (ids only grow: AUTOINCREMENT never reuses one).
CREATE TABLE items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Idempotency keys for POST /items, per consumer, with the first response.
-- Kept at least 24 hours: creates delete keys older than a day.
CREATE TABLE idempotency_keys (
  consumer TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (consumer, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
