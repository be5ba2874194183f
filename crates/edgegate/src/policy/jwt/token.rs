//! A compact JWS (RFC 7515) taken apart, and the claim checks of RFC 7519
//! that need no key: issuer, audience, expiry, not-before, issued-at,
//! subject. Every failure is one of a few fixed texts: the detail a client
//! gets never quotes its token.

use serde_json::{Map, Value};

use super::settings::ProviderConfig;
use crate::http::base64url_decode;
use crate::platform::SignatureAlgorithm;

/// Longer tokens are refused before any parsing (a browser's cookie-sized
/// limit; real ID tokens are 1–2 KB).
pub const MAX_TOKEN_BYTES: usize = 8192;

/// Why a token is refused: the problem detail, verbatim.
pub type Refusal = &'static str;

/// The token, one of its parts, or a time claim is not well formed.
pub const MALFORMED: Refusal = "The bearer token is malformed.";
/// The token is over [`MAX_TOKEN_BYTES`].
pub const TOO_LARGE: Refusal = "The bearer token is too large.";
/// The token's `alg` is not one the provider accepts.
pub const ALGORITHM: Refusal = "The token's algorithm is not accepted.";
/// No key has the token's `kid`.
pub const UNKNOWN_KEY: Refusal = "The token's signing key is not known.";
/// The key named does not fit the token's algorithm.
pub const KEY_MISMATCH: Refusal = "The token's signing key does not fit its algorithm.";
/// The signature does not verify.
pub const SIGNATURE: Refusal = "The token's signature does not verify.";
/// The token's `iss` is not the provider's issuer.
pub const ISSUER: Refusal = "The token's issuer is not accepted.";
/// The token's `aud` names none of the provider's audiences.
pub const AUDIENCE: Refusal = "The token's audience is not accepted.";
/// The token has no `exp`.
pub const NO_EXPIRY: Refusal = "The token has no expiry.";
/// The token's `exp` has passed (beyond the clock skew).
pub const EXPIRED: Refusal = "The token has expired.";
/// The token's `nbf` is still ahead (beyond the clock skew).
pub const NOT_YET_VALID: Refusal = "The token is not valid yet.";
/// The token's `iat` is ahead (beyond the clock skew).
pub const ISSUED_IN_FUTURE: Refusal = "The token was issued in the future.";
/// The token has no usable `sub`.
pub const NO_SUBJECT: Refusal = "The token has no subject.";

/// A token's parts, decoded; the signature not yet checked.
pub struct Token<'a> {
    /// The header's `alg`, one the provider accepts.
    pub algorithm: SignatureAlgorithm,
    /// The header's `kid`, if any.
    pub kid: Option<String>,
    /// The payload.
    pub claims: Map<String, Value>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a str,
    /// The signature's bytes.
    pub signature: Vec<u8>,
}

impl<'a> Token<'a> {
    /// Splits and decodes `token`, and checks its algorithm is one `allowed`.
    pub fn parse(token: &'a str, allowed: &[SignatureAlgorithm]) -> Result<Token<'a>, Refusal> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TOO_LARGE);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MALFORMED);
        };
        // `header.payload`: what the signature covers.
        let signing_input = &token[..header.len() + 1 + payload.len()];
        let header = json_object(header)?;
        // `crit` names extensions that must be understood: this gateway understands none.
        if header.contains_key("crit") {
            return Err(MALFORMED);
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(MALFORMED),
        };
        let algorithm = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(SignatureAlgorithm::from_name)
            .filter(|a| allowed.contains(a))
            .ok_or(ALGORITHM)?;
        let claims = json_object(payload)?;
        let signature = base64url(signature).filter(|s| !s.is_empty()).ok_or(MALFORMED)?;
        Ok(Token {
            algorithm,
            kid,
            claims,
            signing_input,
            signature,
        })
    }
}

/// A base64url part holding a JSON object. Read as a `Value`, not a derived
/// struct: the one JSON reader the gateway has for settings and keys too,
/// so the wasm carries no second.
fn json_object(part: &str) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice(&base64url(part).ok_or(MALFORMED)?) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(MALFORMED),
    }
}

/// What the claims checks establish: who, and until when.
pub struct Checked {
    /// The token's `sub`.
    pub subject: String,
    /// Milliseconds since the epoch after which the token is refused (its
    /// expiry plus the allowed skew).
    pub good_until_ms: f64,
}

/// Checks the claims against the provider at `now_ms`, in a fixed order.
pub fn check_claims(claims: &Map<String, Value>, provider: &ProviderConfig, now_ms: f64) -> Result<Checked, Refusal> {
    let now = now_ms / 1000.0;
    let skew = provider.clock_skew_s;
    if claims.get("iss").and_then(Value::as_str) != Some(provider.issuer.as_str()) {
        return Err(ISSUER);
    }
    let accepted = |aud: &Value| aud.as_str().is_some_and(|a| provider.audiences.iter().any(|p| p == a));
    let audience_ok = match claims.get("aud") {
        Some(Value::Array(list)) => list.iter().any(accepted),
        Some(aud) => accepted(aud),
        None => false,
    };
    if !audience_ok {
        return Err(AUDIENCE);
    }
    let exp = claims.get("exp").and_then(Value::as_f64).ok_or(NO_EXPIRY)?;
    if now > exp + skew {
        return Err(EXPIRED);
    }
    match claims.get("nbf") {
        None => {}
        Some(nbf) => match nbf.as_f64() {
            Some(nbf) if now + skew >= nbf => {}
            Some(_) => return Err(NOT_YET_VALID),
            None => return Err(MALFORMED),
        },
    }
    match claims.get("iat") {
        None => {}
        Some(iat) => match iat.as_f64() {
            Some(iat) if iat <= now + skew => {}
            Some(_) => return Err(ISSUED_IN_FUTURE),
            None => return Err(MALFORMED),
        },
    }
    let subject = match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if !sub.is_empty() && sub.len() <= 1024 => sub.to_owned(),
        _ => return Err(NO_SUBJECT),
    };
    Ok(Checked {
        subject,
        good_until_ms: (exp + skew) * 1000.0,
    })
}

/// Whether a token grants `wanted`: in `scope` (space-separated, RFC 8693)
/// or `scp` (a list, or a string, as some providers write it).
pub fn grants(claims: &Map<String, Value>, wanted: &str) -> bool {
    let listed = |value: Option<&Value>| match value {
        Some(Value::String(text)) => text.split_ascii_whitespace().any(|s| s == wanted),
        Some(Value::Array(list)) => list.iter().any(|s| s.as_str() == Some(wanted)),
        _ => false,
    };
    listed(claims.get("scope")) || listed(claims.get("scp"))
}

/// A token part's bytes: unpadded base64url, strictly (no padding, no other
/// characters, unused trailing bits zero, so one token has one spelling),
/// by the gateway's one decoder, [`base64url_decode`].
pub fn base64url(text: &str) -> Option<Vec<u8>> {
    base64url_decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_decodes_exactly_and_refuses_everything_else() {
        assert_eq!(base64url("").unwrap(), b"");
        assert_eq!(base64url("Zg").unwrap(), b"f");
        assert_eq!(base64url("Zm8").unwrap(), b"fo");
        assert_eq!(base64url("Zm9v").unwrap(), b"foo");
        assert_eq!(base64url("-_8").unwrap(), [0xfb, 0xff]);
        for bad in ["Zg==", "Z", "Zm9v!", "Zm+v", "Zm/v", "Zh", "Zm9", "Zm9 v", "é"] {
            assert_eq!(base64url(bad), None, "{bad}");
        }
    }
}
