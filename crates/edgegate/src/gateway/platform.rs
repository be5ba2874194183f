//! What the gateway needs from the runtime, and nothing more: a clock, some
//! randomness for request ids, and a log. The wasm adapter implements it with
//! `Date.now()`, `Math.random()` and `console.log`; tests with a recorder.

pub trait Platform {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// Random bits for request ids (not for secrets).
    fn random_u64(&self) -> u64;
    /// Writes one log line (a JSON object).
    fn log(&self, line: &str);
}
