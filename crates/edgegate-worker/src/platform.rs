//! The runtime's clock, randomness and log, for the gateway.

use std::cell::{Cell, RefCell};

use edgegate::gateway::Platform;

/// The clock starts at the time the entry passed in (so a request that
/// finishes without waiting costs no clock call) and reads `Date.now()` after
/// that. Request-id randomness comes from a per-isolate xorshift generator
/// seeded once from `Math.random()`. The log line is kept for the entry to
/// print, with the response.
pub struct WorkerPlatform {
    started: f64,
    clock_read: Cell<bool>,
    log: RefCell<String>,
}

thread_local! {
    static RANDOM_STATE: Cell<u64> = const { Cell::new(0) };
}

impl WorkerPlatform {
    pub fn starting_at(now: f64) -> WorkerPlatform {
        WorkerPlatform {
            started: now,
            clock_read: Cell::new(false),
            log: RefCell::new(String::new()),
        }
    }

    pub fn take_log(&self) -> String {
        self.log.take()
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
}
