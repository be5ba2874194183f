//! The function integration (API Gateway + Lambda, API Gateway + Function
//! Compute): the gateway calls a Worker behind a service binding with the
//! request as the gateway event, and turns the seeds' response object it
//! answers back into HTTP.
//!
//! The call is `POST` of the event as JSON: the seeds' fields and the gateway
//! event's (`method`/`httpMethod`, `path`, `params`/`pathParameters`,
//! `query`/`queryParameters`, `headers`, `body`, `isBase64Encoded`; see
//! [`FunctionEvent`]) plus `requestContext` with the `requestId`, the
//! `traceId` (the call carries the child `traceparent` too), and the
//! `principal` (`{id, scheme, provider, claims}`, or null on a public route).
//! The headers and query are the forwarding rules' ([`super::forward`]):
//! credentials the gateway consumed are not in the event.
//!
//! The answer must be a 2xx whose body is the response object
//! ([`FunctionResponse`]). Anything else (another status, not JSON, a
//! malformed object, more than [`ANSWER_LIMIT`] bytes) is the upstream's
//! failure: a 502 `upstream-invalid-answer`, with the reason in the log.

use serde::Deserialize;
use serde_json::Value;

use super::forward::{connection_tokens, is_idempotent, passes_back, trace_headers, Call};
use super::Forwarder;
use crate::extract::FunctionEvent;
use crate::http::{
    base64_decode, compact_json, field, Alphabet, BodyReadError, IntoResponse, Method, Request, RequestBody, Response,
    ResponseBody, Status, TrailingBits,
};
use crate::platform::fetch::OutboundBody;
use crate::platform::{first, Platform};
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
    let mut event = match event {
        Ok(event) => event,
        Err(refused) => return refused.into_response(),
    };
    // A HEAD is its GET without the body (the gateway drops it on the way
    // out): the function answers the GET it already knows.
    if request.method == Method::Head {
        event.method = "GET".to_owned();
    }
    let body = event_json(&event, request).into_bytes();

    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (request_id::HEADER.to_owned(), request.request_id.clone()),
    ];
    headers.extend(trace_headers(request));
    // Only an idempotent request without a body of its own is sent again.
    let call = Call {
        method: Method::Post,
        headers,
        body: OutboundBody::Bytes(body),
        resend: is_idempotent(&request.method)
            && match &request.body {
                RequestBody::Empty => true,
                RequestBody::Bytes(bytes) => bytes.is_empty(),
                RequestBody::Stream(_) => false,
            },
    };
    let started = platform.now_ms();
    let answer = match forwarder
        .exchange(request, platform, call, &|base: &str| base.to_owned())
        .await
    {
        Ok(answer) => answer,
        Err(failure) => return failure,
    };
    let reason = if (200..=299).contains(&answer.status) {
        // The answer is read whole (it is JSON) within what is left of the
        // route's timeout: a function that sends its head and then stalls
        // is as slow as one that never answers.
        let left_ms = (started + forwarder.spec.timeout_ms as f64 - platform.now_ms()).max(1.0);
        let read = match first(answer.body.read(ANSWER_LIMIT), platform.sleep(left_ms.ceil() as u32)).await {
            Ok(read) => read,
            Err(()) => {
                return ApiError::of(
                    kinds::UPSTREAM_TIMEOUT,
                    format!(
                        "The function `{}` did not answer within {} ms.",
                        forwarder.pool.name, forwarder.spec.timeout_ms
                    ),
                )
                .into_response()
            }
        };
        match read {
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
            forwarder.pool.name
        ),
    )
    .with_internal(format!("function {}: {reason}", forwarder.pool.name))
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
    json.push_str(&compact_json(&Value::String(request.request_id.clone())));
    json.push_str(r#","traceId":""#);
    json.push_str(&request.trace().trace_id_hex());
    json.push_str(r#"","principal":"#);
    match Principal::of(request) {
        Some(principal) => json.push_str(&principal.to_json()),
        None => json.push_str("null"),
    }
    json.push_str("}}");
    json
}

/// The response object of the seed functions and of Function Compute:
/// `statusCode` (a number, or its digits as a string), `headers` (string,
/// number or boolean values; null ignored), `body` (a string, or JSON that is
/// sent as JSON; null or absent for none), and `isBase64Encoded` (a boolean,
/// or `"true"`/`"false"`) for binary bodies. Read leniently in what the seeds
/// allow and strictly in everything else: anything else is the function's
/// failure, never a guess.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct FunctionResponse(pub Value);

impl FunctionResponse {
    /// The response the object describes, keeping the headers `keep` admits;
    /// or why it describes none (for the log: it may quote the object's
    /// field names, never its values).
    pub fn to_response(self, keep: &dyn Fn(&str) -> bool) -> Result<Response, String> {
        let Value::Object(object) = self.0 else {
            return Err("the answer is not a JSON object".into());
        };
        // Taken apart by value (no lookups, and the body is moved, not copied).
        let (mut status, mut base64, mut body, mut headers) = (None, None, None, None);
        for (name, value) in object {
            match name.as_str() {
                "statusCode" => status = Some(value),
                "isBase64Encoded" => base64 = Some(value),
                "body" => body = Some(value),
                "headers" => headers = Some(value),
                _ => {}
            }
        }
        let status = match status {
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) if (1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().ok()
            }
            _ => None,
        };
        // The runtime sends 200..=599 (1xx are the protocol's own).
        let Some(status) = status.filter(|s| (200..=599).contains(s)) else {
            return Err("`statusCode` is missing or not a status from 200 to 599".into());
        };
        let base64 = match base64 {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => flag,
            Some(Value::String(text)) if text == "true" || text == "false" => text == "true",
            Some(_) => return Err("`isBase64Encoded` is neither a boolean nor \"true\"/\"false\"".into()),
        };
        let mut response = Response::new(Status(status as u16));
        let mut json_body = false;
        response.body = match body {
            None | Some(Value::Null) => ResponseBody::Empty,
            // Trailing bits dropped, not refused: why at `base64_decode`.
            Some(Value::String(text)) if base64 => {
                match base64_decode(&text, Alphabet::Standard, TrailingBits::Discarded) {
                    Ok(bytes) => ResponseBody::Bytes(bytes),
                    Err(_) => return Err("`isBase64Encoded` is true but `body` is not base64".into()),
                }
            }
            Some(_) if base64 => return Err("`isBase64Encoded` is true but `body` is not a string".into()),
            Some(Value::String(text)) if text.is_empty() => ResponseBody::Empty,
            Some(Value::String(text)) => ResponseBody::Text(text),
            Some(json) => {
                json_body = true;
                ResponseBody::Text(compact_json(&json))
            }
        };
        match headers {
            None | Some(Value::Null) => {}
            Some(Value::Object(headers)) => {
                // What the answer's own `Connection` names is hop-by-hop too, as an origin's is.
                let strings = headers
                    .iter()
                    .filter_map(|(name, value)| Some((name.as_str(), value.as_str()?)));
                let dropped = connection_tokens(strings);
                for (name, value) in headers {
                    let value = match value {
                        Value::Null => continue,
                        Value::String(text) => text,
                        Value::Bool(flag) => flag.to_string(),
                        Value::Number(number) => number.to_string(),
                        _ => {
                            return Err(format!(
                                "header `{}` is neither a string, a number nor a boolean",
                                shown(&name)
                            ))
                        }
                    };
                    if !field::is_token(&name) {
                        return Err("a header name is not a token".into());
                    }
                    if !field::is_value(&value) {
                        return Err(format!("header `{}` has a value with control characters", shown(&name)));
                    }
                    let lower = name.to_ascii_lowercase();
                    if keep(&lower) && !dropped.contains(&lower) {
                        response.set_header(name, value);
                    }
                }
            }
            Some(_) => return Err("`headers` is not an object".into()),
        }
        if json_body && response.header("content-type").is_none() {
            response.set_header("content-type", "application/json");
        }
        Ok(response)
    }
}

/// A name from a function's answer, for the log: as it is when it is a
/// short token, else not at all.
fn shown(name: &str) -> &str {
    if name.len() <= 64 && field::is_token(name) {
        name
    } else {
        "(not a token)"
    }
}

impl IntoResponse for FunctionResponse {
    /// Whatever status and body the object says.
    /// A handler's malformed object is the handler's bug: a 500.
    fn into_response(self) -> Response {
        self.to_response(&|_| true)
            .unwrap_or_else(|reason| ApiError::internal(format!("function response: {reason}")).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn function_response(value: Value) -> Response {
        serde_json::from_value::<FunctionResponse>(value)
            .unwrap()
            .into_response()
    }

    #[test]
    fn seed_response_objects_become_responses() {
        let response = function_response(json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-count": 3, "x-flag": false, "x-gone": null},
            "body": "{\"ok\":true}"
        }));
        assert_eq!(response.status, Status::CREATED);
        assert_eq!(response.header("x-count"), Some("3"));
        assert_eq!(response.header("x-flag"), Some("false"));
        assert_eq!(response.header("x-gone"), None);
        assert_eq!(response.body_text(), "{\"ok\":true}");
    }

    #[test]
    fn base64_function_bodies_are_decoded_and_bad_ones_fail_closed() {
        let response = function_response(json!({"statusCode": 200, "body": "AAEC/w==", "isBase64Encoded": true}));
        assert_eq!(response.body, ResponseBody::Bytes(vec![0, 1, 2, 255]));
        let broken = function_response(json!({"statusCode": 200, "body": "***", "isBase64Encoded": true}));
        assert_eq!(broken.status, Status::INTERNAL_SERVER_ERROR);
        let object_header = function_response(json!({"statusCode": 200, "headers": {"x": {"a": 1}}}));
        assert_eq!(object_header.status, Status::INTERNAL_SERVER_ERROR);
    }
}
