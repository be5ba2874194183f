//! Who may call a route, as a value: [`public()`], [`api_key()`],
//! [`jwt("firebase")`](jwt), and [`any_of`] for alternatives ("an API key
//! **or** a token", as the Cloud Endpoints seed's `/api/goodbye` says).
//!
//! Each scheme is an [`Authenticator`] in its own file. The gateway resolves
//! every route's access against the configured authenticators once per
//! isolate ([`Guard`]), and per request tries the alternatives in order: the
//! first that authenticates gives the request its [`Principal`].

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde_json::Value;

use crate::http::{Request, Response};
use crate::platform::Platform;
use crate::problem::kinds;
use crate::problem::ApiError;

/// Who may call a route. Every route must say; there is no default, so a
/// forgotten choice fails the route table's build rather than opening a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone (subject to IP rules).
    Public,
    /// Callers presenting a configured API key (`x-api-key` or `?key=`).
    ApiKey,
    /// Callers presenting a bearer token from this provider, with these scopes.
    Jwt { provider: String, scopes: Vec<String> },
    /// Callers satisfying any one of these.
    AnyOf(Vec<Access>),
}

/// Anyone may call the route.
pub fn public() -> Access {
    Access::Public
}

/// Callers must present a configured API key.
pub fn api_key() -> Access {
    Access::ApiKey
}

/// Callers must present a valid bearer token from `provider` (a name the
/// settings give an issuer and keys).
pub fn jwt(provider: &str) -> Access {
    Access::Jwt {
        provider: provider.to_owned(),
        scopes: Vec::new(),
    }
}

/// Callers satisfying any one of `alternatives`, tried in order.
pub fn any_of(alternatives: impl IntoIterator<Item = Access>) -> Access {
    Access::AnyOf(alternatives.into_iter().collect())
}

impl Access {
    /// The token providers this access names, added to `into` once each.
    pub fn providers<'a>(&'a self, into: &mut Vec<&'a str>) {
        match self {
            Access::Jwt { provider, .. } if !into.contains(&provider.as_str()) => into.push(provider),
            Access::AnyOf(alternatives) => alternatives.iter().for_each(|a| a.providers(into)),
            _ => {}
        }
    }

    /// A required scope that is not an RFC 6749 scope token (it would break
    /// the `WWW-Authenticate` header it is named in), if there is one.
    pub fn invalid_scope(&self) -> Option<&str> {
        let valid = |s: &String| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        match self {
            Access::Jwt { scopes, .. } => scopes.iter().find(|s| !valid(s)).map(String::as_str),
            Access::AnyOf(alternatives) => alternatives.iter().find_map(Access::invalid_scope),
            _ => None,
        }
    }

    /// A token must also carry these scopes (`scope` or `scp` claims).
    pub fn scopes(self, required: &[&str]) -> Access {
        match self {
            Access::Jwt { provider, .. } => Access::Jwt {
                provider,
                scopes: required.iter().map(|s| s.to_string()).collect(),
            },
            other => other,
        }
    }
}

/// How a principal authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    ApiKey,
    Jwt,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::ApiKey => "api_key",
            Scheme::Jwt => "jwt",
        }
    }
}

/// Who a request authenticated as: a key's consumer, or a token's subject
/// with its provider and claims. Kept in the request's extensions; handlers
/// extract it.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub id: Rc<str>,
    pub scheme: Scheme,
    pub provider: Option<Rc<str>>,
    pub claims: Option<Rc<Value>>,
}

impl Principal {
    /// The principal a request authenticated as, if its route asked for one.
    pub fn of(request: &Request) -> Option<&Principal> {
        request.extensions.get::<Principal>()
    }

    /// `{"id", "scheme", "provider", "claims"}` (null where there is none):
    /// as `/api/me` answers, upstreams get it and functions see it.
    pub fn to_json(&self) -> String {
        let text = |value: Option<&str>| value.map_or(Value::Null, |v| Value::String(v.to_owned())).to_string();
        let claims = self
            .claims
            .as_deref()
            .map_or_else(|| "null".to_owned(), Value::to_string);
        format!(
            r#"{{"id":{},"scheme":"{}","provider":{},"claims":{claims}}}"#,
            text(Some(&self.id)),
            self.scheme.as_str(),
            text(self.provider.as_deref()),
        )
    }
}

/// What one scheme says of a request.
pub enum Verdict {
    Authenticated(Principal),
    /// The request carries no credentials of this scheme (or, for API keys,
    /// none that match: a wrong key is answered as a missing one).
    Absent,
    /// Credentials of this scheme that fail a check: the detail says which,
    /// never quoting them.
    Invalid(String),
    /// Valid credentials without a permission the route requires (a token's
    /// scope): 403 with this challenge.
    Forbidden {
        challenge: String,
        detail: String,
    },
    /// The scheme cannot decide now (its keys cannot be fetched): not the
    /// client's fault, a 503 to retry.
    Unavailable {
        detail: String,
        retry_after_s: u32,
    },
}

/// The future an [`Authenticator`] answers with.
pub type VerdictFuture<'a> = Pin<Box<dyn Future<Output = Verdict> + 'a>>;

/// One way to authenticate. Built once per isolate from settings.
pub trait Authenticator {
    /// This scheme's `WWW-Authenticate` challenge, sent with every 401 of a
    /// route that accepts it.
    fn challenge(&self) -> String;
    /// The challenge when this scheme found the credentials invalid (RFC 6750's
    /// `error="invalid_token"` for tokens).
    fn invalid_challenge(&self) -> String {
        self.challenge()
    }
    /// What a client is told it must send, for the 401's detail.
    fn wants(&self) -> &'static str;
    fn authenticate<'a>(&'a self, request: &'a Request, platform: &'a dyn Platform) -> VerdictFuture<'a>;
    /// Whether the authenticated principal may call this route (a token's
    /// scopes): `Forbidden` if not. Everyone authenticated may, by default.
    fn permits(&self, _principal: &Principal) -> Result<(), Verdict> {
        Ok(())
    }
}

/// A route's access resolved against the configured authenticators.
#[derive(Clone, Default)]
pub enum Guard {
    /// Public: nothing to check.
    #[default]
    Open,
    /// Any one of these must authenticate the request.
    AnyOf(Vec<Rc<dyn Authenticator>>),
}

impl Guard {
    /// The principal the request authenticated as (none on a public route),
    /// or the answer: the first alternative that authenticates wins; else a
    /// 403 for a valid token lacking scope, a 503 when a scheme could not
    /// decide, a 401 for invalid credentials or none.
    pub async fn admit(&self, request: &Request, platform: &dyn Platform) -> Result<Option<Principal>, Response> {
        let Guard::AnyOf(alternatives) = self else {
            return Ok(None);
        };
        let mut invalid: Option<(usize, String)> = None;
        let mut forbidden = None;
        let mut unavailable = None;
        for (index, authenticator) in alternatives.iter().enumerate() {
            match authenticator.authenticate(request, platform).await {
                Verdict::Authenticated(principal) => match authenticator.permits(&principal) {
                    Ok(()) => return Ok(Some(principal)),
                    Err(Verdict::Forbidden { challenge, detail }) => {
                        forbidden.get_or_insert((challenge, detail));
                    }
                    Err(_) => unreachable!("permits answers Forbidden"),
                },
                Verdict::Absent => {}
                Verdict::Invalid(detail) => {
                    invalid.get_or_insert((index, detail));
                }
                Verdict::Forbidden { challenge, detail } => {
                    forbidden.get_or_insert((challenge, detail));
                }
                Verdict::Unavailable { detail, retry_after_s } => {
                    unavailable.get_or_insert((detail, retry_after_s));
                }
            }
        }
        if let Some((challenge, detail)) = forbidden {
            let error = ApiError::of(kinds::INSUFFICIENT_SCOPE, detail).with_header("www-authenticate", challenge);
            return Err(error.into_response());
        }
        if let Some((detail, retry_after_s)) = unavailable {
            let error = ApiError::of(kinds::CREDENTIALS_UNVERIFIABLE, detail)
                .with_header("retry-after", retry_after_s.to_string());
            return Err(error.into_response());
        }
        let challenges: Vec<String> = alternatives
            .iter()
            .enumerate()
            .map(|(index, a)| match &invalid {
                Some((which, _)) if *which == index => a.invalid_challenge(),
                _ => a.challenge(),
            })
            .collect();
        let detail = match invalid {
            Some((_, detail)) => detail,
            None => {
                let wanted: Vec<&str> = alternatives.iter().map(|a| a.wants()).collect();
                format!("{} is required.", wanted.join(", or "))
            }
        };
        Err(ApiError::of(kinds::UNAUTHORIZED, detail)
            .with_header("www-authenticate", challenges.join(", "))
            .into_response())
    }
}

/// [`Principal::to_json`]'s shape, for the OpenAPI document of a handler
/// that answers it (`Route::returns::<PrincipalJson>(Status::OK)`).
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[allow(dead_code)]
pub struct PrincipalJson {
    /// A key's consumer, or a token's subject.
    id: String,
    /// `api_key` or `jwt`.
    scheme: String,
    /// The token's provider (null for a key).
    provider: Option<String>,
    /// The token's verified payload (null for a key).
    claims: Option<serde_json::Map<String, Value>>,
}
