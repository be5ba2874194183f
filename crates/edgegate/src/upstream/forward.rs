//! The forwarding rules of a trustworthy proxy:
//!
//! - hop-by-hop headers are removed both ways (RFC 9110 §7.6.1:
//!   `Connection` and every header it names, `Keep-Alive`, `TE`, `Trailer`,
//!   `Transfer-Encoding`, `Upgrade`, `Proxy-Authorization`,
//!   `Proxy-Authenticate`);
//! - credentials the gateway consumed are not forwarded: `x-api-key`, the
//!   `key` query parameter, and `Authorization` unless the route passes it;
//! - `X-Forwarded-For` (the client's address appended), `X-Forwarded-Proto`,
//!   `X-Forwarded-Host` and `x-request-id` are set;
//! - the principal goes in one header the upstream can trust,
//!   `x-edgegate-principal` (base64url JSON of `id`, `scheme`, `provider`,
//!   `claims`, as ESP's `X-Endpoint-API-UserInfo`); a copy the client sent
//!   is dropped;
//! - the upstream's answer passes unchanged (its 4xx and 5xx too; redirects
//!   are passed on, not followed), less hop-by-hop headers and its own CORS
//!   headers, which the gateway's replace; its body streams through;
//! - it cannot be reached: 502 `upstream-unreachable`; it does not answer in
//!   time: 504 `upstream-timeout`.

use std::rc::Rc;

use super::{Forwarder, PathTranslation};
use crate::http::{
    base64url_encode, percent_encode, Method, Request, RequestBody, Response, ResponseBody, Status, StreamBody,
    CLIENT_IP_HEADER,
};
use crate::http::{TRACEPARENT, TRACESTATE};
use crate::platform::fetch::OutboundBody;
use crate::platform::{FetchError, OutboundRequest, OutboundResponse, Platform};
use crate::policy::{api_key, jwt, request_id, Principal};
use crate::problem::{kinds, ApiError};

/// The header the principal is forwarded in.
pub const PRINCIPAL_HEADER: &str = "x-edgegate-principal";

/// Always hop-by-hop, whatever `Connection` says.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
    "proxy-connection",
];

/// What the access log records of an upstream call (kept in the request's extensions).
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamCall {
    /// The upstream's name (`UPSTREAMS` entry or service binding).
    pub name: Rc<str>,
    /// The upstream's status; none when it did not answer.
    pub status: Option<u16>,
    /// How long the call took (a retry included), in milliseconds.
    pub duration_ms: f64,
}

impl Forwarder {
    /// Sends the request to an origin or a service and answers with its response.
    pub(super) async fn proxy(&self, request: &mut Request, platform: &dyn Platform) -> Response {
        let url = self.url_for(request);
        let headers = self.headers_for(request);
        // A body whose length was declared (and checked) passes as it is; one
        // without is counted against the route's limit while it streams.
        let declared = request.declares_length();
        let body = match std::mem::replace(&mut request.body, RequestBody::Empty) {
            RequestBody::Empty => OutboundBody::Empty,
            RequestBody::Bytes(bytes) => OutboundBody::Bytes(bytes),
            RequestBody::Stream(source) => OutboundBody::Stream {
                source,
                limit: (!declared).then_some(request.body_limit),
            },
        };
        // Nothing with a body is sent twice.
        let may_retry =
            self.spec.retry_idempotent && is_idempotent(&request.method) && matches!(body, OutboundBody::Empty);
        let outbound = self.outbound(request.method.clone(), url, headers, body);
        match self.exchange(request, platform, outbound, may_retry).await {
            Ok(answer) => {
                let mut response = Response::new(Status(answer.status));
                let dropped = connection_tokens(answer.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                for (name, value) in answer.headers {
                    if passes_back(&name, &dropped) {
                        response.append_header(name, value);
                    }
                }
                response.with_body(ResponseBody::Stream(StreamBody::new(answer.body)))
            }
            Err(failure) => failure,
        }
    }

    /// A request to this upstream (through its service binding, if it has one).
    pub(super) fn outbound(
        &self,
        method: Method,
        url: String,
        headers: Vec<(String, String)>,
        body: OutboundBody,
    ) -> OutboundRequest {
        OutboundRequest {
            method,
            url,
            headers,
            body,
            timeout_ms: self.spec.timeout_ms,
            service: self.spec.binding().map(str::to_owned),
        }
    }

    /// Sends `outbound`, and once more when the upstream could not be reached
    /// and `may_retry` (a copy is kept only then); records the call for the
    /// access log. No answer is the gateway's 502 or 504 (or the 413 of a body that
    /// passed its limit on the way).
    pub(super) async fn exchange(
        &self,
        request: &mut Request,
        platform: &dyn Platform,
        outbound: OutboundRequest,
        may_retry: bool,
    ) -> Result<OutboundResponse, Response> {
        let started = platform.now_ms();
        let again = if may_retry { outbound.try_clone() } else { None };
        let mut result = platform.fetch(outbound).await;
        if let (Err(FetchError::Unreachable(_)), Some(again)) = (&result, again) {
            result = platform.fetch(again).await;
        }
        request.extensions.insert(UpstreamCall {
            name: self.name.clone(),
            status: result.as_ref().ok().map(|answer| answer.status),
            duration_ms: (platform.now_ms() - started).max(0.0),
        });
        result.map_err(|error| match error {
            FetchError::Timeout => ApiError::of(
                kinds::UPSTREAM_TIMEOUT,
                format!(
                    "The upstream `{}` did not answer within {} ms.",
                    self.name, self.spec.timeout_ms
                ),
            )
            .into_response(),
            FetchError::Unreachable(cause) => ApiError::of(
                kinds::UPSTREAM_UNREACHABLE,
                format!("The upstream `{}` could not be reached.", self.name),
            )
            .with_internal(format!("upstream {}: {cause}", self.name))
            .into_response(),
            FetchError::BodyTooLarge => ApiError::body_too_large(request.body_limit).into_response(),
        })
    }

    /// The upstream's address for this request, with the query less the API key.
    fn url_for(&self, request: &Request) -> String {
        let mut url = self.base.clone();
        let mut query: Vec<String> = request
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty() && !is_key_param(pair))
            .map(str::to_owned)
            .collect();
        match self.spec.path {
            PathTranslation::Append => {
                let rest = request.rest.clone().map_or("", |range| &request.path[range]);
                if !rest.is_empty() {
                    if !url.ends_with('/') {
                        url.push('/');
                    }
                    url.push_str(rest.trim_start_matches('/'));
                }
            }
            PathTranslation::Constant => {
                for (name, value) in request.params() {
                    query.push(format!("{}={}", percent_encode(name), percent_encode(value)));
                }
            }
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }

    /// Whether a request header (its lower-case name) reaches the upstream as
    /// the client sent it: not hop-by-hop (`dropped`: what `Connection`
    /// names), not a credential the gateway consumed, not one the gateway sets.
    /// A name is compared with `_` read as `-`: origins that map headers to
    /// CGI names (`HTTP_X_EDGEGATE_PRINCIPAL`) cannot tell the two apart, so
    /// a client's `x_edgegate_principal` must not reach them beside the real one.
    pub(super) fn passes_on(&self, name: &str, dropped: &[String]) -> bool {
        let original = name;
        let name: std::borrow::Cow<str> = match name.contains('_') {
            true => name.replace('_', "-").into(),
            false => name.into(),
        };
        let name = &*name;
        !HOP_BY_HOP.contains(&name)
            && !dropped.iter().any(|d| d == name || d == original)
            && name != api_key::HEADER
            && name != PRINCIPAL_HEADER
            && name != "host"
            && name != "content-length"
            && name != "x-forwarded-for"
            && name != "x-forwarded-proto"
            && name != "x-forwarded-host"
            && name != request_id::HEADER
            && name != TRACEPARENT
            && name != TRACESTATE
            && (self.spec.pass_authorization || name != jwt::HEADER)
    }

    /// The request's headers as the upstream gets them.
    fn headers_for(&self, request: &Request) -> Vec<(String, String)> {
        let dropped = connection_tokens(request.headers.iter());
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            // Request header names are lower case already (`Headers::append`).
            .filter(|&(name, _)| self.passes_on(name, &dropped))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let client = request
            .client_ip
            .map(|_| request.headers.get(CLIENT_IP_HEADER).unwrap_or("").trim());
        let forwarded_for = match (request.headers.get("x-forwarded-for"), client) {
            (Some(earlier), Some(client)) => Some(format!("{}, {client}", earlier.trim())),
            (Some(earlier), None) => Some(earlier.trim().to_owned()),
            (None, Some(client)) => Some(client.to_owned()),
            (None, None) => None,
        };
        if let Some(value) = forwarded_for {
            headers.push(("x-forwarded-for".into(), value));
        }
        headers.push((
            "x-forwarded-proto".into(),
            if request.https { "https" } else { "http" }.into(),
        ));
        if let Some(host) = request.headers.get("host") {
            headers.push(("x-forwarded-host".into(), host.to_owned()));
        }
        headers.push((request_id::HEADER.into(), request.request_id.clone()));
        headers.extend(trace_headers(request));
        if let Some(principal) = Principal::of(request) {
            headers.push((PRINCIPAL_HEADER.into(), principal_header(principal)));
        }
        headers
    }
}

/// The trace context an upstream call carries: the child `traceparent` (the
/// gateway's span as its parent) and the caller's `tracestate`.
pub(super) fn trace_headers(request: &Request) -> impl Iterator<Item = (String, String)> + '_ {
    let trace = request.trace();
    std::iter::once((TRACEPARENT.to_owned(), trace.child_traceparent()))
        .chain(trace.state.iter().map(|state| (TRACESTATE.to_owned(), state.clone())))
}

/// The principal as base64url (unpadded) JSON: [`Principal::to_json`].
pub fn principal_header(principal: &Principal) -> String {
    base64url_encode(principal.to_json().as_bytes())
}

/// Whether a response header from the upstream reaches the client.
pub(super) fn passes_back(name: &str, dropped: &[String]) -> bool {
    !HOP_BY_HOP.contains(&name)
        && !dropped.iter().any(|d| d == name)
        && name != "content-length"
        && !name.starts_with("access-control-")
}

/// The headers a `Connection` header names (hop-by-hop too), lower case.
pub(super) fn connection_tokens<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    headers
        .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, value)| value.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .filter(|token| !token.is_empty())
        .collect()
}

/// `key=...` (the API key's query parameter), however it is encoded.
fn is_key_param(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or("");
    crate::http::form_decode(name).is_ok_and(|name| name == api_key::QUERY_PARAM)
}

pub(super) fn is_idempotent(method: &Method) -> bool {
    matches!(
        method,
        Method::Get | Method::Head | Method::Put | Method::Delete | Method::Options
    )
}
