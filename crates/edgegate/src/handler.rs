//! Handlers are plain async functions whose arguments are extractors and whose
//! return value becomes a response. The route table keeps them type-erased.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::extract::FromRequest;
pub use crate::http::IntoResponse;
use crate::http::{Request, Response};
use crate::problem::ApiError;

/// The future a handler returns, its output already a response.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response>>>;

/// An async function taking extractors. Implemented for functions of up to
/// eight arguments; `Args` only tells the implementations apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler",
    note = "a handler is an async fn of up to eight extractors returning something `IntoResponse`",
    note = "the types inside `Json`, `Query` and `Path` derive `schemars::JsonSchema` too, for the OpenAPI document"
)]
pub trait Handler<S, Args>: 'static {
    /// What the function returns (the OpenAPI document reads its type).
    type Output: IntoResponse;

    /// Whether any of its extractors reads headers beyond the gateway's own.
    const READS_ALL_HEADERS: bool;

    /// Runs the extractors on `request`, then the function; an extractor's
    /// error is the response, and the function does not run.
    fn call(&self, request: &Request, state: &S) -> HandlerFuture;
}

/// A handler with its argument types erased, as the route table stores it.
pub(crate) type BoxedHandler<S> = Rc<dyn Fn(&Request, &S) -> HandlerFuture>;

pub(crate) fn boxed<S, Args, H: Handler<S, Args>>(handler: H) -> BoxedHandler<S> {
    Rc::new(move |request, state| handler.call(request, state))
}

/// The future of a handler whose extractor refused the request: one
/// non-generic copy instead of one per handler and argument.
#[inline(never)]
fn rejected(error: ApiError) -> HandlerFuture {
    Box::pin(std::future::ready(error.into_response()))
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
            type Output = R;

            const READS_ALL_HEADERS: bool = false $(|| <$arg as FromRequest<S>>::READS_ALL_HEADERS)*;

            #[allow(non_snake_case, unused_variables)]
            fn call(&self, request: &Request, state: &S) -> HandlerFuture {
                $(
                    let $arg = match $arg::from_request(request, state) {
                        Ok(value) => value,
                        Err(error) => return rejected(error),
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
    use crate::http::Status;

    #[test]
    fn status_tuples_do_not_turn_errors_into_successes() {
        let ok = (Status::CREATED, "made").into_response();
        assert_eq!(ok.status, Status::CREATED);
        let failed = (Status::CREATED, Err::<&str, _>(ApiError::not_found("gone"))).into_response();
        assert_eq!(failed.status, Status::NOT_FOUND);
    }
}
