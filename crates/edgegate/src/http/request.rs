//! The request as the gateway sees it: the adapter fills in what came over the
//! wire, the gateway adds what it learned (route, params, consumer, request id).

use std::any::Any;
use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;

use super::{Extensions, Headers, Method, TraceContext};

/// Where Cloudflare puts the client's address.
pub const CLIENT_IP_HEADER: &str = "cf-connecting-ip";

/// One incoming request. `path` is exactly as received (still percent-encoded,
/// without the query); `query` is the raw text after `?`.
pub struct Request {
    /// The method, as parsed.
    pub method: Method,
    /// The path as received: still percent-encoded, without the query.
    pub path: String,
    /// The raw text after `?`, if the target had one.
    pub query: Option<String>,
    /// The headers the adapter passed: perhaps a selection (see [`Headers`]).
    pub headers: Headers,
    /// The body; the gateway reads it, within the route's limit, before any handler runs.
    pub body: RequestBody,
    pub(crate) params: Vec<(Rc<str>, String)>,
    pub(crate) route: Option<Rc<str>>,
    /// What policies learned (the principal, ...), by type.
    pub extensions: Extensions,
    pub(crate) request_id: String,
    /// Its place in a trace (W3C Trace Context), set by the gateway.
    pub(crate) trace: TraceContext,
    /// Where the gateway's time went, for `Server-Timing`.
    pub(crate) timings: Vec<(&'static str, f64)>,
    pub(crate) client_ip: Option<IpAddr>,
    /// Whether the client's request came over HTTPS (for `X-Forwarded-Proto`).
    pub(crate) https: bool,
    /// Where in `path` the matched catch-all parameter stands (still
    /// percent-encoded): what an upstream route appends to its address.
    pub(crate) rest: Option<std::ops::Range<usize>>,
    /// The route's body limit, for a body passed on as a stream.
    pub(crate) body_limit: usize,
    /// Set by the adapter when the head it was given cannot be handled as
    /// sent; the gateway answers it before anything else.
    pub(crate) invalid_head: Option<InvalidHead>,
    /// The lines its handler logged (`extract::Log`), each whole JSON text,
    /// kept until it is answered; made on the first `Log` a handler takes:
    /// a request without one allocates nothing.
    pub(crate) handler_log: OnceCell<Rc<RefCell<Vec<String>>>>,
}

/// Why a request head cannot be handled exactly as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidHead {
    /// A header whose name is not a token or whose value has control
    /// characters or bytes that were not UTF-8 (the client's fault: 400).
    /// The name is kept when it is a token, to say which.
    Header {
        /// The header's name, when it is a token.
        name: Option<String>,
    },
    /// The method or the request target is not well-formed (400).
    Target,
    /// The adapter's own byte layout did not add up (the gateway's fault: 500).
    Layout(String),
}

impl Request {
    /// A request for `target` (`/path?query`), with no headers and no body.
    pub fn new(method: Method, target: &str) -> Request {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (target, None),
        };
        Request {
            method,
            path: path.to_owned(),
            query,
            headers: Headers::new(),
            body: RequestBody::Empty,
            params: Vec::new(),
            route: None,
            extensions: Extensions::default(),
            request_id: String::new(),
            trace: TraceContext::default(),
            timings: Vec::new(),
            client_ip: None,
            https: false,
            rest: None,
            body_limit: 0,
            invalid_head: None,
            handler_log: OnceCell::new(),
        }
    }

    /// Marks the request as received over HTTPS (the adapter knows the URL's scheme).
    pub fn set_https(&mut self, https: bool) {
        self.https = https;
    }

    /// Why the gateway will refuse this head, if it will.
    pub fn invalid_head(&self) -> Option<&InvalidHead> {
        self.invalid_head.as_ref()
    }

    /// Marks the head as one the gateway must refuse (the first reason is kept).
    pub fn refuse_head(&mut self, reason: InvalidHead) {
        self.invalid_head.get_or_insert(reason);
    }

    /// Adds a header (builder style, for adapters and tests).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.append(name, value);
        self
    }

    /// Sets an already-buffered body (builder style).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = RequestBody::Bytes(body.into());
        self
    }

    /// The decoded path parameters of the matched route, in template order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (&**n, v.as_str()))
    }

    /// The route template that matched, e.g. `/users/{id}`.
    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// The request's place in a trace (W3C Trace Context; set by the gateway).
    pub fn trace(&self) -> &TraceContext {
        &self.trace
    }

    /// The request's id: the client's `x-request-id` when acceptable, else
    /// one the gateway generated (empty until the gateway has set it).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The client address from `CF-Connecting-IP`, when it parsed.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.client_ip
    }

    /// Whether the head declares the body's length. The gateway checks a
    /// declared length against the route's limit before any byte is read, so
    /// such a body may be read or passed on whole; one without must be
    /// counted as it comes. (The runtime drops a Content-Length beside
    /// chunked framing: tests/e2e/boundary.test.mjs.)
    pub fn declares_length(&self) -> bool {
        self.headers.contains("content-length")
    }

    /// The body bytes, once the gateway has read them (before any handler runs).
    pub fn body_bytes(&self) -> &[u8] {
        match &self.body {
            RequestBody::Bytes(bytes) => bytes,
            RequestBody::Empty | RequestBody::Stream(_) => &[],
        }
    }
}

/// The body as the adapter hands it over: absent, already in memory, or still
/// to be read. The gateway reads it only after routing and auth, with the
/// route's size limit.
pub enum RequestBody {
    /// No body.
    Empty,
    /// The whole body, in memory.
    Bytes(Vec<u8>),
    /// A body still to be read from the runtime.
    Stream(Box<dyn BodySource>),
}

/// A body not read yet (the runtime's stream). Reading stops as soon as more
/// than `limit` bytes have arrived, so an oversized body is never buffered
/// whole. Or it is never read in wasm at all: the platform takes it back
/// ([`BodySource::into_any`]) and passes it on as a stream, as an upstream
/// route does with a request's body and the upstream's response body.
pub trait BodySource {
    /// Reads the whole body, failing with [`BodyReadError::TooLarge`] as soon
    /// as more than `limit` bytes have arrived.
    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>>;
    /// The source itself, for the platform that made it to take back.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyReadError {
    /// More bytes arrived than the limit allows.
    TooLarge,
    /// The stream failed (client went away, runtime error); the text is for the log.
    Failed(String),
    /// The gateway could not deliver the body (its own fault: a 500); for the log.
    Internal(String),
}
