//! The edgegate app: the seed routes, the items API and its D1 store, served
//! as one Cloudflare Worker by the edgegate framework (`crates/`). The route
//! table is in [`routes`]; the worker is the one `export!` line below.

mod debug;
mod identity;
pub mod items;
mod routes;
mod seeds;

#[cfg(target_arch = "wasm32")]
mod d1_items;

#[cfg(not(target_arch = "wasm32"))]
pub use routes::openapi;
pub use routes::{gateway, routes, AppState, RouteOptions, APP_SETTING_NAMES};

#[cfg(target_arch = "wasm32")]
edgegate_worker::export!(|env: &edgegate_worker::Env| {
    let gateway = gateway(|name| env.setting(name));
    let state = AppState::with_items(d1_items::D1Items::new(env.raw().clone()));
    edgegate_worker::Worker::new(gateway, state)
});
