//! Handlers that await the Workers platform as workers-rs users know it,
//! through the `worker` crate: KV and R2 read and written at once
//! (`futures::join!`), a D1 query, an RPC call on a Durable Object stub,
//! a message sent to a Queue, two fetches joined, a
//! race (`select!`), two raw promises at once, a promise that never
//! settles, a route policy that awaits KV too, and a request-signature
//! policy that lives here, outside the core (`signature`). `make test` serves it under `wrangler dev`
//! (tests/e2e/platform.test.mjs) with a queue consumer beside it.
//!
//! The handlers need the runtime, so they exist on wasm only; on the host
//! the routes answer 501 (the table is the same, for the OpenAPI document).

use edgegate::extract::Bytes;
use edgegate::gateway::Gateway;
use edgegate::routing::{Route, RouteTable};

pub mod signature;

#[cfg(target_arch = "wasm32")]
mod platform;

#[cfg(target_arch = "wasm32")]
pub use platform::Platform;

/// On the host there is no platform to call.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone)]
pub struct Platform;

#[cfg(not(target_arch = "wasm32"))]
mod platform {
    use edgegate::http::{Response, Status};

    async fn unavailable() -> Response {
        Response::text(Status(501), "the platform exists on the worker only")
    }

    pub async fn kv_r2_get() -> Response {
        unavailable().await
    }
    pub async fn kv_r2_put() -> Response {
        unavailable().await
    }
    pub async fn queue_send() -> Response {
        unavailable().await
    }
    pub async fn join_fetches() -> Response {
        unavailable().await
    }
    pub async fn race() -> Response {
        unavailable().await
    }
    pub async fn two_promises() -> Response {
        unavailable().await
    }
    pub async fn never() -> Response {
        unavailable().await
    }
    pub async fn d1_sum() -> Response {
        unavailable().await
    }
    pub async fn guarded() -> Response {
        unavailable().await
    }
    pub async fn object_count() -> Response {
        unavailable().await
    }

    /// On the host there is no KV to read: the policy lets everything through.
    pub struct Maintenance;

    impl Maintenance {
        pub fn new(_: &super::Platform) -> Maintenance {
            Maintenance
        }
    }

    impl edgegate::policy::RoutePolicy for Maintenance {
        fn check<'a>(
            &'a self,
            _: &'a mut edgegate::http::Request,
            _: &'a dyn edgegate::platform::Platform,
        ) -> edgegate::policy::PolicyFuture<'a> {
            Box::pin(async { Ok(()) })
        }
    }
}

/// The gateway: every route public but the writes, which take a key.
/// `platform` is what the maintenance policy reads KV through.
pub fn gateway(setting: impl Fn(&str) -> Option<String>, platform: &Platform) -> Gateway<Platform> {
    let routes = RouteTable::new([
        Route::get("/guarded", platform::guarded)
            .public()
            .policy(platform::Maintenance::new(platform)),
        Route::get("/kv-r2/{key}", platform::kv_r2_get).public(),
        Route::put("/kv-r2/{key}", platform::kv_r2_put).api_key(),
        Route::post("/queue", platform::queue_send).api_key(),
        Route::get("/join", platform::join_fetches).public(),
        Route::get("/race", platform::race).public(),
        Route::get("/two-promises", platform::two_promises).public(),
        Route::get("/never", platform::never).public(),
        Route::get("/d1/{n}", platform::d1_sum).public(),
        Route::get("/object/{name}", platform::object_count).public(),
        Route::post("/signed", signed_hook)
            .public()
            .max_body_bytes(64 * 1024)
            .policy(signature::signed("SEEN_SIGNATURES")),
    ]);
    Gateway::configured(routes, setting)
}

/// `POST /signed`: a webhook that runs only for a body signed with a known key, once.
pub async fn signed_hook(signature::Signer(signer): signature::Signer, Bytes(body): Bytes) -> String {
    format!("{} bytes signed by {signer}", body.len())
}

edgegate_worker::export!(|env: &edgegate_worker::Env| {
    let platform = Platform::new(env);
    edgegate_worker::Worker::new(gateway(|name| env.setting(name), &platform), platform)
        .binding::<dyn signature::SeenSignatures>(platform::KvSeen::from_env)
});
