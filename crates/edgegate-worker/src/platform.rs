//! The runtime's clock, randomness, log, outbound fetch and WebCrypto, for
//! the gateway. Fetch and WebCrypto are called through `js/platform.js`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use edgegate::http::{BodyReadError, BodySource};
use edgegate::platform::fetch::OutboundBody;
use edgegate::platform::{
    AnyBinding, FetchError, OutboundRequest, OutboundResponse, Platform, PlatformFuture, SignatureAlgorithm,
    VerifyingKey,
};

use crate::bindings::Bindings;
use crate::body::RequestBodySource;
use crate::settle::settle;
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/js/platform.js")]
extern "C" {
    #[wasm_bindgen(js_name = sleep)]
    fn js_sleep(ms: u32) -> Promise;
    #[wasm_bindgen(js_name = importKey)]
    fn js_import_key(jwk: &str, algorithm: &str) -> Promise;
    #[wasm_bindgen(js_name = verify)]
    fn js_verify(key: &JsValue, algorithm: &str, message: &[u8], signature: &[u8]) -> Promise;
    #[wasm_bindgen(js_name = fetchOut)]
    fn js_fetch(
        method: &str,
        url: &str,
        headers: &str,
        body: JsValue,
        limit: f64,
        timeout_ms: u32,
        service: Option<String>,
    ) -> Promise;
    #[wasm_bindgen(js_name = cacheMatch)]
    fn js_cache_match(cache: Option<&str>, key: &str) -> Promise;
    #[wasm_bindgen(js_name = cachePut)]
    fn js_cache_put(cache: Option<&str>, key: &str, status: u16, headers: &str, body: &[u8]) -> Promise;
    #[wasm_bindgen(js_name = cacheDelete)]
    fn js_cache_delete(cache: Option<&str>, key: &str) -> Promise;
    #[wasm_bindgen(js_name = openSpan)]
    fn js_open_span(name: &str, route: &str, method: &str);
    #[wasm_bindgen(js_name = closeSpan)]
    fn js_close_span(outcome: &str, status: u16);
    /// Asks the entry to poll the request parked under `id` again, in a
    /// microtask (never from inside the wake: a waker may be woken during a poll).
    #[wasm_bindgen(js_name = wakeRequest)]
    pub(crate) fn wake_request(id: u32);
}

/// The clock starts at the time the entry passed in (so a request that
/// finishes without waiting costs no clock call) and reads `Date.now()` after
/// that. Request-id randomness comes from a per-isolate xorshift generator
/// seeded once from `Math.random()`. The log line is kept for the entry to
/// print, with the response.
pub struct WorkerPlatform {
    started: f64,
    clock_read: Cell<bool>,
    log: RefCell<String>,
    /// The interfaces the worker makes from bindings (none until it says).
    bindings: Option<&'static Bindings>,
}

thread_local! {
    static RANDOM_STATE: Cell<u64> = const { Cell::new(0) };
}

impl WorkerPlatform {
    /// A platform for one request, its clock starting at `now` (the time the entry passed in).
    pub fn starting_at(now: f64) -> WorkerPlatform {
        WorkerPlatform {
            started: now,
            clock_read: Cell::new(false),
            log: RefCell::new(String::new()),
            bindings: None,
        }
    }

    /// Hands out bindings as `bindings` makes them.
    pub fn with_bindings(mut self, bindings: &'static Bindings) -> WorkerPlatform {
        self.bindings = Some(bindings);
        self
    }

    /// The lines logged so far, joined by newlines, leaving none behind.
    pub fn take_log(&self) -> String {
        self.log.take()
    }
}

/// What a request logged but never answered (dropped when its client went
/// away, `Gateway::handle` finishes it as 499) is written when its platform
/// goes; an answered request's lines left with its response, leaving none.
impl Drop for WorkerPlatform {
    fn drop(&mut self) {
        let log = self.log.take();
        if !log.is_empty() {
            crate::queue::log(&log);
        }
    }
}

impl Platform for WorkerPlatform {
    fn now_ms(&self) -> f64 {
        if self.clock_read.replace(true) {
            js_sys::Date::now()
        } else {
            self.started
        }
    }

    fn random_u64(&self) -> u64 {
        RANDOM_STATE.with(|state| {
            let mut x = state.get();
            if x == 0 {
                let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
                let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
                x = (high << 32 | low) | 1;
            }
            // xorshift64*
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
    }

    fn log(&self, line: &str) {
        let mut log = self.log.borrow_mut();
        if !log.is_empty() {
            log.push('\n');
        }
        log.push_str(line);
    }

    fn sleep(&self, ms: u32) -> PlatformFuture<'_, ()> {
        let promise = js_sleep(ms);
        Box::pin(async move {
            let _ = settle(promise).await;
        })
    }

    fn fetch(&self, request: OutboundRequest) -> PlatformFuture<'_, Result<OutboundResponse, FetchError>> {
        let headers = flat_headers(&request.headers);
        let (body, limit) = match request.body {
            OutboundBody::Empty => (JsValue::NULL, -1.0),
            OutboundBody::Bytes(bytes) => (Uint8Array::from(&bytes[..]).into(), -1.0),
            OutboundBody::Stream { source, limit } => (runtime_stream(source), limit.map_or(-1.0, |l| l as f64)),
        };
        let promise = js_fetch(
            request.method.as_str(),
            &request.url,
            &headers,
            body,
            limit,
            request.timeout_ms,
            request.service,
        );
        Box::pin(async move {
            let answer = settle(promise)
                .await
                .map_err(|e| FetchError::Unreachable(crate::js_error::text(&e)))?;
            if let Some(reason) = answer.as_string() {
                return Err(match reason.as_str() {
                    "timeout" => FetchError::Timeout,
                    "too-large" => FetchError::BodyTooLarge,
                    _ => FetchError::Unreachable(reason),
                });
            }
            Ok(answer_of(answer))
        })
    }

    fn cache_match<'a>(
        &'a self,
        cache: Option<&'a str>,
        key: &'a str,
    ) -> PlatformFuture<'a, Result<Option<OutboundResponse>, String>> {
        let promise = js_cache_match(cache, key);
        Box::pin(async move {
            let found = settle(promise).await.map_err(|e| crate::js_error::text(&e))?;
            match found.as_string() {
                Some(reason) => Err(reason),
                None if found.is_null() => Ok(None),
                None => Ok(Some(answer_of(found))),
            }
        })
    }

    fn cache_put<'a>(
        &'a self,
        cache: Option<&'a str>,
        key: &'a str,
        status: u16,
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> PlatformFuture<'a, Result<(), String>> {
        // The runtime copies the body into its Response before this returns.
        let promise = js_cache_put(cache, key, status, &flat_headers(headers), body);
        Box::pin(async move {
            let outcome = settle(promise).await.map_err(|e| crate::js_error::text(&e))?;
            outcome.as_string().map_or(Ok(()), Err)
        })
    }

    fn cache_delete<'a>(&'a self, cache: Option<&'a str>, key: &'a str) -> PlatformFuture<'a, Result<bool, String>> {
        let promise = js_cache_delete(cache, key);
        Box::pin(async move {
            let outcome = settle(promise).await.map_err(|e| crate::js_error::text(&e))?;
            outcome.as_string().map_or(Ok(outcome.as_bool() == Some(true)), Err)
        })
    }

    fn binding_of(&self, name: &str, interface: std::any::TypeId) -> Option<AnyBinding> {
        self.bindings?.make(name, interface)
    }

    /// A span of workerd's (`js/platform.js`); the JS side keeps which is open.
    fn open_span(&self, name: &'static str, route: Option<&str>, method: &str) {
        js_open_span(name, route.unwrap_or(""), method);
    }

    fn close_span(&self, outcome: &str, status: Option<u16>) {
        js_close_span(outcome, status.unwrap_or(0));
    }

    fn import_key(&self, jwk: &str, algorithm: SignatureAlgorithm) -> PlatformFuture<'_, Result<VerifyingKey, String>> {
        let promise = js_import_key(jwk, algorithm.name());
        Box::pin(async move {
            match settle(promise).await {
                Ok(key) => Ok(VerifyingKey(Rc::new(key))),
                Err(error) => Err(crate::js_error::text(&error)),
            }
        })
    }

    fn verify<'a>(
        &'a self,
        key: &'a VerifyingKey,
        algorithm: SignatureAlgorithm,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> PlatformFuture<'a, Result<bool, String>> {
        let Some(key) = key.0.downcast_ref::<JsValue>() else {
            return Box::pin(std::future::ready(Err("a key this platform did not import".into())));
        };
        let promise = js_verify(key, algorithm.name(), message, signature);
        Box::pin(async move {
            match settle(promise).await {
                Ok(valid) => Ok(valid.as_bool() == Some(true)),
                Err(error) => Err(crate::js_error::text(&error)),
            }
        })
    }
}

/// Headers as one string across the boundary, `name\nvalue\n...`: names are
/// tokens and values have no line breaks (both checked before anything is sent).
fn flat_headers(headers: &[(String, String)]) -> String {
    let mut flat = String::with_capacity(headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in headers {
        flat.push_str(name);
        flat.push('\n');
        flat.push_str(value);
        flat.push('\n');
    }
    flat
}

/// `[status, "name\nvalue\n...", body stream]` from platform.js as a response.
fn answer_of(answer: JsValue) -> OutboundResponse {
    let parts: Array = answer.unchecked_into();
    let status = parts.get(0).as_f64().unwrap_or(0.0) as u16;
    let flat = parts.get(1).as_string().unwrap_or_default();
    let mut lines = flat.split('\n');
    let mut headers = Vec::new();
    while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
        headers.push((name.to_owned(), value.to_owned()));
    }
    OutboundResponse {
        status,
        headers,
        body: Box::new(RuntimeStream(parts.get(2))),
    }
}

/// A body the runtime holds as a stream (a fetched response's): read on
/// demand, or passed on to the client unread.
pub struct RuntimeStream(pub JsValue);

impl BodySource for RuntimeStream {
    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        Box::pin(crate::body::read_stream(self.0, limit))
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// The runtime stream behind a body the platform holds: an upstream's
/// response, or a request's own body passed on unread.
pub fn runtime_stream(source: Box<dyn BodySource>) -> JsValue {
    match source.into_any().downcast::<RuntimeStream>() {
        Ok(stream) => stream.0,
        Err(other) => match other.downcast::<RequestBodySource>() {
            Ok(request) => request.take_stream().unwrap_or(JsValue::NULL),
            Err(_) => JsValue::NULL,
        },
    }
}
