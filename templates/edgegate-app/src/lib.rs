//! A team's gateway: a public route, a route for callers with an API key,
//! and a route that reads and writes Workers KV, served as one Cloudflare
//! Worker. Add a route: write a handler, add one line to `routes()`.

use edgegate::extract::{Consumer, Json, Path};
use edgegate::gateway::Gateway;
use edgegate::routing::{Route, RouteTable};
use serde::{Deserialize, Serialize};

#[derive(Serialize, schemars::JsonSchema)]
struct Greeting {
    message: String,
}

/// `GET /hello/{name}`: anyone.
async fn hello(Path(name): Path<String>) -> Json<Greeting> {
    Json(Greeting {
        message: format!("Hello, {name}!"),
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Order {
    item: String,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Placed {
    by: String,
    item: String,
}

/// `POST /orders` with `{"item": "..."}`: callers with an API key only.
async fn place_order(Consumer(by): Consumer, Json(order): Json<Order>) -> Json<Placed> {
    Json(Placed { by, item: order.item })
}

/// A note, as `PUT /notes/{key}` takes it.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct Note {
    text: String,
}

/// The handlers that use KV exist on the worker only; on the host (tests,
/// the OpenAPI document) they answer 501.
#[cfg(target_arch = "wasm32")]
mod kv {
    use edgegate::extract::{Json, Path, State};
    use edgegate::http::{Response, Status};
    use edgegate::problem::{kinds, ApiError};
    use wasm_bindgen::JsCast;

    /// The worker's `env`, typed by the `worker` crate.
    #[derive(Clone)]
    pub struct Platform(worker::Env);

    impl Platform {
        pub fn new(env: &edgegate_worker::Env) -> Platform {
            Platform(env.raw().clone().unchecked_into())
        }
    }

    fn failed(error: impl std::fmt::Display) -> ApiError {
        ApiError::of(kinds::UNAVAILABLE, "The store is unavailable.").with_internal(format!("KV: {error}"))
    }

    /// KV refuses a key over 512 bytes: the client's mistake, said so (not
    /// the store's failure, a 503).
    fn fits(key: &str) -> Result<(), ApiError> {
        match key.len() <= 512 {
            true => Ok(()),
            false => Err(
                ApiError::of(kinds::INVALID_PATH_PARAM, "A note's key is at most 512 bytes.")
                    .with_extension("param", "key"),
            ),
        }
    }

    /// `GET /notes/{key}`: the note stored under `key` (404 when none).
    pub async fn read(State(platform): State<Platform>, Path(key): Path<String>) -> Result<String, ApiError> {
        fits(&key)?;
        let notes = platform.0.kv("NOTES").map_err(failed)?;
        notes
            .get(&key)
            .text()
            .await
            .map_err(failed)?
            .ok_or_else(|| ApiError::not_found("No note under this key."))
    }

    /// `PUT /notes/{key}` with `{"text": "..."}`: callers with an API key only.
    pub async fn write(
        State(platform): State<Platform>,
        Path(key): Path<String>,
        Json(note): Json<super::Note>,
    ) -> Result<Response, ApiError> {
        fits(&key)?;
        let notes = platform.0.kv("NOTES").map_err(failed)?;
        notes
            .put(&key, note.text)
            .map_err(failed)?
            .execute()
            .await
            .map_err(failed)?;
        Ok(Response::new(Status::NO_CONTENT))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod kv {
    use edgegate::http::{Response, Status};

    #[derive(Clone)]
    pub struct Platform;

    pub async fn read() -> Response {
        Response::text(Status(501), "KV exists on the worker only")
    }

    pub async fn write() -> Response {
        read().await
    }
}

pub use kv::Platform;

/// The route table: one line per route, each with its access.
pub fn routes() -> Result<RouteTable<Platform>, edgegate::routing::RouteError> {
    RouteTable::new([
        Route::get("/hello/{name}", hello).public(),
        Route::post("/orders", place_order).api_key(),
        Route::get("/notes/{key}", kv::read).public(),
        Route::put("/notes/{key}", kv::write).api_key(),
    ])
}

/// The gateway, from settings looked up by name (`API_KEYS`, CORS, ...).
pub fn gateway(setting: impl Fn(&str) -> Option<String>) -> Gateway<Platform> {
    Gateway::configured(routes(), setting)
}

edgegate_worker::export!(|env: &edgegate_worker::Env| {
    edgegate_worker::Worker::new(gateway(|name| env.setting(name)), Platform::new(env))
});
