//! One route as declared: method, path template, handler and policies.

use crate::handler::{boxed, BoxedHandler, Handler};
use crate::http::Method;

/// Who may call a route. Every route must choose; there is no default, so a
/// forgotten choice is a build error rather than an open route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (subject to IP rules).
    Public,
    /// Only callers presenting a configured API key (`x-api-key` or `?key=`).
    ApiKey,
}

/// A route declaration, built with `Route::get("/path", handler).public()`.
pub struct Route<S> {
    pub(crate) method: Option<Method>,
    pub(crate) path: String,
    pub(crate) handler: BoxedHandler<S>,
    pub(crate) reads_all_headers: bool,
    pub(crate) access: Option<Access>,
    pub(crate) max_body_bytes: Option<usize>,
}

macro_rules! method_constructors {
    ($($name:ident => $method:expr;)*) => {$(
        #[doc = concat!("A route for `", stringify!($name), "` requests (uppercase) on `path`.")]
        pub fn $name<Args, H: Handler<S, Args>>(path: &str, handler: H) -> Route<S> {
            Route::new(Some($method), path, handler)
        }
    )*};
}

impl<S: 'static> Route<S> {
    /// A route for one method, or for every method when `method` is `None` (`ANY`).
    pub fn new<Args, H: Handler<S, Args>>(method: Option<Method>, path: &str, handler: H) -> Route<S> {
        Route {
            method,
            path: path.to_owned(),
            handler: boxed(handler),
            reads_all_headers: H::READS_ALL_HEADERS,
            access: None,
            max_body_bytes: None,
        }
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
    pub fn any<Args, H: Handler<S, Args>>(path: &str, handler: H) -> Route<S> {
        Route::new(None, path, handler)
    }

    /// Anyone may call this route.
    pub fn public(mut self) -> Route<S> {
        self.access = Some(Access::Public);
        self
    }

    /// Callers must present a configured API key.
    pub fn api_key(mut self) -> Route<S> {
        self.access = Some(Access::ApiKey);
        self
    }

    /// This route's body limit, instead of the global default.
    pub fn max_body_bytes(mut self, limit: usize) -> Route<S> {
        self.max_body_bytes = Some(limit);
        self
    }
}
