//! Traffic control's settings: `RATE_LIMITS` (each rate-limit binding's
//! numbers, as its `[[ratelimits]]` entry declares them) and `QUOTAS` (each
//! principal's quota, and the default).

use serde_json::Value;

use crate::config::Named;
use crate::platform::QuotaWindow;

/// One `RATE_LIMITS` entry: the limit and period its binding enforces (the
/// binding does not tell the worker, and clients are told in
/// `RateLimit-Policy`), or `"off"` for a deployment that does not limit
/// (a load-test environment: the routes then never call the binding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimiterSettings {
    Off,
    On { limit: u32, period: u32 },
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
        let [limit, period] = numbers(&value, ["limit", "period"]).map_err(|e| format!("{shape}: {e}"))?;
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

/// The members `names` of a JSON object, each a whole number or absent;
/// any other member is an error (a typo would otherwise be ignored).
fn numbers<const N: usize>(value: &Value, names: [&str; N]) -> Result<[Option<u64>; N], String> {
    let object = value.as_object().ok_or("not a JSON object")?;
    let mut found = [None; N];
    for (name, member) in object {
        let Some(index) = names.iter().position(|n| n == name) else {
            return Err(format!("unknown field `{name}`"));
        };
        found[index] = Some(
            member
                .as_u64()
                .ok_or_else(|| format!("`{name}` is not a whole number"))?,
        );
    }
    Ok(found)
}

/// One principal's quota: at most so many requests per UTC day and per
/// minute. Neither set: no quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaPlan {
    pub per_day: Option<u64>,
    pub per_minute: Option<u64>,
}

/// The most a quota can be: more than a day has milliseconds, and exact in a JS number.
const MAX_QUOTA: u64 = 1 << 50;

impl QuotaPlan {
    /// The windows it counts in, the longest first.
    pub fn windows(&self) -> Vec<(&'static str, QuotaWindow)> {
        let mut windows = Vec::with_capacity(2);
        if let Some(limit) = self.per_day {
            windows.push(("day", QuotaWindow { seconds: 86_400, limit }));
        }
        if let Some(limit) = self.per_minute {
            windows.push(("minute", QuotaWindow { seconds: 60, limit }));
        }
        windows
    }
}

/// `QUOTAS`: `{"default": plan, "<principal id>": plan, ...}`. The
/// default applies to every principal without its own entry; `{}` as a plan
/// means no quota.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quotas {
    pub default: QuotaPlan,
    pub principals: Named<QuotaPlan>,
}

impl Quotas {
    pub fn from_json(entries: Named<Value>) -> Result<Quotas, String> {
        let mut default = None;
        let mut principals = Vec::new();
        for (name, plan) in entries.0 {
            let [per_day, per_minute] = numbers(&plan, ["per_day", "per_minute"])
                .map_err(|e| format!("`{name}` must be {{\"per_day\": n, \"per_minute\": n}}: {e}"))?;
            for limit in [per_day, per_minute].into_iter().flatten() {
                if limit == 0 || limit > MAX_QUOTA {
                    return Err(format!("`{name}`: a quota is 1 to {MAX_QUOTA} requests, not {limit}"));
                }
            }
            let plan = QuotaPlan { per_day, per_minute };
            if name == "default" {
                default = Some(plan);
            } else {
                principals.push((name, plan));
            }
        }
        let default = default.ok_or("needs a `default` entry (`{}` for no quota)")?;
        Ok(Quotas {
            default,
            principals: Named(principals),
        })
    }

    /// The plan for a principal id (its own, else the default).
    pub fn plan_for(&self, id: Option<&str>) -> &QuotaPlan {
        id.and_then(|id| self.principals.get(id)).unwrap_or(&self.default)
    }
}
