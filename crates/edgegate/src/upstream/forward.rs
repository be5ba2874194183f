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
//! - the gateway appends itself to `Via` (RFC 9110 §7.6.3: a gateway sends
//!   it in each request it forwards);
//! - the principal goes in one header the upstream can trust,
//!   `x-edgegate-principal` (base64url JSON of `id`, `scheme`, `provider`,
//!   `claims`, as ESP's `X-Endpoint-API-UserInfo`); a copy the client sent
//!   is dropped;
//! - the upstream's answer passes unchanged (its 4xx and 5xx too; redirects
//!   are passed on, not followed), less hop-by-hop headers and its own CORS
//!   headers, which the gateway's replace; its body streams through;
//! - it cannot be reached: 502 `upstream-unreachable`; it does not answer in
//!   time: 504 `upstream-timeout`; every target is ejected: 503
//!   `upstream-unavailable` with `Retry-After`, at once.

use std::rc::Rc;

use super::pool::Skip;
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

/// What the gateway adds to `Via`: the protocol it speaks and its pseudonym
/// (no version or host: nothing an attacker can look up).
pub const VIA: &str = "1.1 edgegate";

/// Always hop-by-hop, whatever `Connection` says.
/// What a proxy says of the client, the host or the original URL, beyond
/// the `X-Forwarded-*` the gateway sets itself: a client's own copies are
/// dropped, since an origin that trusts its proxy would believe them
/// (`Forwarded` in Spring or Express, `X-Real-IP` and `True-Client-IP` in
/// Go's and nginx's real-IP modules, `X-Original-URL` in IIS).
const PROXY_SAYS: &[&str] = &[
    "forwarded",
    "x-real-ip",
    "true-client-ip",
    "x-client-ip",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-forwarded-server",
    "x-original-url",
    "x-rewrite-url",
];

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
    /// How long the call took (retries included), in milliseconds.
    pub duration_ms: f64,
    /// The target that gave the answer (or the last one tried).
    pub target: Option<Rc<str>>,
    /// How many calls were made.
    pub tries: u8,
    /// Each target that failed or was passed over, and why.
    pub skipped: Option<String>,
}

/// One exchange to make, to whichever target the pool picks.
pub(super) struct Call {
    pub method: Method,
    pub headers: Vec<(String, String)>,
    pub body: OutboundBody,
    /// Whether it may be sent again: an idempotent request without a body of
    /// the client's. (The platform reports a refused connection and one lost
    /// after the request went out alike, so nothing else is.)
    pub resend: bool,
}

/// A GET or HEAD with a body: the runtime cannot send one, and nothing of a
/// client's request is dropped silently.
fn unsendable_body() -> Response {
    ApiError::of(
        kinds::INVALID_REQUEST,
        "A GET or HEAD request with a body cannot be forwarded: send the body with another method.",
    )
    .into_response()
}

impl Forwarder {
    /// Sends the request to an origin or a service and answers with its response.
    pub(super) async fn proxy(&self, request: &mut Request, platform: &dyn Platform) -> Response {
        let headers = self.headers_for(request);
        // A body whose length was declared (and checked) passes as it is; one
        // without is counted against the route's limit while it streams.
        let declared = request.declares_length();
        let body = match std::mem::replace(&mut request.body, RequestBody::Empty) {
            RequestBody::Empty => OutboundBody::Empty,
            // The runtime sends no body with a GET or HEAD: an empty one (a
            // `Content-Length: 0`, an empty chunked body) is none, anything
            // more is refused here, never counted against the upstream.
            RequestBody::Bytes(bytes) if matches!(request.method, Method::Get | Method::Head) => match bytes.is_empty()
            {
                true => OutboundBody::Empty,
                false => return unsendable_body(),
            },
            RequestBody::Stream(source) if matches!(request.method, Method::Get | Method::Head) => {
                match source.read(0).await {
                    Ok(_) => OutboundBody::Empty,
                    Err(_) => return unsendable_body(),
                }
            }
            RequestBody::Bytes(bytes) => OutboundBody::Bytes(bytes),
            RequestBody::Stream(source) => OutboundBody::Stream {
                source,
                limit: (!declared).then_some(request.body_limit),
            },
        };
        // Nothing with a body is sent twice.
        let resend = is_idempotent(&request.method) && matches!(body, OutboundBody::Empty);
        let call = Call {
            method: request.method.clone(),
            headers,
            body,
            resend,
        };
        let (suffix, query) = self.address_suffix(request);
        let url = |base: &str| join(base, &suffix, &query);
        match self.exchange(request, platform, call, &url).await {
            Ok(answer) => {
                let mut response = Response::new(Status(answer.status));
                let length = answer
                    .header("content-length")
                    .and_then(|l| l.trim().parse::<u64>().ok());
                let dropped = connection_tokens(answer.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                for (name, value) in answer.headers {
                    if !passes_back(&name, &dropped) {
                        continue;
                    }
                    // A header the gateway cannot send as it came (a name
                    // that is no token; a value with control characters, or
                    // U+FFFD where the upstream's bytes were not UTF-8) is
                    // dropped and logged: the answer stands, since the
                    // upstream may already have acted on the request.
                    if !crate::http::field::is_token(&name) || !crate::http::field::is_value(&value) {
                        let shown = if crate::http::field::is_token(&name) {
                            name.as_str()
                        } else {
                            "(not a token)"
                        };
                        platform.log(&crate::policy::access_log::log_line(
                            "warn",
                            "an upstream's response header cannot be sent as it came; dropped",
                            &[("upstream", &self.spec.name), ("header", shown)],
                        ));
                        continue;
                    }
                    response.append_header(name, value);
                }
                response.with_body(ResponseBody::Stream(StreamBody::new(answer.body).with_length(length)))
            }
            Err(failure) => failure,
        }
    }

    /// Sends `call` to the upstream's targets: the pool's choice first, then
    /// (when the request may be sent again, time and the retry budget allow)
    /// the next one whenever a target cannot be reached or answers a status
    /// that counts as its failure. Records the call for the access log. No
    /// answer is the gateway's 502 or 504, or its 503 when every target is
    /// ejected (or the 413 of a body that passed its limit on the way).
    pub(super) async fn exchange(
        &self,
        request: &mut Request,
        platform: &dyn Platform,
        call: Call,
        url: &dyn Fn(&str) -> String,
    ) -> Result<OutboundResponse, Response> {
        let started = platform.now_ms();
        let deadline = started + self.spec.timeout_ms as f64;
        let pool = match &self.pool.canary {
            Some(_) => self.pool.for_request(request, platform.random_u64()),
            None => &*self.pool,
        };
        pool.note_request(started);
        let key = pool.sticky_key(request);
        let random = if pool.targets.len() > 1 {
            platform.random_u64()
        } else {
            0
        };
        let mut order = match pool.order(key.as_deref(), started, random) {
            Ok(order) => order,
            Err(wait_ms) => {
                request.extensions.insert(UpstreamCall {
                    name: pool.name.clone(),
                    status: None,
                    duration_ms: 0.0,
                    target: None,
                    tries: 0,
                    skipped: Some("every target: ejected".into()),
                });
                return Err(unavailable(&pool.name, wait_ms));
            }
        };
        // The route's `retry_idempotent`: one target, tried once more when unreachable.
        if self.spec.retry_idempotent && order.len() == 1 {
            order.push(order[0]);
        }
        let Call {
            method,
            mut headers,
            body,
            resend,
        } = call;
        let mut body = Some(body);
        let mut tries = 0u8;
        let mut skipped = String::new();
        let mut last: Option<(usize, Result<OutboundResponse, FetchError>)> = None;
        for (n, &index) in order.iter().enumerate() {
            let now = if n == 0 { started } else { platform.now_ms() };
            if let Some((previous, result)) = &last {
                let same_again = *previous == index;
                // A timeout spent the route's time (each try gets what is left).
                if !resend
                    || matches!(result, Err(FetchError::Timeout))
                    || deadline - now < 1.0
                    || (same_again && !matches!(result, Err(FetchError::Unreachable(_))))
                    || !pool.take_retry(now)
                {
                    break;
                }
            }
            let target = &pool.targets[index];
            let Some(begun) = pool.begin(index, now, deadline) else {
                note_skip(&mut skipped, &target.label, Skip::Ejected);
                continue;
            };
            // A copy is kept only while another try may follow.
            let more = resend && n + 1 < order.len();
            let outbound = OutboundRequest {
                method: method.clone(),
                url: url(&target.base),
                headers: if more {
                    headers.clone()
                } else {
                    std::mem::take(&mut headers)
                },
                body: match (more, &body) {
                    (true, Some(kept)) => kept.try_clone().unwrap_or(OutboundBody::Empty),
                    _ => body.take().unwrap_or(OutboundBody::Empty),
                },
                timeout_ms: (deadline - now).ceil().max(1.0) as u32,
                service: target.service.clone(),
            };
            tries += 1;
            // The timeout runs while the client's streamed body is still
            // arriving: a slow upload says nothing of the target.
            let uploading = matches!(outbound.body, OutboundBody::Stream { .. });
            let result = platform.fetch(outbound).await;
            let failure = match &result {
                Ok(answer) if pool.fails_with(answer.status) => Some(Skip::Status(answer.status)),
                Ok(_) => None,
                Err(FetchError::Unreachable(_)) => Some(Skip::Unreachable),
                Err(FetchError::Timeout) => Some(Skip::Timeout),
                // The client's body, not the target, failed.
                Err(FetchError::BodyTooLarge) => {
                    begun.release();
                    last = Some((index, result));
                    break;
                }
            };
            match failure {
                Some(Skip::Timeout) if uploading => begun.release(),
                _ => begun.record(failure.is_none(), platform.now_ms()),
            }
            if let Some(skip) = failure {
                note_skip(&mut skipped, &target.label, skip);
            }
            last = Some((index, result));
            if failure.is_none() {
                break;
            }
        }
        let target = last.as_ref().map(|(index, _)| pool.targets[*index].label.clone());
        let result = last.map(|(_, result)| result);
        request.extensions.insert(UpstreamCall {
            name: pool.name.clone(),
            status: result
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|answer| answer.status),
            duration_ms: (platform.now_ms() - started).max(0.0),
            target,
            tries,
            skipped: (!skipped.is_empty()).then_some(skipped),
        });
        let Some(result) = result else {
            // Every target was taken by another request's half-open trial meanwhile.
            return Err(unavailable(&pool.name, 1000.0));
        };
        result.map_err(|error| match error {
            FetchError::Timeout => ApiError::of(
                kinds::UPSTREAM_TIMEOUT,
                format!(
                    "The upstream `{}` did not answer within {} ms.",
                    pool.name, self.spec.timeout_ms
                ),
            )
            .into_response(),
            FetchError::Unreachable(cause) => ApiError::of(
                kinds::UPSTREAM_UNREACHABLE,
                format!("The upstream `{}` could not be reached.", pool.name),
            )
            .with_internal(format!("upstream {}: {cause}", pool.name))
            .into_response(),
            FetchError::BodyTooLarge => ApiError::body_too_large(request.body_limit).into_response(),
        })
    }

    /// What follows a target's base URL for this request: the path's
    /// remainder (appended) and the query less the API key.
    fn address_suffix(&self, request: &Request) -> (String, Vec<String>) {
        let mut query: Vec<String> = request
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty() && !api_key::is_key_param(pair))
            .map(str::to_owned)
            .collect();
        let mut rest = String::new();
        match self.spec.path {
            PathTranslation::Append => {
                rest = request
                    .rest
                    .clone()
                    .map_or("", |range| &request.path[range])
                    .trim_start_matches('/')
                    .to_owned();
            }
            PathTranslation::Constant => {
                // The path's parameters are the route's to give: a client's
                // query pair of the same name (however encoded, in any case:
                // some frameworks bind names case-insensitively) is dropped,
                // so an origin that reads the first value reads the path's.
                let params: Vec<(&str, &str)> = request.params().collect();
                query.retain(|pair| {
                    let name = pair.split('=').next().unwrap_or("");
                    crate::http::form_decode(name)
                        .map_or(true, |name| params.iter().all(|(n, _)| !n.eq_ignore_ascii_case(&name)))
                });
                for (name, value) in params {
                    query.push(format!("{}={}", percent_encode(name), percent_encode(value)));
                }
            }
        }
        (rest, query)
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
            && !PROXY_SAYS.contains(&name)
            && !dropped.iter().any(|d| d == name || d == original)
            && name != api_key::HEADER
            && name != PRINCIPAL_HEADER
            && name != "host"
            && name != "content-length"
            && name != "x-forwarded-for"
            && name != "x-forwarded-proto"
            && name != "x-forwarded-host"
            && name != "via"
            && name != request_id::HEADER
            && name != TRACEPARENT
            && name != TRACESTATE
            // The runtime's own `CF-Connecting-IP` passes; a client's look-alike does not.
            && !(name != original && name == CLIENT_IP_HEADER)
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
            // No address of its own to append: the client's list alone
            // would end in an entry it chose, which an origin trusts.
            (Some(_), None) => None,
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
        // Appended to what came before, never in its place (§7.6.3).
        let via = match request.headers.get("via").map(str::trim) {
            Some(earlier) if !earlier.is_empty() => format!("{earlier}, {VIA}"),
            _ => VIA.to_owned(),
        };
        headers.push(("via".into(), via));
        headers.push((request_id::HEADER.into(), request.request_id.clone()));
        headers.extend(trace_headers(request));
        if let Some(principal) = Principal::of(request) {
            headers.push((PRINCIPAL_HEADER.into(), principal_header(principal)));
        }
        headers
    }
}

/// The 503 of an upstream whose targets are all ejected: come back when the
/// first may be tried again.
fn unavailable(name: &str, wait_ms: f64) -> Response {
    ApiError::of(
        kinds::UPSTREAM_UNAVAILABLE,
        format!("Every target of the upstream `{name}` is failing; retry after Retry-After."),
    )
    .with_header("retry-after", ((wait_ms / 1000.0).ceil().max(1.0) as u64).to_string())
    .into_response()
}

/// Adds `label: why` to the access log's list of skipped targets.
fn note_skip(skipped: &mut String, label: &str, why: Skip) {
    if !skipped.is_empty() {
        skipped.push_str("; ");
    }
    skipped.push_str(label);
    skipped.push_str(": ");
    skipped.push_str(why.as_str());
    if let Skip::Status(status) = why {
        skipped.push(' ');
        skipped.push_str(&status.to_string());
    }
}

/// A target's base URL with the request's remainder and query.
fn join(base: &str, rest: &str, query: &[String]) -> String {
    let mut url = String::with_capacity(base.len() + rest.len() + 64);
    url.push_str(base);
    if !rest.is_empty() {
        if !url.ends_with('/') {
            url.push('/');
        }
        url.push_str(rest);
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
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

pub(super) fn is_idempotent(method: &Method) -> bool {
    matches!(
        method,
        Method::Get | Method::Head | Method::Put | Method::Delete | Method::Options
    )
}
