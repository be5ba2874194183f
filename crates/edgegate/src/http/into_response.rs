//! What a handler may return: anything that becomes a response. The
//! extractor types that are also return types (`Json`, `Bytes`) and problems
//! implement it beside their own definitions.

use super::{Response, ResponseBody, Status};

/// What a handler may return: anything that becomes a response.
pub trait IntoResponse {
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::text(Status::OK, self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::text(Status::OK, self)
    }
}

/// `()` is an empty 204.
impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Status::NO_CONTENT)
    }
}

/// A bare status is an empty response with that status.
impl IntoResponse for Status {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

/// `(Status::CREATED, Json(item))`: the inner response with another status.
impl<T: IntoResponse> IntoResponse for (Status, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        // An error keeps its own status: a failed body stays a failure.
        if !matches!(response.body, ResponseBody::Problem(_)) {
            response.status = self.0;
        }
        response
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }
}
