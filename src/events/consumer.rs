//! The queue consumer's rules: what each delivery of a batch becomes in
//! the store, and whether it is acknowledged or retried. The wasm glue
//! (`queue_events.rs`) maps the runtime's batch to [`Delivery`]s and
//! applies the [`Verdict`]s.

use super::model::{quoted, Message};
use super::store::EventStore;

/// The longest back-off between two tries.
pub const MAX_RETRY_DELAY_SECONDS: u32 = 300;
/// The tries an event gets on the events queue before its dead-letter
/// queue: the first and its consumer's `max_retries` (3, wrangler.toml).
pub const EVENT_TRIES: u32 = 4;
/// With debug routes on: the event type the processing rejects (to prove
/// the failure path). Without them it is an event like any other: a
/// partner's `fail` is processed.
const REJECTED_TYPE: &str = "fail";
/// The error a rejected event's try is recorded with.
const REJECTED_ERROR: &str = "processing rejected event type `fail`";
/// With debug routes on: an event of this type is retried once after it is
/// recorded, so the Queue delivers it again (the redelivery test).
const REDELIVER_TYPE: &str = "debug:redeliver";

/// Which queue a batch came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueRole {
    /// The events queue: process each event.
    Events,
    /// Its dead-letter queue: events that failed every try.
    DeadLetters,
}

/// One delivery of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The body as text (`None`: not text or JSON).
    pub body: Option<String>,
    /// Which delivery this is: 1 the first time.
    pub attempts: u32,
}

/// What becomes of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Done with.
    Ack,
    /// Again after the delay (or to the dead-letter queue once the retries are spent).
    Retry { delay_seconds: u32 },
}

/// Exponential back-off: 1, 2, 4, ... seconds after the 1st, 2nd, 3rd try, at most 5 minutes.
pub fn back_off(attempts: u32) -> u32 {
    1u32.checked_shl(attempts.saturating_sub(1))
        .unwrap_or(MAX_RETRY_DELAY_SECONDS)
        .min(MAX_RETRY_DELAY_SECONDS)
}

/// Processes a batch's deliveries one by one: each one's verdict, in
/// order, and log lines for what went wrong. A message that is not an
/// event is acknowledged and logged (retrying cannot mend it); a store
/// failure retries the delivery.
pub async fn consume(
    store: &dyn EventStore,
    role: QueueRole,
    deliveries: &[Delivery],
    debug: bool,
) -> (Vec<Verdict>, Vec<String>) {
    let mut verdicts = Vec::with_capacity(deliveries.len());
    let mut logs = Vec::new();
    for delivery in deliveries {
        let message = delivery.body.as_deref().and_then(Message::from_json);
        let Some(message) = message else {
            logs.push(log_line("an undecodable message was dropped", None, None));
            verdicts.push(Verdict::Ack);
            continue;
        };
        let id = Some(message.id.as_str());
        let retry = Verdict::Retry {
            delay_seconds: back_off(delivery.attempts),
        };
        let rejects = debug && message.kind == REJECTED_TYPE;
        let rejected = rejects && role == QueueRole::Events;
        // One store call, awaited in one place: each await point costs the
        // wasm file its own copy of the state machine's arms.
        let (write, failed) = match role {
            // Dead if its processing rejected it; processed now if no try
            // could even be recorded (the store was down for all of them).
            QueueRole::DeadLetters => (
                store.record_dead_letter(
                    &message,
                    EVENT_TRIES + delivery.attempts,
                    rejects.then_some(REJECTED_ERROR),
                ),
                "recording a dead letter failed",
            ),
            QueueRole::Events if rejected => (
                store.record_failure(&message, delivery.attempts, REJECTED_ERROR),
                "recording a failed try failed",
            ),
            QueueRole::Events => (
                store.record_processed(&message, delivery.attempts),
                "recording an event failed",
            ),
        };
        let written = write.await;
        if let Err(error) = &written {
            logs.push(log_line(failed, id, Some(&error.0)));
        }
        let verdict = match role {
            _ if rejected => {
                logs.push(log_line("event rejected", id, Some(REJECTED_ERROR)));
                retry
            }
            _ if written.is_err() => retry,
            QueueRole::DeadLetters => {
                logs.push(log_line("dead letter recorded", id, None));
                Verdict::Ack
            }
            QueueRole::Events if debug && message.kind == REDELIVER_TYPE && delivery.attempts == 1 => {
                Verdict::Retry { delay_seconds: 0 }
            }
            QueueRole::Events => Verdict::Ack,
        };
        verdicts.push(verdict);
    }
    // Events settled a month ago go, a batch at a time (one indexed delete);
    // a failure only leaves them for the next batch.
    if let Err(error) = store.prune().await {
        logs.push(log_line("pruning settled events failed", None, Some(&error.0)));
    }
    (verdicts, logs)
}

/// A JSON log line about one event (written out: no `format!` per field).
fn log_line(message: &str, id: Option<&str>, error: Option<&str>) -> String {
    let level = if error.is_some() || id.is_none() {
        "error"
    } else {
        "info"
    };
    let mut line = String::from(r#"{"level":""#);
    line.push_str(level);
    line.push_str(r#"","message":""#);
    line.push_str(message);
    line.push('"');
    for (name, value) in [(r#","event_id":"#, id), (r#","error":"#, error)] {
        if let Some(value) = value {
            line.push_str(name);
            line.push_str(&quoted(value));
        }
    }
    line.push('}');
    line
}
