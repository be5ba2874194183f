//! Responses: a status, headers and a body, built by handlers and the gateway
//! and turned into a runtime response by the adapter.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use super::problem::ApiError;
use super::BodySource;

/// An HTTP status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(pub u16);

impl Status {
    /// 200 OK.
    pub const OK: Status = Status(200);
    /// 201 Created.
    pub const CREATED: Status = Status(201);
    /// 204 No Content.
    pub const NO_CONTENT: Status = Status(204);
    /// 400 Bad Request.
    pub const BAD_REQUEST: Status = Status(400);
    /// 401 Unauthorized.
    pub const UNAUTHORIZED: Status = Status(401);
    /// 403 Forbidden.
    pub const FORBIDDEN: Status = Status(403);
    /// 404 Not Found.
    pub const NOT_FOUND: Status = Status(404);
    /// 405 Method Not Allowed.
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    /// 409 Conflict.
    pub const CONFLICT: Status = Status(409);
    /// 413 Content Too Large.
    pub const PAYLOAD_TOO_LARGE: Status = Status(413);
    /// 415 Unsupported Media Type.
    pub const UNSUPPORTED_MEDIA_TYPE: Status = Status(415);
    /// 422 Unprocessable Content.
    pub const UNPROCESSABLE_CONTENT: Status = Status(422);
    /// 429 Too Many Requests.
    pub const TOO_MANY_REQUESTS: Status = Status(429);
    /// 500 Internal Server Error.
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    /// 502 Bad Gateway.
    pub const BAD_GATEWAY: Status = Status(502);
    /// 503 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    /// 504 Gateway Timeout.
    pub const GATEWAY_TIMEOUT: Status = Status(504);

    /// The standard reason phrase, used as a problem's `title`.
    pub fn reason(self) -> &'static str {
        match self.0 {
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            204 => "No Content",
            301 => "Moved Permanently",
            302 => "Found",
            304 => "Not Modified",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            409 => "Conflict",
            410 => "Gone",
            412 => "Precondition Failed",
            413 => "Content Too Large",
            415 => "Unsupported Media Type",
            422 => "Unprocessable Content",
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Unknown Status",
        }
    }
}

/// A response body. Text and bytes are kept apart so the adapter can hand
/// text to the runtime without a copy through a byte array.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ResponseBody {
    /// No body.
    #[default]
    Empty,
    /// UTF-8 text.
    Text(String),
    /// Binary bytes.
    Bytes(Vec<u8>),
    /// An error not rendered yet: the gateway writes it out once it knows the
    /// request id, and logs its internal cause on the way.
    Problem(Box<ApiError>),
    /// A body the platform holds (an upstream's response): it streams to the
    /// client without passing through wasm memory.
    Stream(StreamBody),
}

/// A platform's body stream in a response, taken once by the adapter.
#[derive(Clone)]
pub struct StreamBody(Rc<RefCell<Option<Box<dyn BodySource>>>>, Option<u64>);

impl StreamBody {
    /// Wraps a platform's body stream for a response.
    pub fn new(source: Box<dyn BodySource>) -> StreamBody {
        StreamBody(Rc::new(RefCell::new(Some(source))), None)
    }

    /// The stream with the length its sender declared (`Content-Length`,
    /// which the runtime sets again when it sends it on).
    pub fn with_length(mut self, length: Option<u64>) -> StreamBody {
        self.1 = length;
        self
    }

    /// The length its sender declared, if any.
    pub fn length(&self) -> Option<u64> {
        self.1
    }

    /// The source, once.
    pub fn take(&self) -> Option<Box<dyn BodySource>> {
        self.0.borrow_mut().take()
    }
}

impl PartialEq for StreamBody {
    fn eq(&self, other: &StreamBody) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamBody")
    }
}

impl ResponseBody {
    /// The body's bytes; a problem not rendered yet reads as empty.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            ResponseBody::Empty | ResponseBody::Problem(_) | ResponseBody::Stream(_) => &[],
            ResponseBody::Text(text) => text.as_bytes(),
            ResponseBody::Bytes(bytes) => bytes,
        }
    }
}

/// A response. Header names are kept lowercase; most are static strings, so
/// they cost no allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status sent.
    pub status: Status,
    headers: Vec<(Cow<'static, str>, String)>,
    /// The body (the gateway sends none with HEAD, 204, 205 or 304).
    pub body: ResponseBody,
}

impl Response {
    /// A response with `status`, no headers and no body.
    pub fn new(status: Status) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: ResponseBody::Empty,
        }
    }

    /// `text/plain; charset=utf-8`.
    pub fn text(status: Status, text: impl Into<String>) -> Response {
        Response::new(status)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(ResponseBody::Text(text.into()))
    }

    /// A JSON body already serialized.
    pub fn json_text(status: Status, json: String) -> Response {
        Response::new(status)
            .with_header("content-type", "application/json")
            .with_body(ResponseBody::Text(json))
    }

    /// `application/octet-stream`.
    pub fn bytes(status: Status, bytes: Vec<u8>) -> Response {
        Response::new(status)
            .with_header("content-type", "application/octet-stream")
            .with_body(ResponseBody::Bytes(bytes))
    }

    /// Sets the body (builder style); `Content-Type` is left as it is.
    pub fn with_body(mut self, body: ResponseBody) -> Response {
        self.body = body;
        self
    }

    /// Sets a header, replacing any earlier value. Values follow the seeds:
    /// strings, numbers and booleans are written as text, `None` is skipped.
    pub fn with_header(mut self, name: impl Into<Cow<'static, str>>, value: impl HeaderValue) -> Response {
        self.set_header(name, value);
        self
    }

    /// Sets a header, replacing every earlier value of that name; a `None`
    /// value leaves none.
    pub fn set_header(&mut self, name: impl Into<Cow<'static, str>>, value: impl HeaderValue) {
        let name = lowercase(name.into());
        self.headers.retain(|(n, _)| *n != name);
        if let Some(value) = value.into_header_value() {
            self.headers.push((name, value));
        }
    }

    /// Adds a header, keeping earlier ones of the same name: for headers that
    /// must repeat rather than join, such as `Set-Cookie`.
    pub fn append_header(&mut self, name: impl Into<Cow<'static, str>>, value: impl HeaderValue) {
        if let Some(value) = value.into_header_value() {
            self.headers.push((lowercase(name.into()), value));
        }
    }

    /// Keeps only the headers whose (lower-case) name `keep` accepts.
    /// One copy in the wasm whatever `keep` is.
    pub(crate) fn retain_headers(&mut self, keep: &dyn Fn(&str) -> bool) {
        self.headers.retain(|(n, _)| keep(n));
    }

    /// Every value of `name`, in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Adds a value to a list-valued header such as `Vary`, without repeating it.
    pub fn append_to_list(&mut self, name: &'static str, item: &str) {
        match self.headers.iter_mut().find(|(n, _)| n == name) {
            Some((_, value)) => {
                if !value.split(',').any(|v| v.trim().eq_ignore_ascii_case(item)) {
                    value.push_str(", ");
                    value.push_str(item);
                }
            }
            None => self.headers.push((Cow::Borrowed(name), item.to_owned())),
        }
    }

    /// The first value of `name`, whatever the case it is asked for in.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header as `(name, value)`, in the order they were set.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (&**n, v.as_str()))
    }

    /// The body as UTF-8 text (lossy), a pending problem rendered without a request id.
    pub fn body_text(&self) -> String {
        match &self.body {
            ResponseBody::Problem(problem) => problem.to_json(""),
            body => String::from_utf8_lossy(body.as_bytes()).into_owned(),
        }
    }
}

fn lowercase(name: Cow<'static, str>) -> Cow<'static, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        name
    }
}

/// What may stand as a header value: the seeds allow strings, numbers and
/// booleans, and ignore null (here `None`).
pub trait HeaderValue {
    /// The value as header text, or `None` for no header.
    fn into_header_value(self) -> Option<String>;
}

impl HeaderValue for String {
    fn into_header_value(self) -> Option<String> {
        Some(self)
    }
}

impl HeaderValue for &str {
    fn into_header_value(self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl HeaderValue for &String {
    fn into_header_value(self) -> Option<String> {
        Some(self.clone())
    }
}

impl HeaderValue for bool {
    fn into_header_value(self) -> Option<String> {
        Some(self.to_string())
    }
}

macro_rules! number_header_values {
    ($($t:ty),*) => {$(
        impl HeaderValue for $t {
            fn into_header_value(self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
number_header_values!(i8, i16, i32, i64, isize, f32, f64);

macro_rules! unsigned_header_values {
    ($($t:ty),*) => {$(
        impl HeaderValue for $t {
            fn into_header_value(self) -> Option<String> {
                Some(super::encoding::decimal(self as u64))
            }
        }
    )*};
}
unsigned_header_values!(u8, u16, u32, u64, usize);

impl<T: HeaderValue> HeaderValue for Option<T> {
    fn into_header_value(self) -> Option<String> {
        self.and_then(HeaderValue::into_header_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_follow_the_seed_rules() {
        let response = Response::new(Status::OK)
            .with_header("X-Count", 3)
            .with_header("x-flag", true)
            .with_header("x-ratio", 0.5)
            .with_header("x-none", None::<&str>)
            .with_header("Cache-Control", "max-age=3600");
        assert_eq!(response.header("x-count"), Some("3"));
        assert_eq!(response.header("X-FLAG"), Some("true"));
        assert_eq!(response.header("x-ratio"), Some("0.5"));
        assert_eq!(response.header("x-none"), None);
        assert_eq!(response.header("cache-control"), Some("max-age=3600"));
    }

    #[test]
    fn appended_headers_repeat_and_set_replaces_them_all() {
        let mut response = Response::new(Status::OK);
        response.append_header("Set-Cookie", "a=1; Path=/");
        response.append_header("set-cookie", "b=2; Path=/");
        assert_eq!(
            response.header_values("set-cookie").collect::<Vec<_>>(),
            ["a=1; Path=/", "b=2; Path=/"]
        );
        response.set_header("set-cookie", "c=3");
        assert_eq!(response.header_values("set-cookie").collect::<Vec<_>>(), ["c=3"]);
    }

    #[test]
    fn set_header_replaces_and_list_headers_do_not_repeat() {
        let mut response = Response::new(Status::OK).with_header("vary", "Accept");
        response.set_header("x-a", "1");
        response.set_header("X-A", "2");
        response.append_to_list("vary", "Origin");
        response.append_to_list("vary", "origin");
        assert_eq!(response.header("x-a"), Some("2"));
        assert_eq!(response.headers().filter(|(n, _)| *n == "x-a").count(), 1);
        assert_eq!(response.header("vary"), Some("Accept, Origin"));
    }
}
