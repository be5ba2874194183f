//! One route as declared: method, path template, handler and policies.

use std::rc::Rc;

use crate::cache::CacheRule;
use crate::describe::{Describe, DescribeArguments, Documented, RouteDoc};
use crate::handler::{boxed, BoxedHandler, Handler};
use crate::http::{Method, Status};
use crate::policy::{Access, PolicySpec};
use crate::problem::ProblemKind;
use crate::upstream::Upstream;

/// A route declaration, built with `Route::get("/path", handler).public()`.
///
/// ```
/// use edgegate::extract::Bytes;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn hello() -> &'static str {
///     "Hello, World!"
/// }
///
/// async fn upload(Bytes(body): Bytes) -> String {
///     format!("{} bytes", body.len())
/// }
///
/// let table = RouteTable::<()>::new([
///     Route::get("/hello", hello).public(),
///     Route::post("/uploads", upload).api_key().max_body_bytes(64 * 1024),
/// ]);
/// assert!(table.is_ok());
/// ```
pub struct Route<S> {
    pub(crate) method: Option<Method>,
    pub(crate) path: String,
    /// None on a route that forwards to an upstream.
    pub(crate) handler: Option<BoxedHandler<S>>,
    pub(crate) reads_all_headers: bool,
    pub(crate) access: Option<Access>,
    pub(crate) max_body_bytes: Option<usize>,
    /// The CORS profile (a name `CORS_PROFILES` gives values to) for this path.
    pub(crate) cors: Option<String>,
    /// The IP rules (a name `IP_RULES` gives values to) for this path.
    pub(crate) ip_rules: Option<String>,
    /// Where the route forwards to, instead of running its handler.
    pub(crate) upstream: Option<Upstream>,
    /// The route-policy phase's checks (see [`crate::policy::route_policy`]).
    pub(crate) policies: Vec<Rc<dyn PolicySpec>>,
    /// Its cache policy, if its answers are kept (see [`crate::cache`]).
    pub(crate) cache: Option<CacheRule>,
    /// On a purge route: the cache policy whose entries it purges.
    pub(crate) purges: Option<String>,
    /// What the OpenAPI document says of it (host only).
    pub(crate) doc: RouteDoc,
}

macro_rules! method_constructors {
    ($($name:ident => $method:expr;)*) => {$(
        #[doc = concat!("A route for `", stringify!($name), "` requests (uppercase) on `path`.")]
        pub fn $name<Args: DescribeArguments, H: Handler<S, Args>>(path: &str, handler: H) -> Route<S>
        where
            H::Output: Describe,
        {
            Route::new(Some($method), path, handler)
        }
    )*};
}

impl<S: 'static> Route<S> {
    /// A route for one method, or for every method when `method` is `None` (`ANY`).
    pub fn new<Args: DescribeArguments, H: Handler<S, Args>>(method: Option<Method>, path: &str, handler: H) -> Route<S>
    where
        H::Output: Describe,
    {
        let mut route = Route::of_boxed(method, path, Some(boxed(handler)), H::READS_ALL_HEADERS);
        route.doc.describe_handler::<Args, H::Output>();
        route
    }

    /// The part of [`Route::new`] that does not depend on the handler's
    /// type: one copy in the wasm, not one per route.
    #[inline(never)]
    fn of_boxed(
        method: Option<Method>,
        path: &str,
        handler: Option<BoxedHandler<S>>,
        reads_all_headers: bool,
    ) -> Route<S> {
        Route {
            method,
            path: path.to_owned(),
            handler,
            reads_all_headers,
            access: None,
            max_body_bytes: None,
            cors: None,
            ip_rules: None,
            upstream: None,
            policies: Vec::new(),
            cache: None,
            purges: None,
            doc: RouteDoc::default(),
        }
    }

    /// A route for one method (every method when `None`) that forwards to
    /// `upstream` (see [`crate::upstream`]) after its policies.
    pub fn to(method: Option<Method>, path: &str, upstream: Upstream) -> Route<S> {
        // No handler: the gateway forwards. The upstream gets every header
        // (less hop-by-hop and credentials).
        let mut route = Route::of_boxed(method, path, None, true);
        route.upstream = Some(upstream);
        route
    }

    /// A route for every method that forwards to `upstream`.
    pub fn any_to(path: &str, upstream: Upstream) -> Route<S> {
        Route::to(None, path, upstream)
    }

    /// A `POST` route that purges the cache policy `policy`'s entries by
    /// key and by tag (see [`crate::cache::purge`]); declare its access.
    pub fn purge(path: &str, policy: &str) -> Route<S> {
        let mut route = Route::of_boxed(Some(Method::Post), path, None, false);
        route.purges = Some(policy.to_owned());
        route
    }

    method_constructors! {
        get => Method::Get;
        head => Method::Head;
        post => Method::Post;
        put => Method::Put;
        patch => Method::Patch;
        delete => Method::Delete;
        options => Method::Options;
    }

    /// A route for every method (`ANY`); the handler sees which in `Method`.
    pub fn any<Args: DescribeArguments, H: Handler<S, Args>>(path: &str, handler: H) -> Route<S>
    where
        H::Output: Describe,
    {
        Route::new(None, path, handler)
    }

    /// Who may call this route: `public()`, `api_key()`, `jwt("provider")`,
    /// or `any_of([...])` of those (see [`crate::policy::access`]).
    pub fn access(mut self, access: Access) -> Route<S> {
        self.access = Some(access);
        self
    }

    /// Anyone may call this route (`.access(public())`).
    pub fn public(self) -> Route<S> {
        self.access(Access::Public)
    }

    /// Callers must present a configured API key (`.access(api_key())`).
    pub fn api_key(self) -> Route<S> {
        self.access(Access::ApiKey)
    }

    /// Keeps this route's answers to `GET` and `HEAD` under a cache policy
    /// (see [`crate::cache`]), after every policy that may refuse the caller.
    pub fn cache(mut self, rule: CacheRule) -> Route<S> {
        self.cache = Some(rule);
        self
    }

    /// Adds a policy (after access; see [`crate::policy::route_policy`]),
    /// after those already added: a spec (`rate_limit("L")`), or a
    /// [`crate::policy::RoutePolicy`] without settings.
    pub fn policy(mut self, policy: impl PolicySpec + 'static) -> Route<S> {
        self.policies.push(Rc::new(policy));
        self
    }

    /// The operation's summary in the OpenAPI document.
    pub fn summary(mut self, summary: &'static str) -> Route<S> {
        self.doc.set_summary(summary);
        self
    }

    /// Problems the handler answers with (its own `ApiError`s), for the
    /// OpenAPI document; the gateway's, the extractors' and the policies'
    /// are documented without this.
    pub fn problems(mut self, kinds: &[ProblemKind]) -> Route<S> {
        self.doc.add_problems(kinds);
        self
    }

    /// A success the handler's return type cannot name (it returns a
    /// `Response`): `status` with a JSON body shaped as `T`.
    pub fn returns<T: Documented + ?Sized>(mut self, status: Status) -> Route<S> {
        self.doc.add_return::<T>(status);
        self
    }

    /// A header the route's answers of `status` carry, for the OpenAPI
    /// document (a handler that sets it on a `Response` or an `ApiError`):
    /// a success's (`Location` on a 202) or its problems' (`Retry-After`
    /// on a 409). `required`: every such answer has it.
    pub fn response_header(
        mut self,
        status: Status,
        name: &'static str,
        description: &'static str,
        required: bool,
    ) -> Route<S> {
        self.doc.add_header(status, name, description, required);
        self
    }

    /// A request header the route's handler reads (one it takes through
    /// `Headers`, which the document cannot see), for the OpenAPI
    /// document: its name, what it does, whether every request needs it,
    /// and its JSON Schema as text (`{"type": "string"}`).
    pub fn request_header(
        mut self,
        name: &'static str,
        description: &'static str,
        required: bool,
        schema: &'static str,
    ) -> Route<S> {
        self.doc.add_request_header(name, description, required, schema);
        self
    }

    /// This route's body limit, instead of the global default.
    pub fn max_body_bytes(mut self, limit: usize) -> Route<S> {
        self.max_body_bytes = Some(limit);
        self
    }

    /// This path's CORS policy: the global one with the fields the settings'
    /// `CORS_PROFILES[name]` sets. The name must be defined there.
    pub fn cors(mut self, profile: &str) -> Route<S> {
        self.cors = Some(profile.to_owned());
        self
    }

    /// IP rules for this path, on top of the global ones: `IP_RULES[name]`'s
    /// allow and deny lists. The name must be defined there.
    pub fn ip_rules(mut self, list: &str) -> Route<S> {
        self.ip_rules = Some(list.to_owned());
        self
    }
}

/// Routes that share a path prefix and policies (`/api`, keyed): each
/// route's own choices win; what it leaves unset comes from the group.
///
/// ```
/// use edgegate::policy::api_key;
/// use edgegate::routing::{Group, Route, RouteTable};
///
/// async fn items() -> &'static str {
///     "[]"
/// }
///
/// async fn health() -> &'static str {
///     "ok"
/// }
///
/// let api = Group::new("/api").access(api_key()).max_body_bytes(16 * 1024);
/// let mut routes = api.routes([
///     // `GET /api/items`, keyed as the group says.
///     Route::get("/items", items),
///     // `GET /api/health`: its own choice wins.
///     Route::get("/health", health).public(),
/// ]);
/// routes.push(Route::get("/", health).public());
/// let table = RouteTable::<()>::new(routes).unwrap();
/// assert!(table.index_of("/api/items").is_some());
/// ```
#[derive(Clone, Default)]
pub struct Group {
    prefix: String,
    access: Option<Access>,
    max_body_bytes: Option<usize>,
    cors: Option<String>,
    ip_rules: Option<String>,
    policies: Vec<Rc<dyn PolicySpec>>,
    cache: Option<CacheRule>,
    problems: Vec<ProblemKind>,
}

impl Group {
    /// A group under `prefix` (`""` for none), e.g. `Group::new("/api")`.
    pub fn new(prefix: &str) -> Group {
        Group {
            prefix: prefix.trim_end_matches('/').to_owned(),
            ..Group::default()
        }
    }

    /// Who may call the group's routes that do not say (see [`Route::access`]).
    pub fn access(mut self, access: Access) -> Group {
        self.access = Some(access);
        self
    }

    /// The body limit of the group's routes that set none.
    pub fn max_body_bytes(mut self, limit: usize) -> Group {
        self.max_body_bytes = Some(limit);
        self
    }

    /// The CORS profile (see [`Route::cors`]) of the group's routes that name none.
    pub fn cors(mut self, profile: &str) -> Group {
        self.cors = Some(profile.to_owned());
        self
    }

    /// The IP rules (see [`Route::ip_rules`]) of the group's routes that name none.
    pub fn ip_rules(mut self, list: &str) -> Group {
        self.ip_rules = Some(list.to_owned());
        self
    }

    /// The cache policy (see [`Route::cache`]) of the group's routes that name none.
    pub fn cache(mut self, rule: CacheRule) -> Group {
        self.cache = Some(rule);
        self
    }

    /// A check of the route-policy phase for every route of the group, run
    /// before the routes' own.
    pub fn policy(mut self, policy: impl PolicySpec + 'static) -> Group {
        self.policies.push(Rc::new(policy));
        self
    }

    /// Problems every route of the group answers with, for the OpenAPI
    /// document (a database's 503, say).
    pub fn problems(mut self, kinds: &[ProblemKind]) -> Group {
        self.problems.extend_from_slice(kinds);
        self
    }

    /// The routes with the prefix put before their paths and the group's policies where they set none.
    pub fn routes<S>(&self, routes: impl IntoIterator<Item = Route<S>>) -> Vec<Route<S>> {
        routes
            .into_iter()
            .map(|mut route| {
                route.path = format!("{}{}", self.prefix, route.path);
                route.access = route.access.or_else(|| self.access.clone());
                route.max_body_bytes = route.max_body_bytes.or(self.max_body_bytes);
                route.cors = route.cors.or_else(|| self.cors.clone());
                route.ip_rules = route.ip_rules.or_else(|| self.ip_rules.clone());
                route.cache = route.cache.or_else(|| self.cache.clone());
                let own = std::mem::replace(&mut route.policies, self.policies.clone());
                route.policies.extend(own);
                route.doc.add_problems(&self.problems);
                route
            })
            .collect()
    }
}
