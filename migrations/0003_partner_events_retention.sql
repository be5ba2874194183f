-- Settled partner events are kept 30 days (src/events/store.rs,
-- RETENTION_DAYS): the consumer deletes older ones after each batch, by
-- this index.
CREATE INDEX IF NOT EXISTS partner_events_processed_at ON partner_events (processed_at);
