//! Traffic control's settings: `RATE_LIMITS` (each rate-limit binding's
//! numbers, as its `[[ratelimits]]` entry declares them) and `QUOTAS` (each
//! principal's quota, and the default).

use serde_json::Value;

use crate::policy::access::Scheme;
use crate::policy::Principal;
use crate::setting::{whole_numbers, Named};

/// One `RATE_LIMITS` entry: the limit and period its binding enforces (the
/// binding does not tell the worker, and clients are told in
/// `RateLimit-Policy`), or `"off"` for a deployment that does not limit
/// (a load-test environment: the routes then never call the binding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimiterSettings {
    /// No limit: the routes never call the binding.
    Off,
    /// The binding enforces these numbers.
    On {
        /// Requests allowed per period.
        limit: u32,
        /// The period, in seconds (10 or 60).
        period: u32,
    },
}

impl LimiterSettings {
    /// `{"limit": 100, "period": 60}` (period 10 or 60 s, as the binding
    /// allows) or `"off"`. Read from the JSON value by hand: a derived
    /// deserializer would cost the wasm kilobytes.
    pub fn from_json(value: Value) -> Result<LimiterSettings, String> {
        if value.as_str() == Some("off") {
            return Ok(LimiterSettings::Off);
        }
        let shape = "must be {\"limit\": n, \"period\": 10 or 60} or \"off\"";
        let [limit, period] = whole_numbers(&value, ["limit", "period"]).map_err(|e| format!("{shape}: {e}"))?;
        let (Some(limit), Some(period)) = (limit, period) else {
            return Err(format!("{shape}: `limit` and `period` are required"));
        };
        if limit == 0 || limit > u32::MAX as u64 {
            return Err(format!("limit must be 1 to {}, not {limit}", u32::MAX));
        }
        if period != 10 && period != 60 {
            return Err(format!("period must be 10 or 60 seconds (the binding's), not {period}"));
        }
        Ok(LimiterSettings::On {
            limit: limit as u32,
            period: period as u32,
        })
    }
}

/// One window a quota counts in: at most `limit` requests per `seconds`,
/// the windows aligned to the clock (a day starts at 00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindow {
    /// The window's length, in seconds.
    pub seconds: u32,
    /// The most requests it admits.
    pub limit: u64,
}

/// One principal's quota: the windows it is counted in (per UTC day, per
/// minute), the longest first (none: no quota), and the `RateLimit-Policy`
/// value that says them, made once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuotaPlan {
    /// The windows counted, the longest first.
    pub windows: Vec<QuotaWindow>,
    /// The `RateLimit-Policy` value that says the windows.
    pub policy_header: String,
}

impl QuotaPlan {
    /// No quota.
    pub const fn none() -> QuotaPlan {
        QuotaPlan {
            windows: Vec::new(),
            policy_header: String::new(),
        }
    }

    fn of(windows: Vec<QuotaWindow>) -> QuotaPlan {
        let policy_header = windows
            .iter()
            .map(|w| format!("\"quota-{}\";q={};w={}", window_name(w), w.limit, w.seconds))
            .collect::<Vec<_>>()
            .join(", ");
        QuotaPlan { windows, policy_header }
    }
}

/// The most a quota can be: more than a day has milliseconds, and exact in a JS number.
const MAX_QUOTA: u64 = 1 << 50;

/// `QUOTAS`: `{"default": plan, "api_key:<consumer>": plan,
/// "jwt:<provider>:<subject>": plan, ...}`, each plan `{"per_day": n,
/// "per_minute": n}` (either optional). An entry names its principal with
/// the scheme (and a token's provider) as the counters key it, so a token
/// whose `sub` happens to equal a key's consumer never gets that consumer's
/// plan; a bare name is a misconfiguration, never a guess. The default
/// applies to every principal without its own entry; `{}` as a plan means
/// no quota.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quotas {
    /// The plan of every principal without its own entry.
    pub default: QuotaPlan,
    /// Each principal's own plan.
    pub principals: Vec<(PlanFor, QuotaPlan)>,
}

/// Whom a `QUOTAS` entry is for: a key's consumer, or a provider's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFor {
    /// How the principal authenticated.
    pub scheme: Scheme,
    /// The token provider (`None` for a key's consumer).
    pub provider: Option<String>,
    /// The key's consumer, or the token's subject.
    pub id: String,
}

impl PlanFor {
    /// `api_key:<consumer>` or `jwt:<provider>:<subject>` (the subject may
    /// hold `:`; the provider may not).
    fn parse(name: &str) -> Result<PlanFor, String> {
        let shape = "names `api_key:<consumer>` or `jwt:<provider>:<subject>` (or is `default`)";
        let parsed = if let Some(id) = name.strip_prefix("api_key:") {
            Some(PlanFor {
                scheme: Scheme::ApiKey,
                provider: None,
                id: id.to_owned(),
            })
        } else if let Some(rest) = name.strip_prefix("jwt:") {
            rest.split_once(':').map(|(provider, id)| PlanFor {
                scheme: Scheme::Jwt,
                provider: Some(provider.to_owned()),
                id: id.to_owned(),
            })
        } else {
            None
        };
        match parsed {
            Some(plan) if !plan.id.is_empty() && plan.provider.as_deref() != Some("") => Ok(plan),
            _ => Err(format!(
                "`{name}`: an entry {shape}, so a token's subject never takes a key's consumer's plan"
            )),
        }
    }

    fn is(&self, principal: &Principal) -> bool {
        self.scheme == principal.scheme
            && self.provider.as_deref() == principal.provider.as_deref()
            && *self.id == *principal.id
    }
}

impl Quotas {
    /// Reads the parsed `QUOTAS` object; the `default` entry is required.
    pub fn from_json(entries: Named<Value>) -> Result<Quotas, String> {
        let mut default = None;
        let mut principals = Vec::new();
        for (name, plan) in entries.0 {
            let limits = whole_numbers(&plan, ["per_day", "per_minute"])
                .map_err(|e| format!("`{name}` must be {{\"per_day\": n, \"per_minute\": n}}: {e}"))?;
            let mut windows = Vec::new();
            for (seconds, limit) in [86_400, 60].into_iter().zip(limits) {
                let Some(limit) = limit else { continue };
                if limit == 0 || limit > MAX_QUOTA {
                    return Err(format!("`{name}`: a quota is 1 to {MAX_QUOTA} requests, not {limit}"));
                }
                windows.push(QuotaWindow { seconds, limit });
            }
            if name == "default" {
                default = Some(QuotaPlan::of(windows));
            } else {
                principals.push((PlanFor::parse(&name)?, QuotaPlan::of(windows)));
            }
        }
        let default = default.ok_or("needs a `default` entry (`{}` for no quota)")?;
        Ok(Quotas { default, principals })
    }

    /// The plan for a principal (its own entry, else the default).
    pub fn plan_for(&self, principal: Option<&Principal>) -> &QuotaPlan {
        principal
            .and_then(|principal| self.principals.iter().find(|(whom, _)| whom.is(principal)))
            .map_or(&self.default, |(_, plan)| plan)
    }

    /// The token providers entries name, to check against `JWT_PROVIDERS`.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.principals.iter().filter_map(|(whom, _)| whom.provider.as_deref())
    }
}

/// A window's name in headers and the log: `day` or `minute`.
pub fn window_name(window: &QuotaWindow) -> &'static str {
    if window.seconds == 60 {
        "minute"
    } else {
        "day"
    }
}
