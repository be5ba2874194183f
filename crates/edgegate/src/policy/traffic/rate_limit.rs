//! A rate limit on the Workers Rate Limiting binding: approximate, counted
//! per Cloudflare location, cheap. The route names the binding; `RATE_LIMITS`
//! repeats its numbers for `RateLimit-Policy` (the binding keeps them to
//! itself), and `cargo test` checks the two agree.

use std::cell::OnceCell;

use super::{client_key, counter_failed, principal_key, sf_string, too_many, until_window_ends, LimiterSettings};
use crate::config::{ConfigError, Settings};
use crate::http::{Request, Response};
use crate::platform::{BindingKind, Platform};
use crate::policy::{PolicyFuture, RoutePolicy};
use crate::problem::kinds;

/// What a limited request is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CountBy {
    /// The principal (scheme, provider, id), else the client address.
    Principal,
    /// The client address (an IPv6 one by its /64).
    Client,
    /// One key for everyone: the route's (or group's) total.
    Fixed(String),
}

/// A route policy counting requests with a rate-limit binding. Built by
/// [`rate_limit`]; given its numbers from `RATE_LIMITS` when the gateway is built.
pub struct RateLimit {
    binding: String,
    by: CountBy,
    fail_closed: bool,
    /// From `RATE_LIMITS`, once the gateway is built.
    settings: OnceCell<LimiterSettings>,
    /// `"name";q=100;w=60`, made once (empty when the limiter is off).
    policy_header: OnceCell<String>,
}

/// Counts each request with the rate-limit binding `binding`, per principal
/// (else per client address); `RATE_LIMITS[binding]` gives its limit and period.
pub fn rate_limit(binding: &str) -> RateLimit {
    RateLimit {
        binding: binding.to_owned(),
        by: CountBy::Principal,
        fail_closed: false,
        settings: OnceCell::new(),
        policy_header: OnceCell::new(),
    }
}

impl RateLimit {
    /// Counts per client address (`CF-Connecting-IP`), whoever is calling.
    pub fn per_client(mut self) -> RateLimit {
        self.by = CountBy::Client;
        self
    }

    /// Counts every request under one key: a total for the routes it guards.
    pub fn per_key(mut self, key: &str) -> RateLimit {
        self.by = CountBy::Fixed(key.to_owned());
        self
    }

    /// Refuses requests (503) while the binding fails, instead of letting them through.
    pub fn fail_closed(mut self) -> RateLimit {
        self.fail_closed = true;
        self
    }

    fn key(&self, request: &Request) -> String {
        match &self.by {
            CountBy::Principal => principal_key(request),
            CountBy::Client => client_key(request),
            CountBy::Fixed(key) => super::bounded(format!("key:{key}")),
        }
    }
}

impl RoutePolicy for RateLimit {
    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let Some(&LimiterSettings::On { limit, period }) = self.settings.get() else {
                return Ok(()); // "off" in this deployment
            };
            let key = self.key(request);
            match platform.rate_limit(&self.binding, &key).await {
                Ok(true) => Ok(()),
                Ok(false) => {
                    let retry_after = until_window_ends(platform.now_ms(), period);
                    let detail = format!(
                        "Over this route's rate limit of {limit} requests per {period} seconds. Retry after {retry_after} seconds."
                    );
                    let refused_by = format!("rate_limit:{}", self.binding);
                    Err(too_many(request, kinds::RATE_LIMITED, detail, refused_by, retry_after))
                }
                Err(cause) => {
                    let what = format!("rate_limit:{}", self.binding);
                    counter_failed(request, platform, &what, &cause, self.fail_closed)
                }
            }
        })
    }

    fn decorate(&self, _request: &Request, response: &mut Response) {
        if let Some(header) = self.policy_header.get().filter(|h| !h.is_empty()) {
            response.append_to_list("ratelimit-policy", header);
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn describe(&self, op: &mut crate::openapi::Operation) {
        op.problem(kinds::RATE_LIMITED);
        if self.fail_closed {
            op.problem(kinds::TRAFFIC_CONTROL_UNAVAILABLE);
        }
    }

    fn configure(&self, settings: &Settings) -> Result<(), ConfigError> {
        let fail = |message: String| ConfigError {
            setting: "RATE_LIMITS".into(),
            message,
        };
        if let CountBy::Fixed(key) = &self.by {
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(fail(format!(
                    "a route counts `{}` under a key that is not visible ASCII",
                    self.binding
                )));
            }
        }
        let Some(limiter) = settings.rate_limits.get(&self.binding) else {
            return Err(fail(format!(
                "routes name the limiter `{}`, which is not defined here (its limit and period, as its [[ratelimits]] entry has them)",
                self.binding
            )));
        };
        // A group's policy is configured once per route: the first sets it.
        self.settings.get_or_init(|| *limiter);
        self.policy_header.get_or_init(|| match limiter {
            LimiterSettings::On { limit, period } => {
                format!("{};q={limit};w={period}", sf_string(&self.binding.to_ascii_lowercase()))
            }
            LimiterSettings::Off => String::new(),
        });
        Ok(())
    }

    fn bindings(&self) -> Vec<(String, BindingKind)> {
        // A limiter that is off is never called: it need not be bound.
        match self.settings.get() {
            Some(&LimiterSettings::Off) => Vec::new(),
            _ => vec![(self.binding.clone(), BindingKind::RateLimit)],
        }
    }

    fn uses(&self) -> Option<(&'static str, &str)> {
        Some(("RATE_LIMITS", &self.binding))
    }
}
