-- Which request holds an idempotency key's claim (src/d1_events.rs): a
-- request whose send failed gives its claim up, and the key's next request
-- takes it over and sends the same event (its id kept), so a retry never
-- sends an event twice under two ids. Claims made before this have none.
ALTER TABLE partner_event_keys ADD COLUMN holder TEXT;
