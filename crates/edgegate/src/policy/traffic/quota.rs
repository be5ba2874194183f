//! Exact quotas per principal, per UTC day and per minute, counted by the
//! quota Durable Object the worker exports (one object per principal: it
//! counts one request at a time, so concurrent requests never pass a quota
//! by even one). `QUOTAS` gives each principal's numbers and the default.

use std::cell::OnceCell;

use super::settings::window_name;
use super::{bounded, counter_failed, principal_key, too_many, QuotaPlan, Quotas};
use crate::config::{ConfigError, Settings};
use crate::http::{Request, Response};
use crate::platform::{BindingKind, Platform};
use crate::policy::{PolicyFuture, Principal, RoutePolicy};
use crate::problem::kinds;

/// A route policy counting quotas in the Durable Object behind a binding.
/// Built by [`quota`]; given `QUOTAS` when the gateway is built.
pub struct Quota {
    binding: String,
    fail_closed: bool,
    /// From `QUOTAS`, once the gateway is built.
    quotas: OnceCell<Quotas>,
}

/// Counts each request against its principal's quota (`QUOTAS`), in the
/// Durable Object namespace bound as `binding`. A request without a
/// principal (a public route) is counted per client address, under the default.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::policy::{api_key, quota};
/// use edgegate::routing::{Group, Route, RouteTable};
/// use edgegate::testing::{block_on, RecordingPlatform};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// let api = Group::new("/api").access(api_key()).policy(quota("QUOTA"));
/// let table = RouteTable::<()>::new(api.routes([Route::get("/hello", hello)]));
/// let settings = Settings::load(|name: &str| match name {
///     "QUOTAS" => Some(r#"{"default": {"per_day": 1000, "per_minute": 1}}"#.to_owned()),
///     "API_KEYS" => Some(r#"{"dev-key": "dev"}"#.to_owned()),
///     _ => None,
/// });
/// let gateway = Gateway::new(table, settings);
/// let platform = RecordingPlatform::default();
/// let send = || {
///     let request = Request::new(Method::Get, "/api/hello").with_header("x-api-key", "dev-key");
///     block_on(gateway.handle(request, &(), &platform)).status.0
/// };
/// assert_eq!(send(), 200);
/// assert_eq!(send(), 429); // one a minute
/// ```
pub fn quota(binding: &str) -> Quota {
    Quota {
        binding: binding.to_owned(),
        fail_closed: false,
        quotas: OnceCell::new(),
    }
}

/// What a quota check counted, for `RateLimit`: per window, the units left
/// and the seconds until it resets.
struct Counted(Vec<(u64, u32)>);

impl Quota {
    /// Refuses requests (503) while the quota object cannot be reached,
    /// instead of letting them through.
    ///
    /// ```
    /// use edgegate::config::Settings;
    /// use edgegate::gateway::Gateway;
    /// use edgegate::http::{Method, Request};
    /// use edgegate::policy::quota;
    /// use edgegate::routing::{Route, RouteTable};
    /// use edgegate::testing::{block_on, RecordingPlatform};
    ///
    /// async fn ok() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// let route = Route::get("/counted", ok).public().policy(quota("QUOTA").fail_closed());
    /// let table = RouteTable::<()>::new([route]);
    /// let quotas = r#"{"default": {"per_day": 1000}}"#;
    /// let settings = Settings::load(|name: &str| (name == "QUOTAS").then(|| quotas.to_owned()));
    /// let gateway = Gateway::new(table, settings);
    /// let platform = RecordingPlatform::default();
    /// platform.fail_binding("QUOTA");
    /// let response = block_on(gateway.handle(Request::new(Method::Get, "/counted"), &(), &platform));
    /// assert_eq!(response.status.0, 503);
    /// ```
    pub fn fail_closed(mut self) -> Quota {
        self.fail_closed = true;
        self
    }
}

impl Quota {
    /// The plan `request`'s principal is counted under (no windows: no quota).
    fn plan(&self, request: &Request) -> &QuotaPlan {
        static NONE: QuotaPlan = QuotaPlan::none();
        self.quotas
            .get()
            .map_or(&NONE, |quotas| quotas.plan_for(Principal::of(request)))
    }
}

impl RoutePolicy for Quota {
    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let windows = &self.plan(request).windows;
            if windows.is_empty() {
                return Ok(());
            }
            let key = bounded(format!("quota:{}", principal_key(request)));
            let count = match platform.count_quota(&self.binding, &key, windows).await {
                Ok(count) if count.windows.len() == windows.len() => count,
                Ok(_) => {
                    return counter_failed(
                        request,
                        platform,
                        "quota",
                        "the quota object answered the wrong number of windows",
                        self.fail_closed,
                    )
                }
                Err(cause) => return counter_failed(request, platform, "quota", &cause, self.fail_closed),
            };
            let left: Vec<(u64, u32)> = windows
                .iter()
                .zip(&count.windows)
                .map(|(window, (used, reset))| (window.limit.saturating_sub(*used), *reset))
                .collect();
            // The full window that resets last decides when to retry.
            let full = (0..windows.len())
                .filter(|&i| left[i].0 == 0)
                .max_by_key(|&i| left[i].1)
                .unwrap_or(0);
            request.extensions.insert(Counted(left));
            if count.admitted {
                return Ok(());
            }
            let (name, retry_after) = (window_name(&windows[full]), count.windows[full].1.max(1));
            let detail = format!("This caller's quota per {name} is used up. Retry after {retry_after} seconds.");
            Err(too_many(
                request,
                kinds::QUOTA_EXCEEDED,
                detail,
                format!("quota:{name}"),
                retry_after,
            ))
        })
    }

    fn decorate(&self, request: &Request, response: &mut Response) {
        let plan = self.plan(request);
        if plan.windows.is_empty() {
            return;
        }
        response.append_to_list("ratelimit-policy", &plan.policy_header);
        if let Some(Counted(counted)) = request.extensions.get::<Counted>() {
            for (window, (left, reset)) in plan.windows.iter().zip(counted) {
                let name = window_name(window);
                response.append_to_list("ratelimit", &format!("\"quota-{name}\";r={left};t={reset}"));
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn describe(&self, op: &mut crate::openapi::Operation) {
        op.problem(kinds::QUOTA_EXCEEDED);
        if self.fail_closed {
            op.problem(kinds::TRAFFIC_CONTROL_UNAVAILABLE);
        }
    }

    fn configure(&self, settings: &Settings) -> Result<(), ConfigError> {
        let Some(quotas) = &settings.quotas else {
            return Err(ConfigError {
                setting: "QUOTAS".into(),
                message: format!(
                    "routes count quotas in `{}`, but QUOTAS is not set (`{{\"default\": {{}}}}` for none)",
                    self.binding
                ),
            });
        };
        // A group's policy is configured once per route: the first sets it.
        self.quotas.get_or_init(|| quotas.clone());
        Ok(())
    }

    fn bindings(&self) -> Vec<(String, BindingKind)> {
        vec![(self.binding.clone(), BindingKind::DurableObject)]
    }
}
