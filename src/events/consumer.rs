//! The queue consumer's rules: what each delivery of a batch becomes in
//! the store, and whether it is acknowledged or retried. The wasm glue
//! (`queue_events.rs`) maps the runtime's batch to [`Delivery`]s and
//! applies the [`Verdict`]s.

use super::model::{quoted, Message};
use super::store::EventStore;

/// The longest back-off between two tries.
pub const MAX_RETRY_DELAY_SECONDS: u32 = 300;
/// The event type the processing rejects (to prove the failure path).
const REJECTED_TYPE: &str = "fail";
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
        let retry = Verdict::Retry {
            delay_seconds: back_off(delivery.attempts),
        };
        let verdict = match role {
            QueueRole::DeadLetters => match store.record_dead(&message).await {
                Ok(()) => {
                    logs.push(log_line("event dead", Some(&message.id), None));
                    Verdict::Ack
                }
                Err(error) => {
                    logs.push(log_line(
                        "recording a dead event failed",
                        Some(&message.id),
                        Some(&error.0),
                    ));
                    retry
                }
            },
            QueueRole::Events if message.kind == REJECTED_TYPE => {
                let error = format!("processing rejected event type `{REJECTED_TYPE}`");
                if let Err(failure) = store.record_failure(&message, delivery.attempts, &error).await {
                    logs.push(log_line(
                        "recording a failed try failed",
                        Some(&message.id),
                        Some(&failure.0),
                    ));
                }
                logs.push(log_line("event rejected", Some(&message.id), Some(&error)));
                retry
            }
            QueueRole::Events => match store.record_processed(&message, delivery.attempts).await {
                Ok(_) if debug && message.kind == REDELIVER_TYPE && delivery.attempts == 1 => {
                    Verdict::Retry { delay_seconds: 0 }
                }
                Ok(_) => Verdict::Ack,
                Err(error) => {
                    logs.push(log_line("recording an event failed", Some(&message.id), Some(&error.0)));
                    retry
                }
            },
        };
        verdicts.push(verdict);
    }
    (verdicts, logs)
}

/// A JSON log line about one event.
fn log_line(message: &str, id: Option<&str>, error: Option<&str>) -> String {
    let level = if error.is_some() || id.is_none() {
        "error"
    } else {
        "info"
    };
    let mut line = format!(r#"{{"level":"{level}","message":"{message}""#);
    for (name, value) in [("event_id", id), ("error", error)] {
        if let Some(value) = value {
            line.push_str(&format!(r#","{name}":{}"#, quoted(value)));
        }
    }
    line.push('}');
    line
}
