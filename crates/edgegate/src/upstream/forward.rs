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

use serde_json::Value;

use super::{PathTranslation, Upstream};
use crate::gateway::{too_large, CLIENT_IP_HEADER};
use crate::http::{base64url_encode, Method, Request, RequestBody, Response, ResponseBody, Status, StreamBody};
use crate::platform::fetch::OutboundBody;
use crate::platform::{FetchError, OutboundRequest, Platform};
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
    pub name: Rc<str>,
    /// The upstream's status; none when it did not answer.
    pub status: Option<u16>,
    pub duration_ms: f64,
}

/// An upstream resolved against its address, built once per isolate.
pub struct Forwarder {
    name: Rc<str>,
    base: String,
    spec: Upstream,
}

impl Forwarder {
    pub fn new(spec: Upstream, base: String) -> Forwarder {
        Forwarder {
            name: Rc::from(spec.name.as_str()),
            base,
            spec,
        }
    }

    /// Forwards the request and answers with the upstream's response.
    pub async fn forward(&self, request: &mut Request, platform: &dyn Platform) -> Response {
        let url = self.url_for(request);
        let headers = self.headers_for(request);
        // A body whose length was declared (and checked) passes as it is; one
        // without is counted against the route's limit while it streams.
        let declared = request.headers.get("content-length").is_some();
        let body = match std::mem::replace(&mut request.body, RequestBody::Empty) {
            RequestBody::Empty => OutboundBody::Empty,
            RequestBody::Bytes(bytes) => OutboundBody::Bytes(bytes),
            RequestBody::Stream(source) => OutboundBody::Stream {
                source,
                limit: (!declared).then_some(request.body_limit),
            },
        };
        let may_retry =
            self.spec.retry_idempotent && is_idempotent(&request.method) && matches!(body, OutboundBody::Empty);
        let started = platform.now_ms();
        let outbound = OutboundRequest {
            method: request.method.clone(),
            url,
            headers,
            body,
            timeout_ms: self.spec.timeout_ms,
        };
        let mut result = platform.fetch(outbound).await;
        // The retry is built only when it is needed (the body was empty).
        if may_retry && matches!(result, Err(FetchError::Unreachable(_))) {
            let again = OutboundRequest {
                method: request.method.clone(),
                url: self.url_for(request),
                headers: self.headers_for(request),
                body: OutboundBody::Empty,
                timeout_ms: self.spec.timeout_ms,
            };
            result = platform.fetch(again).await;
        }
        let mut call = UpstreamCall {
            name: self.name.clone(),
            status: None,
            duration_ms: (platform.now_ms() - started).max(0.0),
        };
        let response = match result {
            Ok(answer) => {
                call.status = Some(answer.status);
                let mut response = Response::new(Status(answer.status));
                let dropped = connection_tokens(answer.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                for (name, value) in answer.headers {
                    if passes_back(&name, &dropped) {
                        response.append_header(name, value);
                    }
                }
                response.with_body(ResponseBody::Stream(StreamBody::new(answer.body)))
            }
            Err(FetchError::Timeout) => ApiError::of(
                kinds::UPSTREAM_TIMEOUT,
                format!(
                    "The upstream `{}` did not answer within {} ms.",
                    self.name, self.spec.timeout_ms
                ),
            )
            .into_response(),
            Err(FetchError::Unreachable(cause)) => ApiError::of(
                kinds::UPSTREAM_UNREACHABLE,
                format!("The upstream `{}` could not be reached.", self.name),
            )
            .with_internal(format!("upstream {}: {cause}", self.name))
            .into_response(),
            Err(FetchError::BodyTooLarge) => too_large(request.body_limit).into_response(),
        };
        request.extensions.insert(call);
        response
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

    /// The request's headers as the upstream gets them.
    fn headers_for(&self, request: &Request) -> Vec<(String, String)> {
        let dropped = connection_tokens(request.headers.iter());
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            // Request header names are lower case already (`Headers::append`).
            .filter(|&(name, _)| {
                !HOP_BY_HOP.contains(&name)
                    && !dropped.iter().any(|d| d == name)
                    && name != api_key::HEADER
                    && name != PRINCIPAL_HEADER
                    && name != "host"
                    && name != "content-length"
                    && name != "x-forwarded-for"
                    && name != "x-forwarded-proto"
                    && name != "x-forwarded-host"
                    && name != request_id::HEADER
                    && (self.spec.pass_authorization || name != jwt::HEADER)
            })
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
        if let Some(principal) = Principal::of(request) {
            headers.push((PRINCIPAL_HEADER.into(), principal_header(principal)));
        }
        headers
    }
}

/// The principal as base64url (unpadded) JSON:
/// `{"id", "scheme", "provider", "claims"}`.
pub fn principal_header(principal: &Principal) -> String {
    let text = |value: Option<&str>| value.map_or(Value::Null, |v| Value::String(v.to_owned())).to_string();
    let claims = principal
        .claims
        .as_deref()
        .map_or_else(|| "null".to_owned(), Value::to_string);
    let json = format!(
        r#"{{"id":{},"scheme":"{}","provider":{},"claims":{claims}}}"#,
        text(Some(&principal.id)),
        principal.scheme.as_str(),
        text(principal.provider.as_deref()),
    );
    base64url_encode(json.as_bytes())
}

/// Whether a response header from the upstream reaches the client.
fn passes_back(name: &str, dropped: &[String]) -> bool {
    !HOP_BY_HOP.contains(&name)
        && !dropped.iter().any(|d| d == name)
        && name != "content-length"
        && !name.starts_with("access-control-")
}

/// The headers a `Connection` header names (hop-by-hop too), lower case.
fn connection_tokens<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
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

fn is_idempotent(method: &Method) -> bool {
    matches!(
        method,
        Method::Get | Method::Head | Method::Put | Method::Delete | Method::Options
    )
}

/// RFC 3986 unreserved characters kept, everything else `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push_str(&crate::http::hex_encode(&[byte]).to_ascii_uppercase());
        }
    }
    out
}
