//! The thin wasm adapter: the only code that touches JS types.
//!
//! Requests and responses cross the JS↔wasm boundary as bytes in buffers the
//! wasm instance owns, not as JS values: `worker/entry.js` writes the request
//! (method, URL, the headers the gateway reads, body) into the input buffer
//! and calls `edgegate_fetch` with its length; the response comes back in the
//! output buffer (see [`wire`]). That is one call per request (a second when
//! the route's handler reads every header, and one more to take the promise
//! when the response waits on I/O), and no string conversion through
//! `TextEncoder`/`TextDecoder`, which cost more than the whole gateway.
//!
//! The gateway's future is polled once right away: every route that does no
//! I/O finishes there and no promise is made. One that waits (D1, a streamed
//! body) is handed to `wasm-bindgen-futures`, and its encoded response comes
//! back as a promise of a byte array.
//!
//! The gateway (route table and validated settings) and the application
//! state are built once per isolate from `env` (settings and secrets are
//! fixed per deployed version) and kept for the isolate's lifetime.

pub mod wire;

#[cfg(target_arch = "wasm32")]
mod body;
#[cfg(target_arch = "wasm32")]
mod d1_items;
#[cfg(target_arch = "wasm32")]
mod exports;
#[cfg(target_arch = "wasm32")]
mod js_error;
#[cfg(target_arch = "wasm32")]
mod platform;
