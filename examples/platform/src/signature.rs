//! A request-signature check, as a team would add one to edgegate without
//! touching the core: `X-Signature: sha256=<hex>`, the HMAC-SHA256 of the
//! body under one of the keys its own setting gives (`SIGNATURE_KEYS`), and
//! each signature accepted once (a KV namespace remembers them a day).
//!
//! It is the extension points at work: its spec names its setting and its
//! binding and builds its stage ([`PolicySpec`]); its stage runs after the
//! body is read ([`Phase::Body`]); it reaches KV through an interface of its
//! own ([`SeenSignatures`]), which the worker makes from the `worker`
//! crate's `KvStore` and a host test fakes.
//!
//! ```ignore
//! Route::post("/hooks/orders", orders_hook).public().policy(signed("SEEN_SIGNATURES"))
//! ```

use std::rc::Rc;

use edgegate::digest::{constant_time_eq, sha256};
use edgegate::extract::FromRequest;
use edgegate::http::{hex_decode, hex_encode, Request, Status};
use edgegate::platform::{Binding, BindingKind, Platform, PlatformFuture};
use edgegate::policy::{Build, Phase, PolicyFuture, PolicySpec, RoutePolicy, Setting};
use edgegate::problem::{kinds, ApiError, ProblemKind};
use edgegate::setting::{named_entries, ConfigError, Named};
use serde_json::Value;

/// `SIGNATURE_KEYS`: `{"<signer>": "<secret>", ...}` (a secret: keep it in
/// `.dev.vars` or `wrangler secret put`, never in `wrangler.toml`).
pub const SETTING: Setting = Setting {
    name: "SIGNATURE_KEYS",
    named: false,
};

/// A KV namespace (`[[kv_namespaces]]`): a kind the core does not know.
pub const KV_NAMESPACE: BindingKind = BindingKind {
    section: "[[kv_namespaces]]",
    noun: "KV namespace",
    method: "get",
};

/// The request header that carries the signature.
pub const HEADER: &str = "x-signature";

/// A signature missing, malformed or not of the body under any key.
pub const INVALID_SIGNATURE: ProblemKind = ProblemKind::new(
    "invalid-signature",
    Status(401),
    "The request's X-Signature is missing, malformed, or not the HMAC-SHA256 of its body under a known key.",
);

/// A signature already accepted once.
pub const REPLAYED_SIGNATURE: ProblemKind = ProblemKind::new(
    "replayed-signature",
    Status(409),
    "This signature was accepted before: send each signed request once.",
);

/// What the policy asks of its binding: whether a signature is new (and
/// remember it if so).
pub trait SeenSignatures {
    /// True the first time `signature` is offered; an error when the store fails.
    fn first_time<'a>(&'a self, signature: &'a str) -> PlatformFuture<'a, Result<bool, String>>;
}

impl Binding for dyn SeenSignatures {
    const KIND: BindingKind = KV_NAMESPACE;
}

/// The policy as a route declares it.
pub struct Signed {
    seen: String,
}

/// Requests must carry a valid signature of their body, each once;
/// `seen` is the KV namespace that remembers them.
pub fn signed(seen: &str) -> Signed {
    Signed { seen: seen.to_owned() }
}

/// Who signed the request, for its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer(pub String);

impl<S> FromRequest<S> for Signer {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        request
            .extensions
            .get::<Signer>()
            .cloned()
            .ok_or_else(|| ApiError::internal("Signer read on a route without the signed() policy"))
    }
}

/// The policy documents its problems; the extractor adds nothing.
impl edgegate::openapi::Describe for Signer {}

/// The shortest secret accepted: 256 bits, as HMAC-SHA256's own.
const MIN_SECRET: usize = 32;

/// `SIGNATURE_KEYS`, through the core's one settings reader.
fn parse(text: Option<&str>) -> Result<Named<Vec<u8>>, Vec<String>> {
    let Some(text) = text else {
        return Err(vec!["is not set: a signed route needs at least one key".to_owned()]);
    };
    let keys = named_entries(
        Some(text),
        "a secret",
        |name| format!("`{name}`: "),
        |value| match value {
            Value::String(secret) if secret.len() >= MIN_SECRET && secret.len() <= 1024 => Ok(secret.into_bytes()),
            Value::String(_) => Err(format!("a secret is {MIN_SECRET} to 1024 bytes")),
            _ => Err("must be a secret as a string".to_owned()),
        },
    )?;
    if let Some(name) = keys
        .names()
        .find(|name| name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(vec![format!(
            "a signer's name is 1 to 64 visible ASCII characters, not `{}`",
            name.escape_debug()
        )]);
    }
    if keys.is_empty() {
        return Err(vec!["defines no keys".to_owned()]);
    }
    Ok(keys)
}

impl PolicySpec for Signed {
    fn settings(&self) -> &'static [Setting] {
        &[SETTING]
    }

    fn build(self: Rc<Self>, build: &mut Build<'_>) -> Result<Rc<dyn RoutePolicy>, ConfigError> {
        let keys = build.setting(SETTING, parse)?;
        build.bind(&self.seen, KV_NAMESPACE);
        Ok(Rc::new(SignatureCheck {
            keys,
            seen: self.seen.clone(),
        }))
    }

    fn problems(&self) -> Vec<ProblemKind> {
        vec![INVALID_SIGNATURE, REPLAYED_SIGNATURE, kinds::UNAVAILABLE]
    }
}

/// The stage: checks the signature once the body is read.
struct SignatureCheck {
    keys: Rc<Named<Vec<u8>>>,
    seen: String,
}

impl RoutePolicy for SignatureCheck {
    fn phase(&self) -> Phase {
        Phase::Body
    }

    fn reads_headers(&self) -> &'static [&'static str] {
        &[HEADER]
    }

    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let invalid = |detail: &str| Err(ApiError::of(INVALID_SIGNATURE, detail.to_owned()).into_response());
            let offered = request.headers.get(HEADER).and_then(|v| v.strip_prefix("sha256="));
            let Some(offered) = offered.and_then(hex_decode::<32>) else {
                return invalid("X-Signature must be `sha256=<hex>` of the body.");
            };
            let body = request.body_bytes();
            // Every key is tried, each compared in constant time.
            let signer = self
                .keys
                .iter()
                .filter(|(_, secret)| constant_time_eq(&hmac_sha256(secret, body), &offered))
                .map(|(name, _)| name.to_owned())
                .last();
            let Some(signer) = signer else {
                return invalid("X-Signature is not the signature of this body under any key.");
            };
            let offered = hex_encode(&offered);
            let first = match platform.binding::<dyn SeenSignatures>(&self.seen) {
                Ok(seen) => seen.first_time(&offered).await,
                Err(cause) => Err(cause),
            };
            match first {
                Ok(true) => {
                    request.extensions.insert(Signer(signer));
                    Ok(())
                }
                Ok(false) => {
                    Err(ApiError::of(REPLAYED_SIGNATURE, "This signature was accepted before.").into_response())
                }
                // A check that cannot remember fails closed.
                Err(cause) => Err(
                    ApiError::of(kinds::UNAVAILABLE, "Signatures cannot be checked now; retry shortly.")
                        .with_header("retry-after", "5")
                        .with_internal(format!("signature store `{}`: {cause}", self.seen))
                        .into_response(),
                ),
            }
        })
    }
}

/// HMAC-SHA256 (RFC 2104) on the core's SHA-256.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Vec::with_capacity(64 + message.len());
    inner.extend(block.iter().map(|b| b ^ 0x36));
    inner.extend_from_slice(message);
    let mut outer = Vec::with_capacity(96);
    outer.extend(block.iter().map(|b| b ^ 0x5c));
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex_encode(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex_encode(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
