//! The smallest edgegate app: a public JSON route and a route that needs an
//! API key, served as a Cloudflare Worker. `make test` serves it end to end.
//! The types its routes read and answer derive `JsonSchema` on the host, for
//! the OpenAPI document (`edgegate::openapi`); the wasm compiles none of it.

use edgegate::extract::{Consumer, Json, Path};
use edgegate::gateway::Gateway;
use edgegate::routing::{Route, RouteTable};
use serde::{Deserialize, Serialize};

#[derive(Serialize, schemars::JsonSchema)]
struct Greeting {
    message: String,
}

/// `GET /greet/{name}`: anyone.
async fn greet(Path(name): Path<String>) -> Json<Greeting> {
    Json(Greeting {
        message: format!("Hello, {name}!"),
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Note {
    text: String,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Saved {
    by: String,
    chars: usize,
}

/// `POST /notes` with `{"text": "..."}`: callers with a key only.
async fn save_note(Consumer(by): Consumer, Json(note): Json<Note>) -> Json<Saved> {
    Json(Saved {
        by,
        chars: note.text.chars().count(),
    })
}

/// The gateway, from settings looked up by name (`API_KEYS`, CORS, ...).
pub fn gateway(setting: impl Fn(&str) -> Option<String>) -> Gateway<()> {
    let routes = RouteTable::new([
        Route::get("/greet/{name}", greet).public(),
        Route::post("/notes", save_note).api_key(),
    ]);
    Gateway::configured(routes, setting)
}

edgegate_worker::export!(|env: &edgegate_worker::Env| {
    edgegate_worker::Worker::new(gateway(|name| env.setting(name)), ())
});
