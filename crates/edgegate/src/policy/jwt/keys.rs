//! A provider's signing keys (its JWKS), kept per isolate as a production
//! gateway must:
//!
//! - fetched on first use, and concurrent first requests share one fetch;
//! - fresh for the response's `max-age` (within 1 min–6 h) or the
//!   provider's `cache_s`; after that the next request refreshes them;
//! - a token naming an unknown key refetches at most once per
//!   `min_refetch_s`, so a flood of random key ids cannot make the worker
//!   hammer the identity provider;
//! - when a refresh fails, the keys already held keep working for up to a
//!   day, and a failed fetch is not retried for 10 s; with no keys at all
//!   the answer is "unavailable, retry after", never "invalid token".
//!
//! Keys are imported into the platform (WebCrypto) once each, on first use.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::policy::access_log::log_line;

use crate::http::{Alphabet, BodyReadError};
use crate::platform::{first, OutboundRequest, Platform, PlatformFuture, SignatureAlgorithm, VerifyingKey};

/// How long a JWKS fetch may take.
const FETCH_TIMEOUT_MS: u32 = 5_000;
/// A JWKS larger than this is refused (real ones are a few KB).
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Bounds on a response's `max-age`.
const MIN_CACHE_MS: f64 = 60_000.0;
const MAX_CACHE_MS: f64 = 6.0 * 3_600_000.0;
/// How long keys stay usable past their freshness while refreshes fail.
const STALE_MS: f64 = 24.0 * 3_600_000.0;
/// How long after a failed fetch the next is tried.
const RETRY_MS: f64 = 10_000.0;

/// One public key of the set, with what a token's algorithm must agree with.
pub struct Jwk {
    kid: Option<String>,
    kty: String,
    crv: Option<String>,
    alg: Option<String>,
    /// Only the public members, as the platform imports them.
    public_json: String,
    imported: RefCell<Vec<(SignatureAlgorithm, VerifyingKey)>>,
}

impl Jwk {
    fn fits(&self, algorithm: SignatureAlgorithm) -> bool {
        let (kty, crv) = algorithm.key_type();
        self.kty == kty && self.crv.as_deref() == crv && self.alg.as_deref().is_none_or(|alg| alg == algorithm.name())
    }
}

/// Where a provider's keys come from.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySource {
    /// A key set fetched from this URL (`jwks_uri`).
    Remote(String),
    /// A key set given in the settings (`jwks`).
    Inline(Value),
}

/// The signing keys of a JWKS document (`{"keys": [..]}`): RSA, EC and OKP
/// keys whose `use` is absent or `sig` and whose `key_ops`, if any, include
/// `verify` (RFC 7517 §4.2, §4.3); others are skipped, as is a key whose
/// `use`, `key_ops` or `alg` is not of its type (it says nothing we can
/// trust). Only the public members are kept, so a private key given by
/// mistake is never imported.
pub fn parse_jwks(jwks: &Value) -> Result<Vec<Rc<Jwk>>, String> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("must be an object with a `keys` array")?;
    let text = |key: &Value, name: &str| key.get(name).and_then(Value::as_str).map(str::to_owned);
    let mut usable = Vec::new();
    for key in keys {
        let for_signatures = match key.get("use") {
            None => true,
            Some(usage) => usage.as_str() == Some("sig"),
        };
        let verifies = match key.get("key_ops") {
            None => true,
            Some(ops) => ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify"))),
        };
        let alg_readable = key.get("alg").is_none_or(Value::is_string);
        if !for_signatures || !verifies || !alg_readable {
            continue;
        }
        let (Some(kty), crv) = (text(key, "kty"), text(key, "crv")) else {
            continue;
        };
        // Written by hand from base64url members (nothing to escape): the
        // public members only, as the platform imports them.
        let member = |name: &str| text(key, name).filter(|v| in_base64url_alphabet(v));
        let curve = crv.as_deref().filter(|c| in_base64url_alphabet(c));
        let public = match kty.as_str() {
            "RSA" => match (member("n"), member("e")) {
                (Some(n), Some(e)) => format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#),
                _ => continue,
            },
            "EC" => match (curve, member("x"), member("y")) {
                (Some(crv), Some(x), Some(y)) => format!(r#"{{"kty":"EC","crv":"{crv}","x":"{x}","y":"{y}"}}"#),
                _ => continue,
            },
            "OKP" => match (curve, member("x")) {
                (Some(crv), Some(x)) => format!(r#"{{"kty":"OKP","crv":"{crv}","x":"{x}"}}"#),
                _ => continue,
            },
            _ => continue,
        };
        usable.push(Rc::new(Jwk {
            kid: text(key, "kid"),
            kty,
            crv,
            alg: text(key, "alg"),
            public_json: public,
            imported: RefCell::new(Vec::new()),
        }));
    }
    Ok(usable)
}

/// Whether a JWK member is written in base64url's characters (curve names
/// are too: letters, digits and `-`), so it goes into JSON as it is. A
/// character check, not a decode: the platform decodes the members when it
/// imports the key and is the judge of whether they make one (a curve name
/// such as `P-256` is not base64url at all).
fn in_base64url_alphabet(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| Alphabet::UrlSafe.contains(b))
}

/// Why no key verifies a token.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyError {
    /// No key with the token's `kid` (after the refetch allowed).
    Unknown,
    /// The key named has another type, curve or algorithm.
    Mismatch,
    /// No keys could be had; retry after this many seconds.
    Unavailable {
        /// Seconds until a fetch may be tried again (at least 1).
        retry_after_s: u32,
    },
}

/// A provider's key set and its cache state.
pub struct KeySet {
    provider: Rc<str>,
    uri: Option<String>,
    cache_ms: f64,
    min_refetch_ms: f64,
    state: RefCell<State>,
}

struct State {
    keys: Vec<Rc<Jwk>>,
    loaded: bool,
    fresh_until: f64,
    usable_until: f64,
    /// When the last fetch that brought a set ended: an unknown kid refetches
    /// at most once per interval from it (a failed fetch says nothing of
    /// the keys; `retry_at` spaces those).
    last_fetch: f64,
    /// When the last fetch that landed nothing began (its request went
    /// away mid-fetch): counted as a fetch by the interval, so a flood of
    /// requests that each leave mid-fetch cannot refetch at every one.
    unlanded_at: f64,
    /// No fetch before this (after a failure).
    retry_at: f64,
    /// A fetch is in progress: other requests wait for it instead of fetching.
    fetching: bool,
    /// When it began, and which it is (a count of fetches).
    fetch_started: f64,
    fetches: u64,
}

impl State {
    /// Whether a fetch is in progress now: one begun longer ago than its
    /// timeout allows is a request that went quiet (its client left, and
    /// the runtime has not dropped it yet), and the next request fetches.
    fn fetching_at(&self, now: f64) -> bool {
        self.fetching && now - self.fetch_started <= FETCH_TIMEOUT_MS as f64 + 1000.0
    }
}

/// How often a request waiting for another's fetch looks again. It looks
/// rather than being woken: the Workers runtime cancels a request that waits
/// on another request's I/O with nothing of its own pending, and a timer is
/// its own.
const WAIT_STEP_MS: u32 = 5;

/// Ends a fetch however its leader stops (done, or dropped mid-fetch), so
/// no follower waits for it longer than the fetch's timeout; a fetch taken
/// over since (`fetch`: which it was) leaves the newer one running. One
/// dropped before it landed is noted (`started`: when it began).
struct Landing<'a> {
    set: &'a KeySet,
    fetch: u64,
    started: f64,
    landed: bool,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let mut state = self.set.state.borrow_mut();
        if state.fetches == self.fetch {
            state.fetching = false;
            if !self.landed {
                state.unlanded_at = self.started;
            }
        }
    }
}

enum Step {
    Found(Rc<Jwk>),
    Refuse(KeyError),
    Fetch,
    Wait,
}

impl KeySet {
    /// A provider's key set: fetched from `source`'s URL when needed, or given inline.
    pub fn new(provider: &str, source: &KeySource, cache_ms: f64, min_refetch_ms: f64) -> KeySet {
        let (uri, keys) = match source {
            KeySource::Remote(uri) => (Some(uri.clone()), Vec::new()),
            KeySource::Inline(jwks) => (None, parse_jwks(jwks).unwrap_or_default()),
        };
        let inline = uri.is_none();
        KeySet {
            provider: Rc::from(provider),
            uri,
            cache_ms,
            min_refetch_ms,
            state: RefCell::new(State {
                keys,
                loaded: inline,
                fresh_until: if inline { f64::INFINITY } else { 0.0 },
                usable_until: if inline { f64::INFINITY } else { 0.0 },
                last_fetch: f64::NEG_INFINITY,
                unlanded_at: f64::NEG_INFINITY,
                retry_at: 0.0,
                fetching: false,
                fetch_started: 0.0,
                fetches: 0,
            }),
        }
    }

    /// The imported key for a token's `kid` and algorithm, with the set's
    /// key it was imported from (what a remembered verification holds on to).
    pub fn key_for<'a>(
        &'a self,
        kid: Option<&'a str>,
        algorithm: SignatureAlgorithm,
        platform: &'a dyn Platform,
    ) -> PlatformFuture<'a, Result<(VerifyingKey, Rc<Jwk>), KeyError>> {
        Box::pin(self.find_key(kid, algorithm, platform))
    }

    async fn find_key(
        &self,
        kid: Option<&str>,
        algorithm: SignatureAlgorithm,
        platform: &dyn Platform,
    ) -> Result<(VerifyingKey, Rc<Jwk>), KeyError> {
        // Each step answers, fetches (once: what it brought is looked at
        // next), or waits for another's fetch — at most three times: it
        // landed (the next step sees its keys, or its failure's retry
        // time), or its request went away with it and this one fetches.
        let (mut fetched, mut waits) = (false, 0);
        loop {
            match self.next_step(kid, algorithm, platform.now_ms(), fetched) {
                Step::Found(jwk) => return self.import(&jwk, algorithm, platform).await.map(|key| (key, jwk)),
                Step::Refuse(error) => return Err(error),
                Step::Fetch if !fetched => {
                    self.fetch(platform).await;
                    fetched = true;
                }
                Step::Wait if waits < 3 => {
                    self.wait(platform).await;
                    waits += 1;
                }
                Step::Fetch | Step::Wait => return Err(self.unavailable(platform.now_ms())),
            }
        }
    }

    fn next_step(&self, kid: Option<&str>, algorithm: SignatureAlgorithm, now: f64, fetched: bool) -> Step {
        let state = self.state.borrow();
        let usable = state.loaded && now < state.usable_until;
        let found = if usable {
            find(&state.keys, kid, algorithm)
        } else {
            Err(KeyError::Unknown)
        };
        if self.uri.is_none() {
            return match found {
                Ok(jwk) => Step::Found(jwk),
                Err(error) => Step::Refuse(error),
            };
        }
        let may_fetch = now >= state.retry_at;
        let fetching = state.fetching_at(now);
        match (fetching, found) {
            // A key in hand is used even while a refresh runs.
            (_, Ok(jwk)) if usable && (now < state.fresh_until || !may_fetch || fetching) => Step::Found(jwk),
            (true, _) => Step::Wait,
            (false, _) if !usable => {
                if may_fetch && !fetched {
                    Step::Fetch
                } else {
                    Step::Refuse(self.unavailable_in(&state, now))
                }
            }
            // Fresh keys lack the kid: refetch, at most once per interval.
            // While the provider's last fetch failed (this request's own,
            // or one it may not retry yet), the kid may be its new key: the
            // gateway cannot tell, and the caller is not blamed.
            (false, Err(KeyError::Unknown)) => {
                let last = state.last_fetch.max(state.unlanded_at);
                if !fetched && may_fetch && now - last >= self.min_refetch_ms {
                    Step::Fetch
                } else if now < state.retry_at {
                    Step::Refuse(self.unavailable_in(&state, now))
                } else if state.unlanded_at > state.last_fetch {
                    // The last refetch went away with its request: the
                    // kid may be the provider's new key, not the caller's
                    // mistake — retry once the interval allows a fetch.
                    let wait_ms = (state.unlanded_at + self.min_refetch_ms - now).max(1000.0);
                    Step::Refuse(KeyError::Unavailable {
                        retry_after_s: (wait_ms / 1000.0).ceil() as u32,
                    })
                } else {
                    Step::Refuse(KeyError::Unknown)
                }
            }
            (false, Err(error)) => Step::Refuse(error),
            // Stale keys, and a refresh whose request went away began
            // within the interval: the keys in hand serve until it passes.
            (false, Ok(jwk)) if now - state.unlanded_at < self.min_refetch_ms => Step::Found(jwk),
            // Stale keys and a fetch is allowed: this request refreshes them.
            (false, Ok(_)) => Step::Fetch,
        }
    }

    /// Whether the set, fresh now, would still verify a token with `kid`
    /// and `algorithm` with `key`, the key it was verified with: a
    /// remembered verification ends when its key leaves the set — its
    /// material, whatever the token names (a token without `kid` fits
    /// another key of a new set; a provider may reuse a `kid`) — and is not
    /// used on a stale set (the token's full check then refreshes the set,
    /// or uses it stale while the provider is down).
    pub fn holds(&self, kid: Option<&str>, algorithm: SignatureAlgorithm, key: &Jwk, now: f64) -> bool {
        let state = self.state.borrow();
        state.loaded
            && now < state.fresh_until
            && find(&state.keys, kid, algorithm).is_ok_and(|found| found.public_json == key.public_json)
    }

    fn unavailable(&self, now: f64) -> KeyError {
        self.unavailable_in(&self.state.borrow(), now)
    }

    fn unavailable_in(&self, state: &State, now: f64) -> KeyError {
        let wait_ms = (state.retry_at - now).max(1000.0);
        KeyError::Unavailable {
            retry_after_s: (wait_ms / 1000.0).ceil() as u32,
        }
    }

    /// Waits (on timers of this request's own) until another request's fetch ends.
    async fn wait(&self, platform: &dyn Platform) {
        let mut waited = 0;
        while self.state.borrow().fetching_at(platform.now_ms()) && waited <= FETCH_TIMEOUT_MS {
            platform.sleep(WAIT_STEP_MS).await;
            waited += WAIT_STEP_MS;
        }
    }

    /// Fetches the set as the one request doing so; others wait for it.
    async fn fetch(&self, platform: &dyn Platform) {
        let started = platform.now_ms();
        let this_fetch = {
            let mut state = self.state.borrow_mut();
            state.fetching = true;
            state.fetch_started = started;
            state.fetches += 1;
            state.fetches
        };
        let mut landing = Landing {
            set: self,
            fetch: this_fetch,
            started,
            landed: false,
        };
        let uri = self.uri.as_deref().expect("only remote sets are fetched");
        let outcome = download(uri, platform).await;
        // One taken over meanwhile lands nothing: the newer fetch's set stands.
        if self.state.borrow().fetches == this_fetch {
            self.land(outcome, platform);
        }
        landing.landed = true;
    }

    /// Keeps what a fetch brought, or logs why it failed and when to retry.
    #[inline(never)]
    fn land(&self, outcome: Result<(Vec<Rc<Jwk>>, Option<f64>), String>, platform: &dyn Platform) {
        let now = platform.now_ms();
        let mut state = self.state.borrow_mut();
        match outcome {
            Ok((keys, max_age_ms)) => {
                let fresh_ms = max_age_ms.map_or(self.cache_ms, |ms| ms.clamp(MIN_CACHE_MS, MAX_CACHE_MS));
                state.keys = keys;
                state.loaded = true;
                state.fresh_until = now + fresh_ms;
                state.usable_until = now + fresh_ms + STALE_MS;
                state.retry_at = 0.0;
                state.last_fetch = now;
            }
            Err(cause) => {
                state.retry_at = now + RETRY_MS;
                let kept = if state.loaded && now < state.usable_until {
                    "true"
                } else {
                    "false"
                };
                let fields = [("provider", &*self.provider), ("error", &cause), ("keys_kept", kept)];
                platform.log(&log_line("warn", "JWKS fetch failed", &fields));
            }
        }
    }

    async fn import(
        &self,
        jwk: &Jwk,
        algorithm: SignatureAlgorithm,
        platform: &dyn Platform,
    ) -> Result<VerifyingKey, KeyError> {
        if let Some((_, key)) = jwk.imported.borrow().iter().find(|(a, _)| *a == algorithm) {
            return Ok(key.clone());
        }
        match platform.import_key(&jwk.public_json, algorithm).await {
            Ok(key) => {
                jwk.imported.borrow_mut().push((algorithm, key.clone()));
                Ok(key)
            }
            Err(cause) => {
                // The provider published a key the runtime cannot use: not the client's fault.
                let kid = jwk.kid.as_deref().unwrap_or("");
                let fields = [("provider", &*self.provider), ("kid", kid), ("error", &cause)];
                platform.log(&log_line("error", "a JWKS key could not be imported", &fields));
                Err(KeyError::Unavailable { retry_after_s: 60 })
            }
        }
    }
}

/// The key a token names: by `kid`, else the only key that fits.
fn find(keys: &[Rc<Jwk>], kid: Option<&str>, algorithm: SignatureAlgorithm) -> Result<Rc<Jwk>, KeyError> {
    let mut named = keys
        .iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .peekable();
    if named.peek().is_none() {
        return Err(KeyError::Unknown);
    }
    let mut fitting = named.filter(|k| k.fits(algorithm));
    match (fitting.next(), fitting.next()) {
        (Some(key), None) => Ok(key.clone()),
        (None, _) => Err(KeyError::Mismatch),
        // A token without `kid` where several keys fit: which one signed it
        // is not said, and the gateway does not guess.
        (Some(_), Some(_)) => Err(KeyError::Unknown),
    }
}

/// Fetches and parses a JWKS, with the response's `max-age` if it has one.
async fn download(uri: &str, platform: &dyn Platform) -> Result<(Vec<Rc<Jwk>>, Option<f64>), String> {
    let started = platform.now_ms();
    let request = OutboundRequest::get(uri, FETCH_TIMEOUT_MS).with_header("accept", "application/json");
    let response = platform.fetch(request).await.map_err(|e| e.to_string())?;
    let status = response.status;
    let max_age_ms = response.header("cache-control").and_then(max_age).map(|s| s * 1000.0);
    let body = if status == 200 {
        // Within what is left of the fetch's time: a provider that sends
        // its head and then stalls is as slow as one that never answers.
        let left_ms = (started + FETCH_TIMEOUT_MS as f64 - platform.now_ms()).max(1.0);
        match first(
            response.body.read(MAX_JWKS_BYTES),
            platform.sleep(left_ms.ceil() as u32),
        )
        .await
        {
            Ok(read) => read,
            Err(()) => return Err(format!("timed out: no whole answer within {FETCH_TIMEOUT_MS} ms")),
        }
    } else {
        Ok(Vec::new())
    };
    Ok((key_set_from(status, body)?, max_age_ms))
}

/// The keys of a fetched JWKS answer, or why there are none. Apart from the
/// fetch so the waiting code stays small.
#[inline(never)]
fn key_set_from(status: u16, body: Result<Vec<u8>, BodyReadError>) -> Result<Vec<Rc<Jwk>>, String> {
    if status != 200 {
        return Err(format!("status {status}"));
    }
    let body = body.map_err(|e| match e {
        BodyReadError::TooLarge => format!("larger than {MAX_JWKS_BYTES} bytes"),
        BodyReadError::Failed(cause) | BodyReadError::Internal(cause) => cause,
    })?;
    let jwks: Value = serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))?;
    let keys = parse_jwks(&jwks)?;
    if keys.is_empty() {
        return Err("no usable signing key in the set".into());
    }
    Ok(keys)
}

/// `max-age` of a `Cache-Control` value, in seconds.
fn max_age(value: &str) -> Option<f64> {
    value.split(',').find_map(|directive| {
        let (name, seconds) = directive.trim().split_once('=')?;
        name.eq_ignore_ascii_case("max-age")
            .then(|| seconds.trim().parse::<u32>().ok())
            .flatten()
            .map(f64::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_keys_meant_for_verifying_signatures_are_kept() {
        let rsa = |extra: Value| {
            let mut key = json!({"kty": "RSA", "n": "bW9kdWx1cw", "e": "AQAB"});
            key.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            key
        };
        for (extra, kept) in [
            (json!({}), true),
            (json!({"use": "sig"}), true),
            (json!({"key_ops": ["verify"]}), true),
            (json!({"key_ops": ["sign", "verify"], "use": "sig"}), true),
            (json!({"use": "enc"}), false),
            (json!({"use": ["sig"]}), false),
            (json!({"key_ops": ["encrypt"]}), false),
            (json!({"key_ops": "verify"}), false),
            (json!({"alg": 256}), false),
        ] {
            let keys = parse_jwks(&json!({ "keys": [rsa(extra.clone())] })).unwrap();
            assert_eq!(keys.len(), usize::from(kept), "{extra}");
        }
    }

    #[test]
    fn a_private_key_given_by_mistake_is_imported_as_its_public_members_only() {
        let private = json!({"keys": [
            {"kty": "RSA", "kid": "r", "n": "bW9kdWx1cw", "e": "AQAB", "d": "c2VjcmV0", "p": "cA", "q": "cQ", "dp": "ZHA", "dq": "ZHE", "qi": "cWk"},
            {"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ", "d": "c2VjcmV0"},
            {"kty": "OKP", "crv": "Ed25519", "x": "eA", "d": "c2VjcmV0"},
        ]});
        let keys = parse_jwks(&private).unwrap();
        let imported: Vec<&str> = keys.iter().map(|key| key.public_json.as_str()).collect();
        assert_eq!(
            imported,
            [
                r#"{"kty":"RSA","n":"bW9kdWx1cw","e":"AQAB"}"#,
                r#"{"kty":"EC","crv":"P-256","x":"eA","y":"eQ"}"#,
                r#"{"kty":"OKP","crv":"Ed25519","x":"eA"}"#,
            ]
        );
    }
}
