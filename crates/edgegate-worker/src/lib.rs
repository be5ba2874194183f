//! Runs an edgegate [`Gateway`] as a Cloudflare
//! Worker: the only code that touches JS types. An app becomes a worker with
//! one line, naming the function that builds its gateway and state from the
//! worker's `env`:
//!
//! ```ignore
//! edgegate_worker::export!(|env: &edgegate_worker::Env| edgegate_worker::Worker::new(gateway(|name| env.setting(name)), ()));
//! ```
//!
//! Requests and responses cross the JS↔wasm boundary as bytes in buffers the
//! wasm instance owns, not as JS values: `js/entry.js` writes the request
//! head (method, URL, the headers the gateway reads) into the input buffer
//! and calls `edgegate_fetch`; the response comes back in the output buffer
//! (see [`wire`]). That is one call per request (a second when the route's
//! handler reads every header, and two for each runtime promise it awaits,
//! its body's read included: take it, hand back its outcome), and no string
//! conversion through `TextEncoder`/`TextDecoder` for ASCII.
//!
//! The gateway's future is polled once right away: every route that does no
//! I/O finishes there and no promise is made. One that waits on a promise
//! of the runtime's (its body, a rate-limit count, an upstream's answer, a
//! D1 query) is parked until the entry brings the promise's outcome, and
//! polled again (the `settle` module): the adapter polls every request itself, and
//! no executor runs. Handlers await anything else the platform offers too
//! (the `worker` crate's KV, R2, Queues, `Fetch`; several promises at once):
//! those wake the request, and the entry polls it again.
//!
//! The gateway and the application state are built once per isolate from
//! `env` (settings and secrets are fixed per deployed version) and kept for
//! the isolate's lifetime.

// Every public item says what it is: `cargo doc` is where Rust users look.
#![warn(missing_docs)]

pub mod wire;

#[cfg(target_arch = "wasm32")]
use std::future::Future;
#[cfg(target_arch = "wasm32")]
use std::pin::Pin;

use edgegate::gateway::Gateway;
#[cfg(target_arch = "wasm32")]
use edgegate::http::{Request, Response};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsValue;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
mod body;
#[cfg(target_arch = "wasm32")]
mod env;
#[cfg(target_arch = "wasm32")]
mod exports;
#[cfg(target_arch = "wasm32")]
pub mod js_error;
#[cfg(target_arch = "wasm32")]
pub mod platform;
#[cfg(target_arch = "wasm32")]
pub mod queue;
#[cfg(target_arch = "wasm32")]
pub mod settle;

#[cfg(target_arch = "wasm32")]
pub use env::Env;
#[cfg(target_arch = "wasm32")]
pub use platform::WorkerPlatform;
#[cfg(target_arch = "wasm32")]
pub use settle::{settle, Outcome};

/// The heap: Talc instead of the default dlmalloc (smaller and faster on
/// wasm; the worker is single-threaded).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A gateway with the state its handlers share: what an app hands the adapter.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct Worker<S> {
    gateway: Gateway<S>,
    state: S,
    #[cfg(target_arch = "wasm32")]
    bindings: bindings::Bindings,
    #[cfg(target_arch = "wasm32")]
    consumer: Option<Consumer<S>>,
}

/// What consumes a queue batch: a future that ends when the batch is done
/// with (`Err`: the whole batch is retried, and the text is logged).
#[cfg(target_arch = "wasm32")]
type Consumer<S> = Box<dyn Fn(&S, queue::QueueBatch) -> Pin<Box<dyn Future<Output = Result<(), String>>>>>;

impl<S> Worker<S> {
    /// The worker serving `gateway`, with `state` for its handlers.
    pub fn new(gateway: Gateway<S>, state: S) -> Worker<S> {
        Worker {
            gateway,
            state,
            #[cfg(target_arch = "wasm32")]
            bindings: bindings::Bindings::default(),
            #[cfg(target_arch = "wasm32")]
            consumer: None,
        }
    }

    /// Consumes the batches of every queue the worker is the consumer of
    /// (`[[queues.consumers]]`): the worker's `queue` handler calls
    /// `consume` with the state and the batch. It acknowledges or retries
    /// each message itself. As the runtime has it, when it returns `Ok` a
    /// message it did neither to counts as acknowledged (never delivered
    /// again); an `Err` fails the batch, and every message not acknowledged
    /// is delivered again. Without a consumer, a batch fails.
    #[cfg(target_arch = "wasm32")]
    pub fn on_queue<F, Fut>(mut self, consume: F) -> Worker<S>
    where
        F: Fn(&S, queue::QueueBatch) -> Fut + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        self.consumer = Some(Box::new(move |state, batch| Box::pin(consume(state, batch))));
        self
    }

    /// Hands out the bindings a policy or handler asks for as the interface
    /// `T` (`platform.binding::<T>(name)`), each made by `make` from the
    /// worker's `env` and the binding's name (`|env, name| Rc::new(Kv(KvStore::from_this(env, name)))`).
    #[cfg(target_arch = "wasm32")]
    pub fn binding<T: edgegate::platform::Binding + ?Sized>(
        mut self,
        make: impl Fn(&wasm_bindgen::JsValue, &str) -> std::rc::Rc<T> + 'static,
    ) -> Worker<S> {
        self.bindings.with::<T>(make);
        self
    }

    /// The worker, refusing every request if a binding its routes call
    /// (services, limiters, quota objects) is missing from `env` (see
    /// [`Gateway::check_bindings`]).
    #[cfg(target_arch = "wasm32")]
    pub fn bound(mut self, env: &Env) -> Worker<S> {
        self.gateway.check_bindings(|name, kind| env.has_binding(name, kind));
        self
    }
}

/// A [`Worker`] with its state type erased, as the adapter keeps it (for the
/// isolate's lifetime, hence `'static`).
#[cfg(target_arch = "wasm32")]
pub trait Served {
    /// Handles one request (see [`Gateway::handle`]) and hands back its log
    /// line: one allocation for the request's whole state machine, which the
    /// adapter polls.
    fn handle(
        &'static self,
        request: Request,
        platform: WorkerPlatform,
    ) -> Pin<Box<dyn Future<Output = (Response, String)>>>;
    /// Whether the request's route reads headers beyond the gateway's own.
    fn needs_all_headers(&self, request: &Request) -> bool;
    /// The headers the gateway's policies read (what the entry passes by default).
    fn read_headers(&self) -> &'static [&'static str];
    /// Where every header is passed at once (see [`Gateway::all_headers_paths`]).
    fn all_headers_paths(&self) -> &[String];
    /// Why the gateway refuses every request, if it does.
    fn misconfiguration(&self) -> Option<&[String]>;
    /// Consumes one queue batch (see [`Worker::on_queue`]), as a request is
    /// handled: its answer is a 204, or a 500 whose log line says why.
    fn consume(&'static self, batch: JsValue) -> Pin<Box<dyn Future<Output = (Response, String)>>>;
}

#[cfg(target_arch = "wasm32")]
impl<S: 'static> Served for Worker<S> {
    fn handle(
        &'static self,
        request: Request,
        platform: WorkerPlatform,
    ) -> Pin<Box<dyn Future<Output = (Response, String)>>> {
        let platform = platform.with_bindings(&self.bindings);
        Box::pin(async move {
            let response = self.gateway.handle(request, &self.state, &platform).await;
            (response, platform.take_log())
        })
    }

    fn needs_all_headers(&self, request: &Request) -> bool {
        self.gateway.needs_all_headers(request)
    }

    fn read_headers(&self) -> &'static [&'static str] {
        self.gateway.read_headers()
    }

    fn all_headers_paths(&self) -> &[String] {
        self.gateway.all_headers_paths()
    }

    fn misconfiguration(&self) -> Option<&[String]> {
        self.gateway.misconfiguration()
    }

    fn consume(&'static self, batch: JsValue) -> Pin<Box<dyn Future<Output = (Response, String)>>> {
        let batch = queue::QueueBatch::new(batch);
        let done = self.consumer.as_ref().map(|consume| consume(&self.state, batch));
        Box::pin(async move {
            let failure = match done {
                Some(done) => done.await.err(),
                None => Some(String::from("the worker has no queue consumer (Worker::on_queue)")),
            };
            match failure {
                None => (Response::new(edgegate::http::Status::NO_CONTENT), String::new()),
                Some(cause) => {
                    let line = batch_failure_line(&cause);
                    (Response::new(edgegate::http::Status::INTERNAL_SERVER_ERROR), line)
                }
            }
        })
    }
}

/// The log line of a failed batch.
#[cfg(target_arch = "wasm32")]
fn batch_failure_line(cause: &str) -> String {
    let cause = js_sys::JSON::stringify(&JsValue::from_str(cause))
        .ok()
        .and_then(|json| json.as_string())
        .unwrap_or_default();
    format!(r#"{{"level":"error","message":"queue batch failed","error":{cause}}}"#)
}

/// Makes this crate's wasm exports serve the gateway `$build` makes: a
/// function (or closure) from `&Env` to a [`Worker`], called once per isolate.
/// Write it once, in the app's library crate; it does nothing on the host.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::gateway::Gateway;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// /// The gateway, from settings looked up by name (`API_KEYS`, CORS, ...).
/// pub fn gateway(setting: impl Fn(&str) -> Option<String>) -> Gateway<()> {
///     Gateway::new(RouteTable::new([Route::get("/hello", hello).public()]), Settings::load(setting))
/// }
///
/// edgegate_worker::export!(|env: &edgegate_worker::Env| {
///     edgegate_worker::Worker::new(gateway(|name| env.setting(name)), ())
/// });
///
/// # fn main() {
/// // On the host the macro expands to nothing; the same gateway serves host tests.
/// let worker = edgegate_worker::Worker::new(gateway(|_| None), ());
/// # let _ = worker;
/// # }
/// ```
#[macro_export]
macro_rules! export {
    ($build:expr) => {
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub fn __edgegate_worker_build(env: &$crate::Env) -> ::std::boxed::Box<dyn $crate::Served> {
            ::std::boxed::Box::new($crate::Worker::bound(($build)(env), env))
        }
    };
}
