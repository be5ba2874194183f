//! The partner event store on Cloudflare D1 (`partner_events`,
//! `partner_event_keys`: migrations/0002). Every write is an upsert on the
//! event's id, so a redelivered message never makes a second row, and a
//! processed or dead event keeps its status. Queries, errors and row
//! decoding are the item store's (`d1_items`).

use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::d1_items::{all_rows, batch, decode_rows, js_failed, D1, NOW};
use crate::events::{EventRecord, EventStore, Message, Reservation};
use crate::items::{IdempotencyKey, StoreError, StoreFuture};

/// The store over the `DB` binding.
pub struct D1Events(D1);

impl D1Events {
    pub fn new(env: JsValue) -> D1Events {
        D1Events(D1::new(env))
    }

    /// Inserts the event from `message` with `status`, `attempts` and
    /// `last_error`, or on its id applies `on_conflict` (SQL `SET` clauses,
    /// which read the stored row).
    async fn upsert(
        &self,
        message: &Message,
        status: &str,
        attempts: u32,
        last_error: Option<&str>,
        on_conflict: &str,
    ) -> Result<(), StoreError> {
        let processed_at = if status == "queued" { "NULL" } else { NOW };
        let deliveries = if on_conflict.is_empty() { 0 } else { 1 };
        let conflict = if on_conflict.is_empty() {
            String::from("DO NOTHING")
        } else {
            format!("DO UPDATE SET {on_conflict}")
        };
        let sql = format!(
            "INSERT INTO partner_events (id, consumer, type, data, status, attempts, deliveries, received_at, processed_at, last_error) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, {deliveries}, ?7, {processed_at}, ?8) ON CONFLICT(id) {conflict}"
        );
        let args = [
            JsValue::from_str(&message.id),
            JsValue::from_str(&message.consumer),
            JsValue::from_str(&message.kind),
            JsValue::from_str(&message.data),
            JsValue::from_str(status),
            JsValue::from(attempts),
            JsValue::from_str(&message.received_at),
            crate::d1_items::text_or_null(last_error),
        ];
        all_rows::<Value>(&self.0.statement(&sql, &args)?).await.map(drop)
    }
}

fn key_args(key: &IdempotencyKey) -> [JsValue; 2] {
    [JsValue::from_str(&key.consumer), JsValue::from_str(&key.key)]
}

impl EventStore for D1Events {
    fn reserve(&self, key: &IdempotencyKey, event_id: &str) -> StoreFuture<'_, Reservation> {
        let (key, event_id) = (key.clone(), event_id.to_owned());
        Box::pin(async move {
            // One round trip: expire old keys, claim this one unless it is
            // held, and read who holds it now (this request, if it claimed it).
            let expire = self.0.statement(
                "DELETE FROM partner_event_keys WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')",
                &[],
            )?;
            let [consumer, name] = key_args(&key);
            let claim = self.0.statement(
                &format!(
                    "INSERT INTO partner_event_keys (consumer, key, fingerprint, event_id, created_at) \
                     VALUES (?1, ?2, ?3, ?4, {NOW}) ON CONFLICT(consumer, key) DO NOTHING"
                ),
                &[
                    consumer,
                    name,
                    JsValue::from_str(&key.fingerprint),
                    JsValue::from_str(&event_id),
                ],
            )?;
            let holder = self.0.statement(
                "SELECT k.fingerprint, k.event_id, EXISTS (SELECT 1 FROM partner_events e WHERE e.id = k.event_id) AS sent \
                 FROM partner_event_keys k WHERE k.consumer = ?1 AND k.key = ?2",
                &key_args(&key),
            )?;
            let results = batch(self.0.db()?, &[expire, claim, holder]).await.map_err(js_failed)?;
            let rows = results
                .get(2)
                .map(decode_rows::<Value>)
                .transpose()?
                .unwrap_or_default();
            let Some(seen) = rows.first() else {
                return Err(StoreError("an idempotency key vanished as it was claimed".into()));
            };
            let text = |name: &str| seen.get(name).and_then(Value::as_str).unwrap_or_default();
            Ok(if text("event_id") == event_id {
                Reservation::Reserved
            } else if text("fingerprint") != key.fingerprint {
                Reservation::KeyReused
            } else if seen.get("sent").and_then(Value::as_i64) == Some(1) {
                Reservation::Replay(text("event_id").to_owned())
            } else {
                Reservation::InProgress
            })
        })
    }

    fn release(&self, key: &IdempotencyKey) -> StoreFuture<'_, ()> {
        let key = key.clone();
        Box::pin(async move {
            let sql = "DELETE FROM partner_event_keys WHERE consumer = ?1 AND key = ?2";
            all_rows::<Value>(&self.0.statement(sql, &key_args(&key))?)
                .await
                .map(drop)
        })
    }

    fn record_queued(&self, message: &Message) -> StoreFuture<'_, ()> {
        let message = message.clone();
        Box::pin(async move { self.upsert(&message, "queued", 0, None, "").await })
    }

    fn get(&self, id: &str) -> StoreFuture<'_, Option<EventRecord>> {
        let id = id.to_owned();
        Box::pin(async move {
            let statement = self.0.statement(
                "SELECT id, consumer, type, status, attempts, deliveries, received_at, processed_at, last_error \
                 FROM partner_events WHERE id = ?1",
                &[JsValue::from_str(&id)],
            )?;
            let rows = all_rows::<Value>(&statement).await?;
            match rows.first() {
                None => Ok(None),
                Some(row) => EventRecord::from_row(row)
                    .map(Some)
                    .ok_or_else(|| StoreError("a partner_events row is not an event".into())),
            }
        })
    }

    fn record_processed(&self, message: &Message, attempts: u32) -> StoreFuture<'_, ()> {
        let message = message.clone();
        Box::pin(async move {
            let on_conflict = "deliveries = deliveries + 1, \
                 attempts = CASE WHEN status = 'queued' THEN excluded.attempts ELSE attempts END, \
                 processed_at = CASE WHEN status = 'queued' THEN excluded.processed_at ELSE processed_at END, \
                 status = CASE WHEN status = 'queued' THEN 'processed' ELSE status END";
            self.upsert(&message, "processed", attempts, None, on_conflict).await
        })
    }

    fn record_failure(&self, message: &Message, attempts: u32, error: &str) -> StoreFuture<'_, ()> {
        let (message, error) = (message.clone(), error.to_owned());
        Box::pin(async move {
            let on_conflict = "deliveries = deliveries + 1, \
                 attempts = CASE WHEN status = 'queued' THEN MAX(attempts, excluded.attempts) ELSE attempts END, \
                 last_error = CASE WHEN status = 'queued' THEN excluded.last_error ELSE last_error END";
            self.upsert(&message, "queued", attempts, Some(&error), on_conflict)
                .await
        })
    }

    fn record_dead(&self, message: &Message) -> StoreFuture<'_, ()> {
        let message = message.clone();
        Box::pin(async move {
            let on_conflict = "deliveries = deliveries + 1, \
                 processed_at = CASE WHEN status = 'queued' THEN excluded.processed_at ELSE processed_at END, \
                 last_error = CASE WHEN status = 'queued' THEN COALESCE(last_error, excluded.last_error) ELSE last_error END, \
                 status = CASE WHEN status = 'queued' THEN 'dead' ELSE status END";
            self.upsert(&message, "dead", 0, Some("its retries were spent"), on_conflict)
                .await
        })
    }
}
