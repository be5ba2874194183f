//! Exact quotas per principal, per UTC day and per minute, counted by the
//! quota Durable Object the worker exports (one object per principal: it
//! counts one request at a time, so concurrent requests never pass a quota
//! by even one). `QUOTAS` gives each principal's numbers and the default.

use std::cell::RefCell;

use super::{bounded, counter_failed, principal_key, sf_string, too_many, Quotas};
use crate::config::{ConfigError, Settings};
use crate::http::{Request, Response};
use crate::platform::{BindingKind, Platform, QuotaWindow};
use crate::policy::{PolicyFuture, Principal, RoutePolicy};
use crate::problem::kinds;

/// A route policy counting quotas in the Durable Object behind a binding.
/// Built by [`quota`]; given `QUOTAS` when the gateway is built.
pub struct Quota {
    binding: String,
    fail_closed: bool,
    quotas: RefCell<Option<Quotas>>,
}

/// Counts each request against its principal's quota (`QUOTAS`), in the
/// Durable Object namespace bound as `binding`. A request without a
/// principal (a public route) is counted per client address, under the default.
pub fn quota(binding: &str) -> Quota {
    Quota {
        binding: binding.to_owned(),
        fail_closed: false,
        quotas: RefCell::new(None),
    }
}

/// What a quota check counted, for `RateLimit`: per window, its name, its
/// limit, the units left and the seconds until it resets.
struct Counted(Vec<(&'static str, QuotaWindow, u64, u32)>);

impl Quota {
    /// Refuses requests (503) while the quota object cannot be reached,
    /// instead of letting them through.
    pub fn fail_closed(mut self) -> Quota {
        self.fail_closed = true;
        self
    }

    /// The windows this request's principal is counted in (none: no quota).
    fn windows(&self, request: &Request) -> Vec<(&'static str, QuotaWindow)> {
        let quotas = self.quotas.borrow();
        let Some(quotas) = quotas.as_ref() else {
            return Vec::new();
        };
        quotas.plan_for(Principal::of(request).map(|p| &*p.id)).windows()
    }
}

impl RoutePolicy for Quota {
    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let named = self.windows(request);
            if named.is_empty() {
                return Ok(());
            }
            let windows: Vec<QuotaWindow> = named.iter().map(|(_, window)| *window).collect();
            let key = bounded(format!("quota:{}", principal_key(request)));
            let count = match platform.count_quota(&self.binding, &key, &windows).await {
                Ok(count) if count.windows.len() == windows.len() => count,
                Ok(_) => {
                    let cause = "the quota object answered another number of windows";
                    return counter_failed(request, platform, "quota", cause, self.fail_closed);
                }
                Err(cause) => return counter_failed(request, platform, "quota", &cause, self.fail_closed),
            };
            let counted: Vec<_> = named
                .iter()
                .zip(&count.windows)
                .map(|((name, window), (used, reset))| (*name, *window, window.limit.saturating_sub(*used), *reset))
                .collect();
            let refusal = (!count.admitted).then(|| {
                // The window that is full and resets last decides when to retry.
                counted
                    .iter()
                    .filter(|(_, window, left, _)| *left == 0 && window.limit > 0)
                    .max_by_key(|(_, _, _, reset)| *reset)
                    .map_or((named[0].0, counted[0].3), |(name, _, _, reset)| (*name, *reset))
            });
            request.extensions.insert(Counted(counted));
            match refusal {
                None => Ok(()),
                Some((window, retry_after)) => {
                    let detail =
                        format!("This caller's quota per {window} is used up. Retry after {retry_after} seconds.");
                    let refused_by = format!("quota:{window}");
                    Err(too_many(
                        request,
                        kinds::QUOTA_EXCEEDED,
                        detail,
                        refused_by,
                        retry_after.max(1),
                    ))
                }
            }
        })
    }

    fn decorate(&self, request: &Request, response: &mut Response) {
        for (name, window) in self.windows(request) {
            let item = format!(
                "{};q={};w={}",
                sf_string(&format!("quota-{name}")),
                window.limit,
                window.seconds
            );
            response.append_to_list("ratelimit-policy", &item);
        }
        if let Some(Counted(counted)) = request.extensions.get::<Counted>() {
            for (name, _, left, reset) in counted {
                let item = format!("{};r={left};t={reset}", sf_string(&format!("quota-{name}")));
                response.append_to_list("ratelimit", &item);
            }
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
        *self.quotas.borrow_mut() = Some(quotas.clone());
        Ok(())
    }

    fn bindings(&self) -> Vec<(String, BindingKind)> {
        vec![(self.binding.clone(), BindingKind::DurableObject)]
    }
}
