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

use crate::http::{compact_json, Request, Response};
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
    Jwt {
        /// The provider's name, as the settings' `JWT_PROVIDERS` give it.
        provider: String,
        /// Scopes the token must also carry (`.scopes(&[...])`).
        scopes: Vec<String>,
    },
    /// Callers satisfying any one of these.
    AnyOf(Vec<Access>),
}

/// Anyone may call the route.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::policy::public;
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, RecordingPlatform};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/hello", hello).access(public())]);
/// let gateway = Gateway::new(table, Settings::load(|_: &str| None));
/// let request = Request::new(Method::Get, "/hello");
/// let response = block_on(gateway.handle(request, &(), &RecordingPlatform::default()));
/// assert_eq!(response.status.0, 200);
/// ```
pub fn public() -> Access {
    Access::Public
}

/// Callers must present a configured API key.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::policy::api_key;
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, RecordingPlatform};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/hello", hello).access(api_key())]);
/// // `API_KEYS`: each key names its consumer.
/// let settings = Settings::load(|name: &str| (name == "API_KEYS").then(|| r#"{"dev-key": "dev"}"#.to_owned()));
/// let gateway = Gateway::new(table, settings);
/// let platform = RecordingPlatform::default();
/// let send = |request| block_on(gateway.handle(request, &(), &platform));
/// assert_eq!(send(Request::new(Method::Get, "/hello")).status.0, 401);
/// let with_key = Request::new(Method::Get, "/hello").with_header("x-api-key", "dev-key");
/// assert_eq!(send(with_key).status.0, 200);
/// ```
pub fn api_key() -> Access {
    Access::ApiKey
}

/// Callers must present a valid bearer token from `provider` (a name the
/// settings give an issuer and keys).
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::policy::jwt;
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, RecordingPlatform};
///
/// async fn save() -> &'static str {
///     "saved"
/// }
///
/// let route = Route::post("/items", save).access(jwt("firebase").scopes(&["items:write"]));
/// let table = RouteTable::<()>::new([route]);
/// // `JWT_PROVIDERS` gives the provider its issuer, keys and audiences.
/// let providers = r#"{"firebase": {
///     "issuer": "https://securetoken.google.com/my-project",
///     "jwks_uri": "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
///     "audiences": ["my-project"]
/// }}"#;
/// let settings = Settings::load(|name: &str| (name == "JWT_PROVIDERS").then(|| providers.to_owned()));
/// let gateway = Gateway::new(table, settings);
/// assert!(gateway.misconfiguration().is_none());
/// let request = Request::new(Method::Post, "/items");
/// let response = block_on(gateway.handle(request, &(), &RecordingPlatform::default()));
/// assert_eq!(response.status.0, 401);
/// ```
pub fn jwt(provider: &str) -> Access {
    Access::Jwt {
        provider: provider.to_owned(),
        scopes: Vec::new(),
    }
}

/// Callers satisfying any one of `alternatives`, tried in order.
///
/// ```
/// use edgegate::policy::{any_of, api_key, jwt};
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// // An API key, or a bearer token from the `firebase` provider.
/// let route = Route::get("/hello", hello).access(any_of([api_key(), jwt("firebase")]));
/// let table = RouteTable::<()>::new([route]);
/// assert!(table.is_ok());
/// ```
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

    /// A token must also carry these scopes (`scope` or `scp` claims), on
    /// top of any it already needs; on `any_of`, every token alternative
    /// needs them (a key has no scopes). Where no token can be presented
    /// (`api_key()`, `public()`), nobody is admitted and the gateway reports
    /// the route as misconfigured: scopes are never dropped silently.
    ///
    /// ```
    /// use edgegate::policy::{any_of, api_key, jwt};
    /// use edgegate::routing::{Group, Route, RouteTable};
    ///
    /// async fn create() -> &'static str {
    ///     "created"
    /// }
    ///
    /// // A key, or a token granting `items:write` (else 403 `insufficient_scope`).
    /// let writes = Group::new("/items").access(any_of([api_key(), jwt("firebase").scopes(&["items:write"])]));
    /// let table = RouteTable::<()>::new(writes.routes([Route::post("", create)]));
    /// assert!(table.is_ok());
    /// ```
    pub fn scopes(self, required: &[&str]) -> Access {
        match self {
            Access::Jwt { provider, mut scopes } => {
                for scope in required {
                    if !scopes.iter().any(|s| s == scope) {
                        scopes.push(scope.to_string());
                    }
                }
                Access::Jwt { provider, scopes }
            }
            Access::AnyOf(alternatives) if alternatives.iter().any(Access::takes_tokens) => Access::AnyOf(
                alternatives
                    .into_iter()
                    .map(|a| if a.takes_tokens() { a.scopes(required) } else { a })
                    .collect(),
            ),
            // Scopes nobody can carry: admits no one (see `admits_no_one`).
            _ => Access::AnyOf(Vec::new()),
        }
    }

    /// Whether some alternative takes a bearer token.
    fn takes_tokens(&self) -> bool {
        match self {
            Access::Jwt { .. } => true,
            Access::AnyOf(alternatives) => alternatives.iter().any(Access::takes_tokens),
            _ => false,
        }
    }

    /// Whether no caller can ever pass (an empty `any_of`, or scopes asked
    /// of `api_key()` or `public()`): a declaration mistake, reported.
    pub fn admits_no_one(&self) -> bool {
        match self {
            Access::AnyOf(alternatives) => alternatives.iter().all(Access::admits_no_one),
            _ => false,
        }
    }

    /// Whether it, or any alternative within it, admits no one: one such
    /// alternative beside others is the same mistake (`any_of([jwt(..),
    /// api_key().scopes(..)])`), reported rather than quietly dropped.
    pub(crate) fn declares_no_one(&self) -> bool {
        match self {
            Access::AnyOf(alternatives) => alternatives.is_empty() || alternatives.iter().any(Access::declares_no_one),
            _ => false,
        }
    }
}

/// How a principal authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// An API key (`x-api-key` or `?key=`).
    ApiKey,
    /// A bearer token (JWT).
    Jwt,
}

impl Scheme {
    /// The scheme's name in logs and JSON: `api_key` or `jwt`.
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
    /// A key's consumer, or a token's subject (`sub`).
    pub id: Rc<str>,
    /// How the request authenticated.
    pub scheme: Scheme,
    /// The token's provider (none for a key).
    pub provider: Option<Rc<str>>,
    /// The token's verified payload (none for a key).
    pub claims: Option<Rc<Value>>,
}

impl Principal {
    /// `scheme:provider:id` (the provider empty for a key): one name per
    /// principal, so a token's `sub` never shares a count or a metric with
    /// a key's consumer of the same name.
    pub fn qualified(&self) -> String {
        format!(
            "{}:{}:{}",
            self.scheme.as_str(),
            self.provider.as_deref().unwrap_or(""),
            self.id
        )
    }

    /// The principal a request authenticated as, if its route asked for one.
    pub fn of(request: &Request) -> Option<&Principal> {
        request.extensions.get::<Principal>()
    }

    /// `{"id", "scheme", "provider", "claims"}` (null where there is none):
    /// as `/api/me` answers, upstreams get it and functions see it.
    pub fn to_json(&self) -> String {
        let text = |value: Option<&str>| compact_json(&value.map_or(Value::Null, |v| Value::String(v.to_owned())));
        let claims = self.claims.as_deref().map_or_else(|| "null".to_owned(), compact_json);
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
    /// Credentials of this scheme that name this principal.
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
        /// The `WWW-Authenticate` challenge the 403 carries.
        challenge: String,
        /// What the client is told is missing.
        detail: String,
    },
    /// The scheme cannot decide now (its keys cannot be fetched): not the
    /// client's fault, a 503 to retry.
    Unavailable {
        /// Why the scheme cannot decide, for the 503's detail.
        detail: String,
        /// When to retry, for `Retry-After` (seconds).
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
    /// This scheme's verdict on the request's credentials (the future may fetch keys).
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
                // Joined by hand: `[&str]::join` would be a second copy of
                // the `[String]` one in the wasm (1 KB).
                let mut wanted = String::new();
                for (index, alternative) in alternatives.iter().enumerate() {
                    if index > 0 {
                        wanted.push_str(", or ");
                    }
                    wanted.push_str(alternative.wants());
                }
                format!("{wanted} is required.")
            }
        };
        Err(ApiError::of(kinds::UNAUTHORIZED, detail)
            .with_header("www-authenticate", challenges.join(", "))
            .into_response())
    }
}

/// [`Principal::to_json`]'s shape, for the OpenAPI document of a handler
/// that answers it (`Route::returns::<PrincipalJson>(Status::OK)`).
#[derive(schemars::JsonSchema)]
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
