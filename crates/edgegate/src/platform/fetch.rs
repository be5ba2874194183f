//! Outbound HTTP as the platform sends it: a request out, a response head
//! back with a body read on demand (within a limit, so a huge answer is
//! never buffered whole).

use crate::http::{BodySource, Method};

pub struct OutboundRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: OutboundBody,
    /// The whole exchange (connect, head) is given up after this long.
    pub timeout_ms: u32,
    /// Sent to the Worker behind this service binding instead of the
    /// network (the URL's host is then only a label).
    pub service: Option<String>,
}

impl OutboundRequest {
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
        let body = match &self.body {
            OutboundBody::Empty => OutboundBody::Empty,
            OutboundBody::Bytes(bytes) => OutboundBody::Bytes(bytes.clone()),
            OutboundBody::Stream { .. } => return None,
        };
        Some(OutboundRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body,
            timeout_ms: self.timeout_ms,
            service: self.service.clone(),
        })
    }

    pub fn with_header(mut self, name: &str, value: &str) -> OutboundRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// What is sent as the request's body.
pub enum OutboundBody {
    Empty,
    Bytes(Vec<u8>),
    /// A body the platform holds (the client's request body), passed on as
    /// a stream; with a limit, the platform stops it once more has passed
    /// ([`FetchError::BodyTooLarge`]).
    Stream {
        source: Box<dyn BodySource>,
        limit: Option<usize>,
    },
}

pub struct OutboundResponse {
    pub status: u16,
    /// Lower-case names, in the order received; a name may repeat.
    pub headers: Vec<(String, String)>,
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
