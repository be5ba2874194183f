//! What a handler may return: anything that becomes a response. The
//! extractor types that are also return types (`Json`, `Bytes`) and problems
//! implement it beside their own definitions.

use super::{Response, ResponseBody, Status};

/// What a handler may return: anything that becomes a response.
pub trait IntoResponse {
    /// The response this value becomes.
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
    /// The status is a value, known only when it is sent: any 2xx.
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

/// A created resource: 201 with `Location` and the body `T` makes
/// (`Created::at(format!("/items/{id}"), Json(item))`).
///
/// ```
/// use edgegate::http::{Created, IntoResponse, Status};
///
/// let response = Created::at("/items/7", "made").into_response();
/// assert_eq!(response.status, Status::CREATED);
/// assert_eq!(response.header("location"), Some("/items/7"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    /// Where the new resource is, sent as `Location`.
    pub location: String,
    /// What the response's body is made from.
    pub body: T,
    /// Further headers (`idempotent-replayed`, say).
    pub headers: Vec<(&'static str, String)>,
}

impl<T> Created<T> {
    /// A 201 for the resource at `location`, with `body`.
    pub fn at(location: impl Into<String>, body: T) -> Created<T> {
        Created {
            location: location.into(),
            body,
            headers: Vec::new(),
        }
    }

    /// Adds a header, sent with the 201 (not with a problem `body` turns into).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Created<T> {
        self.headers.push((name, value.into()));
        self
    }
}

impl<T: IntoResponse> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut response = (Status::CREATED, self.body).into_response();
        if !matches!(response.body, ResponseBody::Problem(_)) {
            response.set_header("location", self.location);
            for (name, value) in self.headers {
                response.set_header(name, value);
            }
        }
        response
    }
}
