//! Partner events on the worker: the Queue they are sent to (the `EVENTS`
//! producer binding, through the adapter's thin `send`), and the glue of
//! the queue consumer, which maps the runtime's batch to the consumer's
//! rules (`events::consume`) and applies their verdicts.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::events::{self, Delivery, EventQueue, EventStore, QueueFuture, QueueRole, Verdict};
use edgegate_worker::queue::{QueueBatch, QueueProducer};

/// The producer binding events are sent to.
pub const EVENTS_BINDING: &str = "EVENTS";

#[wasm_bindgen]
extern "C" {
    /// The runtime's `crypto.randomUUID()`: a v4 UUID from a secure source.
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    fn random_uuid() -> String;
}

/// The `EVENTS` Queue, looked up on first use; a missing binding fails
/// every send (a 503).
pub struct WorkerQueue {
    env: JsValue,
}

impl WorkerQueue {
    pub fn new(env: JsValue) -> WorkerQueue {
        WorkerQueue { env }
    }
}

impl EventQueue for WorkerQueue {
    fn send(&self, message: String) -> QueueFuture<'_> {
        Box::pin(async move {
            let producer = QueueProducer::from_env(&self.env, EVENTS_BINDING)
                .ok_or_else(|| String::from("Queue binding `EVENTS` is missing or not a Queue"))?;
            producer.send_text(&message).await
        })
    }

    fn new_id(&self) -> String {
        random_uuid()
    }

    fn now(&self) -> String {
        edgegate::time::rfc3339(js_sys::Date::now())
    }
}

/// Consumes one batch: from the dead-letter queue (`dead_letters` names
/// it) every event is recorded dead; from any other, each is processed.
pub async fn consume(
    store: Rc<dyn EventStore>,
    batch: QueueBatch,
    dead_letters: Option<Rc<str>>,
    debug: bool,
) -> Result<(), String> {
    let role = match dead_letters {
        Some(name) if *name == batch.queue() => QueueRole::DeadLetters,
        _ => QueueRole::Events,
    };
    let messages = batch.messages();
    let deliveries: Vec<Delivery> = messages
        .iter()
        .map(|message| Delivery {
            body: message.body_text(),
            attempts: message.attempts(),
        })
        .collect();
    let (verdicts, logs) = events::consume(&*store, role, &deliveries, debug).await;
    for line in logs {
        edgegate_worker::queue::log(&line);
    }
    for (message, verdict) in messages.iter().zip(verdicts) {
        match verdict {
            Verdict::Ack => message.ack(),
            Verdict::Retry { delay_seconds } => message.retry(delay_seconds),
        }
    }
    Ok(())
}
