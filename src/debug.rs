//! Routes that fail on purpose, mounted only with `DEBUG_ROUTES=true`, so the
//! end-to-end tests can prove what a client sees when a handler breaks.

use edgegate::http::{Response, Status};
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

/// Sets two cookies (repeated response headers must reach the client as two),
/// a header the JS object once mistook for its prototype, and a non-ASCII value.
pub async fn cookies() -> Response {
    let mut response = Response::text(Status::OK, "two cookies");
    response.append_header("set-cookie", "first=1; Path=/; HttpOnly");
    response.append_header("set-cookie", "second=2; Path=/; Secure");
    response.append_header("__proto__", "kept as a header");
    response.append_header("x-unicode", "ünïcode ✓");
    response
}

/// Waits on something the adapter cannot bring (not a runtime promise
/// through `edgegate_worker::settle`, not the body): the adapter refuses to
/// leave it hanging, and the request is a logged 500.
pub async fn stuck() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

/// Yields three times as a cooperative `yield_now` does: wakes itself and
/// returns `Pending`, keeping no waker. Legal for a future, so the adapter
/// must poll it again rather than call it stuck (tests/e2e/entry.test.mjs).
pub async fn yield_thrice() -> &'static str {
    struct YieldOnce(bool);
    impl std::future::Future for YieldOnce {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, context: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            context.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
    for _ in 0..3 {
        YieldOnce(false).await;
    }
    "yielded"
}

/// Panics while its request holds the adapter's per-request state: it
/// waits on a runtime promise (parked, then resumed), hands the entry a
/// second one, and panics with that one still out. The next request must
/// run on a fresh instance (tests/e2e/security.test.mjs). On the host it
/// simply panics.
pub async fn panic_parked() -> &'static str {
    #[cfg(target_arch = "wasm32")]
    {
        use js_sys::Promise;
        use wasm_bindgen::JsValue;
        let _ = edgegate_worker::settle(Promise::resolve(&JsValue::from(1))).await;
        let _pending = edgegate_worker::settle(Promise::resolve(&JsValue::from(2)));
    }
    panic!("deliberate panic from /debug/panic-parked")
}

/// Recurses until the wasm stack overflows: the runtime throws a RangeError
/// (not a trap the entry could recognise as one), and the instance is done
/// all the same. The next request must run on a fresh instance
/// (tests/e2e/entry.test.mjs). Never called on the host.
pub async fn overflow() -> String {
    // Not a tail call (the result passes a barrier first), so it cannot
    // become a loop; finite all the same, should it ever.
    #[inline(never)]
    fn deep(n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            std::hint::black_box(deep(std::hint::black_box(n - 1))) + 1
        }
    }
    deep(std::hint::black_box(100_000_000)).to_string()
}

/// How many requests this wasm instance has answered here, this one
/// included: it starts again at 1 on a fresh instance.
pub async fn instance_count() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SERVED: AtomicU64 = AtomicU64::new(0);
    (SERVED.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}
