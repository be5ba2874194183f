//! The runtime's clock, randomness and log, for the gateway.

use std::cell::Cell;

use wasm_bindgen::JsValue;

use crate::gateway::Platform;

/// `Date.now()` and `console.log`, and request-id randomness from a
/// per-isolate xorshift generator seeded once from `Math.random()`, so a
/// request costs no extra JS calls for it.
pub struct WorkerPlatform;

thread_local! {
    static RANDOM_STATE: Cell<u64> = const { Cell::new(0) };
}

impl Platform for WorkerPlatform {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
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
        web_sys::console::log_1(&JsValue::from_str(line));
    }
}
