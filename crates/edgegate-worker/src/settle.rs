//! Waiting on a runtime promise (a rate-limit count, an upstream's answer, a
//! signature check, a D1 query) without turning Rust futures into JS
//! promises.
//!
//! The adapter polls every request itself (`exports::drive`). When a request
//! awaits a promise, the promise is handed to the entry and the request is
//! parked; the entry awaits the promise in JS, brings back its outcome, and
//! the adapter polls again. No Rust closure becomes a JS function, no task is
//! queued, and the response leaves through the output buffer as a
//! synchronous one does. So there is no `wasm-bindgen-futures` executor in
//! the worker at all.
//!
//! A request awaits one promise at a time: the gateway and the app await
//! their I/O in sequence. Two at once would be a bug in the code that does
//! it, and [`settle`] says so loudly (a panic: a logged 500).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::Promise;
use wasm_bindgen::JsValue;

/// A promise's outcome: its value, or what it was rejected with.
pub type Outcome = Result<JsValue, JsValue>;

/// Where the entry puts the outcome of a promise a parked request awaits.
pub type Settlement = Rc<RefCell<Option<Outcome>>>;

thread_local! {
    /// Whether the adapter is polling a request now.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
    /// The promise the request being polled awaits, for the entry, with where its outcome goes.
    static AWAITED: RefCell<Option<(Promise, Settlement)>> = const { RefCell::new(None) };
}

/// Runs one poll of a request; returns its result and the promise it now
/// awaits, if any.
pub fn driving<T>(poll: impl FnOnce() -> T) -> (T, Option<(Promise, Settlement)>) {
    DRIVING.with(|driving| driving.set(true));
    let polled = poll();
    DRIVING.with(|driving| driving.set(false));
    (polled, AWAITED.with(|awaited| awaited.borrow_mut().take()))
}

/// A runtime promise as a future the entry settles: its value, or what it
/// was rejected with. Only for code the adapter polls (every gateway,
/// handler and store future is).
pub fn settle(promise: Promise) -> Settle {
    assert!(
        DRIVING.with(Cell::get),
        "a runtime promise was awaited outside the adapter's poll of a request"
    );
    let settlement = Settlement::default();
    let earlier = AWAITED.with(|awaited| awaited.replace(Some((promise, settlement.clone()))));
    assert!(
        earlier.is_none(),
        "a request awaited two runtime promises at once; the adapter brings one at a time"
    );
    Settle(settlement)
}

/// A promise the entry awaits for the parked request.
pub struct Settle(Settlement);

impl Future for Settle {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Outcome> {
        match self.0.borrow_mut().take() {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }
}
