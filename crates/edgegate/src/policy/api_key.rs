//! API keys: each configured key (or its SHA-256 digest) names a consumer.
//!
//! Keys are kept only as digests, and a presented key is hashed and compared
//! with every digest in constant time, so neither the response time nor the
//! comparison order tells an attacker how much of a key was right.

use std::rc::Rc;

use serde_json::{Map, Value};

use super::access::{Authenticator, Principal, Scheme, Verdict, VerdictFuture};
use crate::digest::{constant_time_eq, sha256};
use crate::http::Request;
use crate::platform::Platform;

/// The header and query parameter a key may arrive in (the seeds' convention).
pub const HEADER: &str = "x-api-key";
/// The query parameter a key may arrive in (`?key=`).
pub const QUERY_PARAM: &str = "key";

/// Whether a query pair is `key=...` (the API key's parameter), however it
/// is encoded: it never reaches an upstream, nor a cache key where the
/// gateway consumed it (a handler that reads it keys its cache on it).
pub fn is_key_param(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or("");
    crate::http::form_decode(name).is_ok_and(|name| name == QUERY_PARAM)
}

/// The configured keys, as `(sha256(key), consumer)`.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    entries: Vec<([u8; 32], Rc<str>)>,
}

impl ApiKeys {
    /// Parses the `API_KEYS` secret: a JSON object from key to consumer name,
    /// where a key may be written as `sha256:<64 hex digits>` so the plaintext
    /// need not be stored anywhere. Errors never quote a key.
    pub fn parse(json: &str) -> Result<ApiKeys, String> {
        let object: Map<String, Value> = serde_json::from_slice(json.as_bytes()).map_err(|e| {
            format!("must be a JSON object from key to consumer name, e.g. {{\"<key>\": \"<consumer>\"}} (line {}, column {})", e.line(), e.column())
        })?;
        // A key given twice is refused, never mapped to its last consumer.
        if crate::setting::repeats_a_name(json) {
            return Err("gives a key twice".into());
        }
        let mut entries = Vec::with_capacity(object.len());
        for (position, (key, consumer)) in object.into_iter().enumerate() {
            let consumer = match consumer {
                Value::String(name) if !name.trim().is_empty() => name,
                _ => return Err(format!("entry {} must map to a non-empty consumer name", position + 1)),
            };
            let digest = match digest_text(&key) {
                Some(hex) => parse_digest(hex).ok_or_else(|| {
                    format!("the sha256 digest for consumer `{consumer}` must be 64 hexadecimal digits")
                })?,
                // A digest under a mistyped prefix (`sha-256:`, `SHA256=`)
                // would be a plaintext key whose text is the digest: anyone
                // who saw it would hold the key.
                None if looks_like_a_digest(&key) => {
                    return Err(format!(
                        "consumer `{consumer}`'s key looks like a digest under a mistyped prefix: write `sha256:<64 hex digits>`"
                    ))
                }
                // No client can send spaces around a header's value.
                None if key.trim() != key => {
                    return Err(format!("consumer `{consumer}`'s key has spaces or line breaks around it"))
                }
                None => sha256(key.as_bytes()),
            };
            // An empty key, however it is written: the digest of no bytes is
            // what hashing an unset variable gives, and `?key=` would match it.
            if digest == sha256(b"") {
                return Err(format!("consumer `{consumer}` has an empty key"));
            }
            // One key written two ways (plaintext and digest, hex in either
            // case) would go to whichever entry sorts first.
            if entries.iter().any(|(known, _)| *known == digest) {
                return Err(format!("consumer `{consumer}`'s key is given twice (written two ways)"));
            }
            entries.push((digest, Rc::from(consumer)));
        }
        Ok(ApiKeys { entries })
    }

    /// The consumer the presented key belongs to. Every entry is compared, in
    /// constant time, whether or not an earlier one matched.
    pub fn consumer_of(&self, presented: &str) -> Option<Rc<str>> {
        let digest = sha256(presented.as_bytes());
        let mut found: Option<&Rc<str>> = None;
        for (expected, consumer) in &self.entries {
            if constant_time_eq(&digest, expected) && found.is_none() {
                found = Some(consumer);
            }
        }
        found.cloned()
    }
}

/// A missing key and a wrong one get the same answer: the response never
/// tells a guesser it got closer.
impl Authenticator for ApiKeys {
    fn challenge(&self) -> String {
        format!("ApiKey header=\"{HEADER}\", query=\"{QUERY_PARAM}\"")
    }

    fn wants(&self) -> &'static str {
        "A valid API key (in the x-api-key header or the key query parameter)"
    }

    fn authenticate<'a>(&'a self, request: &'a Request, _platform: &'a dyn Platform) -> VerdictFuture<'a> {
        let verdict = match presented_key(request).and_then(|key| self.consumer_of(&key)) {
            Some(consumer) => Verdict::Authenticated(Principal {
                id: consumer,
                scheme: Scheme::ApiKey,
                provider: None,
                claims: None,
            }),
            None => Verdict::Absent,
        };
        Box::pin(std::future::ready(verdict))
    }
}

/// The key a request presents: the `x-api-key` header, else the `key` query parameter.
pub fn presented_key(request: &Request) -> Option<String> {
    if let Some(key) = request.headers.get(HEADER) {
        return Some(key.to_owned());
    }
    // Pair by pair: another parameter that is not UTF-8 once decoded (an
    // upstream's to read) does not hide the key.
    let query = request.query.as_deref()?;
    let pair = query.split('&').find(|pair| is_key_param(pair))?;
    let value = pair.split_once('=').map_or("", |(_, value)| value);
    crate::http::form_decode(value).ok().map(|value| value.into_owned())
}

/// The hex of a `sha256:` entry (the prefix in any case).
fn digest_text(key: &str) -> Option<&str> {
    let prefix = key.get(..7)?;
    prefix.eq_ignore_ascii_case("sha256:").then(|| &key[7..])
}

/// Whether `key` is 64 hex digits after a mistyped `sha256:` marker: at
/// most 10 bytes whose letters and digits are `sha256` (or `sha2256`) in any
/// case (`sha-256:`, `SHA256=`, `sha 256: `, `sha2-256:`); `sha256:` itself
/// is read before this is asked. `shared-<hex>` is an ordinary key.
fn looks_like_a_digest(key: &str) -> bool {
    let key = key.trim();
    let Some(split) = key.len().checked_sub(64) else {
        return false;
    };
    let (Some(marker), Some(hex)) = (key.get(..split), key.get(split..)) else {
        return false;
    };
    let letters: String = marker
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    marker.len() <= 10 && matches!(letters.as_str(), "sha256" | "sha2256") && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    crate::http::hex_decode(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{hex_encode, Method};
    use serde_json::json;

    #[test]
    fn plaintext_and_digest_keys_both_authenticate() {
        let digest = hex_encode(&sha256(b"partner-secret"));
        let keys = ApiKeys::parse(&format!(r#"{{"dev-local-key": "dev", "sha256:{digest}": "partner"}}"#)).unwrap();
        assert_eq!(keys.consumer_of("dev-local-key").as_deref(), Some("dev"));
        assert_eq!(keys.consumer_of("partner-secret").as_deref(), Some("partner"));
        assert_eq!(keys.consumer_of("dev-local-kez"), None);
        assert_eq!(keys.consumer_of(""), None);
    }

    #[test]
    fn malformed_configuration_is_refused_without_quoting_keys() {
        for bad in [
            r#"["dev-local-key"]"#,
            r#"{"dev-local-key": ""}"#,
            r#"{"dev-local-key": 3}"#,
            r#"{"": "dev"}"#,
            r#"{"sha256:abcd": "dev"}"#,
            // The digest of no bytes: an empty key written another way.
            r#"{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "dev"}"#,
            "not json",
        ] {
            let error = ApiKeys::parse(bad).unwrap_err();
            assert!(!error.contains("dev-local-key"), "{error}");
        }
    }

    #[test]
    fn a_digest_is_a_digest_in_any_case_and_never_a_key_of_its_own_text() {
        let hex = hex_encode(&sha256(b"partner-secret"));
        let upper = ApiKeys::parse(&format!(r#"{{"SHA256:{hex}": "partner"}}"#)).unwrap();
        assert_eq!(upper.consumer_of("partner-secret").as_deref(), Some("partner"));
        assert_eq!(upper.consumer_of(&format!("SHA256:{hex}")), None);
        for mistyped in [
            format!("sha-256:{hex}"),
            format!("sha256={hex}"),
            format!(" sha256:{hex}"),
            format!("SHA256 {hex}"),
            format!("sha_256:{hex}"),
            format!("SHA256{hex}"),
            format!("sha-256: {hex}"),
            format!("SHA-256 = {hex}"),
            format!("sha 256:{hex}"),
            format!("sha2-256:{hex}"),
            format!("sha-256::{hex}"),
        ] {
            let error = ApiKeys::parse(&json!({ mistyped.as_str(): "partner" }).to_string()).unwrap_err();
            assert!(error.contains("mistyped prefix"), "{mistyped}: {error}");
            assert!(!error.contains(&hex), "{error}");
        }
        // Ordinary keys that only begin like one.
        for plain in [
            format!("shared-{hex}"),
            format!("shadow_{hex}"),
            format!("sha256-token-{hex}"),
        ] {
            let keys = ApiKeys::parse(&json!({ plain.as_str(): "partner" }).to_string()).unwrap();
            assert_eq!(keys.consumer_of(&plain).as_deref(), Some("partner"), "{plain}");
        }
        for spaced in [" dev-local-key", "dev-local-key\n", "\t"] {
            let error = ApiKeys::parse(&json!({ spaced: "dev" }).to_string()).unwrap_err();
            assert!(error.contains("spaces or line breaks"), "{spaced}: {error}");
        }
    }

    #[test]
    fn one_key_written_two_ways_is_refused() {
        let hex = hex_encode(&sha256(b"k-123"));
        for twice in [
            json!({ format!("sha256:{hex}"): "partner-a", "k-123": "partner-b" }),
            json!({ format!("sha256:{hex}"): "partner-a", format!("sha256:{}", hex.to_uppercase()): "partner-b" }),
            json!({ format!("sha256:{hex}"): "partner-a", format!("SHA256:{hex}"): "partner-a" }),
        ] {
            let error = ApiKeys::parse(&twice.to_string()).unwrap_err();
            assert!(error.contains("given twice"), "{twice}: {error}");
            assert!(!error.contains("k-123") && !error.contains(&hex), "{error}");
        }
    }

    #[test]
    fn keys_come_from_the_header_before_the_query() {
        let both = Request::new(Method::Get, "/x?key=from-query").with_header("X-API-Key", "from-header");
        assert_eq!(presented_key(&both).as_deref(), Some("from-header"));
        let query = Request::new(Method::Get, "/x?a=1&key=a%2Bb");
        assert_eq!(presented_key(&query).as_deref(), Some("a+b"));
        assert_eq!(presented_key(&Request::new(Method::Get, "/x?keys=1")), None);
    }
}
