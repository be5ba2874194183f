//! The route-policy phase: checks a route runs after access and before its
//! body is read. Traffic control (rate limits, quotas) lives here, and any
//! rule that needs to know who is calling but not what they sent.
//!
//! A new policy is one type in its own file implementing [`RoutePolicy`],
//! and one line on the routes it guards:
//!
//! ```ignore
//! Route::post("/orders", orders::create).api_key().policy(BusinessHours::new(9, 17))
//! Group::new("/api").access(api_key()).policy(BusinessHours::new(9, 17)).routes([..])
//! ```
//!
//! The gateway keeps the order, which is a security property: a preflight
//! never reaches the phase, IP rules and access have passed (the principal is
//! in the request's extensions), and not a byte of the body has been read.
//! A route's policies run in the order declared (a group's first); the first
//! refusal answers. Every policy of the route then adds its headers to
//! whatever answers — the handler, the upstream, an error, a refusal.

use std::future::Future;
use std::pin::Pin;

use crate::config::{ConfigError, Settings};
use crate::http::{Request, Response};
use crate::platform::{BindingKind, Platform};

/// What [`RoutePolicy::check`] answers: go on, or this response now.
pub type PolicyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Response>> + 'a>>;

/// One check of the route-policy phase. Built once (in the route table, so
/// once per isolate) and shared by every request of its routes.
pub trait RoutePolicy {
    /// Lets the request go on (`Ok`), or answers it now (a problem response,
    /// typically). It may wait (a limiter's count) and may leave what it
    /// learned in `request.extensions` for handlers and the access log.
    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a>;

    /// The request headers it reads beyond the gateway's own
    /// (`gateway::READ_HEADERS`): a route with such a policy gets every
    /// header from the adapter, as one whose handler reads them does. Debug
    /// builds fail on a read of a header the selection left out.
    fn reads_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Adds to the response, whatever answered the request past this phase
    /// (`RateLimit-Policy`, say). Nothing by default.
    fn decorate(&self, _request: &Request, _response: &mut Response) {}

    /// Takes its values from the settings, once, when the gateway is built
    /// (a limiter's numbers, say). An error makes the gateway refuse every
    /// request (the misconfiguration 500), as any invalid setting does.
    fn configure(&self, _settings: &Settings) -> Result<(), ConfigError> {
        Ok(())
    }

    /// The runtime bindings it calls, with what each must be: the adapter
    /// checks them when the worker starts, and `cargo test` against the
    /// deployment's `wrangler.toml`. Asked after [`RoutePolicy::configure`].
    fn bindings(&self) -> Vec<(String, BindingKind)> {
        Vec::new()
    }

    /// The entry of a named setting it uses (`("RATE_LIMITS", "PER_CLIENT")`),
    /// so an entry no route uses is reported as the typo it likely is.
    fn uses(&self) -> Option<(&'static str, &str)> {
        None
    }

    /// The answers it adds to its routes' OpenAPI operations (a 429, say).
    /// Host only; nothing by default.
    #[cfg(not(target_arch = "wasm32"))]
    fn describe(&self, _op: &mut crate::openapi::Operation) {}
}
