//! Outbound HTTP as the platform sends it: a request out, a response head
//! back with a body read on demand (within a limit, so a huge answer is
//! never buffered whole).

use crate::http::{BodySource, Method};

/// A request the gateway sends out (a JWKS fetch, an upstream call).
pub struct OutboundRequest {
    /// The request's method.
    pub method: Method,
    /// The absolute URL it goes to.
    pub url: String,
    /// The headers, in the order sent.
    pub headers: Vec<(String, String)>,
    /// What is sent as the body.
    pub body: OutboundBody,
    /// The whole exchange (connect, head) is given up after this long.
    pub timeout_ms: u32,
    /// Sent to the Worker behind this service binding instead of the
    /// network (the URL's host is then only a label).
    pub service: Option<String>,
}

impl OutboundRequest {
    /// A `GET` of `url` with no headers, given up after `timeout_ms`.
    pub fn get(url: &str, timeout_ms: u32) -> OutboundRequest {
        OutboundRequest {
            method: Method::Get,
            url: url.to_owned(),
            headers: Vec::new(),
            body: OutboundBody::Empty,
            timeout_ms,
            service: None,
        }
    }

    /// A copy to send again, unless its body is a stream (sent once only).
    pub fn try_clone(&self) -> Option<OutboundRequest> {
        let body = self.body.try_clone()?;
        Some(OutboundRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body,
            timeout_ms: self.timeout_ms,
            service: self.service.clone(),
        })
    }

    /// Adds a header (after those already there).
    pub fn with_header(mut self, name: &str, value: &str) -> OutboundRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// What is sent as the request's body.
pub enum OutboundBody {
    /// No body.
    Empty,
    /// These bytes, held in memory.
    Bytes(Vec<u8>),
    /// A body the platform holds (the client's request body), passed on as
    /// a stream; with a limit, the platform stops it once more has passed
    /// ([`FetchError::BodyTooLarge`]).
    Stream {
        /// The body's source.
        source: Box<dyn BodySource>,
        /// The most bytes it may carry, if limited.
        limit: Option<usize>,
    },
}

impl OutboundBody {
    /// A copy to send again; none for a stream, which is sent once.
    pub fn try_clone(&self) -> Option<OutboundBody> {
        match self {
            OutboundBody::Empty => Some(OutboundBody::Empty),
            OutboundBody::Bytes(bytes) => Some(OutboundBody::Bytes(bytes.clone())),
            OutboundBody::Stream { .. } => None,
        }
    }
}

/// A response head from the platform, with its body read on demand.
pub struct OutboundResponse {
    /// The response's status.
    pub status: u16,
    /// Lower-case names, in the order received; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The body, read on demand (within a limit).
    pub body: Box<dyn BodySource>,
}

impl OutboundResponse {
    /// The first value of a header (names are lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why no response came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Nothing answered within the request's timeout.
    Timeout,
    /// The address could not be reached (DNS, refused, TLS, a reset); the
    /// text is for the log.
    Unreachable(String),
    /// The streamed request body passed its limit on the way.
    BodyTooLarge,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Timeout => f.write_str("timed out"),
            FetchError::Unreachable(cause) => write!(f, "unreachable: {cause}"),
            FetchError::BodyTooLarge => f.write_str("the request body passed its limit"),
        }
    }
}
