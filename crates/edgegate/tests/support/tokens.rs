//! Bearer tokens for tests: keys, claims and tokens signed with the host
//! platform's stand-in scheme (`RecordingPlatform::sign`), and a provider
//! `firebase` that accepts them.

use edgegate::http::Request;
use edgegate::platform::SignatureAlgorithm;
use edgegate::testing::{FakeAnswer, RecordingPlatform};
use serde_json::{json, Value};

use super::get;

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "edgegate-test";
pub const JWKS: &str = "https://issuer.test/jwks";

/// A test key: its JWK, and the public members as the gateway imports them.
pub struct Key {
    pub kid: &'static str,
    pub jwk: Value,
    pub public: String,
}

pub fn rsa_key(kid: &'static str) -> Key {
    let n = format!("modulus-of-{kid}");
    Key {
        kid,
        jwk: json!({"kty": "RSA", "kid": kid, "use": "sig", "n": n, "e": "AQAB"}),
        public: format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"}}"#),
    }
}

pub fn ec_key(kid: &'static str) -> Key {
    Key {
        kid,
        jwk: json!({"kty": "EC", "kid": kid, "crv": "P-256", "x": "x", "y": "y"}),
        public: r#"{"kty":"EC","crv":"P-256","x":"x","y":"y"}"#.to_owned(),
    }
}

pub fn b64(bytes: &[u8]) -> String {
    edgegate::http::base64url_encode(bytes)
}

/// A token with this header and payload, signed by `key` with `alg`.
pub fn sign(header: Value, claims: Value, key: &Key, alg: SignatureAlgorithm) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = RecordingPlatform::sign(&key.public, alg, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

pub fn now_s(platform: &RecordingPlatform) -> f64 {
    use edgegate::platform::Platform;
    (platform.now_ms() / 1000.0).floor()
}

/// Claims that pass every check at the platform's time.
pub fn claims(platform: &RecordingPlatform) -> Value {
    let now = now_s(platform);
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 3600.0})
}

pub fn token_with(platform: &RecordingPlatform, change: impl FnOnce(&mut Value), key: &Key) -> String {
    let mut payload = claims(platform);
    change(&mut payload);
    sign(
        json!({"alg": "RS256", "kid": key.kid}),
        payload,
        key,
        SignatureAlgorithm::Rs256,
    )
}

/// A `JWT_PROVIDERS` value: the provider `firebase` with these keys (a JWKS
/// URL or a key set) and the `extra` fields.
pub fn providers(keys: Value, extra: Value) -> String {
    let mut provider = json!({"issuer": ISSUER, "audiences": [AUDIENCE]});
    match keys {
        Value::String(uri) => provider["jwks_uri"] = Value::String(uri),
        jwks => provider["jwks"] = jwks,
    }
    for (name, value) in extra.as_object().unwrap() {
        provider[name] = value.clone();
    }
    json!({ "firebase": provider }).to_string()
}

pub fn serve_jwks(platform: &RecordingPlatform, keys: &[&Key], cache_control: Option<&str>) {
    let body = json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()}).to_string();
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(value) = cache_control {
        headers.push(("cache-control".to_owned(), value.to_owned()));
    }
    platform.answer(
        JWKS,
        FakeAnswer::Respond {
            status: 200,
            headers,
            body: body.into_bytes(),
        },
    );
}

pub fn bearer(target: &str, token: &str) -> Request {
    get(target).with_header("authorization", format!("Bearer {token}"))
}
