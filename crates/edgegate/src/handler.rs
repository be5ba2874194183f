//! Handlers are plain async functions whose arguments are extractors and whose
//! return value becomes a response. The route table keeps them type-erased.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::extract::FromRequest;
pub use crate::http::IntoResponse;
use crate::http::{base64_decode, Request, Response, ResponseBody, Status};
use crate::problem::ApiError;

/// The response object of the seed functions: `statusCode`, `headers` (string,
/// number or boolean values; null ignored), `body`, and the gateway event's
/// `isBase64Encoded` for binary bodies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResponse {
    pub status_code: u16,
    #[serde(default)]
    pub headers: Map<String, Value>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub is_base64_encoded: bool,
}

impl IntoResponse for FunctionResponse {
    fn into_response(self) -> Response {
        if !(100..=599).contains(&self.status_code) {
            return ApiError::internal(format!("function returned status code {}", self.status_code)).into_response();
        }
        let body = if self.is_base64_encoded {
            match base64_decode(&self.body) {
                Ok(bytes) => ResponseBody::Bytes(bytes),
                Err(_) => {
                    return ApiError::internal("function returned isBase64Encoded with a body that is not base64")
                        .into_response()
                }
            }
        } else if self.body.is_empty() {
            ResponseBody::Empty
        } else {
            ResponseBody::Text(self.body)
        };
        let mut response = Response::new(Status(self.status_code)).with_body(body);
        for (name, value) in self.headers {
            let value = match value {
                Value::Null => continue,
                Value::String(text) => text,
                Value::Bool(flag) => flag.to_string(),
                Value::Number(number) => number.to_string(),
                other => {
                    return ApiError::internal(format!(
                        "function returned header `{name}` with a non-scalar value {other}"
                    ))
                    .into_response()
                }
            };
            response.set_header(name, value);
        }
        response
    }
}

/// The future a handler returns, its output already a response.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response>>>;

/// An async function taking extractors. Implemented for functions of up to
/// eight arguments; `Args` only tells the implementations apart.
pub trait Handler<S, Args>: 'static {
    /// Whether any of its extractors reads headers beyond the gateway's own.
    const READS_ALL_HEADERS: bool;

    fn call(&self, request: &Request, state: &S) -> HandlerFuture;
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
