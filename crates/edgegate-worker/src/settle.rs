//! Waiting on a runtime promise (a rate-limit count, an upstream's answer, a
//! signature check, a D1 query), with a fast path for the common case.
//!
//! The adapter polls every request itself (`exports::drive`). A request's
//! first runtime promise at a time goes to the entry, which awaits it in JS
//! and brings back its outcome; the adapter then polls again. No Rust
//! closure becomes a JS function for it, and no task is queued: the
//! gateway's own awaits (one after another) all take this path.
//!
//! Anything else works too, as workers-rs users know it: a second promise
//! awaited at the same time, the `worker` crate's async APIs (KV, R2, D1,
//! Queues, Durable Object stubs, `Fetch`), `promise.await`, `futures::join!`
//! and `select!`. Those are `JsFuture`s, which wake the request's waker;
//! a wake polls the request again (`exports`).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::futures::JsFuture;
use js_sys::Promise;
use wasm_bindgen::JsValue;

/// A promise's outcome: its value, or what it was rejected with.
pub type Outcome = Result<JsValue, JsValue>;

/// Where the entry puts the outcome of the promise it awaits for a request.
pub type Settlement = Rc<RefCell<Option<Outcome>>>;

thread_local! {
    /// Whether the adapter is polling a request now.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
    /// Whether the request being polled has its one promise with the entry already.
    static ENTRY_BUSY: Cell<bool> = const { Cell::new(false) };
    /// The promise the request being polled hands the entry, with where its outcome goes.
    static AWAITED: RefCell<Option<(Promise, Settlement)>> = const { RefCell::new(None) };
}

/// Runs one poll of a request (`entry_busy`: the entry awaits a promise for
/// it already); returns the poll's result and the promise it now hands the
/// entry, if any.
pub fn driving<T>(entry_busy: bool, poll: impl FnOnce() -> T) -> (T, Option<(Promise, Settlement)>) {
    DRIVING.with(|driving| driving.set(true));
    ENTRY_BUSY.with(|busy| busy.set(entry_busy));
    let polled = poll();
    DRIVING.with(|driving| driving.set(false));
    (polled, AWAITED.with(|awaited| awaited.borrow_mut().take()))
}

/// A runtime promise as a future: its value, or what it was rejected with.
/// The entry awaits it when it can (the request's only promise with it);
/// otherwise it is a `JsFuture` that wakes the request.
pub fn settle(promise: Promise) -> Settle {
    let to_entry = DRIVING.with(Cell::get) && !ENTRY_BUSY.with(|busy| busy.replace(true));
    if !to_entry {
        return Settle(Waiting::Woken(JsFuture::from(promise)));
    }
    let settlement = Settlement::default();
    AWAITED.with(|awaited| *awaited.borrow_mut() = Some((promise, settlement.clone())));
    Settle(Waiting::Entry(settlement))
}

/// A runtime promise the request awaits.
pub struct Settle(Waiting);

enum Waiting {
    /// The entry awaits it and hands the outcome back before polling again.
    Entry(Settlement),
    /// Its callbacks wake the request.
    Woken(JsFuture),
}

impl Future for Settle {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        match &mut self.0 {
            Waiting::Entry(settlement) => match settlement.borrow_mut().take() {
                Some(outcome) => Poll::Ready(outcome),
                None => Poll::Pending,
            },
            Waiting::Woken(future) => Pin::new(future).poll(cx),
        }
    }
}
