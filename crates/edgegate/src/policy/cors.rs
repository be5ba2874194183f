//! CORS for browser frontends on other origins. The gateway answers
//! preflights itself, from the route table, before auth (browsers send
//! preflights without credentials), and adds the response headers to every
//! actual response, errors included.

use serde_json::Value;

use crate::http::{field, Response, Status};
use crate::policy::request_id;
use crate::setting::{read_fields, string_list};

/// Default `Access-Control-Max-Age`, as in the seeds.
pub const DEFAULT_MAX_AGE: u32 = 3600;
/// Request headers a frontend of this gateway needs by default: its body's
/// type, its credentials, its request id, a create's idempotency key, and
/// W3C trace context (a page instrumented with OpenTelemetry sends it).
pub const DEFAULT_ALLOW_HEADERS: &[&str] = &[
    "content-type",
    "authorization",
    "x-api-key",
    "x-request-id",
    "idempotency-key",
    "traceparent",
    "tracestate",
];

/// CORS settings as configured: every field optional, so a route's override
/// can change one field and inherit the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorsSettings {
    /// Allowed origins: `*`, exact origins, or `https://*.example.com`; none when unset.
    pub origins: Option<Vec<String>>,
    /// Whether browsers may send credentials (`Access-Control-Allow-Credentials`); off when unset.
    pub allow_credentials: Option<bool>,
    /// Request headers a preflight allows; [`DEFAULT_ALLOW_HEADERS`] when unset.
    pub allow_headers: Option<Vec<String>>,
    /// Response headers browsers may read, beyond the request id and traffic control's.
    pub expose_headers: Option<Vec<String>>,
    /// How long browsers may cache a preflight, in seconds; [`DEFAULT_MAX_AGE`] when unset.
    pub max_age: Option<u32>,
}

impl CorsSettings {
    /// A `CORS_PROFILES` entry: `{"origins": [..], "allow_credentials": bool,
    /// "allow_headers": [..], "expose_headers": [..], "max_age": n}`, every
    /// field optional. Read by hand: a derived deserializer costs the wasm
    /// kilobytes.
    pub fn from_json(value: &Value) -> Result<CorsSettings, String> {
        let mut settings = CorsSettings::default();
        let expected = ", expected one of `origins`, `allow_credentials`, `allow_headers`, `expose_headers`, `max_age`";
        read_fields(value, expected, |name, member| {
            match name {
                "origins" => settings.origins = Some(string_list(name, member)?),
                "allow_headers" => settings.allow_headers = Some(string_list(name, member)?),
                "expose_headers" => settings.expose_headers = Some(string_list(name, member)?),
                "allow_credentials" => {
                    settings.allow_credentials =
                        Some(member.as_bool().ok_or("`allow_credentials` must be true or false")?)
                }
                "max_age" => {
                    let seconds = member.as_u64().and_then(|n| u32::try_from(n).ok());
                    settings.max_age = Some(seconds.ok_or("`max_age` must be a whole number of seconds")?)
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(settings)
    }

    /// These settings with `over`'s fields taking precedence.
    pub fn overridden_by(&self, over: &CorsSettings) -> CorsSettings {
        CorsSettings {
            origins: over.origins.clone().or_else(|| self.origins.clone()),
            allow_credentials: over.allow_credentials.or(self.allow_credentials),
            allow_headers: over.allow_headers.clone().or_else(|| self.allow_headers.clone()),
            expose_headers: over.expose_headers.clone().or_else(|| self.expose_headers.clone()),
            max_age: over.max_age.or(self.max_age),
        }
    }
}

/// One allowed origin.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginRule {
    /// `*`: every origin, answered with `*` (never with credentials).
    Any,
    /// `https://app.example.com`, compared exactly (case-insensitively).
    Exact(String),
    /// `https://*.example.com`: any subdomain, same scheme and port.
    Subdomains {
        scheme: String,
        suffix: String,
        port: Option<String>,
    },
}

/// Suffixes whose subdomains belong to different parties: country and
/// generic second levels, and hosts where anyone can publish a site.
const SHARED_SUFFIXES: [&str; 26] = [
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "com.au",
    "net.au",
    "co.jp",
    "co.nz",
    "com.br",
    "co.in",
    "com.cn",
    "github.io",
    "gitlab.io",
    "pages.dev",
    "workers.dev",
    "vercel.app",
    "netlify.app",
    "herokuapp.com",
    "web.app",
    "firebaseapp.com",
    "appspot.com",
    "azurewebsites.net",
    "cloudfront.net",
    "onrender.com",
    "fly.dev",
    "ngrok-free.app",
];

impl OriginRule {
    fn parse(text: &str) -> Result<OriginRule, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(OriginRule::Any);
        }
        let (scheme, host, port) = split_origin(text).ok_or_else(|| {
            let hint = if text.ends_with('/') {
                " (remove the trailing `/`)"
            } else {
                ""
            };
            format!("`{text}` is not an origin like `https://app.example.com`{hint}")
        })?;
        match host.strip_prefix("*.") {
            Some(rest) if !rest.contains('.') => Err(format!(
                "`{text}`: a subdomain pattern needs at least two labels after `*.` (`*.com` would allow every .com site)"
            )),
            Some(rest) if !rest.is_empty() && !rest.contains('*') => Ok(OriginRule::Subdomains {
                scheme: scheme.to_owned(),
                suffix: format!(".{rest}"),
                port: port.map(str::to_owned),
            }),
            _ if host.contains('*') => Err(format!(
                "`{text}`: `*` may only stand for whole subdomains, as in `https://*.example.com`"
            )),
            _ => Ok(OriginRule::Exact(text.to_ascii_lowercase())),
        }
    }

    fn matches(&self, origin: &str) -> bool {
        match self {
            OriginRule::Any => true,
            OriginRule::Exact(exact) => exact.eq_ignore_ascii_case(origin),
            OriginRule::Subdomains { scheme, suffix, port } => {
                let Some((o_scheme, o_host, o_port)) = split_origin(origin) else {
                    return false;
                };
                o_scheme == scheme
                    && o_port == port.as_deref()
                    && o_host.len() > suffix.len()
                    && o_host[o_host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            }
        }
    }
}

/// `scheme://host[:port]`, lowercase scheme, nothing after the authority.
fn split_origin(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let (scheme, authority) = text.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'.')
    {
        return None;
    }
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (host, Some(port))
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host, port))
}

/// An origin as browsers send it (RFC 6454 §6.2): `scheme://host[:port]`,
/// the scheme a letter then letters, digits, `+`, `-`, `.`; the host letters,
/// digits, `-` and `.`, or a bracketed IPv6 address; the port 1–5 digits.
/// Anything else (`null`, control characters, non-ASCII) matches no rule.
pub fn is_serialized_origin(origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.');
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((address, rest))
                if !address.is_empty() && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') =>
            {
                (None, rest)
            }
            _ => return false,
        },
        None => {
            let (host, port) = authority.split_at(authority.find(':').unwrap_or(authority.len()));
            (Some(host), port)
        }
    };
    let host_ok = host.is_none_or(|host| {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    };
    scheme_ok && host_ok && port_ok
}

/// A validated CORS policy with its header values built once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Vec<OriginRule>,
    allow_credentials: bool,
    allow_headers: String,
    expose_headers: String,
    max_age: String,
}

impl CorsPolicy {
    /// Also exposes `header` to browsers (a feature's own response header,
    /// `server-timing`), after those the settings name.
    pub fn also_expose(&mut self, header: &str) {
        if !self.expose_headers.split(", ").any(|h| h == header) {
            self.expose_headers.push_str(", ");
            self.expose_headers.push_str(header);
        }
    }

    /// Validates settings. `*` together with credentials is refused here: the
    /// browser would reject it, and echoing every origin instead would hand
    /// credentials to any site.
    pub fn new(settings: &CorsSettings) -> Result<CorsPolicy, String> {
        let mut origins = Vec::new();
        for origin in settings.origins.iter().flatten() {
            origins.push(OriginRule::parse(origin)?);
        }
        let allow_credentials = settings.allow_credentials.unwrap_or(false);
        if allow_credentials && origins.contains(&OriginRule::Any) {
            return Err(
                "allowed origins `*` cannot be combined with allow-credentials: list the origins instead".into(),
            );
        }
        // Every subdomain of these is someone's own site (a public suffix or
        // a host anyone can publish on): credentials to all of them would go
        // to strangers. Not the whole Public Suffix List, the usual mistakes.
        for origin in &origins {
            if let (true, OriginRule::Subdomains { suffix, .. }) = (allow_credentials, origin) {
                if let Some(shared) = SHARED_SUFFIXES.iter().find(|s| suffix[1..].eq_ignore_ascii_case(s)) {
                    return Err(format!(
                        "allowed origins `*.{shared}` cannot be combined with allow-credentials: anyone can publish a site under `{shared}`; list your own origins instead"
                    ));
                }
            }
        }
        let allow_headers = match &settings.allow_headers {
            Some(headers) => join_tokens(headers, "allowed header")?,
            // As `join(", ")` would, without a `[&str]` copy of it in the wasm.
            None => DEFAULT_ALLOW_HEADERS.iter().fold(String::new(), |mut list, header| {
                if !list.is_empty() {
                    list.push_str(", ");
                }
                list.push_str(header);
                list
            }),
        };
        // The request id and traffic control's headers are always readable
        // (a browser client can then back off as told).
        let mut expose = vec![request_id::HEADER.to_owned()];
        expose.extend(crate::policy::traffic::HEADERS.map(str::to_owned));
        for header in settings.expose_headers.iter().flatten() {
            let header = header.trim().to_ascii_lowercase();
            if !expose.contains(&header) {
                expose.push(header);
            }
        }
        let expose_headers = join_tokens(&expose, "exposed header")?;
        let max_age = settings.max_age.unwrap_or(DEFAULT_MAX_AGE);
        if max_age > 86_400 {
            return Err(format!(
                "max-age {max_age} is over a day (86400 s); browsers cap it anyway"
            ));
        }
        Ok(CorsPolicy {
            origins,
            allow_credentials,
            allow_headers,
            expose_headers,
            max_age: max_age.to_string(),
        })
    }

    /// The value for `Access-Control-Allow-Origin` if `origin` is allowed:
    /// the origin itself (never a list), or `*` when every origin is. Only a
    /// well-formed origin is ever matched, so nothing else is echoed.
    pub fn allow_origin<'a>(&self, origin: &'a str) -> Option<&'a str> {
        if !is_serialized_origin(origin) {
            return None;
        }
        let rule = self.origins.iter().find(|rule| rule.matches(origin))?;
        Some(if *rule == OriginRule::Any { "*" } else { origin })
    }

    /// Whether responses differ by `Origin` (so caches must keep them apart).
    fn varies_by_origin(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The answer to a preflight from an allowed origin: 204 with the path's
    /// methods as the route table has them.
    pub fn preflight(&self, allow_origin: &str, methods: &str) -> Response {
        let mut response = Response::new(Status::NO_CONTENT)
            .with_header("access-control-allow-origin", allow_origin)
            .with_header("access-control-allow-methods", methods)
            .with_header("access-control-allow-headers", self.allow_headers.as_str())
            .with_header("access-control-max-age", self.max_age.as_str())
            .with_header(
                "vary",
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            );
        if self.allow_credentials {
            response.set_header("access-control-allow-credentials", "true");
        }
        response
    }

    /// Adds the CORS headers an actual response needs for `origin`. A
    /// disallowed origin gets none: its response is what it would be without CORS.
    pub fn decorate(&self, response: &mut Response, origin: Option<&str>) {
        if self.varies_by_origin() {
            response.append_to_list("vary", "Origin");
        }
        let Some(allow) = origin.and_then(|o| self.allow_origin(o)) else {
            return;
        };
        response.set_header("access-control-allow-origin", allow);
        response.set_header("access-control-expose-headers", self.expose_headers.as_str());
        if self.allow_credentials {
            response.set_header("access-control-allow-credentials", "true");
        }
    }
}

fn join_tokens(items: &[String], what: &str) -> Result<String, String> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let token = item.trim().to_ascii_lowercase();
        if !field::is_token(&token) {
            return Err(format!("{what} `{item}` is not a header name"));
        }
        out.push(token);
    }
    Ok(out.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str], credentials: bool) -> Result<CorsPolicy, String> {
        CorsPolicy::new(&CorsSettings {
            origins: Some(origins.iter().map(|s| s.to_string()).collect()),
            allow_credentials: Some(credentials),
            ..CorsSettings::default()
        })
    }

    #[test]
    fn exact_origins_are_echoed_one_at_a_time() {
        let p = policy(&["http://localhost:5173", "https://App.example.com"], false).unwrap();
        assert_eq!(p.allow_origin("http://localhost:5173"), Some("http://localhost:5173"));
        assert_eq!(
            p.allow_origin("https://app.example.com"),
            Some("https://app.example.com")
        );
        assert_eq!(p.allow_origin("http://localhost:5174"), None);
        assert_eq!(p.allow_origin("http://localhost:5173.evil.com"), None);
        assert_eq!(p.allow_origin("null"), None);
    }

    #[test]
    fn subdomain_patterns_need_a_subdomain_and_the_same_scheme_and_port() {
        let p = policy(&["https://*.example.com"], true).unwrap();
        assert!(p.allow_origin("https://app.example.com").is_some());
        assert!(p.allow_origin("https://a.b.example.com").is_some());
        assert!(p.allow_origin("https://example.com").is_none());
        assert!(p.allow_origin("http://app.example.com").is_none());
        assert!(p.allow_origin("https://app.example.com:8443").is_none());
        assert!(p.allow_origin("https://evilexample.com").is_none());
        assert!(p.allow_origin("https://example.com.evil.net").is_none());
    }

    #[test]
    fn only_well_formed_origins_are_matched_or_echoed() {
        let subdomains = policy(&["https://*.example.com"], true).unwrap();
        let any = policy(&["*"], false).unwrap();
        let exact = policy(&["http://localhost:5173"], false).unwrap();
        for hostile in [
            "https://a\rb.example.com",
            "https://a\nb.example.com",
            "https://a\u{0}b.example.com",
            "https://a\u{10d}b.example.com",
            "https://a b.example.com",
            "https://a_b.example.com",
            "https://user@a.example.com",
            "https://a.example.com/",
            "https://a.example.com:",
            "https://a.example.com:123456",
            "https://a.example.com:80x",
            "null",
            "",
            "://a.example.com",
            "1https://a.example.com",
        ] {
            assert_eq!(subdomains.allow_origin(hostile), None, "{hostile:?}");
            assert_eq!(any.allow_origin(hostile), None, "{hostile:?}");
        }
        assert_eq!(exact.allow_origin("http://localhost:5173\r"), None);
        for fine in [
            "https://a.example.com",
            "https://a-b.c.example.com",
            "https://A.Example.com",
        ] {
            assert!(subdomains.allow_origin(fine).is_some(), "{fine}");
        }
        for fine in [
            "http://[::1]:5173",
            "http://127.0.0.1:8787",
            "chrome-extension://abc",
            "a+b.c-d://h",
        ] {
            assert!(is_serialized_origin(fine), "{fine}");
        }
        assert!(!is_serialized_origin("http://[::1"));
        assert!(!is_serialized_origin("http://[]"));
    }

    #[test]
    fn wildcard_answers_star_and_refuses_credentials() {
        let p = policy(&["*"], false).unwrap();
        assert_eq!(p.allow_origin("https://anything.test"), Some("*"));
        let error = policy(&["*"], true).unwrap_err();
        assert!(error.contains("credentials"), "{error}");
    }

    #[test]
    fn malformed_origins_are_configuration_errors() {
        for bad in [
            "https://app.example.com/",
            "app.example.com",
            "https://",
            "https://*",
            "https://a.*.com",
            "https://*.com",
            "HTTPS://x.com",
        ] {
            assert!(policy(&[bad], false).is_err(), "{bad} should be refused");
        }
        assert!(policy(&["http://[::1]:5173"], false)
            .unwrap()
            .allow_origin("http://[::1]:5173")
            .is_some());
    }

    #[test]
    fn decorate_adds_headers_only_for_allowed_origins() {
        let p = policy(&["http://localhost:5173"], true).unwrap();
        let mut allowed = Response::new(Status::NOT_FOUND);
        p.decorate(&mut allowed, Some("http://localhost:5173"));
        assert_eq!(
            allowed.header("access-control-allow-origin"),
            Some("http://localhost:5173")
        );
        assert_eq!(allowed.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            allowed.header("access-control-expose-headers"),
            Some("x-request-id, ratelimit, ratelimit-policy, retry-after")
        );
        assert_eq!(allowed.header("vary"), Some("Origin"));

        let mut refused = Response::new(Status::OK);
        p.decorate(&mut refused, Some("https://evil.test"));
        assert!(refused.headers().all(|(name, _)| !name.starts_with("access-control-")));
    }

    #[test]
    fn route_overrides_replace_single_fields() {
        let global = CorsSettings {
            origins: Some(vec!["https://a.test".into()]),
            max_age: Some(60),
            ..Default::default()
        };
        let merged = global.overridden_by(&CorsSettings {
            max_age: Some(10),
            ..Default::default()
        });
        assert_eq!(merged.origins, global.origins);
        assert_eq!(merged.max_age, Some(10));
    }
}
