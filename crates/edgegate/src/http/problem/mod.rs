//! Errors as RFC 9457 problem details. Every error the gateway or a handler
//! produces becomes one of these, so a client always gets the same shape:
//! `type`, `title`, `status`, `detail`, and the request id to quote.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

pub mod kinds;

pub use kinds::ProblemKind;

use super::{IntoResponse, Response, ResponseBody, Status};

/// What `type` starts with unless `PROBLEM_TYPE_PREFIX` says otherwise.
pub const DEFAULT_TYPE_PREFIX: &str = "urn:edgegate:problem:";

/// An error answered as `application/problem+json`. `internal` is text for the
/// log only: it never reaches the client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The response's status.
    pub status: Status,
    /// The slug behind `type` (`<prefix><kind>`), stable for clients to switch on.
    pub kind: &'static str,
    /// What went wrong with this request, for the client (`detail`).
    pub detail: Cow<'static, str>,
    extensions: Vec<(&'static str, Value)>,
    headers: Vec<(&'static str, String)>,
    internal: Option<String>,
}

impl ApiError {
    /// A problem of `kind` (its slug and status), saying what went wrong.
    /// By value: only the slug and status reach the wasm, not the meaning.
    pub fn of(kind: ProblemKind, detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            status: kind.status,
            kind: kind.slug,
            detail: detail.into(),
            extensions: Vec::new(),
            headers: Vec::new(),
            internal: None,
        }
    }

    /// A 404 `not-found` saying what was not found.
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::of(kinds::NOT_FOUND, detail)
    }

    /// A failure inside the server. The client learns only that it happened
    /// and which request id to quote; `cause` goes to the log.
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        ApiError::of(
            kinds::INTERNAL,
            "The server failed to handle this request. The failure is logged under this request id.",
        )
        .with_internal(cause)
    }

    /// A dependency (database, origin) is down or overloaded: retryable, and
    /// the cause goes to the log only.
    pub fn unavailable(cause: impl fmt::Display) -> ApiError {
        ApiError::of(
            kinds::UNAVAILABLE,
            "A service this request depends on is unavailable. Retry later.",
        )
        .with_header("retry-after", "1")
        .with_internal(cause)
    }

    /// Adds an extension member (e.g. `"param": "id"`) to the problem body.
    pub fn with_extension(mut self, name: &'static str, value: impl Into<Value>) -> ApiError {
        self.extensions.push((name, value.into()));
        self
    }

    /// Adds a response header (e.g. `Allow`, `WWW-Authenticate`).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    /// Attaches a cause for the log; the client never sees it.
    pub fn with_internal(mut self, cause: impl fmt::Display) -> ApiError {
        self.internal = Some(cause.to_string());
        self
    }

    /// The cause for the log, if one was attached.
    pub fn internal_cause(&self) -> Option<&str> {
        self.internal.as_deref()
    }

    /// The problem document, with the request id the client should quote
    /// and `type` under the default prefix.
    pub fn to_json(&self, request_id: &str) -> String {
        self.to_json_with(DEFAULT_TYPE_PREFIX, request_id)
    }

    /// The problem document with `type` under `prefix`.
    pub fn to_json_with(&self, prefix: &str, request_id: &str) -> String {
        let mut body = Map::new();
        body.insert("type".into(), Value::String(format!("{prefix}{}", self.kind)));
        body.insert("title".into(), Value::String(self.status.reason().into()));
        body.insert("status".into(), Value::from(self.status.0));
        body.insert("detail".into(), Value::String(self.detail.to_string()));
        if !request_id.is_empty() {
            body.insert("request_id".into(), Value::String(request_id.into()));
        }
        for (name, value) in &self.extensions {
            body.insert((*name).into(), value.clone());
        }
        crate::http::compact_json(&Value::Object(body))
    }

    /// A response still carrying the problem itself; the gateway renders it
    /// once the request id is known, and logs the internal cause.
    pub fn into_response(self) -> Response {
        let mut response = Response::new(self.status);
        for (name, value) in &self.headers {
            response.set_header(*name, value.as_str());
        }
        response.set_header("content-type", "application/problem+json");
        response.with_body(ResponseBody::Problem(Box::new(self)))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ApiError::into_response(self)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.0, self.kind, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// The 413 for a body over the route's limit (read by the gateway, or
    /// streamed to an upstream).
    pub fn body_too_large(limit: usize) -> ApiError {
        ApiError::of(
            kinds::BODY_TOO_LARGE,
            format!("The request body exceeds this route's limit of {limit} bytes."),
        )
        .with_extension("max_body_bytes", limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc9457_fields_and_extensions() {
        let error = ApiError::of(kinds::INVALID_PATH_PARAM, "path parameter `id` must be a number")
            .with_extension("param", "id");
        let body: Value = serde_json::from_str(&error.to_json("req-1")).unwrap();
        assert_eq!(body["type"], "urn:edgegate:problem:invalid-path-param");
        assert_eq!(body["title"], "Bad Request");
        assert_eq!(body["status"], 400);
        assert_eq!(body["detail"], "path parameter `id` must be a number");
        assert_eq!(body["request_id"], "req-1");
        assert_eq!(body["param"], "id");
    }

    #[test]
    fn internal_errors_keep_their_cause_out_of_the_body() {
        let error = ApiError::internal("db password=hunter2 rejected");
        assert_eq!(error.internal_cause(), Some("db password=hunter2 rejected"));
        assert!(!error.to_json("r").contains("hunter2"));
        let response = error.into_response();
        assert_eq!(response.status, Status::INTERNAL_SERVER_ERROR);
        assert_eq!(response.header("content-type"), Some("application/problem+json"));
    }
}
