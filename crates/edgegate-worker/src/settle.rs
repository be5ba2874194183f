//! Waiting on a runtime promise (a rate-limit count, an upstream's answer, a
//! signature check) without `wasm-bindgen-futures` where the entry can wait
//! instead.
//!
//! While the adapter polls a request itself (`exports::drive`), the first
//! promise the request awaits is handed to the entry: the request is parked,
//! the entry awaits the promise in JS and brings back its outcome, and the
//! adapter polls again. No Rust closure becomes a JS function, no task is
//! queued, and a response finished after the wait leaves through the output
//! buffer as a synchronous one does. A request the runtime polls instead (one
//! handed to `wasm-bindgen-futures`, e.g. waiting on D1 through the `worker`
//! crate) awaits its promises there, as before.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// A promise's outcome: its value, or what it was rejected with.
pub type Outcome = Result<JsValue, JsValue>;

/// Where the entry puts the outcome of a promise a parked request awaits.
pub type Settlement = Rc<RefCell<Option<Outcome>>>;

thread_local! {
    /// Whether the adapter is polling a request itself (and could park it).
    static DRIVING: Cell<bool> = const { Cell::new(false) };
    /// The promise the request being polled awaits, for the entry, with where its outcome goes.
    static AWAITED: RefCell<Option<(Promise, Settlement)>> = const { RefCell::new(None) };
}

/// Runs one poll of a request the adapter drives; returns its result and
/// the promise it now waits on, if it waits on one the entry can await.
pub fn driving<T>(poll: impl FnOnce() -> T) -> (T, Option<(Promise, Settlement)>) {
    DRIVING.with(|driving| driving.set(true));
    let polled = poll();
    DRIVING.with(|driving| driving.set(false));
    (polled, AWAITED.with(|awaited| awaited.borrow_mut().take()))
}

/// A promise as a future: awaited by the entry when the adapter drives the
/// request and nothing else is awaited in this poll, else by
/// `wasm-bindgen-futures`.
pub fn settle(promise: Promise) -> Settle {
    if DRIVING.with(Cell::get) {
        let parked = AWAITED.with(|awaited| {
            let mut awaited = awaited.borrow_mut();
            if awaited.is_some() {
                return None;
            }
            let settlement = Settlement::default();
            *awaited = Some((promise.clone(), settlement.clone()));
            Some(settlement)
        });
        if let Some(settlement) = parked {
            return Settle::ByEntry(settlement);
        }
    }
    Settle::ByRuntime(JsFuture::from(promise))
}

pub enum Settle {
    ByEntry(Settlement),
    ByRuntime(JsFuture),
}

impl Future for Settle {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        match self.get_mut() {
            Settle::ByEntry(settlement) => match settlement.borrow_mut().take() {
                Some(outcome) => Poll::Ready(outcome),
                None => Poll::Pending,
            },
            Settle::ByRuntime(future) => Pin::new(future).poll(cx),
        }
    }
}
