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
//! a wake polls the request again (`exports`). The entry's promise, polled
//! inside a combinator that polls only the children woken
//! (`FuturesUnordered`, `buffer_unordered`, a large `join_all`), keeps that
//! child's waker and wakes it when the outcome comes back.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWakerVTable, Waker};

use js_sys::futures::JsFuture;
use js_sys::Promise;
use wasm_bindgen::JsValue;

/// A promise's outcome: its value, or what it was rejected with.
pub type Outcome = Result<JsValue, JsValue>;

/// Where the entry puts the outcome of the promise it awaits for a request.
pub type Settlement = Rc<RefCell<Settling>>;

/// A promise with the entry: its outcome once it comes, and the waker of
/// whoever polled it with another waker than the request's own.
#[derive(Default)]
pub struct Settling {
    outcome: Option<Outcome>,
    waker: Option<Waker>,
}

impl Settling {
    /// Keeps the outcome; returns the waker to wake with it, if any.
    pub fn settle(&mut self, outcome: Outcome) -> Option<Waker> {
        self.outcome = Some(outcome);
        self.waker.take()
    }
}

/// A waker by identity (data and vtable), without cloning it: cloning the
/// first poll's probe would count as keeping it.
type WakerId = (*const (), *const RawWakerVTable);

fn id_of(waker: &Waker) -> WakerId {
    (waker.data(), waker.vtable() as *const RawWakerVTable)
}

thread_local! {
    /// Whether the adapter is polling a request now.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
    /// Whether the request being polled has its one promise with the entry already.
    static ENTRY_BUSY: Cell<bool> = const { Cell::new(false) };
    /// The promise the request being polled hands the entry, with where its outcome goes.
    static AWAITED: RefCell<Option<(Promise, Settlement)>> = const { RefCell::new(None) };
    /// The waker the request being polled is polled with: a promise with the
    /// entry polled with it needs keep none (the entry polls the request).
    static TOP: Cell<WakerId> = const { Cell::new((std::ptr::null(), std::ptr::null())) };
}

/// Runs one poll of a request with `waker` (`entry_busy`: the entry awaits
/// a promise for it already); returns the poll's result and the promise it
/// now hands the entry, if any.
pub fn driving<T>(
    entry_busy: bool,
    waker: &Waker,
    poll: impl FnOnce(&mut Context<'_>) -> T,
) -> (T, Option<(Promise, Settlement)>) {
    DRIVING.with(|driving| driving.set(true));
    ENTRY_BUSY.with(|busy| busy.set(entry_busy));
    TOP.with(|top| top.set(id_of(waker)));
    let polled = poll(&mut Context::from_waker(waker));
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
            Waiting::Entry(settlement) => {
                let mut settling = settlement.borrow_mut();
                if let Some(outcome) = settling.outcome.take() {
                    return Poll::Ready(outcome);
                }
                // Polled by a combinator with a child's waker: the entry's
                // poll of the request reaches this child only if it is woken.
                let waker = cx.waker();
                if id_of(waker) != TOP.with(Cell::get)
                    && !settling.waker.as_ref().is_some_and(|kept| kept.will_wake(waker))
                {
                    settling.waker = Some(waker.clone());
                }
                Poll::Pending
            }
            Waiting::Woken(future) => Pin::new(future).poll(cx),
        }
    }
}
