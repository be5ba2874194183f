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

/// One principal's quota: the windows it is counted in (per UTC day, per
/// minute), the longest first (none: no quota), and the `RateLimit-Policy`
/// value that says them, made once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuotaPlan {
    pub windows: Vec<QuotaWindow>,
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

/// `QUOTAS`: `{"default": plan, "<principal id>": plan, ...}`, each plan
/// `{"per_day": n, "per_minute": n}` (either optional). The default applies
/// to every principal without its own entry; `{}` as a plan means no quota.
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
            let limits = numbers(&plan, ["per_day", "per_minute"])
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
                principals.push((name, QuotaPlan::of(windows)));
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

/// A window's name in headers and the log: `day` or `minute`.
pub fn window_name(window: &QuotaWindow) -> &'static str {
    if window.seconds == 60 {
        "minute"
    } else {
        "day"
    }
}
