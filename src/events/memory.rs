//! In-memory [`EventStore`] and [`EventQueue`] with the D1 store's and the
//! Queue's semantics: for host tests, and for running the app without them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::model::{EventRecord, EventStatus, Message};
use super::store::{EventQueue, EventStore, QueueFuture, Reservation, ABANDONED_CLAIM_S, RETENTION_DAYS};
use crate::items::{FakeBackend, IdempotencyKey, StoreError, StoreFuture};
use edgegate::time::rfc3339;

/// An idempotency key's claim, under (consumer, key): the body's
/// fingerprint, the event's id, when it was made (the clock's ms; none:
/// given up, so the next request takes it over), and by which request.
type Claim = (String, String, Option<u64>, String);

/// Events and idempotency keys in memory.
#[derive(Default)]
pub struct MemoryEvents {
    events: RefCell<HashMap<String, EventRecord>>,
    keys: RefCell<HashMap<(String, String), Claim>>,
    backend: FakeBackend,
    lose_answer: Cell<bool>,
}

impl MemoryEvents {
    pub fn new() -> MemoryEvents {
        MemoryEvents::default()
    }

    /// A store whose every call fails with `cause`, as a database outage would.
    pub fn failing(cause: &str) -> MemoryEvents {
        MemoryEvents {
            backend: FakeBackend::failing(cause),
            ..MemoryEvents::default()
        }
    }

    /// The next claim is made but its answer lost, as when the connection
    /// drops after D1 committed: the caller sees a failure.
    pub fn lose_next_answer(&self) {
        self.lose_answer.set(true);
    }

    /// The event `id` as stored.
    pub fn record(&self, id: &str) -> Option<EventRecord> {
        self.events.borrow().get(id).cloned()
    }

    /// How many events are recorded.
    pub fn len(&self) -> usize {
        self.events.borrow().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.events.borrow().is_empty()
    }

    /// How many idempotency keys are held.
    pub fn key_count(&self) -> usize {
        self.keys.borrow().len()
    }

    /// Moves the store's clock on by `ms` (a test's wait).
    pub fn advance_ms(&self, ms: u64) {
        self.backend.advance_ms(ms);
    }

    fn check(&self) -> Result<(), StoreError> {
        self.backend.check()
    }

    fn now(&self) -> String {
        self.backend.now()
    }

    /// The event's record, made `queued` from the message if there is none.
    fn upsert(&self, message: &Message, change: impl FnOnce(&mut EventRecord)) {
        let mut events = self.events.borrow_mut();
        let record = events.entry(message.id.clone()).or_insert_with(|| EventRecord {
            id: message.id.clone(),
            consumer: message.consumer.clone(),
            kind: message.kind.clone(),
            status: EventStatus::Queued,
            attempts: 0,
            deliveries: 0,
            received_at: message.received_at.clone(),
            processed_at: None,
            last_error: None,
        });
        change(record);
    }

    /// A delivery of `message`: counted, and `settle` applied while the
    /// event is still queued (a redelivered settled event stays as it was).
    fn delivered(&self, message: &Message, settle: impl FnOnce(&mut EventRecord)) -> Result<(), StoreError> {
        self.check()?;
        self.upsert(message, |record| {
            record.deliveries += 1;
            if record.status == EventStatus::Queued {
                settle(record);
            }
        });
        Ok(())
    }
}

impl EventStore for MemoryEvents {
    fn reserve(&self, key: &IdempotencyKey, request_id: &str) -> StoreFuture<'_, Reservation> {
        let (key, request_id) = (key.clone(), request_id.to_owned());
        Box::pin(async move {
            self.check()?;
            let slot = (key.consumer.clone(), key.key.clone());
            let seen = self.keys.borrow().get(&slot).cloned();
            let now = self.backend.tick();
            let abandoned = |claimed: Option<u64>| {
                claimed.is_none_or(|claimed| now.saturating_sub(claimed) >= ABANDONED_CLAIM_S * 1000)
            };
            let reservation = match seen {
                Some((fingerprint, ..)) if fingerprint != key.fingerprint => Reservation::KeyReused,
                Some((_, first, ..)) if self.events.borrow().contains_key(&first) => Reservation::Replay(first),
                Some((_, _, claimed, _)) if !abandoned(claimed) => Reservation::InProgress,
                // A claim whose event was never recorded and whose request
                // gave it up or is gone: its event, sent again.
                Some((fingerprint, first, ..)) => {
                    self.keys
                        .borrow_mut()
                        .insert(slot, (fingerprint, first.clone(), Some(now), request_id));
                    Reservation::Reserved(first)
                }
                None => {
                    let claim = (key.fingerprint, request_id.clone(), Some(now), request_id.clone());
                    self.keys.borrow_mut().insert(slot, claim);
                    Reservation::Reserved(request_id)
                }
            };
            match self.lose_answer.replace(false) {
                true => Err(StoreError("Network connection lost.".into())),
                false => Ok(reservation),
            }
        })
    }

    fn release(&self, key: &IdempotencyKey, request_id: &str) -> StoreFuture<'_, ()> {
        let (slot, request_id) = ((key.consumer.clone(), key.key.clone()), request_id.to_owned());
        Box::pin(async move {
            self.check()?;
            if let Some(claim) = self.keys.borrow_mut().get_mut(&slot) {
                if claim.3 == request_id {
                    claim.2 = None;
                }
            }
            Ok(())
        })
    }

    fn record_queued(&self, message: &Message) -> StoreFuture<'_, ()> {
        let message = message.clone();
        Box::pin(async move {
            self.check()?;
            self.upsert(&message, |_| {});
            Ok(())
        })
    }

    fn get(&self, id: &str) -> StoreFuture<'_, Option<EventRecord>> {
        let id = id.to_owned();
        Box::pin(async move {
            self.check()?;
            Ok(self.record(&id))
        })
    }

    fn record_processed(&self, message: &Message, attempts: u32) -> StoreFuture<'_, ()> {
        let message = message.clone();
        Box::pin(async move {
            let now = self.now();
            self.delivered(&message, |record| {
                record.status = EventStatus::Processed;
                record.attempts = attempts;
                record.processed_at = Some(now);
            })
        })
    }

    fn record_failure(&self, message: &Message, attempts: u32, error: &str) -> StoreFuture<'_, ()> {
        let (message, error) = (message.clone(), error.to_owned());
        Box::pin(async move {
            self.delivered(&message, |record| {
                record.attempts = record.attempts.max(attempts);
                record.last_error = Some(error);
            })
        })
    }

    fn record_dead_letter(&self, message: &Message, attempts: u32, rejected: Option<&str>) -> StoreFuture<'_, ()> {
        let (message, rejected) = (message.clone(), rejected.map(str::to_owned));
        Box::pin(async move {
            let now = self.now();
            self.delivered(&message, |record| {
                record.processed_at = Some(now);
                match (rejected, &record.last_error) {
                    (None, None) => {
                        record.status = EventStatus::Processed;
                        record.attempts = record.attempts.max(attempts);
                    }
                    (rejected, _) => {
                        record.status = EventStatus::Dead;
                        // No try recorded its rejection: the dead letter's
                        // count of tries is all there is.
                        if record.last_error.is_none() {
                            record.last_error = rejected;
                            record.attempts = record.attempts.max(attempts);
                        }
                    }
                }
            })
        })
    }

    fn prune(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.check()?;
            let cutoff = self.backend.ago(RETENTION_DAYS * 86_400_000);
            self.events
                .borrow_mut()
                .retain(|_, record| record.processed_at.as_ref().is_none_or(|at| *at >= cutoff));
            Ok(())
        })
    }
}

/// A Queue that keeps what it is sent, or refuses everything (until told to accept).
#[derive(Default)]
pub struct MemoryQueue {
    sent: RefCell<Vec<String>>,
    next_id: Cell<u64>,
    /// Its outage, while every send fails.
    backend: FakeBackend,
}

impl MemoryQueue {
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// A Queue whose every send fails with `cause`.
    pub fn refusing(cause: &str) -> MemoryQueue {
        MemoryQueue {
            backend: FakeBackend::failing(cause),
            ..MemoryQueue::default()
        }
    }

    /// From now on, it accepts what it is sent.
    pub fn accept(&self) {
        self.backend.recover();
    }

    /// The messages sent, in order.
    pub fn sent(&self) -> Vec<String> {
        self.sent.borrow().clone()
    }
}

impl EventQueue for MemoryQueue {
    fn send(&self, message: String) -> QueueFuture<'_> {
        Box::pin(async move {
            self.backend.check().map_err(|error| error.0)?;
            self.sent.borrow_mut().push(message);
            Ok(())
        })
    }

    /// Counting UUIDs: `00000000-0000-4000-8000-000000000001`, ...
    fn new_id(&self) -> String {
        self.next_id.set(self.next_id.get() + 1);
        format!("00000000-0000-4000-8000-{:012x}", self.next_id.get())
    }

    fn now(&self) -> String {
        rfc3339(1_767_225_600_000.0 + self.next_id.get() as f64)
    }
}
