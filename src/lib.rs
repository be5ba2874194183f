//! The edgegate app: the seed routes, the items API and its D1 store, partner
//! events on a Queue with their consumer, served
//! as one Cloudflare Worker by the edgegate framework (`crates/`). The route
//! table is in [`routes`]; the worker is the one `export!` line below.

mod debug;
pub mod events;
mod idempotency;
mod identity;
pub mod items;
mod routes;
mod seeds;

#[cfg(target_arch = "wasm32")]
mod d1_events;
#[cfg(target_arch = "wasm32")]
mod d1_items;
#[cfg(target_arch = "wasm32")]
mod queue_events;

#[cfg(not(target_arch = "wasm32"))]
pub use routes::openapi;
pub use routes::{gateway, routes, AppState, RouteOptions, APP_SETTING_NAMES};

#[cfg(target_arch = "wasm32")]
edgegate_worker::export!(|env: &edgegate_worker::Env| {
    use std::rc::Rc;
    let gateway = gateway(|name| env.setting(name));
    let state = AppState::new(
        Rc::new(d1_items::D1Items::new(env.raw().clone())),
        Rc::new(d1_events::D1Events::new(env.raw().clone())),
        Rc::new(queue_events::WorkerQueue::new(env.raw().clone())),
    );
    // The queue consumer: the events queue and its dead-letter queue.
    let dead_letters: Option<Rc<str>> = env.setting("EVENTS_DEAD_LETTER_QUEUE").map(Rc::from);
    let debug = RouteOptions::load(&|name| env.setting(name)).debug_routes;
    edgegate_worker::Worker::new(gateway, state).on_queue(move |state: &AppState, batch| {
        queue_events::consume(state.events.clone(), batch, dead_letters.clone(), debug)
    })
});
