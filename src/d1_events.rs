//! The partner event store on Cloudflare D1 (`partner_events`,
//! `partner_event_keys`: migrations/0002). Every write is an upsert on the
//! event's id, so a redelivered message never makes a second row, and a
//! processed or dead event keeps its status. Queries, errors and row
//! decoding are the item store's (`d1_items`).
//!
//! Each statement is bound before its future is made, so a future holds
//! only the statement, not copies of its arguments, and every write is one
//! future ([`execute`]): the wasm file carries one state machine for the
//! four writes and the key's release, not one each.

use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::d1_items::{all_rows, batch, decode_rows, execute, js_failed, now, text_or_null, D1};
use crate::events::{EventRecord, EventStore, Message, Reservation};
use crate::items::{IdempotencyKey, StoreError, StoreFuture};

/// The store over the `DB` binding.
pub struct D1Events(D1);

impl D1Events {
    pub fn new(env: JsValue) -> D1Events {
        D1Events(D1::new(env))
    }

    /// Runs `sql` (an [`upsert!`]) for the event in `message`, with its
    /// `status`, `attempts` and `last_error`.
    fn upsert(
        &self,
        sql: &str,
        message: &Message,
        status: &str,
        attempts: u32,
        last_error: Option<&str>,
    ) -> StoreFuture<'_, ()> {
        // A missing binding fails before any argument crosses into JS.
        if let Err(missing) = self.0.db() {
            return Box::pin(async move { Err(missing) });
        }
        let args = [
            JsValue::from_str(&message.id),
            JsValue::from_str(&message.consumer),
            JsValue::from_str(&message.kind),
            JsValue::from_str(&message.data),
            JsValue::from_str(status),
            JsValue::from(attempts),
            JsValue::from_str(&message.received_at),
            text_or_null(last_error),
        ];
        execute(self.0.statement(sql, &args))
    }
}

/// Inserts an event with `deliveries` and `processed_at` (SQL), or on its
/// id does `on_conflict` (which reads the stored row).
macro_rules! upsert {
    ($deliveries:literal, $processed_at:expr, $on_conflict:literal) => {
        concat!(
            "INSERT INTO partner_events (id, consumer, type, data, status, attempts, deliveries, received_at, processed_at, last_error) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ",
            $deliveries,
            ", ?7, ",
            $processed_at,
            ", ?8) ON CONFLICT(id) ",
            $on_conflict
        )
    };
}

const RECORD_QUEUED: &str = upsert!("0", "NULL", "DO NOTHING");
const RECORD_PROCESSED: &str = upsert!(
    "1",
    now!(),
    "DO UPDATE SET deliveries = deliveries + 1, \
     attempts = CASE WHEN status = 'queued' THEN excluded.attempts ELSE attempts END, \
     processed_at = CASE WHEN status = 'queued' THEN excluded.processed_at ELSE processed_at END, \
     status = CASE WHEN status = 'queued' THEN 'processed' ELSE status END"
);
const RECORD_FAILURE: &str = upsert!(
    "1",
    "NULL",
    "DO UPDATE SET deliveries = deliveries + 1, \
     attempts = CASE WHEN status = 'queued' THEN MAX(attempts, excluded.attempts) ELSE attempts END, \
     last_error = CASE WHEN status = 'queued' THEN excluded.last_error ELSE last_error END"
);
/// A dead letter: inserted as ?5 (`processed`, or `dead` when rejected
/// now); a queued row becomes `dead` if a try recorded its rejection or it
/// is rejected now, else `processed` (every try failed to be recorded).
/// SQLite's SET reads the row as it was, so each CASE sees the old status.
const RECORD_DEAD_LETTER: &str = upsert!(
    "1",
    now!(),
    "DO UPDATE SET deliveries = deliveries + 1, \
     processed_at = CASE WHEN status = 'queued' THEN excluded.processed_at ELSE processed_at END, \
     attempts = CASE WHEN status = 'queued' AND last_error IS NULL \
       THEN MAX(attempts, excluded.attempts) ELSE attempts END, \
     last_error = CASE WHEN status = 'queued' THEN COALESCE(last_error, excluded.last_error) ELSE last_error END, \
     status = CASE WHEN status <> 'queued' THEN status \
       WHEN last_error IS NULL AND excluded.status = 'processed' THEN 'processed' ELSE 'dead' END"
);

fn key_args(key: &IdempotencyKey) -> [JsValue; 2] {
    [JsValue::from_str(&key.consumer), JsValue::from_str(&key.key)]
}

impl EventStore for D1Events {
    fn reserve(&self, key: &IdempotencyKey, request_id: &str) -> StoreFuture<'_, Reservation> {
        // One round trip: expire old keys, claim this one unless it is
        // held, and read who holds it now (this request, if it claimed it).
        let statements = (|| {
            let expire = self.0.statement(
                "DELETE FROM partner_event_keys WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')",
                &[],
            )?;
            let [consumer, name] = key_args(key);
            // A claim whose event was never recorded, ABANDONED_CLAIM_S
            // (600) old or given up (its send failed), passes to this
            // request (same key, same body), its event id kept.
            let takeover = self.0.statement(
                concat!(
                    "UPDATE partner_event_keys SET holder = ?4, created_at = ",
                    now!(),
                    " WHERE consumer = ?1 AND key = ?2 AND fingerprint = ?3 \
                     AND (holder = '' OR created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-600 seconds')) \
                     AND NOT EXISTS (SELECT 1 FROM partner_events e WHERE e.id = partner_event_keys.event_id)"
                ),
                &[
                    consumer.clone(),
                    name.clone(),
                    JsValue::from_str(&key.fingerprint),
                    JsValue::from_str(request_id),
                ],
            )?;
            let claim = self.0.statement(
                concat!(
                    "INSERT INTO partner_event_keys (consumer, key, fingerprint, event_id, holder, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?4, ",
                    now!(),
                    ") ON CONFLICT(consumer, key) DO NOTHING"
                ),
                &[
                    consumer,
                    name,
                    JsValue::from_str(&key.fingerprint),
                    JsValue::from_str(request_id),
                ],
            )?;
            let holder = self.0.statement(
                "SELECT k.fingerprint, k.event_id, k.holder, \
                 EXISTS (SELECT 1 FROM partner_events e WHERE e.id = k.event_id) AS sent \
                 FROM partner_event_keys k WHERE k.consumer = ?1 AND k.key = ?2",
                &key_args(key),
            )?;
            Ok::<_, StoreError>([expire, takeover, claim, holder])
        })();
        let (fingerprint, request_id) = (key.fingerprint.clone(), request_id.to_owned());
        Box::pin(async move {
            let results = batch(self.0.db()?, &statements?).await.map_err(js_failed)?;
            let rows = match results.get(3) {
                Some(result) => decode_rows::<Value>(result)?,
                None => Vec::new(),
            };
            let Some(seen) = rows.first() else {
                return Err(StoreError("an idempotency key vanished as it was claimed".into()));
            };
            let text = |name: &str| seen.get(name).and_then(Value::as_str).unwrap_or_default();
            Ok(if text("holder") == request_id {
                Reservation::Reserved(text("event_id").to_owned())
            } else if text("fingerprint") != fingerprint {
                Reservation::KeyReused
            } else if seen.get("sent").and_then(Value::as_i64) == Some(1) {
                Reservation::Replay(text("event_id").to_owned())
            } else {
                Reservation::InProgress
            })
        })
    }

    fn release(&self, key: &IdempotencyKey, request_id: &str) -> StoreFuture<'_, ()> {
        // Held by no request (`''`): the key's next request takes it over
        // at once. Its age stays, so the day's expiry keeps it as long as
        // any key (backdating it instead would remove it ten minutes early).
        let sql = "UPDATE partner_event_keys SET holder = '' WHERE consumer = ?1 AND key = ?2 AND holder = ?3";
        let [consumer, name] = key_args(key);
        execute(self.0.statement(sql, &[consumer, name, JsValue::from_str(request_id)]))
    }

    fn record_queued(&self, message: &Message) -> StoreFuture<'_, ()> {
        self.upsert(RECORD_QUEUED, message, "queued", 0, None)
    }

    fn get(&self, id: &str) -> StoreFuture<'_, Option<EventRecord>> {
        let statement = self.0.statement(
            "SELECT id, consumer, type, status, attempts, deliveries, received_at, processed_at, last_error \
             FROM partner_events WHERE id = ?1",
            &[JsValue::from_str(id)],
        );
        Box::pin(async move {
            let rows = all_rows::<Value>(&statement?).await?;
            match rows.first() {
                None => Ok(None),
                Some(row) => EventRecord::from_row(row)
                    .map(Some)
                    .ok_or_else(|| StoreError("a partner_events row is not an event".into())),
            }
        })
    }

    fn record_processed(&self, message: &Message, attempts: u32) -> StoreFuture<'_, ()> {
        self.upsert(RECORD_PROCESSED, message, "processed", attempts, None)
    }

    fn record_failure(&self, message: &Message, attempts: u32, error: &str) -> StoreFuture<'_, ()> {
        self.upsert(RECORD_FAILURE, message, "queued", attempts, Some(error))
    }

    fn record_dead_letter(&self, message: &Message, attempts: u32, rejected: Option<&str>) -> StoreFuture<'_, ()> {
        let status = if rejected.is_some() { "dead" } else { "processed" };
        self.upsert(RECORD_DEAD_LETTER, message, status, attempts, rejected)
    }

    fn prune(&self) -> StoreFuture<'_, ()> {
        // RETENTION_DAYS (30); `processed_at` is indexed (migration 0003).
        let sql = "DELETE FROM partner_events WHERE processed_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days')";
        execute(self.0.statement(sql, &[]))
    }
}
