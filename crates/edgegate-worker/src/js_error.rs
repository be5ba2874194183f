//! A thrown JS value as text for the log, without pulling Rust's float and
//! debug formatting into the wasm file.

use wasm_bindgen::{JsCast, JsValue};

/// The message of a JS error, followed by its cause's when that says more
/// (D1 puts SQLite's own text there); strings as they are; anything else as JSON.
pub fn text(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        let mut text = String::from(error.message());
        if let Some(cause) = error.cause().dyn_ref::<js_sys::Error>() {
            let cause = String::from(cause.message());
            if !text.contains(&cause) {
                text.push_str(": ");
                text.push_str(&cause);
            }
        }
        return text;
    }
    if let Some(text) = error.as_string() {
        return text;
    }
    js_sys::JSON::stringify(error)
        .ok()
        .and_then(|json| json.as_string())
        .unwrap_or_else(|| "unknown JS error".into())
}
