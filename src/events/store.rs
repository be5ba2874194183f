//! What the events API stands on: where events are recorded
//! ([`EventStore`], D1 on the worker) and the Queue they travel on
//! ([`EventQueue`]); both have in-memory fakes for host tests.

use std::future::Future;
use std::pin::Pin;

use super::model::{EventRecord, Message};
use crate::items::{IdempotencyKey, StoreFuture};

/// Where events are recorded. Every write is idempotent on the event's id:
/// the Queue delivers at least once, so any of them may come twice.
pub trait EventStore {
    /// Claims `key` for this request (`request_id`, the id its event takes
    /// when the key is new), or says what became of it: the event it was
    /// first used for, another request, or one still being handled.
    fn reserve(&self, key: &IdempotencyKey, request_id: &str) -> StoreFuture<'_, Reservation>;
    /// Gives up the claim this request (`request_id`) holds on `key`: its
    /// send failed, so a retry with the key takes the claim over at once
    /// and sends the same event (its id kept: if the Queue did take it
    /// after all, the consumer stores it once).
    fn release(&self, key: &IdempotencyKey, request_id: &str) -> StoreFuture<'_, ()>;
    /// Records a sent event as `queued`, unless the consumer recorded it first.
    fn record_queued(&self, message: &Message) -> StoreFuture<'_, ()>;
    /// The event `id`, whoever sent it.
    fn get(&self, id: &str) -> StoreFuture<'_, Option<EventRecord>>;
    /// Records delivery `attempts` as processed: the first time it is
    /// recorded as such; a redelivery of a processed (or dead) event only
    /// counts the delivery.
    fn record_processed(&self, message: &Message, attempts: u32) -> StoreFuture<'_, ()>;
    /// Records a failed try (still `queued`), with why.
    fn record_failure(&self, message: &Message, attempts: u32, error: &str) -> StoreFuture<'_, ()>;
    /// Records an event from the dead-letter queue: `dead` when its
    /// processing rejected it (`rejected`: why, if it rejects it now; else
    /// the error a try recorded, which is kept); one no try could even be
    /// recorded for (the store was down for all of them) is `processed` now,
    /// after `attempts` tries. A processed or dead event stays as it is.
    fn record_dead_letter(&self, message: &Message, attempts: u32, rejected: Option<&str>) -> StoreFuture<'_, ()>;
    /// Removes the events settled (processed or dead) more than
    /// [`RETENTION_DAYS`] ago: the table never grows past what a month brings.
    fn prune(&self) -> StoreFuture<'_, ()>;
}

/// How long a settled event stays readable (`GET /partners/events/{id}`).
pub const RETENTION_DAYS: u64 = 30;

/// What [`EventStore::reserve`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is this request's: it sends the event of this id (its own
    /// for a new key; the first request's when it took a claim over).
    Reserved(String),
    /// The key was used with the same request, whose event was accepted (its id).
    Replay(String),
    /// The key was used with a different request.
    KeyReused,
    /// The key's first request is still being handled: the event it names
    /// is not accepted yet. A claim with no record of its event is taken
    /// over once it is [`ABANDONED_CLAIM_S`] old.
    InProgress,
}

/// How old a claim on an idempotency key must be, with no record of its
/// event (neither the endpoint's `queued` row nor the consumer's), before
/// a request with the same key and body takes it over: its first request
/// is gone (its client left mid-claim, or the Queue and then the key's
/// release failed together), and without this the key would answer 409
/// until it expires a day later. Far longer than a Queue send and the
/// consumer's first try; an event that was sent but could not be recorded
/// for that long (D1 down throughout) is then sent again under its own id,
/// which the consumer stores once.
pub const ABANDONED_CLAIM_S: u64 = 600;

pub type QueueFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;

/// The Queue events are sent to, and what a new event takes from the
/// runtime: a fresh id and the time.
pub trait EventQueue {
    /// Sends one message (JSON text); resolves once the Queue has accepted
    /// it. The error is for the log.
    fn send(&self, message: String) -> QueueFuture<'_>;
    /// A random UUID (v4), lower case.
    fn new_id(&self) -> String;
    /// Now, as RFC 3339 UTC with milliseconds.
    fn now(&self) -> String;
}
