//! The functions the wasm module exports to `worker/entry.js`.

use std::cell::RefCell;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::platform::WorkerPlatform;
use super::{body, d1_items, wire};
use crate::app::{self, AppState};
use crate::gateway::{Gateway, READ_HEADERS};
use crate::http::RequestBody;

/// What an isolate keeps between requests.
struct Isolate {
    gateway: &'static Gateway<AppState>,
    state: AppState,
}

thread_local! {
    static ISOLATE: RefCell<Option<Isolate>> = const { RefCell::new(None) };
    /// Where the entry writes each request.
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Where a synchronously finished response is written.
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The promise of a response that waits on I/O, for the entry to take.
    static PENDING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// `edgegate_fetch`'s answer when the isolate has no gateway yet (first
/// request, or after a reinit): call [`edgegate_init`] and retry.
const NEEDS_INIT: i32 = -2;
/// `edgegate_fetch`'s answer when the response waits on I/O: take the promise.
const PENDING_RESPONSE: i32 = -1;
/// `edgegate_fetch`'s answer when it was given only [`READ_HEADERS`] and the
/// route's handler reads others: call again with every header.
const NEEDS_ALL_HEADERS: i32 = -3;

/// Panics are logged (message and location) by console_error_panic_hook. The
/// build uses `panic = "abort"`: the instance traps, `worker/entry.js`
/// answers the failed request with a problem+json 500, and the abort handler
/// schedules a fresh instance for the next call (wasm-bindgen's reinit).
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    wasm_bindgen::handler::set_on_abort(wasm_bindgen::handler::schedule_reinit);
}

/// Builds the gateway and state from `env`, once per instance.
#[wasm_bindgen]
pub fn edgegate_init(env: JsValue) {
    ISOLATE.with(|isolate| {
        if isolate.borrow().is_some() {
            return;
        }
        let gateway: &'static Gateway<AppState> = Box::leak(Box::new(app::gateway(|name| setting(&env, name))));
        if let Some(reasons) = gateway.misconfiguration() {
            let line = serde_json::json!({ "level": "error", "message": "gateway misconfigured", "errors": reasons });
            web_sys::console::error_1(&JsValue::from_str(&line.to_string()));
        }
        let state = AppState::with_items(d1_items::D1Items::new(env));
        *isolate.borrow_mut() = Some(Isolate { gateway, state });
    });
}

/// The wasm memory, for the entry's views of the buffers.
#[wasm_bindgen]
pub fn edgegate_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The header names the entry passes by default, one per line: the ones the
/// gateway reads. Asked once, when the module loads.
#[wasm_bindgen]
pub fn edgegate_read_headers() -> String {
    READ_HEADERS.join("\n")
}

/// Makes the input buffer at least `length` bytes and returns its address.
#[wasm_bindgen]
pub fn edgegate_reserve(length: u32) -> u32 {
    INPUT.with(|input| {
        let mut input = input.borrow_mut();
        input.resize(length as usize, 0);
        input.as_mut_ptr() as u32
    })
}

/// The largest body any route accepts, so the entry knows which bodies it may
/// read up front (a `Content-Length` within it) and which to stream.
#[wasm_bindgen]
pub fn edgegate_body_budget() -> f64 {
    ISOLATE.with(|isolate| {
        isolate
            .borrow()
            .as_ref()
            .map_or(0.0, |i| i.gateway.max_body_bytes() as f64)
    })
}

/// Handles the request in the first `length` bytes of the input buffer (the
/// body, if any, is its last `body_length` bytes; -1 means none), whose
/// headers are all the request's or only [`READ_HEADERS`]. Returns the output
/// buffer's address, [`PENDING_RESPONSE`], [`NEEDS_INIT`] or [`NEEDS_ALL_HEADERS`].
#[wasm_bindgen]
pub fn edgegate_fetch(length: u32, body_length: i32, all_headers: bool, now: f64) -> i32 {
    run(length, body_length, all_headers, None, now)
}

/// As [`edgegate_fetch`], for a request whose body is still to be read from
/// the runtime request `stream` (chunked, or declared larger than any limit).
#[wasm_bindgen]
pub fn edgegate_fetch_streamed(length: u32, all_headers: bool, stream: web_sys::Request, now: f64) -> i32 {
    run(length, -1, all_headers, Some(stream), now)
}

/// The promise left by an [`edgegate_fetch`] that returned [`PENDING_RESPONSE`].
#[wasm_bindgen]
pub fn edgegate_take_pending() -> JsValue {
    PENDING
        .with(|pending| pending.borrow_mut().take())
        .map_or(JsValue::UNDEFINED, JsValue::from)
}

/// Does nothing, and that is the point: wasm-bindgen's glue checks, before
/// any export runs, whether the instance aborted and a fresh one is
/// scheduled, and swaps it in. The entry calls it first after a trap, before
/// any call that would touch the old instance's memory.
#[wasm_bindgen]
pub fn edgegate_revive() {}

fn run(length: u32, body_length: i32, all_headers: bool, stream: Option<web_sys::Request>, now: f64) -> i32 {
    let Some((gateway, state)) = ISOLATE.with(|i| i.borrow().as_ref().map(|i| (i.gateway, i.state.clone()))) else {
        return NEEDS_INIT;
    };
    let mut request =
        INPUT.with(|input| wire::read_request(&input.borrow()[..length as usize], body_length, all_headers));
    if !all_headers && gateway.needs_all_headers(&request) {
        return NEEDS_ALL_HEADERS;
    }
    if let Some(stream) = stream {
        request.body = RequestBody::Stream(Box::new(body::JsBody::new(stream)));
    }
    let platform = WorkerPlatform::starting_at(now);
    let mut future = Box::pin(async move {
        let response = gateway.handle(request, &state, &platform).await;
        (response, platform.take_log())
    });
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready((response, log)) => OUTPUT.with(|output| {
            let mut output = output.borrow_mut();
            wire::write_response(&mut output, response, &log);
            output.as_ptr() as i32
        }),
        Poll::Pending => {
            let promise = wasm_bindgen_futures::future_to_promise(async move {
                let (response, log) = future.await;
                let mut encoded = Vec::new();
                wire::write_response(&mut encoded, response, &log);
                Ok(Uint8Array::from(&encoded[..]).into())
            });
            PENDING.with(|pending| *pending.borrow_mut() = Some(promise));
            PENDING_RESPONSE
        }
    }
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
