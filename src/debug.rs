//! Routes that fail on purpose, mounted only with `DEBUG_ROUTES=true`, so the
//! end-to-end tests can prove what a client sees when a handler breaks.

use edgegate::problem::ApiError;

/// Panics: the wasm instance aborts, the runtime entry answers 500, and the
/// next request runs on a fresh instance.
pub async fn panic() -> &'static str {
    panic!("deliberate panic from /debug/panic")
}

/// Fails with an internal cause that must reach the log but never the client.
pub async fn error() -> Result<&'static str, ApiError> {
    Err(ApiError::internal(
        "debug failure: connection string postgres://admin:s3cret@db",
    ))
}
