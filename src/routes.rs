//! The app's route table (the one place routes are declared) and the state
//! its handlers share. Add a route by writing a handler and one `Route::…`
//! line in [`routes`].

use std::fmt;
use std::rc::Rc;

use crate::events::{self, kinds as event_kinds, EventQueue, EventStore, MemoryEvents, MemoryQueue};
use crate::items::{self, kinds as item_kinds, ItemStore, MemoryItems};
use edgegate::cache::cache;
use edgegate::config::{ConfigError, Settings};
use edgegate::gateway::Gateway;
use edgegate::http::{Method, Status};
use edgegate::policy::access::PrincipalJson;
use edgegate::policy::{any_of, api_key, jwt, public, quota, rate_limit, Access};
use edgegate::problem::kinds;
use edgegate::routing::{Group, Route, RouteError, RouteTable};
use edgegate::upstream::{function, origin};

use crate::{debug, identity, seeds};

/// What handlers share: bindings the adapter provides (D1 and the Queue on
/// the worker, in-memory fakes by default and in host tests).
#[derive(Clone)]
pub struct AppState {
    pub items: Rc<dyn ItemStore>,
    /// Where partner events are recorded.
    pub events: Rc<dyn EventStore>,
    /// The Queue partner events are sent to.
    pub queue: Rc<dyn EventQueue>,
}

impl AppState {
    /// The state of the worker: its stores and Queue.
    pub fn new(items: Rc<dyn ItemStore>, events: Rc<dyn EventStore>, queue: Rc<dyn EventQueue>) -> AppState {
        AppState { items, events, queue }
    }

    /// In-memory stores and Queue, but for the items in `items`.
    pub fn with_items(items: impl ItemStore + 'static) -> AppState {
        AppState {
            items: Rc::new(items),
            events: Rc::new(MemoryEvents::new()),
            queue: Rc::new(MemoryQueue::new()),
        }
    }

    /// The same, with partner events recorded in `events` and sent to `queue`.
    pub fn with_events(self, events: Rc<dyn EventStore>, queue: Rc<dyn EventQueue>) -> AppState {
        AppState { events, queue, ..self }
    }
}

impl Default for AppState {
    fn default() -> AppState {
        AppState::with_items(MemoryItems::new())
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppState")
    }
}

/// Options that change which routes exist, read with the settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteOptions {
    /// Mounts `/debug/panic`, `/debug/panic-parked`, `/debug/instance`, `/debug/error`, `/debug/cookies`, `/debug/stuck` and `/debug/woken-children`, which exist to prove the
    /// failure paths end to end. Off unless `DEBUG_ROUTES=true`.
    pub debug_routes: bool,
}

impl RouteOptions {
    pub fn load(lookup: &impl Fn(&str) -> Option<String>) -> RouteOptions {
        RouteOptions {
            debug_routes: lookup("DEBUG_ROUTES").is_some_and(|v| v.trim() == "true"),
        }
    }
}

/// The app's own settings, beside the gateway's (`SETTING_NAMES`):
/// `EVENTS_DEAD_LETTER_QUEUE` names the queue whose batches the consumer
/// records as dead (wrangler.toml's `dead_letter_queue`).
pub const APP_SETTING_NAMES: &[&str] = &["DEBUG_ROUTES", "EVENTS_DEAD_LETTER_QUEUE"];

/// The route table. Each route states its access explicitly; policies with
/// values (a CORS profile, IP rules) are named here and given values by the
/// settings (`CORS_PROFILES`, `IP_RULES` in wrangler.toml).
/// The header a create is made retry-safe with (items, partner events), as
/// the OpenAPI document states it.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
const IDEMPOTENCY_KEY_DOC: &str = "Makes a retry safe: a repeat with the same key and the same request (per caller, for a day; compared as the route reads it: an item after its validation trims the name, an event's JSON whitespace aside) answers the first answer and does nothing again; the same key with another request is a 422.";
const IDEMPOTENCY_KEY_SCHEMA: &str =
    r#"{"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"}"#;
const REPLAYED_DOC: &str = "`true` on a repeat answered with the first request's answer (`Idempotency-Key`).";

/// An item's body limit: the largest valid item (a 200-character name and a
/// 2000-character description) written with every character escaped as a
/// JSON surrogate pair (`\ud83d\ude00`, 12 bytes, as Python's `json.dumps`
/// writes emoji) is about 26 KB, and it must not be a 413.
const ITEM_BODY_LIMIT: usize = 32 * 1024;

pub fn routes(options: RouteOptions) -> Result<RouteTable<AppState>, RouteError> {
    let mut routes = vec![
        // The seed functions. `/users/{id}` is what partners call: it has its
        // own CORS profile and IP rules (empty by default).
        Route::get("/hello", seeds::hello).public().summary("Hello, World!"),
        Route::get("/goodbye", seeds::goodbye)
            .public()
            .summary("Goodbye, World!"),
        Route::get("/users/{id}", seeds::user)
            .public()
            .summary("The user id, as the seed echoes it")
            .cors("partners")
            .ip_rules("partners"),
        Route::get("/search", seeds::search)
            .public()
            .summary("The search term and page"),
        Route::any("/echo", seeds::echo)
            .public()
            .summary("The request, as a function sees it"),
        Route::any("/echo/{*rest}", seeds::echo)
            .public()
            .summary("The request, as a function sees it"),
    ];
    // The Cloud Endpoints seed's protected pair (`security: [api_key,
    // firebase_auth]`: a key or a token), the greeting function, and who
    // the caller is. Each caller is rate-limited (`PER_PRINCIPAL`: the
    // `[[ratelimits]]` binding, numbers in `RATE_LIMITS`) and counted
    // against its quota (`QUOTAS`, in the `QUOTA` Durable Object).
    routes.extend(
        Group::new("/api")
            .access(key_or_token())
            .policy(per_principal())
            .policy(quota("QUOTA"))
            .routes(vec![
                Route::get("/hello", seeds::hello).summary("Hello, World! (for callers with a key or token)"),
                Route::get("/goodbye", seeds::goodbye).summary("Goodbye, World! (for callers with a key or token)"),
                Route::post("/greet/{name}", seeds::greet).summary("A greeting in `lang`, with an optional title"),
                Route::get("/me", identity::me)
                    .summary("Who the caller authenticated as")
                    .returns::<PrincipalJson>(Status::OK),
            ]),
    );
    // Items on D1. Reads are public, limited per client address
    // (`PER_CLIENT`); writes take a key, or a token granting `items:write`,
    // and are limited and counted per caller as /api is.
    let reads = Group::new("/items")
        .access(public())
        .policy(rate_limit("PER_CLIENT").per_client())
        .problems(&[kinds::UNAVAILABLE]);
    routes.extend(reads.routes(vec![
            Route::get("", items::list)
                .summary("A page of items, oldest first")
                .problems(&[item_kinds::INVALID_CURSOR]),
            Route::get("/{id}", items::get)
                .summary("One item")
                .problems(&[kinds::NOT_FOUND]),
        ]));
    let writes = Group::new("/items")
        .access(any_of([api_key(), jwt("firebase").scopes(&["items:write"])]))
        .policy(per_principal())
        .policy(quota("QUOTA"))
        .problems(&[kinds::UNAVAILABLE]);
    routes.extend(writes.routes(vec![
            Route::post("", items::create)
                .max_body_bytes(ITEM_BODY_LIMIT)
                .summary("Create an item (`Idempotency-Key` makes a retry safe)")
                .request_header(IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_DOC, false, IDEMPOTENCY_KEY_SCHEMA)
                .response_header(Status(201), "idempotent-replayed", REPLAYED_DOC, false)
                .problems(&[
                    item_kinds::INVALID_ITEM,
                    item_kinds::INVALID_IDEMPOTENCY_KEY,
                    item_kinds::IDEMPOTENCY_KEY_REUSED,
                ]),
            Route::patch("/{id}", items::update)
                .max_body_bytes(ITEM_BODY_LIMIT)
                .summary("Change an item's name or description")
                .problems(&[item_kinds::INVALID_ITEM, kinds::NOT_FOUND]),
            Route::delete("/{id}", items::delete)
                .summary("Delete an item")
                .problems(&[kinds::NOT_FOUND]),
        ]));
    // Partner events (the Partner → HTTP endpoint → Queue architecture):
    // API keys only, the partners' CORS profile and IP rules, a rate limit
    // per caller (`PER_PARTNER`) and the caller's quota (`QUOTAS`: what a
    // partner may store a day).
    let partners = Group::new("/partners/events")
        .access(api_key())
        .cors("partners")
        .ip_rules("partners")
        .policy(rate_limit("PER_PARTNER"))
        .policy(quota("QUOTA"))
        .problems(&[kinds::UNAVAILABLE]);
    let event_routes = vec![
        Route::post("", events::accept)
            .max_body_bytes(EVENT_BODY_MAX_BYTES)
            .summary("Queue an event (202 once the Queue has it; `Idempotency-Key` makes a retry safe)")
            .returns::<events::Accepted>(Status(202))
            .request_header(IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_DOC, false, IDEMPOTENCY_KEY_SCHEMA)
            .response_header(Status(202), "Location", "Where the event's status is read.", true)
            .response_header(Status(202), "idempotent-replayed", REPLAYED_DOC, false)
            .response_header(
                Status(409),
                "Retry-After",
                "Seconds until the first request with this key is likely done.",
                true,
            )
            .problems(&[
                event_kinds::INVALID_EVENT,
                event_kinds::IDEMPOTENCY_KEY_IN_USE,
                item_kinds::INVALID_IDEMPOTENCY_KEY,
                item_kinds::IDEMPOTENCY_KEY_REUSED,
            ]),
        Route::get("/{id}", events::status)
            .summary("Where an event is (only for the consumer that sent it)")
            .returns::<events::EventView>(Status::OK)
            .problems(&[kinds::NOT_FOUND]),
    ];
    routes.extend(partners.routes(event_routes));
    // A team's existing service behind the gateway: every method and path
    // under /origin/ goes to the upstream `origin` (its address is
    // `UPSTREAMS.origin`), for callers with a key or a token. Its GET and
    // HEAD answers are kept at the edge as the origin's Cache-Control says,
    // one entry for every caller (shared): the origin decides what is
    // public, and marks per-caller answers `private` (README, "Caching").
    routes.push(
        Route::any_to("/origin/{*rest}", origin("origin"))
            .access(key_or_token())
            .cache(cache("origin").shared())
            .summary("Forwarded to the upstream `origin`"),
    );
    // Operators purge `origin`'s entries by key or tag with a token granting `cache:purge`.
    routes.push(
        Route::purge("/cache/origin/purge", "origin")
            .access(jwt("firebase").scopes(&["cache:purge"]))
            .summary("Purge the edge cache of `/origin/*` by key or tag (this location)"),
    );
    // A function Worker behind the service binding `GREETER`
    // (functions/greeter/, the seeds' handler): API Gateway + Lambda, at the edge.
    // It serves GET and POST (as the seed's handler does): other methods
    // are the gateway's 405, and the OpenAPI document says so.
    let greeter = |method: Method, path: &str| Route::to(Some(method), path, function("GREETER"));
    routes.extend(Group::new("/fn/greet").access(key_or_token()).routes(vec![
            greeter(Method::Get, "").summary("A greeting from the greeter function (`GREETER`)"),
            greeter(Method::Post, "")
                .summary("A greeting from the greeter function (`GREETER`), with an optional title"),
            greeter(Method::Get, "/{*rest}").summary("A greeting for the name in the path (`GREETER`)"),
            greeter(Method::Post, "/{*rest}")
                .summary("A greeting for the name in the path (`GREETER`), with an optional title"),
        ]));
    if options.debug_routes {
        routes.push(Route::get("/debug/panic", debug::panic).public());
        routes.push(Route::get("/debug/error", debug::error).public());
        routes.push(Route::get("/debug/cookies", debug::cookies).public());
        routes.push(Route::get("/debug/stuck", debug::stuck).public());
        routes.push(Route::get("/debug/yield", debug::yield_thrice).public());
        routes.push(Route::get("/debug/woken-children", debug::woken_children).public());
        routes.push(Route::get("/debug/overflow", debug::overflow).public());
        routes.push(Route::get("/debug/panic-parked", debug::panic_parked).public());
        routes.push(Route::get("/debug/instance", debug::instance_count).public());
        // The same upstream with a one-second timeout, to see a 504 quickly.
        routes.push(Route::any_to("/debug/slow-origin/{*rest}", origin("origin").timeout_ms(1000)).api_key());
        // The same upstream cached per caller (the policy `origin`, not
        // shared: each caller's entries are its own) and rate-limited per caller.
        routes.push(
            Route::to(Some(Method::Get), "/debug/mine/{*rest}", origin("origin"))
                .access(key_or_token())
                .policy(per_principal())
                .cache(cache("origin")),
        );
    }
    RouteTable::new(routes)
}

/// A partner event's body: its `data` (64 KiB) and the rest of the envelope.
pub const EVENT_BODY_MAX_BYTES: usize = events::DATA_MAX_BYTES + 1024;

/// Each caller's rate limit: per principal (a key's consumer, a token's subject).
fn per_principal() -> edgegate::policy::traffic::RateLimit {
    rate_limit("PER_PRINCIPAL")
}

/// An API key, or a bearer token from the `firebase` provider (its issuer,
/// keys and audiences are in `JWT_PROVIDERS`).
fn key_or_token() -> Access {
    any_of([api_key(), jwt("firebase")])
}

/// The whole gateway from settings looked up by name (the adapter passes
/// `env`; tests pass a map). Built once per isolate.
pub fn gateway(lookup: impl Fn(&str) -> Option<String>) -> Gateway<AppState> {
    let options = RouteOptions::load(&lookup);
    let settings: Result<Settings, Vec<ConfigError>> = Settings::load(lookup);
    Gateway::new(routes(options), settings)
}

/// The OpenAPI document of the route table under these settings (host
/// only: `make openapi` writes it to `assets/openapi.json`, and a test fails
/// when that file is not what this makes).
#[cfg(not(target_arch = "wasm32"))]
pub fn openapi(lookup: impl Fn(&str) -> Option<String>) -> Result<serde_json::Value, String> {
    let options = RouteOptions::load(&lookup);
    let table = routes(options).map_err(|error| error.to_string())?;
    let settings = Settings::load(lookup)
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
    let info = edgegate::openapi::Info {
        title: "edgegate",
        version: env!("CARGO_PKG_VERSION"),
        description: "The edgegate app: the seed functions, the items API on D1, an origin and a function \
behind the gateway. Errors are RFC 9457 problems (`application/problem+json`) whose `type` names the kind. \
Generated from the route table (`make openapi`); served at `/openapi.json`, rendered at `/docs`.",
    };
    Ok(edgegate::openapi::document(&table, &settings, &info))
}
