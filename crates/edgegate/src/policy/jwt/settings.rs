//! `JWT_PROVIDERS`: a JSON object from provider name to its issuer, keys and
//! audiences, validated once per isolate. Unknown fields are refused (a
//! misspelled `audience` must not silently accept every audience).

use serde_json::Value;

pub use super::keys::KeySource;
use crate::platform::SignatureAlgorithm;
use crate::setting::{read_fields, strings};

/// A provider's settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    /// What a token's `iss` must be.
    pub issuer: String,
    /// Where the provider's keys come from.
    pub keys: KeySource,
    /// Audiences a token's `aud` must name one of.
    pub audiences: Vec<String>,
    /// How far clocks may disagree when checking times, in seconds (default 60).
    pub clock_skew_s: f64,
    /// The algorithms a token may be signed with (default RS256, ES256, EdDSA).
    pub algorithms: Vec<SignatureAlgorithm>,
    /// How soon keys may be fetched again for an unknown `kid`, in milliseconds.
    pub min_refetch_ms: f64,
    /// How long fetched keys stay fresh when the answer gives no `max-age`, in milliseconds.
    pub cache_ms: f64,
}

/// What Envoy and ESP allow for: clocks a minute apart.
const DEFAULT_SKEW_S: u64 = 60;
const DEFAULT_ALGORITHMS: [SignatureAlgorithm; 3] = [
    SignatureAlgorithm::Rs256,
    SignatureAlgorithm::Es256,
    SignatureAlgorithm::EdDsa,
];

impl ProviderConfig {
    /// Reads and checks one provider's object (by hand: a derived reader
    /// per settings type would cost the wasm kilobytes). Unknown fields are
    /// refused: a misspelled `audience` must not pass unnoticed. The message
    /// names the first problem.
    pub fn from_json(value: Value) -> Result<ProviderConfig, String> {
        let mut config = ProviderConfig {
            issuer: String::new(),
            keys: KeySource::Remote(String::new()),
            audiences: Vec::new(),
            clock_skew_s: DEFAULT_SKEW_S as f64,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            min_refetch_ms: 30_000.0,
            cache_ms: 300_000.0,
        };
        let (mut uri, mut inline) = (None, None);
        read_fields(&value, " (a typo?)", |name, value| {
            let wrong = |what: &str| Err(format!("`{name}` must be {what}"));
            let seconds = |max: u64| value.as_u64().filter(|s| (1..=max).contains(s)).map(|s| s as f64);
            match name {
                "issuer" => match value.as_str() {
                    Some(issuer) if !issuer.trim().is_empty() => config.issuer = issuer.to_owned(),
                    _ => return wrong("a non-empty string"),
                },
                "jwks_uri" => match value.as_str().map(str::trim) {
                    Some(u)
                        if (u.starts_with("https://") || loopback_http(u))
                            && u.len() <= 2048
                            && u.bytes().all(|b| b.is_ascii_graphic()) =>
                    {
                        uri = Some(u.to_owned())
                    }
                    _ => return wrong("an https URL (plain http only to this machine: localhost, 127.0.0.1, [::1])"),
                },
                "jwks" => match super::keys::parse_jwks(value) {
                    Ok(keys) if !keys.is_empty() => inline = Some(value.clone()),
                    _ => return wrong("a key set (`{\"keys\": [..]}`) with a usable signing key"),
                },
                "audiences" => match strings(value) {
                    Some(list) if !list.is_empty() && list.iter().all(|a| !a.is_empty()) => config.audiences = list,
                    _ => return wrong("a list of at least one audience"),
                },
                "algorithms" => match strings(value).map(|names| {
                    names
                        .iter()
                        .map(|n| SignatureAlgorithm::from_name(n))
                        .collect::<Option<Vec<_>>>()
                }) {
                    Some(Some(list)) if !list.is_empty() => config.algorithms = list,
                    _ => return wrong("a list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA"),
                },
                // Zero skew is allowed; the others start at one second.
                "clock_skew_s" => match value.as_u64().filter(|s| *s <= 600) {
                    Some(skew) => config.clock_skew_s = skew as f64,
                    None => return wrong("a whole number of seconds up to 600"),
                },
                "min_refetch_s" => match seconds(3600) {
                    Some(s) => config.min_refetch_ms = s * 1000.0,
                    None => return wrong("a whole number of seconds from 1 to 3600"),
                },
                "cache_s" => match seconds(86_400) {
                    Some(s) => config.cache_ms = s * 1000.0,
                    None => return wrong("a whole number of seconds from 1 to 86400"),
                },
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        if config.issuer.is_empty() || config.audiences.is_empty() {
            return Err("`issuer` and `audiences` are required".into());
        }
        config.keys = match (uri, inline) {
            (Some(uri), None) => KeySource::Remote(uri),
            (None, Some(jwks)) => KeySource::Inline(jwks),
            _ => return Err("give exactly one of `jwks_uri` and `jwks`".into()),
        };
        Ok(config)
    }
}

/// An `http://` URL to this machine (development, tests): keys fetched in
/// the clear anywhere else could be swapped on the way, forging tokens.
fn loopback_http(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // The host, up to its port: `[::1]` whole, else up to the first `:`.
    let host = match (authority.starts_with('['), authority.find(']')) {
        (true, Some(end)) if authority[end + 1..].is_empty() || authority[end + 1..].starts_with(':') => {
            &authority[..=end]
        }
        (true, _) => return false,
        (false, _) => authority.split(':').next().unwrap_or(""),
    };
    !authority.contains('@') && matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}
