//! Bearer tokens from an identity provider (RFC 7519 JWTs signed with
//! RS*/PS*/ES*/EdDSA), as the Cloud Endpoints seed's `firebase_auth` and
//! Envoy's `jwt_authn` check them:
//!
//! 1. the token comes from `Authorization: Bearer` only, never the query;
//! 2. a token verified before and not yet expired is admitted from a small
//!    per-isolate cache, without another signature check;
//! 3. otherwise its shape and algorithm are checked (HMAC and `none` are
//!    never accepted), then its claims (issuer, audience, expiry,
//!    not-before, issued-at, subject; all within the clock skew), then its
//!    signature against the provider's key with its `kid`, by the
//!    platform's WebCrypto ([`keys`] keeps the JWKS);
//! 4. scopes a route requires are checked last ([`ScopedJwt`]): a valid
//!    token without them is a 403, not a 401.

pub mod keys;
pub mod settings;
pub mod token;

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use super::access::{Authenticator, Principal, Scheme, Verdict, VerdictFuture};
use crate::http::Request;
use crate::platform::{Platform, SignatureAlgorithm};
use keys::{Jwk, KeyError, KeySet};
use settings::ProviderConfig;
use token::{Checked, Token};

/// The header a bearer token arrives in (RFC 6750 §2.1); never the query.
pub const HEADER: &str = "authorization";

/// How many verified tokens an isolate remembers per provider.
const VERIFIED_CAPACITY: usize = 256;

/// One configured provider, as a route's `jwt("<name>")` refers to it.
pub struct JwtProvider {
    name: Rc<str>,
    config: ProviderConfig,
    keys: KeySet,
    verified: RefCell<Vec<Verified>>,
}

/// A token whose signature and claims checked out, until it expires or
/// the key it was verified with leaves the provider's set.
struct Verified {
    hash: u64,
    token: Box<str>,
    principal: Principal,
    good_until_ms: f64,
    kid: Option<Box<str>>,
    algorithm: SignatureAlgorithm,
    /// The set's key it was verified with.
    key: Rc<Jwk>,
}

impl JwtProvider {
    /// The provider `name` with its checked settings; keys are fetched on first use.
    pub fn new(name: &str, config: ProviderConfig) -> JwtProvider {
        let keys = KeySet::new(name, &config.keys, config.cache_ms, config.min_refetch_ms);
        JwtProvider {
            name: Rc::from(name),
            config,
            keys,
            verified: RefCell::new(Vec::new()),
        }
    }

    fn remembered(&self, token: &str, hash: u64, now_ms: f64) -> Option<Principal> {
        let verified = self.verified.borrow();
        let entry = verified.iter().find(|v| v.hash == hash && &*v.token == token)?;
        let current = now_ms <= entry.good_until_ms
            && self
                .keys
                .holds(entry.kid.as_deref(), entry.algorithm, &entry.key, now_ms);
        current.then(|| entry.principal.clone())
    }

    /// Remembers a verified token, with the key (`kid`, algorithm) it was verified with.
    fn remember(&self, token: Verified, now_ms: f64) {
        let mut verified = self.verified.borrow_mut();
        if verified.len() >= VERIFIED_CAPACITY {
            verified.retain(|v| v.good_until_ms >= now_ms);
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
        }
        // Once per token: one checked again (its key's set went stale) replaces its entry.
        match verified
            .iter()
            .position(|v| v.hash == token.hash && v.token == token.token)
        {
            Some(at) => verified[at] = token,
            None => verified.push(token),
        }
    }

    async fn verify(&self, token: &str, platform: &dyn Platform) -> Verdict {
        let now = platform.now_ms();
        let hash = fnv1a(token.as_bytes());
        let (parsed, checked) = match self.check(token, hash, now) {
            Ok(checked) => checked,
            Err(verdict) => return *verdict,
        };
        let (key, jwk) = match self
            .keys
            .key_for(parsed.kid.as_deref(), parsed.algorithm, platform)
            .await
        {
            Ok(found) => found,
            Err(error) => return self.refused_by_keys(error),
        };
        let signed = platform
            .verify(
                &key,
                parsed.algorithm,
                parsed.signing_input.as_bytes(),
                &parsed.signature,
            )
            .await;
        // WebCrypto refuses a signature of the wrong length rather than
        // answering false: either way it does not verify.
        if signed != Ok(true) {
            return Verdict::Invalid(token::SIGNATURE.into());
        }
        self.admit(token, hash, parsed, checked, jwk, now)
    }

    /// What needs no I/O: a remembered token's principal, or the token's
    /// parts and claims checked.
    #[inline(never)]
    fn check<'t>(&self, token: &'t str, hash: u64, now: f64) -> Result<(Token<'t>, Checked), Box<Verdict>> {
        if let Some(principal) = self.remembered(token, hash, now) {
            return Err(Box::new(Verdict::Authenticated(principal)));
        }
        let parsed = Token::parse(token, &self.config.algorithms).map_err(|r| Box::new(Verdict::Invalid(r.into())))?;
        let checked =
            token::check_claims(&parsed.claims, &self.config, now).map_err(|r| Box::new(Verdict::Invalid(r.into())))?;
        Ok((parsed, checked))
    }

    #[inline(never)]
    fn refused_by_keys(&self, error: KeyError) -> Verdict {
        match error {
            KeyError::Unknown => Verdict::Invalid(token::UNKNOWN_KEY.into()),
            KeyError::Mismatch => Verdict::Invalid(token::KEY_MISMATCH.into()),
            KeyError::Unavailable { retry_after_s } => Verdict::Unavailable {
                detail: format!(
                    "The keys of token provider `{}` cannot be fetched right now; retry later.",
                    self.name
                ),
                retry_after_s,
            },
        }
    }

    /// The principal of a token whose signature verified, remembered until it expires.
    #[inline(never)]
    fn admit(&self, token: &str, hash: u64, parsed: Token<'_>, checked: Checked, key: Rc<Jwk>, now: f64) -> Verdict {
        let kid = parsed.kid.as_deref().map(Box::from);
        let principal = Principal {
            id: Rc::from(checked.subject),
            scheme: Scheme::Jwt,
            provider: Some(self.name.clone()),
            claims: Some(Rc::new(Value::Object(parsed.claims))),
        };
        let verified = Verified {
            hash,
            token: token.into(),
            principal: principal.clone(),
            good_until_ms: checked.good_until_ms,
            kid,
            algorithm: parsed.algorithm,
            key,
        };
        self.remember(verified, now);
        Verdict::Authenticated(principal)
    }
}

impl Authenticator for JwtProvider {
    fn challenge(&self) -> String {
        format!("Bearer realm=\"{}\"", self.name)
    }

    fn invalid_challenge(&self) -> String {
        format!("Bearer realm=\"{}\", error=\"invalid_token\"", self.name)
    }

    fn wants(&self) -> &'static str {
        "a bearer token in the Authorization header"
    }

    fn authenticate<'a>(&'a self, request: &'a Request, platform: &'a dyn Platform) -> VerdictFuture<'a> {
        match bearer_token(request) {
            None => Box::pin(std::future::ready(Verdict::Absent)),
            Some(token) => Box::pin(self.verify(token, platform)),
        }
    }
}

/// A provider with scopes a route requires: a valid token without all of
/// them is refused with 403 `insufficient_scope`.
pub struct ScopedJwt {
    /// The provider that verifies the token.
    pub provider: Rc<JwtProvider>,
    /// Scopes the token must grant (`scope` or `scp`), all of them.
    pub scopes: Vec<String>,
}

impl Authenticator for ScopedJwt {
    fn challenge(&self) -> String {
        self.provider.challenge()
    }

    fn invalid_challenge(&self) -> String {
        self.provider.invalid_challenge()
    }

    fn wants(&self) -> &'static str {
        self.provider.wants()
    }

    fn authenticate<'a>(&'a self, request: &'a Request, platform: &'a dyn Platform) -> VerdictFuture<'a> {
        self.provider.authenticate(request, platform)
    }

    fn permits(&self, principal: &Principal) -> Result<(), Verdict> {
        let granted = |scope: &String| match principal.claims.as_deref() {
            Some(Value::Object(claims)) => token::grants(claims, scope),
            _ => false,
        };
        if self.scopes.iter().all(granted) {
            return Ok(());
        }
        let wanted = self.scopes.join(" ");
        Err(Verdict::Forbidden {
            challenge: format!(
                "Bearer realm=\"{}\", error=\"insufficient_scope\", scope=\"{wanted}\"",
                self.provider.name
            ),
            detail: format!("The token lacks the scope this route requires: {wanted}."),
        })
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
pub fn bearer_token(request: &Request) -> Option<&str> {
    let value = request.headers.get(HEADER)?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// FNV-1a: a cheap fingerprint to find a remembered token (the token itself
/// is then compared in full).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
