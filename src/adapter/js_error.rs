//! A thrown JS value as text for the log, without pulling Rust's float and
//! debug formatting into the wasm file.

use wasm_bindgen::{JsCast, JsValue};

pub fn text(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    if let Some(text) = error.as_string() {
        return text;
    }
    js_sys::JSON::stringify(error)
        .ok()
        .and_then(|json| json.as_string())
        .unwrap_or_else(|| "unknown JS error".into())
}
