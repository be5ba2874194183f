//! Upstreams: a route that forwards to another service instead of running a
//! handler (ESP's `--backend`, API Gateway's HTTP and Lambda integrations).
//! Every policy of the route (preflight, IP rules, access, the declared body
//! length) runs first. Three kinds:
//!
//! - [`origin`]: an HTTP(S) service whose base URL is `UPSTREAMS[name]`, so
//!   staging and production differ by settings only; the entry may list
//!   several targets with weights, and a canary ([`targets`], [`pool`]);
//! - [`service`]: another Worker through a service binding (`[[services]]`),
//!   plain HTTP, forwarded by the same rules;
//! - [`function`](fn@function): another Worker through a service binding, called with the
//!   gateway event and answering the seeds' response object ([`function`](mod@function)
//!   module).
//!
//! ```ignore
//! Route::any_to("/origin/{*rest}", origin("origin")).access(any_of([api_key(), jwt("firebase")]))
//! Route::any_to("/fn/greet/{*rest}", function("GREETER")).api_key()
//! ```
//!
//! Origin and service bodies stream both ways through the platform
//! ([`crate::http::StreamBody`]): a 50 MB download or upload never sits whole
//! in wasm memory. The forwarding rules are in [`forward`].

pub mod forward;
pub mod function;
pub mod pool;
pub mod targets;

use std::rc::Rc;

use crate::http::{Request, Response};
use crate::platform::Platform;
use pool::Pool;

/// An upstream resolved against its targets, built once per isolate.
pub struct Forwarder {
    /// The upstream's targets and their health, shared by every route that names it.
    pub(crate) pool: Rc<Pool>,
    pub(crate) spec: Upstream,
}

impl Forwarder {
    /// A route's upstream and the pool of its targets.
    pub fn new(spec: Upstream, pool: Rc<Pool>) -> Forwarder {
        Forwarder { pool, spec }
    }

    /// Whether the request body streams to the upstream unread (origins and
    /// services); a function gets it inside its event, so it is read first.
    pub fn streams_body(&self) -> bool {
        self.spec.kind != UpstreamKind::Function
    }

    /// Forwards the request and answers with the upstream's response.
    pub async fn forward(&self, request: &mut Request, platform: &dyn Platform) -> Response {
        match self.spec.kind {
            UpstreamKind::Function => function::invoke(self, request, platform).await,
            UpstreamKind::Origin | UpstreamKind::Service => self.proxy(request, platform).await,
        }
    }
}

/// What is behind an upstream, and how it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamKind {
    /// An HTTP(S) base URL from `UPSTREAMS`.
    Origin,
    /// A Worker behind the service binding of this name, called with the request.
    Service,
    /// A Worker behind the service binding of this name, called with the gateway event.
    Function,
}

/// How the request's path becomes the upstream's (ESPv2's `x-google-backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathTranslation {
    /// The matched catch-all remainder is appended to the upstream's path (default).
    Append,
    /// The upstream's address as it is; the path parameters go into the query.
    Constant,
}

/// A route's upstream, as the route table declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The `UPSTREAMS` name (origins) or the service binding's name.
    pub(crate) name: String,
    pub(crate) kind: UpstreamKind,
    pub(crate) path: PathTranslation,
    pub(crate) timeout_ms: u32,
    pub(crate) pass_authorization: bool,
    pub(crate) retry_idempotent: bool,
}

/// The default time an upstream has to answer (its response head).
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// An HTTP(S) origin whose base URL is `UPSTREAMS[name]`.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, FakeAnswer, RecordingPlatform};
/// use edgegate::upstream::origin;
///
/// let table = RouteTable::<()>::new([Route::any_to("/origin/{*rest}", origin("origin")).public()]);
/// let upstreams = r#"{"origin": "https://origin.example.com/v1"}"#;
/// let settings = Settings::load(|name: &str| (name == "UPSTREAMS").then(|| upstreams.to_owned()));
/// let gateway = Gateway::new(table, settings);
/// let platform = RecordingPlatform::default();
/// let answer = FakeAnswer::Respond { status: 200, headers: vec![], body: b"{}".to_vec() };
/// platform.answer("https://origin.example.com/v1/items/7", answer);
/// let response = block_on(gateway.handle(Request::new(Method::Get, "/origin/items/7"), &(), &platform));
/// assert_eq!(response.status.0, 200);
/// assert_eq!(platform.sent.borrow()[0].url, "https://origin.example.com/v1/items/7");
/// ```
pub fn origin(name: &str) -> Upstream {
    Upstream::of(UpstreamKind::Origin, name)
}

/// A Worker behind the service binding `binding`, sent the request as it is
/// (less what the forwarding rules drop).
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, FakeAnswer, RecordingPlatform};
/// use edgegate::upstream::service;
///
/// let table = RouteTable::<()>::new([Route::any_to("/billing/{*rest}", service("BILLING")).public()]);
/// let gateway = Gateway::new(table, Settings::load(|_: &str| None));
/// let platform = RecordingPlatform::default();
/// let answer = FakeAnswer::Respond { status: 200, headers: vec![], body: b"[]".to_vec() };
/// platform.answer("https://billing/invoices", answer);
/// let response = block_on(gateway.handle(Request::new(Method::Get, "/billing/invoices"), &(), &platform));
/// assert_eq!(response.status.0, 200);
/// assert_eq!(platform.sent.borrow()[0].service.as_deref(), Some("BILLING"));
/// ```
pub fn service(binding: &str) -> Upstream {
    Upstream::of(UpstreamKind::Service, binding)
}

/// A function Worker behind the service binding `binding`: sent the gateway
/// event, answering the seeds' response object (see [`function`](mod@function)).
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request};
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, FakeAnswer, RecordingPlatform};
/// use edgegate::upstream::function;
///
/// let route = Route::to(Some(Method::Get), "/greet/{*rest}", function("GREETER")).public();
/// let table = RouteTable::<()>::new([route]);
/// let gateway = Gateway::new(table, Settings::load(|_: &str| None));
/// let platform = RecordingPlatform::default();
/// let object = br#"{"statusCode": 201, "body": "Hello, ada!"}"#.to_vec();
/// platform.answer("https://greeter/", FakeAnswer::Respond { status: 200, headers: vec![], body: object });
/// let response = block_on(gateway.handle(Request::new(Method::Get, "/greet/ada"), &(), &platform));
/// assert_eq!(response.status.0, 201);
/// let sent = &platform.sent.borrow()[0];
/// assert_eq!((sent.method.as_str(), sent.service.as_deref()), ("POST", Some("GREETER")));
/// ```
pub fn function(binding: &str) -> Upstream {
    Upstream::of(UpstreamKind::Function, binding)
}

impl Upstream {
    fn of(kind: UpstreamKind, name: &str) -> Upstream {
        Upstream {
            name: name.to_owned(),
            kind,
            path: PathTranslation::Append,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            pass_authorization: false,
            retry_idempotent: false,
        }
    }

    /// Call the upstream's address as it is, with path parameters in the query.
    ///
    /// ```
    /// use edgegate::config::Settings;
    /// use edgegate::gateway::Gateway;
    /// use edgegate::http::{Method, Request};
    /// use edgegate::routing::{Route, RouteTable};
    /// use edgegate::testing::{block_on, RecordingPlatform};
    /// use edgegate::upstream::origin;
    ///
    /// let route = Route::to(Some(Method::Get), "/users/{id}", origin("users").constant_address()).public();
    /// let table = RouteTable::<()>::new([route]);
    /// let upstreams = r#"{"users": "https://users.example.com/lookup"}"#;
    /// let settings = Settings::load(|name: &str| (name == "UPSTREAMS").then(|| upstreams.to_owned()));
    /// let gateway = Gateway::new(table, settings);
    /// let platform = RecordingPlatform::default();
    /// block_on(gateway.handle(Request::new(Method::Get, "/users/7"), &(), &platform));
    /// assert_eq!(platform.sent.borrow()[0].url, "https://users.example.com/lookup?id=7");
    /// ```
    pub fn constant_address(mut self) -> Upstream {
        self.path = PathTranslation::Constant;
        self
    }

    /// How long the upstream has to answer (its head; the body may stream longer).
    ///
    /// ```
    /// use edgegate::config::Settings;
    /// use edgegate::gateway::Gateway;
    /// use edgegate::http::{Method, Request};
    /// use edgegate::platform::FetchError;
    /// use edgegate::routing::{Route, RouteTable};
    /// use edgegate::testing::{block_on, FakeAnswer, RecordingPlatform};
    /// use edgegate::upstream::origin;
    ///
    /// let route = Route::any_to("/slow/{*rest}", origin("origin").timeout_ms(1000)).public();
    /// let table = RouteTable::<()>::new([route]);
    /// let upstreams = r#"{"origin": "https://origin.example.com"}"#;
    /// let settings = Settings::load(|name: &str| (name == "UPSTREAMS").then(|| upstreams.to_owned()));
    /// let gateway = Gateway::new(table, settings);
    /// let platform = RecordingPlatform::default();
    /// // An upstream that does not answer in time: the gateway's 504 `upstream-timeout`.
    /// platform.answer("https://origin.example.com/report", FakeAnswer::Fail(FetchError::Timeout));
    /// let response = block_on(gateway.handle(Request::new(Method::Get, "/slow/report"), &(), &platform));
    /// assert_eq!(response.status.0, 504);
    /// ```
    pub fn timeout_ms(mut self, ms: u32) -> Upstream {
        self.timeout_ms = ms;
        self
    }

    /// Forward the client's `Authorization` header (by default the gateway
    /// consumed it and the upstream gets the principal header instead).
    pub fn pass_authorization(mut self) -> Upstream {
        self.pass_authorization = true;
        self
    }

    /// Retry once on the same target when it cannot be reached, for
    /// idempotent methods without a body (an upstream with several targets
    /// fails over to another one without being asked).
    pub fn retry_idempotent(mut self) -> Upstream {
        self.retry_idempotent = true;
        self
    }

    /// The `UPSTREAMS` name (origins) or the service binding's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What is behind it, and how it is called.
    pub fn kind(&self) -> UpstreamKind {
        self.kind
    }

    /// The service binding it is called through (services and functions).
    pub fn binding(&self) -> Option<&str> {
        (self.kind != UpstreamKind::Origin).then_some(self.name.as_str())
    }
}

/// Checks an upstream's address from the settings: an absolute http(s) URL
/// without query or fragment (the route adds those).
pub fn check_address(url: &str) -> Result<String, String> {
    let url = url.trim();
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && url.bytes().all(|b| b.is_ascii_graphic())
        && !url.contains(['?', '#']);
    if valid {
        Ok(url.to_owned())
    } else {
        Err("must be an http(s) URL without query or fragment".into())
    }
}
