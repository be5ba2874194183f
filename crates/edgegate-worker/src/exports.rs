//! The functions the wasm module exports to `js/entry.js`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Poll, RawWaker, RawWakerVTable, Wake, Waker};

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
    /// Requests waiting for a promise or a wake, by the id the entry was given
    /// (a request keeps its id while it waits: its waker names it).
    static PARKED: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
    /// The body stream of a response just written to OUTPUT (status marked `*`).
    static OUT_STREAM: RefCell<JsValue> = const { RefCell::new(JsValue::NULL) };

}

type Handling = std::pin::Pin<Box<dyn Future<Output = (Response, String)>>>;

/// A request waiting for a promise the entry awaits, or for a wake.
struct Parked {
    handling: Handling,
    /// Where the outcome of the promise the entry awaits for it goes, while it awaits one.
    settlement: Option<Settlement>,
    /// Its waker: held by whatever will wake it (a `JsFuture`'s callbacks).
    waker: Arc<RequestWaker>,
}

/// A place in [`PARKED`].
enum Slot {
    Free,
    /// Its request is being polled (out of the slot, coming back).
    Polling,
    Parked(Parked),
}

/// Wakes a parked request: the entry polls it again in a microtask.
struct RequestWaker {
    id: u32,
    /// Already scheduled since its last poll.
    woken: AtomicBool,
}

impl Wake for RequestWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::Relaxed) {
            crate::platform::wake_request(self.id);
        }
    }
}

/// `edgegate_fetch`'s answer when the isolate has no gateway yet (first
/// request, or after a reinit): call [`edgegate_init`] and retry.
const NEEDS_INIT: i32 = -2;
/// `edgegate_fetch`'s answer when it was given only the gateway's selection and the
/// route's handler reads others: call again with every header.
const NEEDS_ALL_HEADERS: i32 = -3;
/// `edgegate_fetch`'s answers at and below this mean: the request is parked
/// under the id `(AWAITS - answer) / 4`, and `(AWAITS - answer) % 4` says
/// what the entry does: [`HANDS_PROMISE`] set, take the promise
/// ([`edgegate_take_pending`]), await it and pass its outcome to
/// [`edgegate_settle`]; [`WAKEABLE`] set, keep the request for
/// [`edgegate_wake`] (something holds its waker).
const AWAITS: i32 = -1000;
/// The request hands the entry a promise to await.
const HANDS_PROMISE: i32 = 1;
/// Something holds the request's waker: a wake will come.
const WAKEABLE: i32 = 2;
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
            .map_or(String::new(), |served| lines(served.read_headers().iter().copied()))
    })
}

/// The path beginnings where the entry passes every header at once, one
/// per line (see `Gateway::all_headers_paths`). Asked once, after [`edgegate_init`].
#[wasm_bindgen]
pub fn edgegate_all_headers_paths() -> String {
    ISOLATE.with(|isolate| {
        isolate.borrow().map_or(String::new(), |served| {
            lines(served.all_headers_paths().iter().map(String::as_str))
        })
    })
}

/// `names` one per line: `join("\n")` by hand, since the gateway's code has
/// no other `[&str]` join (a second copy of it would cost the wasm 1 KB).
fn lines<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut list = String::new();
    for (index, name) in names.enumerate() {
        if index > 0 {
            list.push('\n');
        }
        list.push_str(name);
    }
    list
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
    first_poll(served.handle(request, WorkerPlatform::starting_at(now)))
}

/// Consumes a queue batch (the runtime's `MessageBatch`) with the app's
/// consumer, driven exactly as a request is: answers as [`edgegate_fetch`]
/// does, and the response's status says how it went (204, or 500 with a
/// log line).
#[wasm_bindgen]
pub fn edgegate_queue(batch: JsValue) -> i32 {
    match ISOLATE.with(|isolate| *isolate.borrow()) {
        Some(served) => first_poll(served.consume(batch)),
        None => NEEDS_INIT,
    }
}

/// Hands a request parked on a promise (`AWAITS`) the promise's outcome,
/// its value or (`fulfilled` false) what it was rejected with, and goes on
/// with it. Answers as [`edgegate_fetch`] does, or [`NOT_PARKED`].
#[wasm_bindgen]
pub fn edgegate_settle(id: u32, value: JsValue, fulfilled: bool) -> i32 {
    let Some(mut parked) = unpark(id) else {
        return NOT_PARKED;
    };
    if let Some(settlement) = parked.settlement.take() {
        let outcome = if fulfilled { Ok(value) } else { Err(value) };
        // Taken before the wake: a child's waker wakes the request's,
        // which may want the cell.
        let waker = settlement.borrow_mut().settle(outcome);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
    poll(id, parked, None)
}

/// Polls a parked request again because its waker was woken. Answers as
/// [`edgegate_fetch`] does, or [`NOT_PARKED`].
#[wasm_bindgen]
pub fn edgegate_wake(id: u32) -> i32 {
    match unpark(id) {
        Some(parked) => poll(id, parked, None),
        None => NOT_PARKED,
    }
}

/// Drops the request parked under `id`: the runtime gave up its wait (its
/// client went away, so the promise it awaited never settles, and the
/// entry's continuation for it was collected). Without this it would stay
/// parked for the isolate's life.
#[wasm_bindgen]
pub fn edgegate_abandon(id: u32) {
    drop(unpark(id));
    free(id);
}

/// How many requests are parked now (for tests of [`edgegate_abandon`]).
#[wasm_bindgen]
pub fn edgegate_parked_count() -> u32 {
    PARKED.with(|parked| parked.borrow().iter().filter(|p| matches!(p, Slot::Parked(_))).count() as u32)
}

/// Takes the request parked under `id` out of its slot, which stays its
/// own while it is polled.
fn unpark(id: u32) -> Option<Parked> {
    PARKED.with(|parked| {
        let mut parked = parked.borrow_mut();
        let slot = parked.get_mut(id as usize)?;
        match std::mem::replace(slot, Slot::Polling) {
            Slot::Parked(request) => Some(request),
            other => {
                *slot = other;
                None
            }
        }
    })
}

/// A free slot's id, now reserved.
fn reserve() -> u32 {
    PARKED.with(|parked| {
        let mut parked = parked.borrow_mut();
        match parked.iter().position(|slot| matches!(slot, Slot::Free)) {
            Some(free) => {
                parked[free] = Slot::Polling;
                free as u32
            }
            None => {
                parked.push(Slot::Polling);
                parked.len() as u32 - 1
            }
        }
    })
}

fn put_back(id: u32, request: Parked) {
    PARKED.with(|parked| parked.borrow_mut()[id as usize] = Slot::Parked(request));
}

fn free(id: u32) {
    PARKED.with(|parked| {
        if let Some(slot) = parked.borrow_mut().get_mut(id as usize) {
            if matches!(slot, Slot::Polling) {
                *slot = Slot::Free;
            }
        }
    });
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

/// A request's first poll, with a probe for a waker: most requests finish
/// here, and one that waits only on a promise the entry brings needs no
/// waker at all. One whose futures kept (or woke) the waker is polled again
/// at once with its own, so that no wake is lost.
fn first_poll(mut handling: Handling) -> i32 {
    PROBED.with(|probed| probed.set(false));
    // SAFETY: the probe's vtable functions ignore the data pointer.
    let probe = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &PROBE)) };
    let (polled, awaited) = driving(false, &probe, |cx| handling.as_mut().poll(cx));
    if let Poll::Ready((response, log)) = polled {
        return respond(response, &log);
    }
    let id = reserve();
    let waker = Arc::new(RequestWaker {
        id,
        woken: AtomicBool::new(false),
    });
    let (promise, settlement) = awaited.unzip();
    let parked = Parked {
        handling,
        settlement,
        waker,
    };
    match promise {
        Some(promise) if !PROBED.with(Cell::get) => park(id, parked, Some(promise)),
        // Polled again with its waker; the entry's promise, if any, is still handed over.
        promise => poll(id, parked, promise),
    }
}

thread_local! {
    /// Whether a future kept or woke the probe during a first poll.
    static PROBED: Cell<bool> = const { Cell::new(false) };
}

/// The first poll's waker: records that it was kept (cloned) or woken, and
/// does nothing else (a kept clone is a plain no-op waker).
static PROBE: RawWakerVTable = RawWakerVTable::new(probe_kept, probe_woken, probe_woken, |_| {});

fn probe_kept(_: *const ()) -> RawWaker {
    PROBED.with(|probed| probed.set(true));
    RawWaker::new(std::ptr::null(), Waker::noop().vtable())
}

fn probe_woken(_: *const ()) {
    PROBED.with(|probed| probed.set(true));
}

/// Polls a parked request with its waker: a response now, or the request
/// parked again on what it waits for. `handed` is a promise for the entry
/// from an earlier poll that it has not been given yet.
fn poll(id: u32, mut parked: Parked, handed: Option<js_sys::Promise>) -> i32 {
    parked.waker.woken.store(false, Ordering::Relaxed);
    let waker = Waker::from(parked.waker.clone());
    let entry_busy = parked.settlement.is_some();
    let (polled, awaited) = driving(entry_busy, &waker, |cx| parked.handling.as_mut().poll(cx));
    drop(waker);
    match polled {
        Poll::Ready((response, log)) => {
            free(id);
            respond(response, &log)
        }
        Poll::Pending => {
            // One promise at a time is the entry's: a poll with one out makes no other.
            let promise = awaited
                .map(|(promise, settlement)| {
                    parked.settlement = Some(settlement);
                    promise
                })
                .or(handed);
            park(id, parked, promise)
        }
    }
}

/// Parks a request that is waiting; tells the entry what brings it back.
fn park(id: u32, parked: Parked, promise: Option<js_sys::Promise>) -> i32 {
    // Held by something besides its own slot, or woken already during the
    // poll (a future that yields: it wakes itself and keeps no waker): a
    // wake will come, or is on its way.
    let wakeable = Arc::strong_count(&parked.waker) > 1 || parked.waker.woken.load(Ordering::Relaxed);
    if parked.settlement.is_none() && !wakeable {
        free(id);
        panic!(
            "a request waits on something that can never wake it (a future returned Pending without keeping its waker)"
        );
    }
    let mut what = 0;
    if let Some(promise) = promise {
        PENDING.with(|pending| *pending.borrow_mut() = Some(promise));
        what |= HANDS_PROMISE;
    }
    if wakeable {
        what |= WAKEABLE;
    }
    put_back(id, parked);
    AWAITS - 4 * id as i32 - what
}

/// Writes a finished response to the output buffer; returns its address.
fn respond(response: Response, log: &str) -> i32 {
    OUTPUT.with(|output| {
        let mut output = output.borrow_mut();
        if let Some(stream) = wire::write_response(&mut output, response, log) {
            OUT_STREAM.with(|out| *out.borrow_mut() = runtime_stream(stream));
        }
        output.as_ptr() as i32
    })
}
