//! The function integration (API Gateway + Lambda, API Gateway + Function
//! Compute): the gateway calls a Worker behind a service binding with the
//! request as the gateway event, and turns the seeds' response object it
//! answers back into HTTP.
//!
//! The call is `POST` of the event as JSON: the seeds' fields and the gateway
//! event's (`method`/`httpMethod`, `path`, `params`/`pathParameters`,
//! `query`/`queryParameters`, `headers`, `body`, `isBase64Encoded`; see
//! [`FunctionEvent`]) plus `requestContext` with the `requestId` and the
//! `principal` (`{id, scheme, provider, claims}`, or null on a public route).
//! The headers and query are the forwarding rules' ([`super::forward`]):
//! credentials the gateway consumed are not in the event.
//!
//! The answer must be a 2xx whose body is the response object
//! ([`FunctionResponse`]). Anything else (another status, not JSON, a
//! malformed object, more than [`ANSWER_LIMIT`] bytes) is the upstream's
//! failure: a 502 `upstream-invalid-answer`, with the reason in the log.

use super::forward::{connection_tokens, is_idempotent, passes_back, Forwarder};
use crate::extract::FunctionEvent;
use crate::handler::FunctionResponse;
use crate::http::{BodyReadError, Method, Request, Response};
use crate::platform::fetch::OutboundBody;
use crate::platform::Platform;
use crate::policy::{api_key, request_id, Principal};
use crate::problem::{kinds, ApiError};

/// The most a function's answer may be, read into memory (Lambda's limit
/// for a synchronous response).
pub const ANSWER_LIMIT: usize = 6 * 1024 * 1024;

/// Calls the function with the request's event; the body has been read.
pub(super) async fn invoke(forwarder: &Forwarder, request: &mut Request, platform: &dyn Platform) -> Response {
    let dropped = connection_tokens(request.headers.iter());
    let event = FunctionEvent::of(
        request,
        |name| name != api_key::QUERY_PARAM,
        |name| forwarder.passes_on(name, &dropped),
    );
    let event = match event {
        Ok(event) => event,
        Err(refused) => return refused.into_response(),
    };
    let body = event_json(&event, request).into_bytes();

    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (request_id::HEADER.to_owned(), request.request_id.clone()),
    ];
    let outbound = forwarder.outbound(Method::Post, forwarder.base.clone(), headers, OutboundBody::Bytes(body));
    // A retry (when the route asks for one) repeats only idempotent requests.
    let may_retry = forwarder.spec.retry_idempotent && is_idempotent(&request.method);
    let answer = match forwarder.exchange(request, platform, outbound, may_retry).await {
        Ok(answer) => answer,
        Err(failure) => return failure,
    };
    let reason = if (200..=299).contains(&answer.status) {
        match answer.body.read(ANSWER_LIMIT).await {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(object) => match FunctionResponse(object).to_response(&|name| passes_back(name, &[])) {
                    Ok(response) => return response,
                    Err(reason) => reason,
                },
                Err(_) => "the answer is not JSON".to_owned(),
            },
            Err(BodyReadError::TooLarge) => format!("the answer is over {ANSWER_LIMIT} bytes"),
            Err(BodyReadError::Failed(cause) | BodyReadError::Internal(cause)) => {
                format!("the answer could not be read: {cause}")
            }
        }
    } else {
        format!("the function Worker answered HTTP {}", answer.status)
    };
    ApiError::of(
        kinds::UPSTREAM_INVALID_ANSWER,
        format!(
            "The function `{}` did not answer with a response object.",
            forwarder.name
        ),
    )
    .with_internal(format!("function {}: {reason}", forwarder.name))
    .into_response()
}

/// The event as JSON, with `requestContext` after the event's own fields.
fn event_json(event: &FunctionEvent, request: &Request) -> String {
    // An event (strings and JSON) always serializes; were it not to, the
    // function would get an object it refuses, never a guess.
    let mut json = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    // The event is a JSON object: its closing brace gives way to one more field.
    json.pop();
    json.push_str(if json.len() > 1 { "," } else { "" });
    json.push_str(r#""requestContext":{"requestId":"#);
    json.push_str(&serde_json::Value::String(request.request_id.clone()).to_string());
    json.push_str(r#","principal":"#);
    match Principal::of(request) {
        Some(principal) => json.push_str(&principal.to_json()),
        None => json.push_str("null"),
    }
    json.push_str("}}");
    json
}
