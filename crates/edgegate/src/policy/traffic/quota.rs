//! Exact quotas per principal, per UTC day and per minute, counted by the
//! quota Durable Object the worker exports (one object per principal: it
//! counts one request at a time, so concurrent requests never pass a quota
//! by even one). `QUOTAS` gives each principal's numbers and the default.

use std::rc::Rc;

use super::settings::{window_name, QuotaWindow};
use super::{bounded, counter_failed, principal_key, too_many, QuotaPlan, Quotas};
use crate::http::{Request, Response};
use crate::platform::{Binding, BindingKind, Platform, PlatformFuture};
use crate::policy::{Build, PolicyFuture, PolicySpec, Principal, RoutePolicy, Setting};
use crate::problem::{kinds, ProblemKind};
use crate::setting::{named_policies, ConfigError};

/// `QUOTAS`: each principal's quota, and the default.
pub const SETTING: Setting = Setting {
    name: "QUOTAS",
    named: false,
};

/// The quota Durable Object namespace, as the policy calls it.
pub trait QuotaCounter {
    /// Counts one request under `key` in each of `windows`, in the object
    /// for `key`, if every window has room; answers the counts. An error
    /// when the object cannot be reached (or does not answer in time).
    fn count<'a>(&'a self, key: &'a str, windows: &'a [QuotaWindow]) -> PlatformFuture<'a, Result<QuotaCount, String>>;
}

impl Binding for dyn QuotaCounter {
    const KIND: BindingKind = BindingKind::DurableObject;
}

/// What the quota object answered: whether the request was admitted (then
/// it was counted in every window; otherwise in none), and per window, in
/// the order asked, how many it has counted and how many seconds are left
/// until the window resets.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaCount {
    /// Whether the request was admitted (and counted).
    pub admitted: bool,
    /// Per window, in the order asked: how many it has counted, and the seconds until it resets.
    pub windows: Vec<(u64, u32)>,
}

/// A route policy counting quotas in the Durable Object behind a binding,
/// as a route declares it ([`quota`]); built with `QUOTAS`.
#[derive(Debug, Clone)]
pub struct Quota {
    binding: String,
    fail_closed: bool,
}

/// A [`Quota`] built: the plans it counts against.
struct QuotaStage {
    spec: Quota,
    quotas: Rc<Quotas>,
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

impl QuotaStage {
    /// The plan `request`'s principal is counted under (no windows: no quota).
    fn plan(&self, request: &Request) -> &QuotaPlan {
        self.quotas.plan_for(Principal::of(request))
    }
}

impl RoutePolicy for QuotaStage {
    fn counter(&self) -> Option<String> {
        Some(format!("quota `{}`", self.spec.binding))
    }

    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let windows = &self.plan(request).windows;
            if windows.is_empty() {
                return Ok(());
            }
            let fail_closed = self.spec.fail_closed;
            let key = bounded(format!("quota:{}", principal_key(request)));
            let counted = match platform.binding::<dyn QuotaCounter>(&self.spec.binding) {
                Ok(counter) => counter.count(&key, windows).await,
                Err(cause) => Err(cause),
            };
            let count = match counted {
                Ok(count) if count.windows.len() == windows.len() => count,
                Ok(_) => {
                    return counter_failed(
                        request,
                        platform,
                        "quota",
                        "the quota object answered the wrong number of windows",
                        fail_closed,
                    )
                }
                Err(cause) => return counter_failed(request, platform, "quota", &cause, fail_closed),
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
}

/// `QUOTAS` as the policy reads it; required once a route counts quotas.
fn parse(text: Option<&str>) -> Result<Option<Quotas>, Vec<String>> {
    let Some(text) = text else {
        return Ok(None);
    };
    named_policies(Some(text), "{\"per_day\": n, \"per_minute\": n}")
        .and_then(Quotas::from_json)
        .map(Some)
        .map_err(|message| vec![message])
}

impl PolicySpec for Quota {
    fn settings(&self) -> &'static [Setting] {
        &[SETTING]
    }

    fn build(self: Rc<Self>, build: &mut Build<'_>) -> Result<Rc<dyn RoutePolicy>, ConfigError> {
        let quotas = build.setting(SETTING, parse)?;
        let Some(quotas) = quotas.as_ref() else {
            let message = format!(
                "routes count quotas in `{}`, but QUOTAS is not set (`{{\"default\": {{}}}}` for none)",
                self.binding
            );
            return Err(build.error(SETTING, message));
        };
        // A plan for a provider's subjects names a provider that exists (a
        // typo would silently leave those callers on the default). Key
        // consumers are not checked: `API_KEYS` is a secret that differs
        // between environments, while `QUOTAS` is shared `[vars]`.
        let unknown: Vec<String> = quotas
            .providers()
            .filter(|provider| !build.defines("JWT_PROVIDERS", provider))
            .map(|provider| format!("`{provider}`"))
            .collect();
        if !unknown.is_empty() {
            let message = format!(
                "names the token provider {}, which JWT_PROVIDERS does not define",
                unknown.join(", ")
            );
            return Err(build.error(SETTING, message));
        }
        build.bind(&self.binding, BindingKind::DurableObject);
        Ok(Rc::new(QuotaStage {
            spec: (*self).clone(),
            quotas: Rc::new(quotas.clone()),
        }))
    }

    fn problems(&self) -> Vec<ProblemKind> {
        let mut problems = vec![kinds::QUOTA_EXCEEDED];
        if self.fail_closed {
            problems.push(kinds::TRAFFIC_CONTROL_UNAVAILABLE);
        }
        problems
    }
}
