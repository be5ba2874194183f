//! The functions the wasm module exports to `js/entry.js`.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use crate::body::{BodySlot, Delivery, ParkedBody};
use crate::platform::{runtime_stream, WorkerPlatform};
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
    /// The promise of a response that waits on I/O, for the entry to take.
    static PENDING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    /// Requests waiting for their body, by the id the entry was given, with
    /// the body limit the gateway asked to read within.
    static PARKED: RefCell<Vec<Option<Parked>>> = const { RefCell::new(Vec::new()) };
    /// The body stream of a response just written to OUTPUT (status marked `*`).
    static OUT_STREAM: RefCell<JsValue> = const { RefCell::new(JsValue::NULL) };

}

type Handling = std::pin::Pin<Box<dyn Future<Output = (Response, String)>>>;

/// A request that passed every check before its body and now waits for it.
struct Parked {
    handling: Handling,
    body: Rc<BodySlot>,
}

/// `edgegate_fetch`'s answer when the isolate has no gateway yet (first
/// request, or after a reinit): call [`edgegate_init`] and retry.
const NEEDS_INIT: i32 = -2;
/// `edgegate_fetch`'s answer when the response waits on I/O: take the promise.
const PENDING_RESPONSE: i32 = -1;
/// `edgegate_fetch`'s answer when it was given only the gateway's selection and the
/// route's handler reads others: call again with every header.
const NEEDS_ALL_HEADERS: i32 = -3;
/// `edgegate_fetch`'s answers at and below this mean: the request passed
/// every check that comes before its body and is parked under the id
/// `NEEDS_BODY - answer`; read its body (a chunked one within
/// [`edgegate_parked_limit`]) and pass it to [`edgegate_resume`].
const NEEDS_BODY: i32 = -1000;
/// `edgegate_resume`'s answer when no request is parked under that id (the
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
/// `body` is the request's body stream, or null (it is not read yet).
/// Returns the output buffer's address, [`PENDING_RESPONSE`], [`NEEDS_INIT`],
/// [`NEEDS_ALL_HEADERS`] or [`NEEDS_BODY`] less the parked id.
#[wasm_bindgen]
pub fn edgegate_fetch(length: u32, all_headers: bool, body: Option<JsValue>, now: f64) -> i32 {
    let Some(served) = ISOLATE.with(|isolate| *isolate.borrow()) else {
        return NEEDS_INIT;
    };
    let selection = (!all_headers).then(|| served.read_headers());
    let mut request = INPUT.with(|input| wire::read_request(&input.borrow()[..length as usize], selection));
    if !all_headers && served.needs_all_headers(&request) {
        return NEEDS_ALL_HEADERS;
    }
    // Only a request with a body can be parked for it: no slot for the rest.
    // `None` costs no handle: most requests have no body.
    let body = body.map(|body| {
        let slot = Rc::new(BodySlot::for_stream(body));
        request.body = RequestBody::Stream(Box::new(ParkedBody::new(slot.clone())));
        slot
    });
    let handling = served.handle(request, WorkerPlatform::starting_at(now));
    drive(handling, body)
}

/// The body limit of a parked request (-1 when none is parked under `id`):
/// the entry stops reading a body without a `Content-Length` as soon as it
/// passes this.
#[wasm_bindgen]
pub fn edgegate_parked_limit(id: u32) -> f64 {
    PARKED.with(|parked| {
        parked
            .borrow()
            .get(id as usize)
            .and_then(Option::as_ref)
            .and_then(|p| p.body.wanted())
            .map_or(-1.0, |limit| limit as f64)
    })
}

/// Hands a parked request its body and goes on with it. `length` is the
/// body's size in the input buffer, or [`Delivery::TOO_LARGE`] /
/// [`Delivery::FAILED`]. Answers as [`edgegate_fetch`] does, or [`NOT_PARKED`].
#[wasm_bindgen]
pub fn edgegate_resume(id: u32, length: i32) -> i32 {
    let parked = PARKED.with(|parked| parked.borrow_mut().get_mut(id as usize).and_then(Option::take));
    let Some(Parked { handling, body }) = parked else {
        return NOT_PARKED;
    };
    let delivery = INPUT.with(|input| Delivery::from_entry(length, &input.borrow()));
    body.deliver(delivery);
    drive(handling, Some(body))
}

/// The body stream of the response [`edgegate_fetch`] or [`edgegate_resume`]
/// just wrote, when its status is marked `*` (an upstream's body).
#[wasm_bindgen]
pub fn edgegate_take_stream() -> JsValue {
    OUT_STREAM.with(|stream| stream.replace(JsValue::NULL))
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

/// Polls the request's handling once: a response now, a parked request
/// waiting for its body, or a promise for a response that waits on I/O.
fn drive(mut handling: Handling, body: Option<Rc<BodySlot>>) -> i32 {
    let parkable = |on: bool| {
        if let Some(slot) = &body {
            slot.set_parkable(on);
        }
    };
    parkable(true);
    let polled = handling.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    parkable(false);
    match polled {
        Poll::Ready((response, log)) => OUTPUT.with(|output| {
            let mut output = output.borrow_mut();
            if let Some(stream) = wire::write_response(&mut output, response, &log) {
                OUT_STREAM.with(|out| *out.borrow_mut() = runtime_stream(stream));
            }
            output.as_ptr() as i32
        }),
        Poll::Pending => {
            if let Some(body) = body.clone().filter(|slot| slot.wanted().is_some()) {
                let id = PARKED.with(|parked| {
                    let mut parked = parked.borrow_mut();
                    let entry = Some(Parked { handling, body });
                    match parked.iter().position(Option::is_none) {
                        Some(free) => {
                            parked[free] = entry;
                            free
                        }
                        None => {
                            parked.push(entry);
                            parked.len() - 1
                        }
                    }
                });
                return NEEDS_BODY - id as i32;
            }
            let promise = wasm_bindgen_futures::future_to_promise(async move {
                let (response, log) = handling.await;
                let mut encoded = Vec::new();
                let stream = wire::write_response(&mut encoded, response, &log);
                let encoded: JsValue = Uint8Array::from(&encoded[..]).into();
                // A streamed body travels with its head: [head, stream].
                Ok(match stream {
                    None => encoded,
                    Some(stream) => js_sys::Array::of2(&encoded, &runtime_stream(stream)).into(),
                })
            });
            PENDING.with(|pending| *pending.borrow_mut() = Some(promise));
            PENDING_RESPONSE
        }
    }
}
