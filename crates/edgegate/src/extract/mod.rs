//! Typed extraction: a handler names what it needs (`Path<T>`, `Query<T>`,
//! `Json<T>`, ...) and the gateway builds each from the request before the
//! handler runs. A value that cannot be built answers with a problem naming
//! exactly what was wrong, and the handler never runs.
//!
//! Extraction is synchronous: the gateway has read the body (within the
//! route's limit) before any extractor looks at it.

mod body;
mod de;
mod event;
mod log;

use std::rc::Rc;

use serde::de::DeserializeOwned;

use crate::http::{parse_query, Headers, Method, Request};
use crate::policy::{Principal, Scheme};
use crate::problem::kinds;
use crate::problem::ApiError;

pub use body::{unencoded, Bytes, EventBody, Json, Object};
pub use de::{PairsDeserializer, PairsError};
pub use event::{FunctionEvent, StringMap};
pub use log::Log;

/// Builds a value from the request (and the application state `S`).
///
/// ```
/// use edgegate::extract::FromRequest;
/// use edgegate::http::Request;
/// use edgegate::problem::ApiError;
/// use edgegate::routing::{Route, RouteTable};
///
/// /// The request's id, for a handler that quotes it.
/// struct RequestId(String);
///
/// impl<S> FromRequest<S> for RequestId {
///     fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
///         Ok(RequestId(request.request_id().to_owned()))
///     }
/// }
///
/// // It adds nothing to the OpenAPI document (no parameter, no problem).
/// impl edgegate::openapi::Describe for RequestId {}
///
/// async fn id(RequestId(id): RequestId) -> String {
///     id
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/id", id).public()]);
/// assert!(table.is_ok());
/// ```
pub trait FromRequest<S>: Sized {
    /// Whether this extractor reads request headers beyond
    /// [`crate::gateway::READ_HEADERS`] (e.g. hands them all to the handler).
    /// A route with such an extractor gets every header; others get only those.
    const READS_ALL_HEADERS: bool = false;

    /// The value, or the problem the request is answered with instead (the handler does not run).
    fn from_request(request: &Request, state: &S) -> Result<Self, ApiError>;
}

/// The route's path parameters, percent-decoded and parsed: a struct by
/// name, a tuple in template order, or a scalar when the route has one.
///
/// ```
/// use edgegate::extract::Path;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn user(Path(id): Path<u64>) -> String {
///     format!("user {id}")
/// }
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Repo {
///     owner: String,
///     name: String,
/// }
///
/// async fn repo(Path(repo): Path<Repo>) -> String {
///     format!("{}/{}", repo.owner, repo.name)
/// }
///
/// let table = RouteTable::<()>::new([
///     Route::get("/users/{id}", user).public(),
///     Route::get("/repos/{owner}/{name}", repo).public(),
/// ]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Path<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Path<T> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        T::deserialize(PairsDeserializer::new(&request.params))
            .map(Path)
            .map_err(|error| path_error(error, &request.params))
    }
}

/// The problem a path parameter that does not fit answers with. Not generic:
/// one copy in the wasm for every `Path<T>`.
#[inline(never)]
fn path_error(error: PairsError, params: &[(Rc<str>, String)]) -> ApiError {
    // Every parameter of the template is there on a matched path: a field
    // missing or unknown, or a count that does not fit (one value for two
    // parameters, a tuple of another length), means the route's template
    // and its `Path` type disagree, which no request can fix (the
    // gateway's 500, logged). A value that does not parse names its field;
    // one a type refused after reading it (`try_from`) names the
    // template's parameter when there is one.
    let (param, detail) = match error {
        PairsError::Missing { .. } | PairsError::Unknown { .. } | PairsError::Shape { .. } => {
            return ApiError::internal(format!(
                "the route's path parameters do not fit its Path extractor: {error}"
            ));
        }
        PairsError::Invalid { field: None, message } => match params {
            [(name, _)] => (Some(name.to_string()), message),
            _ => (None, message),
        },
        PairsError::Invalid { field, message } => (field, message),
    };
    let detail = match &param {
        Some(name) => format!("path parameter `{name}`: {detail}"),
        None => format!("path parameters: {detail}"),
    };
    let error = ApiError::of(kinds::INVALID_PATH_PARAM, detail);
    match param {
        Some(name) => error.with_extension("param", name),
        None => error,
    }
}

/// The query string parsed into `T`: values arrive as strings (`+` and `%xx`
/// decoded) and are parsed into the field's type. Unknown parameters are
/// ignored unless `T` denies them.
///
/// ```
/// use edgegate::extract::Query;
/// use edgegate::routing::{Route, RouteTable};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Search {
///     q: String,
///     page: Option<u32>,
/// }
///
/// // `GET /search?q=pens&page=2`
/// async fn search(Query(search): Query<Search>) -> String {
///     format!("{} (page {})", search.q, search.page.unwrap_or(1))
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/search", search).public()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Query<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Query<T> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        let pairs = query_pairs(request)?;
        T::deserialize(PairsDeserializer::new(&pairs))
            .map(Query)
            .map_err(query_error)
    }
}

/// The problem a query parameter that does not fit answers with; not
/// generic, like [`path_error`].
#[inline(never)]
fn query_error(error: PairsError) -> ApiError {
    let (param, detail) = match &error {
        PairsError::Missing { field } => (Some(field.clone()), format!("query parameter `{field}` is required")),
        PairsError::Unknown { field } => (
            Some(field.clone()),
            format!("query parameter `{field}` is not accepted here"),
        ),
        PairsError::Invalid {
            field: Some(field),
            message,
        } => (Some(field.clone()), format!("query parameter `{field}`: {message}")),
        PairsError::Invalid { field: None, message } | PairsError::Shape { message } => {
            (None, format!("query string: {message}"))
        }
    };
    let error = ApiError::of(kinds::INVALID_QUERY, detail);
    match param {
        Some(name) => error.with_extension("param", name),
        None => error,
    }
}

/// The request's query as decoded `(name, value)` pairs; a parameter whose
/// escapes are not UTF-8 is a 400 naming it. On a request an API key
/// admitted, the `key` parameter is the gateway's: left out.
pub(crate) fn query_pairs(request: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = parse_query(request.query.as_deref().unwrap_or("")).map_err(|e| {
        ApiError::of(
            kinds::INVALID_QUERY,
            format!("query parameter `{}` is not valid UTF-8 after decoding", e.piece),
        )
        .with_extension("param", e.piece)
    })?;
    if Principal::of(request).is_some_and(|p| p.scheme == Scheme::ApiKey) {
        pairs.retain(|(name, _)| name != crate::policy::api_key::QUERY_PARAM);
    }
    Ok(pairs)
}

/// Every request header: a route whose handler takes them gets them all
/// from the adapter, not only the gateway's selection.
///
/// ```
/// use edgegate::http::Headers;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn agent(headers: Headers) -> String {
///     headers.get("user-agent").unwrap_or("unknown").to_owned()
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/agent", agent).public()]);
/// assert!(table.is_ok());
/// ```
impl<S> FromRequest<S> for Headers {
    const READS_ALL_HEADERS: bool = true;

    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(request.headers.clone())
    }
}

/// The request's method: for an `ANY` route, which one it was.
///
/// ```
/// use edgegate::http::Method;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn which(method: Method) -> String {
///     format!("you sent {method}")
/// }
///
/// let table = RouteTable::<()>::new([Route::any("/anything", which).public()]);
/// assert!(table.is_ok());
/// ```
impl<S> FromRequest<S> for Method {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(request.method.clone())
    }
}

/// Who the request authenticated as: a key's consumer or a token's subject,
/// with the scheme (and a token's provider and claims). On a public route
/// there is none: use `Option<Principal>` there.
///
/// ```
/// use edgegate::policy::Principal;
/// use edgegate::routing::{Route, RouteTable};
///
/// // `{"id", "scheme", "provider", "claims"}` of the caller.
/// async fn me(principal: Principal) -> String {
///     principal.to_json()
/// }
///
/// // One handler for a public route and a keyed one.
/// async fn hello(principal: Option<Principal>) -> String {
///     match principal {
///         Some(principal) => format!("Hello, {}!", principal.id),
///         None => "Hello, stranger!".to_owned(),
///     }
/// }
///
/// let table = RouteTable::<()>::new([
///     Route::get("/me", me).api_key(),
///     Route::get("/hello", hello).public(),
///     Route::get("/keyed/hello", hello).api_key(),
/// ]);
/// assert!(table.is_ok());
/// ```
impl<S> FromRequest<S> for Principal {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Principal::of(request)
            .cloned()
            .ok_or_else(|| no_principal(request, "Principal"))
    }
}

impl<S> FromRequest<S> for Option<Principal> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(Principal::of(request).cloned())
    }
}

/// The authenticated principal's id alone (a key's consumer name, a token's
/// subject), for handlers that need no more.
///
/// ```
/// use edgegate::extract::Consumer;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn me(Consumer(name): Consumer) -> String {
///     format!("Hello, {name}!")
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/me", me).api_key()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer(pub String);

impl<S> FromRequest<S> for Consumer {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        match Principal::of(request) {
            Some(principal) => Ok(Consumer(principal.id.to_string())),
            None => Err(no_principal(request, "Consumer")),
        }
    }
}

impl<S> FromRequest<S> for Option<Consumer> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(Principal::of(request).map(|principal| Consumer(principal.id.to_string())))
    }
}

/// A token's claims, typed: `Claims<FirebaseClaims>` deserializes the
/// verified payload. A principal without claims (an API key's) cannot give
/// them: use `Option<Claims<T>>` on routes that take keys too.
///
/// ```
/// use edgegate::extract::Claims;
/// use edgegate::policy::jwt;
/// use edgegate::routing::{Route, RouteTable};
///
/// #[derive(serde::Deserialize)]
/// struct FirebaseClaims {
///     email: String,
/// }
///
/// async fn email(Claims(claims): Claims<FirebaseClaims>) -> String {
///     claims.email
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/email", email).access(jwt("firebase"))]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

impl<S, T: serde::de::DeserializeOwned> FromRequest<S> for Claims<T> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        match Principal::of(request).and_then(|p| p.claims.as_deref()) {
            Some(claims) => typed_claims(claims),
            None => Err(ApiError::internal(format!(
                "handler for {} asks for Claims but the request authenticated without a token",
                request.route().unwrap_or("?")
            ))),
        }
    }
}

impl<S, T: serde::de::DeserializeOwned> FromRequest<S> for Option<Claims<T>> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        match Principal::of(request).and_then(|p| p.claims.as_deref()) {
            Some(claims) => typed_claims(claims).map(Some),
            None => Ok(None),
        }
    }
}

/// A verified token whose claims lack what the handler needs is refused as
/// the client's: its token does not grant this route.
fn typed_claims<T: serde::de::DeserializeOwned>(claims: &serde_json::Value) -> Result<Claims<T>, ApiError> {
    T::deserialize(claims).map(Claims).map_err(|error| {
        ApiError::of(
            kinds::INSUFFICIENT_CLAIMS,
            format!("The token's claims do not fit this route: {error}."),
        )
    })
}

/// A handler asked for who called on a route that lets anyone call: a
/// mistake in the app, answered as the gateway's own failure.
fn no_principal(request: &Request, what: &str) -> ApiError {
    ApiError::internal(format!(
        "handler for {} asks for {what} but the route is public",
        request.route().unwrap_or("?")
    ))
}

/// The application state the adapter passes in (bindings such as a database).
///
/// ```
/// use edgegate::extract::State;
/// use edgegate::routing::{Route, RouteTable};
///
/// #[derive(Clone)]
/// struct AppState {
///     greeting: &'static str,
/// }
///
/// async fn hello(State(state): State<AppState>) -> &'static str {
///     state.greeting
/// }
///
/// let table = RouteTable::<AppState>::new([Route::get("/hello", hello).public()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct State<S>(pub S);

impl<S: Clone> FromRequest<S> for State<S> {
    fn from_request(_request: &Request, state: &S) -> Result<Self, ApiError> {
        Ok(State(state.clone()))
    }
}
