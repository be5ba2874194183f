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

use crate::gateway::Platform;
use crate::http::{Request, Response};
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
}

/// The future an [`Authenticator`] answers with.
pub type VerdictFuture<'a> = Pin<Box<dyn Future<Output = Verdict> + 'a>>;

/// One way to authenticate. Built once per isolate from settings.
pub trait Authenticator {
    /// This scheme's `WWW-Authenticate` challenge, sent with every 401 of a
    /// route that accepts it.
    fn challenge(&self) -> String;
    /// What a client is told it must send, for the 401's detail.
    fn wants(&self) -> &'static str;
    fn authenticate<'a>(&'a self, request: &'a Request, platform: &'a dyn Platform) -> VerdictFuture<'a>;
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
    /// or the 401 to answer.
    pub async fn admit(&self, request: &Request, platform: &dyn Platform) -> Result<Option<Principal>, Response> {
        let Guard::AnyOf(alternatives) = self else {
            return Ok(None);
        };
        let mut invalid = None;
        for authenticator in alternatives {
            match authenticator.authenticate(request, platform).await {
                Verdict::Authenticated(principal) => return Ok(Some(principal)),
                Verdict::Absent => {}
                Verdict::Invalid(detail) => {
                    invalid.get_or_insert(detail);
                }
            }
        }
        Err(self.unauthorized(invalid))
    }

    fn unauthorized(&self, invalid: Option<String>) -> Response {
        let Guard::AnyOf(alternatives) = self else {
            unreachable!("an open guard admits everyone")
        };
        let challenges: Vec<String> = alternatives.iter().map(|a| a.challenge()).collect();
        let detail = match invalid {
            Some(detail) => detail,
            None => {
                let wanted: Vec<&str> = alternatives.iter().map(|a| a.wants()).collect();
                format!("{} is required.", wanted.join(", or "))
            }
        };
        ApiError::of(kinds::UNAUTHORIZED, detail)
            .with_header("www-authenticate", challenges.join(", "))
            .into_response()
    }
}
