//! The thin wasm adapter: the only code that touches JS types.
//!
//! `worker/entry.js` calls [`edgegate_fetch`] with the request as a few plain
//! values (method, URL, headers as one string, the body when it is already
//! read) and gets the response back as one encoded string — a handful of
//! JS↔wasm crossings per request instead of one per header and field. The
//! gateway's future is polled once right away: every route that does no I/O
//! finishes there and no promise is made; one that waits (D1, a streamed
//! body) is handed to `wasm-bindgen-futures` and answered as a promise.
//!
//! The gateway (route table and validated settings) is built on the first
//! request an isolate serves and kept for its lifetime: settings and secrets
//! are fixed per deployed version.

mod body;
mod d1_items;
mod platform;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::task::{Context, Poll, Waker};

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::app::{self, AppState};
use crate::gateway::Gateway;
use crate::http::{Headers, Method, Request, RequestBody, Response, ResponseBody};
use platform::WorkerPlatform;

thread_local! {
    /// One gateway per isolate. Leaked on purpose: it lives as long as the isolate.
    static GATEWAY: Cell<Option<&'static Gateway<AppState>>> = const { Cell::new(None) };
    /// A binary response body, waiting for `edgegate_take_body`.
    static BINARY_BODY: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Panics are logged (message and location) by console_error_panic_hook. The
/// build uses `panic = "abort"`: the instance traps, `worker/entry.js`
/// answers the failed request with a problem+json 500, and the abort handler
/// schedules a fresh instance for the next call (wasm-bindgen's reinit).
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    wasm_bindgen::handler::set_on_abort(wasm_bindgen::handler::schedule_reinit);
}

/// Handles one request. `headers` is `name\nvalue\n` per header; `body` is the
/// body when the entry already read it; `stream` is the runtime request when
/// its body is still to be read (no or too large a `Content-Length`).
/// Returns the encoded response (see [`encode`]), or a promise of it.
#[wasm_bindgen]
pub fn edgegate_fetch(
    method: &str,
    url: &str,
    headers: &str,
    body: Option<Vec<u8>>,
    stream: JsValue,
    env: JsValue,
) -> JsValue {
    let gateway = gateway(&env);
    let mut request = Request::new(Method::parse(method), target_of(url));
    request.headers = parse_headers(headers);
    request.body = match body {
        Some(bytes) => RequestBody::Bytes(bytes),
        None if stream.is_object() => RequestBody::Stream(Box::new(body::JsBody::new(stream.unchecked_into()))),
        None => RequestBody::Empty,
    };
    let state = AppState::with_items(d1_items::D1Items::new(env));
    let mut future = Box::pin(async move { encode(gateway.handle(request, &state, &WorkerPlatform).await) });
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(encoded) => JsValue::from_str(&encoded),
        Poll::Pending => {
            wasm_bindgen_futures::future_to_promise(async move { Ok(JsValue::from_str(&future.await)) }).into()
        }
    }
}

/// Does nothing, and that is the point: wasm-bindgen's glue checks, before
/// any export runs, whether the instance aborted and a fresh one is
/// scheduled, and swaps it in. `edgegate_fetch` cannot be the first call
/// after an abort, because its glue copies its arguments into the old
/// instance's memory before that check.
#[wasm_bindgen]
pub fn edgegate_revive() {}

/// The largest body any route accepts, so the entry knows which bodies it may
/// read up front (a `Content-Length` within it) and which to stream.
#[wasm_bindgen]
pub fn edgegate_body_budget(env: JsValue) -> f64 {
    gateway(&env).max_body_bytes() as f64
}

/// The binary body of the response just encoded with the `b` flag.
#[wasm_bindgen]
pub fn edgegate_take_body() -> Vec<u8> {
    BINARY_BODY.with(|slot| slot.borrow_mut().take()).unwrap_or_default()
}

fn gateway(env: &JsValue) -> &'static Gateway<AppState> {
    GATEWAY.with(|cell| match cell.get() {
        Some(gateway) => gateway,
        None => {
            let gateway: &'static Gateway<AppState> = Box::leak(Box::new(app::gateway(|name| setting(env, name))));
            if let Some(reasons) = gateway.misconfiguration() {
                let line =
                    serde_json::json!({ "level": "error", "message": "gateway misconfigured", "errors": reasons });
                web_sys::console::error_1(&JsValue::from_str(&line.to_string()));
            }
            cell.set(Some(gateway));
            gateway
        }
    })
}

/// A `[vars]` entry or secret as text: strings as they are, and structured
/// `[vars]` values (TOML tables and arrays) as their JSON.
fn setting(env: &JsValue, name: &str) -> Option<String> {
    let value = Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    js_sys::JSON::stringify(&value).ok().and_then(|json| json.as_string())
}

/// `https://host/path?query#fragment` → `/path?query`.
fn target_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let target = url[after_scheme..].find('/').map_or("/", |i| &url[after_scheme + i..]);
    target.split_once('#').map_or(target, |(before, _)| before)
}

fn parse_headers(blob: &str) -> Headers {
    let mut headers = Headers::new();
    let mut lines = blob.split('\n');
    while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
        headers.append(name, value);
    }
    headers
}

/// The response as one string: `<status>[b]\n`, then `name\nvalue\n` per
/// header, an empty line, and the text body. With the `b` flag the body is
/// binary and waits in [`edgegate_take_body`]. Header names and values never
/// contain a newline, so the format is unambiguous.
fn encode(mut response: Response) -> String {
    let (text, binary) = match std::mem::take(&mut response.body) {
        ResponseBody::Empty => (String::new(), None),
        ResponseBody::Text(text) => (text, None),
        ResponseBody::Bytes(bytes) => (String::new(), Some(bytes)),
        ResponseBody::Problem(problem) => (problem.to_json(""), None),
    };
    let mut out = String::with_capacity(64 + text.len());
    out.push_str(&response.status.0.to_string());
    if binary.is_some() {
        out.push('b');
    }
    out.push('\n');
    for (name, value) in response.headers() {
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&text);
    if let Some(bytes) = binary {
        BINARY_BODY.with(|slot| *slot.borrow_mut() = Some(bytes));
    }
    out
}
