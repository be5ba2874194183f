//! A rate limit on the Workers Rate Limiting binding: approximate, counted
//! per Cloudflare location, cheap. The route names the binding; `RATE_LIMITS`
//! repeats its numbers for `RateLimit-Policy` (the binding keeps them to
//! itself), and `cargo test` checks the two agree.

use std::rc::Rc;

use super::{client_key, counter_failed, principal_key, sf_string, too_many, until_window_ends, LimiterSettings};
use crate::http::{Request, Response};
use crate::platform::{Binding, BindingKind, Platform, PlatformFuture};
use crate::policy::{Build, PolicyFuture, PolicySpec, RoutePolicy, Setting};
use crate::problem::{kinds, ProblemKind};
use crate::setting::{named_entries, ConfigError, Named};

/// `RATE_LIMITS`: each limiter's numbers, as its `[[ratelimits]]` entry has them.
pub const SETTING: Setting = Setting {
    name: "RATE_LIMITS",
    named: true,
};

/// The Workers Rate Limiting binding, as the policy calls it.
pub trait RateLimiter {
    /// Counts one request under `key`: whether it is within the limit. An
    /// error when the binding fails (or does not answer in time).
    fn limit<'a>(&'a self, key: &'a str) -> PlatformFuture<'a, Result<bool, String>>;
}

impl Binding for dyn RateLimiter {
    const KIND: BindingKind = BindingKind::RateLimit;
}

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

/// A route policy counting requests with a rate-limit binding, as a route
/// declares it ([`rate_limit`]); built with its numbers from `RATE_LIMITS`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    binding: String,
    by: CountBy,
    fail_closed: bool,
}

/// A [`RateLimit`] built: its numbers, and its `RateLimit-Policy` value.
struct RateLimitStage {
    spec: RateLimit,
    limit: u32,
    period: u32,
    /// `"name";q=100;w=60`, made once.
    policy_header: String,
}

/// Counts each request with the rate-limit binding `binding`, per principal
/// (else per client address); `RATE_LIMITS[binding]` gives its limit and period.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::policy::{api_key, rate_limit};
/// use edgegate::routing::{Group, Route, RouteTable};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// let api = Group::new("/api").access(api_key()).policy(rate_limit("PER_PRINCIPAL"));
/// let table = RouteTable::<()>::new(api.routes([Route::get("/hello", hello)]));
/// // The numbers of the binding's `[[ratelimits]]` entry, repeated for `RateLimit-Policy`.
/// let settings = Settings::load(|name: &str| match name {
///     "RATE_LIMITS" => Some(r#"{"PER_PRINCIPAL": {"limit": 100, "period": 60}}"#.to_owned()),
///     "API_KEYS" => Some(r#"{"dev-key": "dev"}"#.to_owned()),
///     _ => None,
/// });
/// let gateway = Gateway::new(table, settings);
/// assert!(gateway.misconfiguration().is_none());
/// ```
pub fn rate_limit(binding: &str) -> RateLimit {
    RateLimit {
        binding: binding.to_owned(),
        by: CountBy::Principal,
        fail_closed: false,
    }
}

impl RateLimit {
    /// Counts per client address (`CF-Connecting-IP`), whoever is calling.
    ///
    /// ```
    /// use edgegate::config::Settings;
    /// use edgegate::gateway::Gateway;
    /// use edgegate::http::{Method, Request};
    /// use edgegate::policy::rate_limit;
    /// use edgegate::routing::{Route, RouteTable};
    /// use edgegate::testing::{block_on, RecordingPlatform};
    ///
    /// async fn list() -> &'static str {
    ///     "[]"
    /// }
    ///
    /// let route = Route::get("/items", list).public().policy(rate_limit("PER_CLIENT").per_client());
    /// let table = RouteTable::<()>::new([route]);
    /// let limits = r#"{"PER_CLIENT": {"limit": 1, "period": 60}}"#;
    /// let settings = Settings::load(|name: &str| (name == "RATE_LIMITS").then(|| limits.to_owned()));
    /// let gateway = Gateway::new(table, settings);
    /// let platform = RecordingPlatform::default();
    /// platform.bind_limiter("PER_CLIENT", 1, 60);
    /// let from = |ip: &str| Request::new(Method::Get, "/items").with_header("cf-connecting-ip", ip);
    /// let send = |request| block_on(gateway.handle(request, &(), &platform)).status.0;
    /// assert_eq!(send(from("203.0.113.7")), 200);
    /// assert_eq!(send(from("203.0.113.7")), 429);
    /// assert_eq!(send(from("198.51.100.1")), 200); // another client, its own count
    /// ```
    pub fn per_client(mut self) -> RateLimit {
        self.by = CountBy::Client;
        self
    }

    /// Counts every request under one key: a total for the routes it guards.
    ///
    /// ```
    /// use edgegate::config::Settings;
    /// use edgegate::gateway::Gateway;
    /// use edgegate::http::{Method, Request};
    /// use edgegate::policy::rate_limit;
    /// use edgegate::routing::{Route, RouteTable};
    /// use edgegate::testing::{block_on, RecordingPlatform};
    ///
    /// async fn report() -> &'static str {
    ///     "report"
    /// }
    ///
    /// let route = Route::get("/report", report).public().policy(rate_limit("TOTAL").per_key("report"));
    /// let table = RouteTable::<()>::new([route]);
    /// let limits = r#"{"TOTAL": {"limit": 1, "period": 60}}"#;
    /// let settings = Settings::load(|name: &str| (name == "RATE_LIMITS").then(|| limits.to_owned()));
    /// let gateway = Gateway::new(table, settings);
    /// let platform = RecordingPlatform::default();
    /// platform.bind_limiter("TOTAL", 1, 60);
    /// let from = |ip: &str| Request::new(Method::Get, "/report").with_header("cf-connecting-ip", ip);
    /// let send = |request| block_on(gateway.handle(request, &(), &platform)).status.0;
    /// assert_eq!(send(from("203.0.113.7")), 200);
    /// assert_eq!(send(from("198.51.100.1")), 429); // everyone shares the one count
    /// ```
    pub fn per_key(mut self, key: &str) -> RateLimit {
        self.by = CountBy::Fixed(key.to_owned());
        self
    }

    /// Refuses requests (503) while the binding fails, instead of letting them through.
    ///
    /// ```
    /// use edgegate::config::Settings;
    /// use edgegate::gateway::Gateway;
    /// use edgegate::http::{Method, Request};
    /// use edgegate::policy::rate_limit;
    /// use edgegate::routing::{Route, RouteTable};
    /// use edgegate::testing::{block_on, RecordingPlatform};
    ///
    /// async fn ok() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// let table = RouteTable::<()>::new([
    ///     Route::get("/open", ok).public().policy(rate_limit("LIMIT")),
    ///     Route::get("/closed", ok).public().policy(rate_limit("LIMIT").fail_closed()),
    /// ]);
    /// let limits = r#"{"LIMIT": {"limit": 100, "period": 60}}"#;
    /// let settings = Settings::load(|name: &str| (name == "RATE_LIMITS").then(|| limits.to_owned()));
    /// let gateway = Gateway::new(table, settings);
    /// let platform = RecordingPlatform::default();
    /// platform.fail_binding("LIMIT");
    /// let send = |path: &str| block_on(gateway.handle(Request::new(Method::Get, path), &(), &platform)).status.0;
    /// assert_eq!(send("/open"), 200); // fails open, with an error log line
    /// assert_eq!(send("/closed"), 503);
    /// ```
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

impl RoutePolicy for RateLimitStage {
    fn counter(&self) -> Option<String> {
        // Per principal and per client are one counter for a request
        // without a principal (both count its address).
        let by = match &self.spec.by {
            CountBy::Principal | CountBy::Client => "per caller",
            CountBy::Fixed(key) => key,
        };
        Some(format!("rate limit `{}` ({by})", self.spec.binding))
    }

    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let (limit, period, binding) = (self.limit, self.period, &self.spec.binding);
            let key = self.spec.key(request);
            let counted = match platform.binding::<dyn RateLimiter>(binding) {
                Ok(limiter) => limiter.limit(&key).await,
                Err(cause) => Err(cause),
            };
            match counted {
                Ok(true) => Ok(()),
                Ok(false) => {
                    let retry_after = until_window_ends(platform.now_ms(), period);
                    let detail = format!(
                        "Over this route's rate limit of {limit} requests per {period} seconds. Retry after {retry_after} seconds."
                    );
                    let refused_by = format!("rate_limit:{binding}");
                    Err(too_many(request, kinds::RATE_LIMITED, detail, refused_by, retry_after))
                }
                Err(cause) => {
                    let what = format!("rate_limit:{binding}");
                    counter_failed(request, platform, &what, &cause, self.spec.fail_closed)
                }
            }
        })
    }

    fn decorate(&self, _request: &Request, response: &mut Response) {
        response.append_to_list("ratelimit-policy", &self.policy_header);
    }
}

/// A limiter that is off in this deployment: never called, says nothing.
struct Off;

impl RoutePolicy for Off {
    fn check<'a>(&'a self, _: &'a mut Request, _: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// `RATE_LIMITS` as the policies read it: a JSON object from a binding's
/// name to `{"limit": n, "period": 10 or 60}` or `"off"`.
fn parse(text: Option<&str>) -> Result<Named<LimiterSettings>, Vec<String>> {
    named_entries(
        text,
        "{\"limit\": n, \"period\": 10 or 60} or \"off\"",
        |name| format!("`{name}` "),
        LimiterSettings::from_json,
    )
}

impl PolicySpec for RateLimit {
    fn settings(&self) -> &'static [Setting] {
        &[SETTING]
    }

    fn build(self: Rc<Self>, build: &mut Build<'_>) -> Result<Rc<dyn RoutePolicy>, ConfigError> {
        if let CountBy::Fixed(key) = &self.by {
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                let message = format!(
                    "a route counts `{}` under a key that is not visible ASCII",
                    self.binding
                );
                return Err(build.error(SETTING, message));
            }
        }
        build.uses_entry(SETTING, &self.binding);
        let limiters = build.setting(SETTING, parse)?;
        match limiters.get(&self.binding) {
            None => Err(build.error(
                SETTING,
                format!(
                    "routes name the limiter `{}`, which is not defined here (its limit and period, as its [[ratelimits]] entry has them)",
                    self.binding
                ),
            )),
            // A limiter that is off is never called: it need not be bound.
            Some(LimiterSettings::Off) => Ok(Rc::new(Off)),
            Some(&LimiterSettings::On { limit, period }) => {
                build.bind(&self.binding, BindingKind::RateLimit);
                let name = sf_string(&self.binding.to_ascii_lowercase());
                Ok(Rc::new(RateLimitStage {
                    spec: (*self).clone(),
                    limit,
                    period,
                    policy_header: format!("{name};q={limit};w={period}"),
                }))
            }
        }
    }

    fn problems(&self) -> Vec<ProblemKind> {
        let mut problems = vec![kinds::RATE_LIMITED];
        if self.fail_closed {
            problems.push(kinds::TRAFFIC_CONTROL_UNAVAILABLE);
        }
        problems
    }
}
