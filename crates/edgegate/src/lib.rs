//! edgegate's core: an API gateway's HTTP types, problems, typed extraction,
//! routing, policies and the gateway itself — no JS types and no app, so it is
//! tested on the host through its one entry point,
//! [`gateway::Gateway::handle`]. `edgegate-worker` runs it on Cloudflare.

// Every public item says what it is: `cargo doc` is where Rust users look.
#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod describe;
pub mod digest;
pub mod extract;
pub mod gateway;
pub mod handler;
pub mod http;
pub mod observe;
pub mod openapi;
pub mod plan;
pub mod platform;
pub mod policy;
/// RFC 9457 problem details (part of `http`; here for short paths).
pub use http::problem;
pub mod routing;
pub mod setting;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod upstream;
