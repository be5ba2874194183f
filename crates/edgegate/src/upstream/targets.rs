//! An upstream's `UPSTREAMS` entry: one URL, or targets with weights and the
//! settings that keep them healthy (retries, ejection, a canary).
//!
//! ```json
//! {"origin": "https://origin.example.com/v1",
//!  "orders": {"targets": [{"url": "https://eu.example.com", "weight": 3}, "https://us.example.com"],
//!             "hash": "principal", "retry_on": [502, 503, 504], "retry_budget": 20,
//!             "eject_after": 5, "eject_ms": 5000, "max_eject_ms": 60000,
//!             "canary": {"upstream": "orders_next", "percent": 5, "header": "x-canary: on",
//!                        "principals": ["alice"], "claim": {"beta": true}}},
//!  "orders_next": "https://next.example.com",
//!  "GREETER": {"targets": [{"binding": "GREETER_EU"}, {"binding": "GREETER_US"}]}}
//! ```
//!
//! Services and functions are named by their binding; an entry under that
//! name lists the bindings to spread them over.

use serde_json::Value;

use crate::setting::{read_fields, strings};

/// The most targets one upstream may list.
pub const MAX_TARGETS: usize = 16;

/// Statuses that count as a target's failure unless `retry_on` says otherwise.
pub const DEFAULT_RETRY_ON: [u16; 3] = [502, 503, 504];
/// Retries allowed on top of the requests, in percent, over a sliding window.
pub const DEFAULT_RETRY_BUDGET: u32 = 20;
/// Consecutive failures that eject a target.
pub const DEFAULT_EJECT_AFTER: u32 = 5;
/// A target's first ejection; each one after it while it keeps failing doubles.
pub const DEFAULT_EJECT_MS: u32 = 5_000;
/// The longest an ejection grows to.
pub const DEFAULT_MAX_EJECT_MS: u32 = 60_000;

/// Where a target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// An HTTP(S) base URL (an origin).
    Url(String),
    /// A service binding's name (a service or a function).
    Binding(String),
}

/// One target and its share of the traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSetting {
    /// Where it is.
    pub address: Address,
    /// Its share, relative to the others' (1..=1000).
    pub weight: u32,
}

/// Which target a request goes to first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// At random, in proportion to the weights.
    Random,
    /// By the principal (one caller's requests go to one target while it is
    /// healthy); at random for anonymous requests.
    Principal,
}

/// Which requests a canary takes from its upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct CanarySetting {
    /// The `UPSTREAMS` entry (or binding) that gets them.
    pub upstream: String,
    /// The share of all requests, in hundredths of a percent (0..=10000).
    pub basis_points: u32,
    /// Requests carrying this header with exactly this value.
    pub header: Option<(String, String)>,
    /// Requests of these principals (their ids).
    pub principals: Vec<String>,
    /// Requests whose token has this claim with exactly this JSON value.
    pub claim: Option<(String, Value)>,
}

/// An upstream's entry, read.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamSetting {
    /// One to [`MAX_TARGETS`], all URLs or all bindings.
    pub targets: Vec<TargetSetting>,
    /// `hash`: how the first target is chosen.
    pub choice: Choice,
    /// `retry_on`: statuses that count as a target's failure.
    pub retry_on: Vec<u16>,
    /// `retry_budget`: retries allowed on top of the requests, in percent.
    pub retry_budget: u32,
    /// `eject_after`: failures in a row that eject a target.
    pub eject_after: u32,
    /// `eject_ms`: the first ejection's length.
    pub eject_ms: u32,
    /// `max_eject_ms`: the longest an ejection grows to.
    pub max_eject_ms: u32,
    /// `canary`: a second upstream and the requests it takes.
    pub canary: Option<CanarySetting>,
}

impl UpstreamSetting {
    /// One target with every default: what a plain URL or binding means.
    pub fn single(address: Address) -> UpstreamSetting {
        UpstreamSetting {
            targets: vec![TargetSetting { address, weight: 1 }],
            choice: Choice::Random,
            retry_on: DEFAULT_RETRY_ON.to_vec(),
            retry_budget: DEFAULT_RETRY_BUDGET,
            eject_after: DEFAULT_EJECT_AFTER,
            eject_ms: DEFAULT_EJECT_MS,
            max_eject_ms: DEFAULT_MAX_EJECT_MS,
            canary: None,
        }
    }

    /// Whether its targets are service bindings (else URLs).
    pub fn is_bindings(&self) -> bool {
        matches!(self.targets[0].address, Address::Binding(_))
    }

    /// Reads an entry: a URL string, or an object with `targets`.
    pub fn from_json(value: Value) -> Result<UpstreamSetting, String> {
        if let Some(url) = value.as_str() {
            return Ok(UpstreamSetting::single(Address::Url(super::check_address(url)?)));
        }
        if !value.is_object() {
            return Err("must be an http(s) URL, or an object with `targets`".into());
        }
        let mut setting = UpstreamSetting::single(Address::Url(String::new()));
        let mut targets = None;
        read_fields(
            &value,
            " (expected targets, hash, retry_on, retry_budget, eject_after, eject_ms, max_eject_ms, canary)",
            |name, member| {
                match name {
                    "targets" => targets = Some(read_targets(member)?),
                    "hash" => {
                        setting.choice = match member.as_str() {
                            Some("random") => Choice::Random,
                            Some("principal") => Choice::Principal,
                            _ => return Err("`hash` must be \"random\" or \"principal\"".into()),
                        }
                    }
                    "retry_on" => {
                        let statuses = member.as_array().ok_or("`retry_on` must be a list of statuses")?;
                        setting.retry_on.clear();
                        for status in statuses {
                            match status.as_u64() {
                                Some(s @ (429 | 500..=599)) => setting.retry_on.push(s as u16),
                                _ => return Err("`retry_on` may list 429 and 500..599 only".into()),
                            }
                        }
                    }
                    "retry_budget" => setting.retry_budget = bounded(name, member, 0, 100)?,
                    "eject_after" => setting.eject_after = bounded(name, member, 1, 1000)?,
                    "eject_ms" => setting.eject_ms = bounded(name, member, 100, 3_600_000)?,
                    "max_eject_ms" => setting.max_eject_ms = bounded(name, member, 100, 3_600_000)?,
                    "canary" => setting.canary = Some(read_canary(member)?),
                    _ => return Ok(false),
                }
                Ok(true)
            },
        )?;
        setting.targets = targets.ok_or("has no `targets`")?;
        if setting.max_eject_ms < setting.eject_ms {
            return Err("`max_eject_ms` is less than `eject_ms`".into());
        }
        Ok(setting)
    }
}

fn bounded(name: &str, value: &Value, low: u32, high: u32) -> Result<u32, String> {
    match value.as_u64() {
        Some(n) if (low as u64..=high as u64).contains(&n) => Ok(n as u32),
        _ => Err(format!("`{name}` must be a whole number from {low} to {high}")),
    }
}

fn read_targets(value: &Value) -> Result<Vec<TargetSetting>, String> {
    let list = value.as_array().ok_or("`targets` must be a list")?;
    if list.is_empty() || list.len() > MAX_TARGETS {
        return Err(format!("`targets` must list 1 to {MAX_TARGETS} targets"));
    }
    // A loop, not `collect::<Result<_, _>>()`: the same for less wasm
    // (as in every settings reader).
    let mut targets = Vec::with_capacity(list.len());
    for target in list {
        targets.push(read_target(target)?);
    }
    let bindings = targets
        .iter()
        .filter(|t| matches!(t.address, Address::Binding(_)))
        .count();
    if bindings != 0 && bindings != targets.len() {
        return Err("`targets` mixes URLs and bindings".into());
    }
    for (i, target) in targets.iter().enumerate() {
        if targets[..i].iter().any(|earlier| earlier.address == target.address) {
            return Err("`targets` lists a target twice".into());
        }
    }
    Ok(targets)
}

fn read_target(value: &Value) -> Result<TargetSetting, String> {
    if let Some(url) = value.as_str() {
        return Ok(TargetSetting {
            address: Address::Url(super::check_address(url)?),
            weight: 1,
        });
    }
    let mut address = None;
    let mut weight = 1;
    read_fields(value, " (expected url or binding, and weight)", |name, member| {
        match name {
            "url" => {
                let url = member.as_str().ok_or("a target's `url` must be a string")?;
                address = Some(Address::Url(super::check_address(url)?));
            }
            "binding" => {
                let binding = member.as_str().filter(|b| is_binding_name(b));
                let binding = binding.ok_or("a target's `binding` must be a binding's name (letters, digits, _)")?;
                address = Some(Address::Binding(binding.to_owned()));
            }
            "weight" => weight = bounded("weight", member, 1, 1000)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let address = address.ok_or("a target needs a `url` or a `binding`")?;
    Ok(TargetSetting { address, weight })
}

fn is_binding_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn read_canary(value: &Value) -> Result<CanarySetting, String> {
    let mut canary = CanarySetting {
        upstream: String::new(),
        basis_points: 0,
        header: None,
        principals: Vec::new(),
        claim: None,
    };
    read_fields(
        value,
        " (expected upstream, percent, header, principals, claim)",
        |name, member| {
            match name {
                "upstream" => {
                    let upstream = member.as_str().filter(|u| !u.is_empty() && u.len() <= 64);
                    canary.upstream = upstream
                        .ok_or("the canary's `upstream` must name an upstream")?
                        .to_owned();
                }
                "percent" => match member.as_f64() {
                    Some(p) if (0.0..=100.0).contains(&p) => canary.basis_points = (p * 100.0).round() as u32,
                    _ => return Err("the canary's `percent` must be a number from 0 to 100".into()),
                },
                "header" => {
                    // `"x-canary: on"`: the name, a colon, the exact value.
                    let (name, value) = member
                        .as_str()
                        .and_then(|h| h.split_once(':'))
                        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim()))
                        .filter(|(n, v)| {
                            !n.is_empty()
                                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                                && v.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                        })
                        .ok_or("the canary's `header` must be `name: value` (a header name, visible ASCII)")?;
                    canary.header = Some((name, value.to_owned()));
                }
                "principals" => {
                    canary.principals = strings(member).ok_or("the canary's `principals` must be a list of ids")?
                }
                "claim" => {
                    // `{"beta": true}`: one claim and its exact JSON value.
                    let claim = member.as_object().filter(|claim| claim.len() == 1);
                    let (name, value) = claim
                        .and_then(|claim| claim.iter().next())
                        .ok_or("the canary's `claim` must be an object of one claim and its value")?;
                    canary.claim = Some((name.clone(), value.clone()));
                }
                _ => return Ok(false),
            }
            Ok(true)
        },
    )?;
    if canary.upstream.is_empty() {
        return Err("the canary names no `upstream`".into());
    }
    Ok(canary)
}
