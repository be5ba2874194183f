//! Traffic control, as route policies ([`crate::policy::route_policy`]):
//!
//! - [`rate_limit`](fn@rate_limit): approximate limits per Cloudflare location on the
//!   Workers Rate Limiting binding, counted per principal (else client
//!   address), per client address, or under one fixed key;
//! - [`quota`](fn@quota): exact quotas per principal per day and per minute, counted
//!   by a Durable Object the worker exports (one object per principal, so
//!   concurrent requests are counted one at a time, worldwide).
//!
//! ```ignore
//! Group::new("/api").access(api_key())
//!     .policy(rate_limit("PER_PRINCIPAL"))
//!     .policy(quota("QUOTA"))
//! Route::get("/items", items::list).public().policy(rate_limit("PER_CLIENT").per_client())
//! ```
//!
//! A refusal is a 429 problem (`rate-limited`, `quota-exceeded`) with
//! `Retry-After`; every answer of a limited route says its policies in
//! `RateLimit-Policy`, and a counted quota's remaining units and reset in
//! `RateLimit` (draft-ietf-httpapi-ratelimit-headers). A preflight never
//! reaches the phase, so it is never counted. A failing limiter lets the
//! request through with an error log line, unless the policy is
//! `.fail_closed()` (then 503 with `Retry-After`).

pub mod quota;
pub mod rate_limit;
pub mod settings;

pub use quota::{quota, Quota, QuotaCount, QuotaCounter};
pub use rate_limit::{rate_limit, RateLimit, RateLimiter};
pub use settings::{LimiterSettings, QuotaPlan, QuotaWindow, Quotas};

use std::fmt::Write;

use crate::digest::sha256;
use crate::http::{Request, Response};
use crate::platform::Platform;
use crate::policy::access_log::log_line;
use crate::policy::Principal;
use crate::problem::{kinds, ApiError};

/// Which limit refused a request, for the access log (`limit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedBy(pub String);

/// The response headers traffic control sets, which CORS exposes to browsers.
pub const HEADERS: [&str; 3] = ["ratelimit", "ratelimit-policy", "retry-after"];

/// The key a request is counted under when it is counted per principal:
/// scheme, provider and id (a token's `sub` never shares a bucket with a
/// key's consumer of the same name), else the client's address.
pub(crate) fn principal_key(request: &Request) -> String {
    match Principal::of(request) {
        Some(principal) => bounded(principal.qualified()),
        None => client_key(request),
    }
}

/// The key for a request counted per client address. An IPv6 client is
/// counted by its /64 (one subscriber's network, which hands its hosts
/// addresses at will); a request without one shares one bucket.
pub(crate) fn client_key(request: &Request) -> String {
    // `::ffff:203.0.113.7` is 203.0.113.7, as the IP rules read it.
    match request.client_ip.map(|ip| ip.to_canonical()) {
        Some(std::net::IpAddr::V4(ip)) => {
            let [a, b, c, d] = ip.octets();
            format!("ip:{a}.{b}.{c}.{d}")
        }
        Some(std::net::IpAddr::V6(ip)) => {
            let s = ip.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:unknown".to_owned(),
    }
}

/// A key as the counters take it: short visible ASCII as it is; anything
/// longer, or with other bytes (a token's `sub` can be any string), as its
/// SHA-256, so a key is never over 70 bytes and never needs escaping.
pub(crate) fn bounded(key: String) -> String {
    if key.len() <= 64 && key.bytes().all(|b| b.is_ascii_graphic()) {
        return key;
    }
    let mut hashed = String::with_capacity(66);
    hashed.push_str("h:");
    for byte in sha256(key.as_bytes()) {
        let _ = write!(hashed, "{byte:02x}");
    }
    hashed
}

/// `name` as a structured-field string (RFC 9651 §3.3.3): quoted, with `"` and `\` escaped.
pub(crate) fn sf_string(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars().filter(|c| (' '..='~').contains(c)) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The 429 for a refused request: the problem, `Retry-After`, and the
/// limit's name in the access log.
pub(crate) fn too_many(
    request: &mut Request,
    kind: crate::problem::ProblemKind,
    detail: String,
    refused_by: String,
    retry_after: u32,
) -> Response {
    request.extensions.insert(RefusedBy(refused_by));
    ApiError::of(kind, detail)
        .with_extension("retry_after", retry_after)
        .with_header("retry-after", retry_after.to_string())
        .into_response()
}

/// A counter that failed: logged, then the request goes on (fail open), or
/// is answered 503 to retry shortly (fail closed).
pub(crate) fn counter_failed(
    request: &mut Request,
    platform: &dyn Platform,
    what: &str,
    cause: &str,
    fail_closed: bool,
) -> Result<(), Response> {
    let outcome = if fail_closed {
        "refused (fail closed)"
    } else {
        "let through (fail open)"
    };
    platform.log(&log_line(
        "error",
        "traffic control failed",
        &[
            ("request_id", &request.request_id),
            ("limit", what),
            ("request", outcome),
            ("error", cause),
        ],
    ));
    if !fail_closed {
        return Ok(());
    }
    request.extensions.insert(RefusedBy(what.to_owned()));
    Err(ApiError::of(
        kinds::TRAFFIC_CONTROL_UNAVAILABLE,
        "This route's traffic control cannot count requests now. Retry after Retry-After.",
    )
    .with_header("retry-after", "5")
    .with_internal(format!("{what}: {cause}"))
    .into_response())
}

/// Seconds until a window of `seconds` aligned to the clock ends (at least 1).
pub(crate) fn until_window_ends(now_ms: f64, seconds: u32) -> u32 {
    let now = (now_ms / 1000.0).floor() as u64;
    let left = seconds as u64 - now % seconds as u64;
    left.max(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii_whatever_the_principal_is() {
        assert_eq!(bounded("jwt:firebase:alice".into()), "jwt:firebase:alice");
        for hostile in [
            "jwt:firebase:ålice".to_owned(),
            format!("jwt:p:{}", "a".repeat(10_000)),
            "a b".into(),
            "a\nb".into(),
        ] {
            let key = bounded(hostile.clone());
            assert!(key.starts_with("h:") && key.len() == 66, "{key}");
            assert!(key.bytes().all(|b| b.is_ascii_graphic()));
            assert_ne!(key, bounded(format!("{hostile}x")), "distinct principals stay distinct");
        }
    }

    #[test]
    fn policy_names_are_structured_field_strings() {
        assert_eq!(sf_string("per_client"), "\"per_client\"");
        assert_eq!(sf_string("a\"b\\c\u{1}é"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn windows_end_on_the_clock() {
        assert_eq!(until_window_ends(60_000.0, 60), 60);
        assert_eq!(until_window_ends(119_999.0, 60), 1);
        assert_eq!(until_window_ends(86_400_000.0 + 3_600_000.0, 86_400), 82_800);
    }
}
