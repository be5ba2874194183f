//! What each extractor and return type adds to its route's operation:
//! parameters, bodies, successes, and the problems it answers. Beside the
//! runtime traits, not on them: a handler's argument and return types
//! implement [`Describe`] for the document alone.

use serde_json::json;

use super::{Documented, Operation};
use crate::extract::{Bytes, Claims, Consumer, EventBody, FunctionEvent, Json, Object, Path, Query, State};
use crate::http::{Created, Headers, Method, Response, Status};
use crate::policy::Principal;
use crate::problem::{kinds, ApiError};
use crate::upstream::function::FunctionResponse;

/// What a type adds to its route's OpenAPI operation. Nothing by default:
/// an extractor of one's own says `impl Describe for MyExtractor {}`, or
/// what it adds.
#[diagnostic::on_unimplemented(
    message = "`{Self}` says nothing for the OpenAPI document",
    note = "an extractor or return type of your own: `impl edgegate::openapi::Describe for {Self} {{}}` (or what it adds)",
    note = "inside `Json`, `Query` and `Path`: derive `schemars::JsonSchema`"
)]
pub trait Describe {
    /// Adds its parameters, body, successes and problems to `op`.
    fn describe(_op: &mut Operation) {}
}

fn text(op: &mut Operation) {
    op.response("200", "OK", Some(("text/plain", json!({"type": "string"}))));
}

fn json_problems(op: &mut Operation) {
    op.problem(kinds::UNSUPPORTED_MEDIA_TYPE);
    op.problem(kinds::MALFORMED_JSON);
    op.problem(kinds::INVALID_BODY);
    op.problem(kinds::BODY_UNREADABLE);
}

// Extractors.

impl<T: Documented> Describe for Path<T> {
    fn describe(op: &mut Operation) {
        op.path_params::<T>();
        op.problem(kinds::INVALID_PATH_PARAM);
    }
}

impl<T: Documented> Describe for Query<T> {
    fn describe(op: &mut Operation) {
        op.query_params::<T>();
        op.problem(kinds::INVALID_QUERY);
    }
}

/// As an argument, a required body; as a return, a 200 with `T`. A type
/// is one or the other in a handler's signature, so one impl serves both
/// places by the document's reading order: arguments first.
impl<T: Documented> Describe for Json<T> {
    fn describe(op: &mut Operation) {
        if op.describing_response() {
            op.response_of::<T>("200", "OK", "application/json");
        } else {
            op.json_body::<T>(true);
            json_problems(op);
            op.problem(kinds::MISSING_BODY);
        }
    }
}

impl<T: Documented> Describe for Option<Json<T>> {
    fn describe(op: &mut Operation) {
        op.json_body::<T>(false);
        json_problems(op);
    }
}

impl Describe for Bytes {
    fn describe(op: &mut Operation) {
        if op.describing_response() {
            op.response("200", "OK", Some(("application/octet-stream", json!({}))));
        } else {
            op.any_body();
            op.problem(kinds::BODY_UNREADABLE);
        }
    }
}

impl Describe for EventBody {
    fn describe(op: &mut Operation) {
        op.any_body();
        op.problem(kinds::BODY_UNREADABLE);
    }
}

impl Describe for FunctionEvent {
    fn describe(op: &mut Operation) {
        op.any_body();
        op.problem(kinds::MALFORMED_JSON);
        op.problem(kinds::INVALID_QUERY);
        op.problem(kinds::BODY_UNREADABLE);
    }
}

impl<T> Describe for Claims<T> {
    fn describe(op: &mut Operation) {
        op.problem(kinds::INSUFFICIENT_CLAIMS);
    }
}

impl<T> Describe for Option<Claims<T>> {
    fn describe(op: &mut Operation) {
        op.problem(kinds::INSUFFICIENT_CLAIMS);
    }
}

impl<T: Documented> Describe for Object<T> {}
impl Describe for Headers {}
impl Describe for Method {}
impl Describe for Principal {}
impl Describe for Option<Principal> {}
impl Describe for Consumer {}
impl Describe for Option<Consumer> {}
impl<S> Describe for State<S> {}
impl Describe for crate::extract::Log {}

/// A handler's arguments, as a tuple of their types.
pub trait DescribeArguments {
    /// Adds each argument's part, in order; then what follows is the return type's.
    fn describe_arguments(op: &mut Operation);
}

macro_rules! describe_arguments {
    ($($arg:ident),*) => {
        impl<$($arg: Describe),*> DescribeArguments for ($($arg,)*) {
            #[allow(unused_variables)]
            fn describe_arguments(op: &mut Operation) {
                $($arg::describe(op);)*
                op.start_response();
            }
        }
    };
}

describe_arguments!();
describe_arguments!(A1);
describe_arguments!(A1, A2);
describe_arguments!(A1, A2, A3);
describe_arguments!(A1, A2, A3, A4);
describe_arguments!(A1, A2, A3, A4, A5);
describe_arguments!(A1, A2, A3, A4, A5, A6);
describe_arguments!(A1, A2, A3, A4, A5, A6, A7);
describe_arguments!(A1, A2, A3, A4, A5, A6, A7, A8);

// Return types.

/// Anything: a `Response` could be. `Route::returns` says what it is.
impl Describe for Response {}
/// An empty response with that status.
impl Describe for Status {}
/// The problem's own kind is listed with `Route::problems`.
impl Describe for ApiError {}

impl Describe for &'static str {
    fn describe(op: &mut Operation) {
        text(op)
    }
}

impl Describe for String {
    fn describe(op: &mut Operation) {
        text(op)
    }
}

/// An empty 204.
impl Describe for () {
    fn describe(op: &mut Operation) {
        op.response("204", "No Content", None);
    }
}

impl<T: Describe> Describe for (Status, T) {
    fn describe(op: &mut Operation) {
        T::describe(op);
        op.move_response("200", "2XX", "Success");
    }
}

impl<T: Describe, E: Describe> Describe for Result<T, E> {
    fn describe(op: &mut Operation) {
        T::describe(op);
        E::describe(op);
    }
}

impl<T: Describe> Describe for Created<T> {
    fn describe(op: &mut Operation) {
        T::describe(op);
        op.move_response("200", "201", "Created");
        op.response_header("201", "Location", "Where the new resource is.", true);
    }
}

/// Whatever status and body the object says.
impl Describe for FunctionResponse {
    fn describe(op: &mut Operation) {
        op.response(
            "default",
            "The function's response object, as HTTP.",
            Some(("*/*", json!({}))),
        );
    }
}
