//! Bearer tokens from an identity provider. Token verification (JWKS,
//! signatures, claims) is not built yet: a route that offers `jwt(..)`
//! answers every token with a 401 and falls back on its other alternatives,
//! so nothing is ever admitted on a token it did not check.

use super::access::{Authenticator, Verdict, VerdictFuture};
use crate::gateway::Platform;
use crate::http::Request;

/// The header a bearer token arrives in (RFC 6750 §2.1); never the query.
pub const HEADER: &str = "authorization";

/// One named provider, as a route's `jwt("<name>")` refers to it.
pub struct JwtProvider {
    name: String,
}

impl JwtProvider {
    pub fn new(name: &str) -> JwtProvider {
        JwtProvider { name: name.to_owned() }
    }
}

impl Authenticator for JwtProvider {
    fn challenge(&self) -> String {
        format!("Bearer realm=\"{}\"", self.name)
    }

    fn wants(&self) -> &'static str {
        "a bearer token in the Authorization header"
    }

    fn authenticate<'a>(&'a self, request: &'a Request, _platform: &'a dyn Platform) -> VerdictFuture<'a> {
        let verdict = match bearer_token(request) {
            None => Verdict::Absent,
            Some(_) => Verdict::Invalid(format!(
                "Bearer tokens from `{}` are not accepted: this gateway does not verify tokens yet.",
                self.name
            )),
        };
        Box::pin(std::future::ready(verdict))
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
pub fn bearer_token(request: &Request) -> Option<&str> {
    let value = request.headers.get(HEADER)?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
