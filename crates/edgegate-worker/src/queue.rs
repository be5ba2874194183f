//! Cloudflare Queues, both ends: a producer binding a handler sends to, and
//! the batches the worker's `queue` handler receives (an app consumes them
//! with [`Worker::on_queue`](crate::Worker::on_queue)).
//!
//! Thin bindings to the runtime's own objects (`send`, `ack`, `retry`),
//! not the `worker` crate's queue module: that one links
//! `serde-wasm-bindgen` for message bodies. Bodies cross as JSON text
//! instead, which the app decodes with the parser it carries anyway.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// A producer binding (`[[queues.producers]]`).
    type RawProducer;
    #[wasm_bindgen(method, catch)]
    fn send(this: &RawProducer, body: &JsValue, options: &JsValue) -> Result<Promise, JsValue>;

    /// `MessageBatch`: what the runtime hands the `queue` handler.
    type RawBatch;
    #[wasm_bindgen(method, getter)]
    fn queue(this: &RawBatch) -> String;
    #[wasm_bindgen(method, getter)]
    fn messages(this: &RawBatch) -> js_sys::Array;

    /// `Message`: one delivery of a message.
    type RawMessage;
    #[wasm_bindgen(method, getter)]
    fn id(this: &RawMessage) -> String;
    #[wasm_bindgen(method, getter)]
    fn attempts(this: &RawMessage) -> f64;
    #[wasm_bindgen(method, getter)]
    fn body(this: &RawMessage) -> JsValue;
    #[wasm_bindgen(method)]
    fn ack(this: &RawMessage);
    #[wasm_bindgen(method)]
    fn retry(this: &RawMessage, options: &JsValue);
}

/// A Queue's producer binding, looked up in `env` by name.
pub struct QueueProducer(RawProducer);

impl QueueProducer {
    /// The binding `name` of `env` (`Env::raw`), if it is one (has `send`).
    pub fn from_env(env: &JsValue, name: &str) -> Option<QueueProducer> {
        let binding = Reflect::get(env, &JsValue::from_str(name)).ok()?;
        let send = Reflect::get(&binding, &JsValue::from_str("send")).ok()?;
        send.is_function().then(|| QueueProducer(binding.unchecked_into()))
    }

    /// Sends `text` as one message, as text (`contentType: "text"`: its own
    /// UTF-8 bytes; the default JSON would escape every quote and backslash
    /// in it once more, toward the Queue's 128 KB limit); resolves once the
    /// Queue has accepted it. The error is the runtime's text, for the log.
    pub async fn send_text(&self, text: &str) -> Result<(), String> {
        thread_local! {
            static AS_TEXT: JsValue = {
                let options = js_sys::Object::new();
                let _ = Reflect::set(&options, &JsValue::from_str("contentType"), &JsValue::from_str("text"));
                options.into()
            };
        }
        let promise = AS_TEXT
            .with(|options| self.0.send(&JsValue::from_str(text), options))
            .map_err(|error| crate::js_error::text(&error))?;
        crate::settle(promise)
            .await
            .map(drop)
            .map_err(|error| crate::js_error::text(&error))
    }
}

/// A batch of messages from one queue, as the `queue` handler gets it.
pub struct QueueBatch(RawBatch);

impl QueueBatch {
    pub(crate) fn new(batch: JsValue) -> QueueBatch {
        QueueBatch(batch.unchecked_into())
    }

    /// The name of the queue the batch comes from.
    pub fn queue(&self) -> String {
        self.0.queue()
    }

    /// Its messages, in order.
    pub fn messages(&self) -> Vec<QueueMessage> {
        self.0
            .messages()
            .iter()
            .map(|message| QueueMessage(message.unchecked_into()))
            .collect()
    }
}

/// One delivery of a message: acknowledge it, or ask for it again later.
/// One neither acknowledged nor retried counts as acknowledged when the
/// consumer returns `Ok`, and is delivered again when it fails the batch.
pub struct QueueMessage(RawMessage);

impl QueueMessage {
    /// The Queue's id of the message (the same on every delivery).
    pub fn id(&self) -> String {
        self.0.id()
    }

    /// Which delivery this is: 1 the first time.
    pub fn attempts(&self) -> u32 {
        self.0.attempts() as u32
    }

    /// The body as text: a string body as it is, any other as its JSON
    /// (`None` when it has none, as a binary body).
    pub fn body_text(&self) -> Option<String> {
        let body = self.0.body();
        if let Some(text) = body.as_string() {
            return Some(text);
        }
        js_sys::JSON::stringify(&body).ok().and_then(|json| json.as_string())
    }

    /// Done with: never delivered again.
    pub fn ack(&self) {
        self.0.ack();
    }

    /// Delivered again after `delay_seconds`, or to the dead-letter queue
    /// once the consumer's `max_retries` are spent.
    pub fn retry(&self, delay_seconds: u32) {
        let options = js_sys::Object::new();
        let _ = Reflect::set(
            &options,
            &JsValue::from_str("delaySeconds"),
            &JsValue::from(delay_seconds),
        );
        self.0.retry(&options);
    }
}

/// Writes log lines (JSON objects, one per line: what a consumer did with a
/// batch, what a request dropped unanswered logged) one console call each,
/// at the console level the line's `level` names, as the entry does.
pub fn log(lines: &str) {
    for line in lines.split('\n') {
        let value = JsValue::from_str(line);
        if line.starts_with(r#"{"level":"error""#) {
            web_sys::console::error_1(&value);
        } else if line.starts_with(r#"{"level":"warn""#) {
            web_sys::console::warn_1(&value);
        } else {
            web_sys::console::log_1(&value);
        }
    }
}
