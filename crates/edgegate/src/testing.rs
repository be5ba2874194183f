//! Helpers for driving the gateway on the host: a platform that records log
//! lines, and a minimal executor for the gateway's future.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::gateway::{Gateway, Platform};
use crate::http::Request;

/// A platform with a fixed clock, counting "randomness", and a log kept in memory.
#[derive(Default)]
pub struct RecordingPlatform {
    counter: Cell<u64>,
    pub lines: RefCell<Vec<String>>,
}

impl RecordingPlatform {
    pub fn log_lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}

impl Platform for RecordingPlatform {
    fn now_ms(&self) -> f64 {
        1_795_293_296_789.0
    }

    fn random_u64(&self) -> u64 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    fn log(&self, line: &str) {
        self.lines.borrow_mut().push(line.to_owned());
    }
}

/// The request as the wasm adapter hands it over: only the headers in
/// [`Gateway::read_headers`], unless the route's handler needs them all. Host tests
/// send every request through this, so a header read without being declared
/// there fails them (debug builds check every read).
pub fn as_the_adapter_passes<S>(gateway: &Gateway<S>, mut request: Request) -> Request {
    if !gateway.needs_all_headers(&request) {
        request.headers = std::mem::take(&mut request.headers).selected(gateway.read_headers());
    }
    request
}

/// Runs a future to completion on this thread. The gateway's futures only
/// wait on handlers; on the host those never wait on real I/O.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}
