//! The app's route table (the one place routes are declared) and the state
//! its handlers share. Add a route by writing a handler and one `Route::…`
//! line in [`routes`].

use std::fmt;
use std::rc::Rc;

use crate::items::{self, ItemStore, MemoryItems};
use edgegate::config::{ConfigError, Settings};
use edgegate::gateway::Gateway;
use edgegate::policy::{any_of, api_key, jwt, public, quota, rate_limit, Access};
use edgegate::routing::{Group, Route, RouteError, RouteTable};
use edgegate::upstream::{function, origin};

use crate::{debug, identity, seeds};

/// What handlers share: bindings the adapter provides (D1 on the worker, an
/// in-memory store by default and in host tests).
#[derive(Clone)]
pub struct AppState {
    pub items: Rc<dyn ItemStore>,
}

impl AppState {
    pub fn with_items(items: impl ItemStore + 'static) -> AppState {
        AppState { items: Rc::new(items) }
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
    /// Mounts `/debug/panic`, `/debug/error` and `/debug/cookies`, which exist to prove the
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

/// The app's own settings, beside the gateway's (`SETTING_NAMES`).
pub const APP_SETTING_NAMES: &[&str] = &["DEBUG_ROUTES"];

/// The route table. Each route states its access explicitly; policies with
/// values (a CORS profile, IP rules) are named here and given values by the
/// settings (`CORS_PROFILES`, `IP_RULES` in wrangler.toml).
pub fn routes(options: RouteOptions) -> Result<RouteTable<AppState>, RouteError> {
    let mut routes = vec![
        // The seed functions. `/users/{id}` is what partners call: it has its
        // own CORS profile and IP rules (empty by default).
        Route::get("/hello", seeds::hello).public(),
        Route::get("/goodbye", seeds::goodbye).public(),
        Route::get("/users/{id}", seeds::user)
            .public()
            .cors("partners")
            .ip_rules("partners"),
        Route::get("/search", seeds::search).public(),
        Route::any("/echo", seeds::echo).public(),
        Route::any("/echo/{*rest}", seeds::echo).public(),
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
            .routes([
                Route::get("/hello", seeds::hello),
                Route::get("/goodbye", seeds::goodbye),
                Route::post("/greet/{name}", seeds::greet),
                Route::get("/me", identity::me),
            ]),
    );
    // Items on D1. Reads are public, limited per client address
    // (`PER_CLIENT`); writes take a key, or a token granting `items:write`,
    // and are limited and counted per caller as /api is.
    let reads = Group::new("/items")
        .access(public())
        .policy(rate_limit("PER_CLIENT").per_client());
    routes.extend(reads.routes([Route::get("", items::list), Route::get("/{id}", items::get)]));
    let writes = Group::new("/items")
        .access(any_of([api_key(), jwt("firebase").scopes(&["items:write"])]))
        .policy(per_principal())
        .policy(quota("QUOTA"));
    routes.extend(writes.routes([
        Route::post("", items::create).max_body_bytes(16 * 1024),
        Route::patch("/{id}", items::update).max_body_bytes(16 * 1024),
        Route::delete("/{id}", items::delete),
    ]));
    // A team's existing service behind the gateway: every method and path
    // under /origin/ goes to the upstream `origin` (its address is
    // `UPSTREAMS.origin`), for callers with a key or a token.
    routes.push(Route::any_to("/origin/{*rest}", origin("origin")).access(key_or_token()));
    // A function Worker behind the service binding `GREETER`
    // (functions/greeter/, the seeds' handler): API Gateway + Lambda, at the edge.
    routes.extend(Group::new("/fn/greet").access(key_or_token()).routes([
        Route::any_to("", function("GREETER")),
        Route::any_to("/{*rest}", function("GREETER")),
    ]));
    if options.debug_routes {
        routes.push(Route::get("/debug/panic", debug::panic).public());
        routes.push(Route::get("/debug/error", debug::error).public());
        routes.push(Route::get("/debug/cookies", debug::cookies).public());
        // The same upstream with a one-second timeout, to see a 504 quickly.
        routes.push(Route::any_to("/debug/slow-origin/{*rest}", origin("origin").timeout_ms(1000)).api_key());
    }
    RouteTable::new(routes)
}

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
