//! The functions the wasm module exports to `js/entry.js`.

use std::cell::RefCell;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;

use crate::body::RequestBodySource;
use crate::platform::{runtime_stream, WorkerPlatform};
use crate::settle::{driving, Settlement};
use crate::{wire, Env, Served};
use edgegate::http::{RequestBody, Response};

extern "Rust" {
    /// The app's build function, named by its `edgegate_worker::export!`.
    fn __edgegate_worker_build(env: &Env) -> Box<dyn Served>;
}

thread_local! {
    /// The app's gateway and state, built once per isolate and kept.
    static ISOLATE: RefCell<Option<&'static dyn Served>> = const { RefCell::new(None) };
    /// Where the entry writes each request.
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Where a synchronously finished response is written.
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The promise a request just parked awaits, for the entry to take.
    static PENDING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    /// Requests waiting for a promise the entry awaits, by the id the entry was given.
    static PARKED: RefCell<Vec<Option<Parked>>> = const { RefCell::new(Vec::new()) };
    /// The body stream of a response just written to OUTPUT (status marked `*`).
    static OUT_STREAM: RefCell<JsValue> = const { RefCell::new(JsValue::NULL) };

}

type Handling = std::pin::Pin<Box<dyn Future<Output = (Response, String)>>>;

/// A request waiting for a promise the entry awaits.
struct Parked {
    handling: Handling,
    /// Where the promise's outcome goes.
    settlement: Settlement,
}

/// `edgegate_fetch`'s answer when the isolate has no gateway yet (first
/// request, or after a reinit): call [`edgegate_init`] and retry.
const NEEDS_INIT: i32 = -2;
/// `edgegate_fetch`'s answer when it was given only the gateway's selection and the
/// route's handler reads others: call again with every header.
const NEEDS_ALL_HEADERS: i32 = -3;
/// `edgegate_fetch`'s answers at and below this mean: the request awaits a
/// promise (a rate-limit count, an upstream's answer, its own body…) and is
/// parked under the id `AWAITS - answer`; take the promise
/// ([`edgegate_take_pending`]), await it and pass its outcome to
/// [`edgegate_settle`].
const AWAITS: i32 = -1000;
/// `edgegate_settle`'s answer when no request is parked under that id (the
/// instance was replaced meanwhile).
const NOT_PARKED: i32 = -5;

/// Panics are logged (message and location) by console_error_panic_hook. The
/// build uses `panic = "abort"`: the instance traps, `js/entry.js`
/// answers the failed request with a problem+json 500, and the abort handler
/// schedules a fresh instance for the next call (wasm-bindgen's reinit).
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    wasm_bindgen::handler::set_on_abort(wasm_bindgen::handler::schedule_reinit);
}

/// Builds the app's gateway and state from `env`, once per instance.
#[wasm_bindgen]
pub fn edgegate_init(env: JsValue) {
    ISOLATE.with(|isolate| {
        if isolate.borrow().is_some() {
            return;
        }
        // SAFETY: the app's `export!` defines this function with exactly this signature.
        let served: &'static dyn Served = Box::leak(unsafe { __edgegate_worker_build(&Env::new(env)) });
        if let Some(reasons) = served.misconfiguration() {
            let line = edgegate::policy::access_log::misconfiguration_line(reasons);
            web_sys::console::error_1(&JsValue::from_str(&line));
        }
        *isolate.borrow_mut() = Some(served);
    });
}

/// The wasm memory, for the entry's views of the buffers.
#[wasm_bindgen]
pub fn edgegate_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The header names the entry passes by default, one per line: the ones the
/// gateway's policies read. Asked once, after [`edgegate_init`].
#[wasm_bindgen]
pub fn edgegate_read_headers() -> String {
    ISOLATE.with(|isolate| {
        isolate
            .borrow()
            .map_or(String::new(), |served| served.read_headers().join("\n"))
    })
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

/// Handles the request whose head is the first `length` bytes of the input
/// buffer, with all the request's headers or only the gateway's selection;
/// `request_with_body` is the runtime request when it has a body (read only if the
/// gateway asks), else null. Returns the output buffer's address,
/// [`NEEDS_INIT`], [`NEEDS_ALL_HEADERS`], or [`AWAITS`] less the parked id.
#[wasm_bindgen]
pub fn edgegate_fetch(length: u32, all_headers: bool, request_with_body: Option<JsValue>, now: f64) -> i32 {
    let Some(served) = ISOLATE.with(|isolate| *isolate.borrow()) else {
        return NEEDS_INIT;
    };
    let selection = (!all_headers).then(|| served.read_headers());
    let mut request = INPUT.with(|input| wire::read_request(&input.borrow()[..length as usize], selection));
    if !all_headers && served.needs_all_headers(&request) {
        return NEEDS_ALL_HEADERS;
    }
    // `None` costs no handle: most requests have no body.
    if let Some(runtime) = request_with_body {
        let declared = request.declares_length();
        request.body = RequestBody::Stream(Box::new(RequestBodySource::new(runtime, declared)));
    }
    drive(served.handle(request, WorkerPlatform::starting_at(now)))
}

/// Hands a request parked on a promise (`AWAITS`) the promise's outcome,
/// its value or (`fulfilled` false) what it was rejected with, and goes on
/// with it. Answers as [`edgegate_fetch`] does, or [`NOT_PARKED`].
#[wasm_bindgen]
pub fn edgegate_settle(id: u32, value: JsValue, fulfilled: bool) -> i32 {
    let Some(Parked { handling, settlement }) = unpark(id) else {
        return NOT_PARKED;
    };
    *settlement.borrow_mut() = Some(if fulfilled { Ok(value) } else { Err(value) });
    drive(handling)
}

/// Drops the request parked under `id`: the runtime gave up its wait (its
/// client went away, so the promise it awaited never settles, and the
/// entry's continuation for it was collected). Without this it would stay
/// parked for the isolate's life.
#[wasm_bindgen]
pub fn edgegate_abandon(id: u32) {
    drop(unpark(id));
}

/// How many requests are parked now (for tests of [`edgegate_abandon`]).
#[wasm_bindgen]
pub fn edgegate_parked_count() -> u32 {
    PARKED.with(|parked| parked.borrow().iter().filter(|p| p.is_some()).count() as u32)
}

/// Takes the request parked under `id` out of the slab.
fn unpark(id: u32) -> Option<Parked> {
    PARKED.with(|parked| parked.borrow_mut().get_mut(id as usize).and_then(Option::take))
}

/// Parks a request; returns its id.
fn park(entry: Parked) -> i32 {
    PARKED.with(|parked| {
        let mut parked = parked.borrow_mut();
        match parked.iter().position(Option::is_none) {
            Some(free) => {
                parked[free] = Some(entry);
                free as i32
            }
            None => {
                parked.push(Some(entry));
                parked.len() as i32 - 1
            }
        }
    })
}

/// The body stream of the response [`edgegate_fetch`] or [`edgegate_settle`]
/// just wrote, when its status is marked `*` (an upstream's body).
#[wasm_bindgen]
pub fn edgegate_take_stream() -> JsValue {
    OUT_STREAM.with(|stream| stream.replace(JsValue::NULL))
}

/// The promise a request parked by an `AWAITS` answer awaits.
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

/// Polls the request's handling once: a response now, or the request parked
/// on the promise it awaits.
fn drive(mut handling: Handling) -> i32 {
    let (polled, awaited) = driving(|| handling.as_mut().poll(&mut Context::from_waker(Waker::noop())));
    match polled {
        Poll::Ready((response, log)) => OUTPUT.with(|output| {
            let mut output = output.borrow_mut();
            if let Some(stream) = wire::write_response(&mut output, response, &log) {
                OUT_STREAM.with(|out| *out.borrow_mut() = runtime_stream(stream));
            }
            output.as_ptr() as i32
        }),
        Poll::Pending => {
            // Nothing but the entry will ever bring what it waits for.
            let Some((promise, settlement)) = awaited else {
                panic!("a request waits on something other than a runtime promise or its body");
            };
            PENDING.with(|pending| *pending.borrow_mut() = Some(promise));
            AWAITS - park(Parked { handling, settlement })
        }
    }
}
