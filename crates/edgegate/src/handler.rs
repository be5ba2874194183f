//! Handlers are plain async functions whose arguments are extractors and whose
//! return value becomes a response. The route table keeps them type-erased.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::Value;

use crate::extract::FromRequest;
pub use crate::http::IntoResponse;
use crate::http::{base64_decode, field, Alphabet, Request, Response, ResponseBody, Status, TrailingBits};
use crate::problem::ApiError;

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
                ResponseBody::Text(json.to_string())
            }
        };
        match headers {
            None | Some(Value::Null) => {}
            Some(Value::Object(headers)) => {
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
                    if keep(&name.to_ascii_lowercase()) {
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
    #[cfg(not(target_arch = "wasm32"))]
    fn describe(op: &mut crate::openapi::Operation) {
        op.response(
            "default",
            "The function's response object, as HTTP.",
            Some(("*/*", serde_json::json!({}))),
        );
    }

    /// A handler's malformed object is the handler's bug: a 500.
    fn into_response(self) -> Response {
        self.to_response(&|_| true)
            .unwrap_or_else(|reason| ApiError::internal(format!("function response: {reason}")).into_response())
    }
}

/// The future a handler returns, its output already a response.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response>>>;

/// An async function taking extractors. Implemented for functions of up to
/// eight arguments; `Args` only tells the implementations apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler",
    note = "a handler is an async fn of up to eight extractors returning something `IntoResponse`",
    note = "on the host, the types inside `Json`, `Query` and `Path` must derive `schemars::JsonSchema` for the OpenAPI document: `#[cfg_attr(not(target_arch = \"wasm32\"), derive(schemars::JsonSchema))]`"
)]
pub trait Handler<S, Args>: 'static {
    /// Whether any of its extractors reads headers beyond the gateway's own.
    const READS_ALL_HEADERS: bool;

    /// Runs the extractors on `request`, then the function; an extractor's
    /// error is the response, and the function does not run.
    fn call(&self, request: &Request, state: &S) -> HandlerFuture;

    /// Its extractors' and return type's parts of the OpenAPI operation.
    #[cfg(not(target_arch = "wasm32"))]
    fn describe(op: &mut crate::openapi::Operation);
}

/// A handler with its argument types erased, as the route table stores it.
pub(crate) type BoxedHandler<S> = Rc<dyn Fn(&Request, &S) -> HandlerFuture>;

pub(crate) fn boxed<S, Args, H: Handler<S, Args>>(handler: H) -> BoxedHandler<S> {
    Rc::new(move |request, state| handler.call(request, state))
}

macro_rules! impl_handler {
    ($($arg:ident),*) => {
        impl<S, F, Fut, R, $($arg,)*> Handler<S, ($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + 'static,
            Fut: Future<Output = R> + 'static,
            R: IntoResponse,
            $($arg: FromRequest<S>,)*
        {
            const READS_ALL_HEADERS: bool = false $(|| <$arg as FromRequest<S>>::READS_ALL_HEADERS)*;

            #[cfg(not(target_arch = "wasm32"))]
            fn describe(op: &mut crate::openapi::Operation) {
                $(<$arg as FromRequest<S>>::describe(op);)*
                R::describe(op);
            }

            #[allow(non_snake_case, unused_variables)]
            fn call(&self, request: &Request, state: &S) -> HandlerFuture {
                $(
                    let $arg = match $arg::from_request(request, state) {
                        Ok(value) => value,
                        Err(error) => return Box::pin(std::future::ready(error.into_response())),
                    };
                )*
                let future = self($($arg),*);
                Box::pin(async move { future.await.into_response() })
            }
        }
    };
}

impl_handler!();
impl_handler!(A1);
impl_handler!(A1, A2);
impl_handler!(A1, A2, A3);
impl_handler!(A1, A2, A3, A4);
impl_handler!(A1, A2, A3, A4, A5);
impl_handler!(A1, A2, A3, A4, A5, A6);
impl_handler!(A1, A2, A3, A4, A5, A6, A7);
impl_handler!(A1, A2, A3, A4, A5, A6, A7, A8);

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

    #[test]
    fn status_tuples_do_not_turn_errors_into_successes() {
        let ok = (Status::CREATED, "made").into_response();
        assert_eq!(ok.status, Status::CREATED);
        let failed = (Status::CREATED, Err::<&str, _>(ApiError::not_found("gone"))).into_response();
        assert_eq!(failed.status, Status::NOT_FOUND);
    }
}
