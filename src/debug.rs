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

/// Awaits two runtime promises inside a combinator that polls a child only
/// when that child's own waker woke it, as `FuturesUnordered` does: the
/// promise the entry awaits must wake its child when it settles, or the
/// request hangs (tests/e2e/entry.test.mjs). On the host: the sum at once.
pub async fn woken_children() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        use js_sys::Promise;
        use wasm_bindgen::JsValue;
        let first = edgegate_worker::settle(Promise::resolve(&JsValue::from(1)));
        let second = edgegate_worker::settle(Promise::resolve(&JsValue::from(2)));
        let [a, b] = woken::Both::new(first, second).await;
        // Whole numbers: the release build formats no f64 (build.sh).
        let value = |outcome: edgegate_worker::Outcome| outcome.ok().and_then(|v| v.as_f64()).map_or(0, |v| v as i64);
        (value(a) + value(b)).to_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    String::from("3")
}

#[cfg(target_arch = "wasm32")]
mod woken {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    /// A child's waker: marks it woken, then wakes whoever polls the pair.
    #[derive(Default)]
    struct Flag {
        woken: AtomicBool,
        parent: Mutex<Option<Waker>>,
    }

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.woken.store(true, Ordering::Relaxed);
            if let Some(parent) = self.parent.lock().unwrap().as_ref() {
                parent.wake_by_ref();
            }
        }
    }

    /// Two futures, each polled on its first turn and then only once woken.
    pub struct Both<F: Future> {
        children: [(Pin<Box<F>>, Arc<Flag>, bool); 2],
        done: [Option<F::Output>; 2],
    }

    impl<F: Future> Both<F> {
        pub fn new(a: F, b: F) -> Both<F> {
            let child = |f: F| (Box::pin(f), Arc::new(Flag::default()), true);
            Both {
                children: [child(a), child(b)],
                done: [None, None],
            }
        }
    }

    impl<F: Future> Future for Both<F>
    where
        F::Output: Unpin,
    {
        type Output = [F::Output; 2];

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<[F::Output; 2]> {
            let this = &mut *self;
            for (index, (future, flag, first)) in this.children.iter_mut().enumerate() {
                if this.done[index].is_some() {
                    continue;
                }
                *flag.parent.lock().unwrap() = Some(cx.waker().clone());
                if !std::mem::take(first) && !flag.woken.swap(false, Ordering::Relaxed) {
                    continue;
                }
                let waker = Waker::from(flag.clone());
                if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                    this.done[index] = Some(output);
                }
            }
            match &mut this.done {
                [Some(_), Some(_)] => {
                    let [a, b] = std::mem::take(&mut this.done);
                    Poll::Ready([a.unwrap(), b.unwrap()])
                }
                _ => Poll::Pending,
            }
        }
    }
}
