//! Drives the app's gateway through its one entry point, as the wasm adapter
//! does, with the settings of wrangler.toml and `.dev.vars.example`. What
//! is not the app's own (the exchange, requests, test tables' helpers, test
//! tokens) is the framework's test support, shared from
//! crates/edgegate/tests/support.

#![allow(dead_code)]

#[path = "../../crates/edgegate/tests/support/mod.rs"]
mod framework;

use std::collections::HashMap;

use edgegate::gateway::{BindingKind, Gateway};
use edgegate::http::Request;
use edgegate::routing::Route;
use edgegate::testing::RecordingPlatform;
use edgegate_app::{self as app, AppState};

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use framework::{exchange, get, key_or_token_routes, post_json, respond, tokens, with_var, Exchange, Vars};

/// The development key (`.dev.vars.example`'s `API_KEYS`), whose consumer is `dev`.
pub const DEV_KEY: &str = "dev-local-key";
/// An origin wrangler.toml's `CORS_ALLOWED_ORIGINS` allows.
pub const FRONTEND: &str = "http://localhost:5173";

/// The development settings, read from the files `make dev` uses:
/// wrangler.toml's `[vars]`, overridden by `.dev.vars.example` (its secrets
/// and the development token provider), as wrangler overrides them.
pub fn dev_vars() -> Vars {
    let mut vars = vars_of(None);
    for (name, value) in dev_file() {
        vars = with_var(vars, &name, &value);
    }
    vars
}

/// What a deployment runs with: the `[vars]` of wrangler.toml's top level
/// (`None`) or of `[env.<name>]` (wrangler does not inherit `[vars]` into
/// environments), and the secrets `.dev.vars.example` names that `[vars]`
/// does not set (a deployment sets them with `wrangler secret put`).
pub fn deployment_vars(environment: Option<&str>) -> Vars {
    let mut vars = vars_of(environment);
    for (name, value) in dev_file() {
        if !vars.iter().any(|(n, _)| *n == name) {
            vars.push((name, value));
        }
    }
    vars
}

/// A section's `[vars]`; tables and arrays become JSON, as the adapter reads them from `env`.
fn vars_of(environment: Option<&str>) -> Vars {
    section(environment)
        .as_ref()
        .and_then(|section| section.get("vars"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let text = match value {
                toml::Value::String(text) => text.clone(),
                other => serde_json::to_string(other).expect("TOML values are JSON"),
            };
            (name.clone(), text)
        })
        .collect()
}

/// `.dev.vars.example`'s `NAME=value` lines.
fn dev_file() -> Vars {
    let mut vars = Vars::new();
    let secrets = std::fs::read_to_string(root().join(".dev.vars.example")).expect(".dev.vars.example");
    for line in secrets
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, value) = line.split_once('=').expect("NAME=VALUE lines");
        vars.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    vars
}

/// The environments wrangler.toml defines (`[env.<name>]`).
pub fn wrangler_environments() -> Vec<String> {
    wrangler_toml()
        .get("env")
        .and_then(toml::Value::as_table)
        .map(|envs| envs.keys().cloned().collect())
        .unwrap_or_default()
}

/// The bindings a section of wrangler.toml declares (at the top level,
/// `None`, or in `[env.<name>]`: wrangler does not inherit bindings into
/// environments), with what each is: `[[services]]`, `[[ratelimits]]`,
/// `[[durable_objects.bindings]]`.
pub fn declared_bindings(environment: Option<&str>) -> Vec<(String, BindingKind)> {
    let section = section(environment);
    let entries = |path: &[&str], key: &str, kind: BindingKind| -> Vec<(String, BindingKind)> {
        let mut value = section.as_ref();
        for step in path {
            value = value.and_then(|v| v.get(step));
        }
        value
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.get(key)?.as_str().map(|name| (name.to_owned(), kind)))
            .collect()
    };
    let mut bindings = entries(&["services"], "binding", BindingKind::Service);
    bindings.extend(entries(&["ratelimits"], "name", BindingKind::RateLimit));
    bindings.extend(entries(
        &["durable_objects", "bindings"],
        "name",
        BindingKind::DurableObject,
    ));
    bindings.extend(entries(
        &["analytics_engine_datasets"],
        "binding",
        edgegate::observe::metrics::ANALYTICS_ENGINE_DATASET,
    ));
    bindings
}

/// A section's `[[ratelimits]]`: name, limit and period, as the binding enforces them.
pub fn declared_rate_limits(environment: Option<&str>) -> Vec<(String, u64, u64)> {
    section(environment)
        .as_ref()
        .and_then(|section| section.get("ratelimits"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .map(|entry| {
            let simple = entry.get("simple").expect("a [[ratelimits]] entry has `simple`");
            let number = |key: &str| {
                simple
                    .get(key)
                    .and_then(toml::Value::as_integer)
                    .expect("limit and period") as u64
            };
            (
                entry["name"].as_str().expect("name").to_owned(),
                number("limit"),
                number("period"),
            )
        })
        .collect()
}

/// The real gateway as a deployment of that section runs it: its settings,
/// and the bindings its routes call checked as the adapter checks the runtime's `env`.
pub fn deployed_gateway(environment: Option<&str>) -> Gateway<AppState> {
    let mut gateway = app_gateway(&deployment_vars(environment));
    let bound = declared_bindings(environment);
    gateway.check_bindings(|name, kind| bound.iter().any(|(b, k)| b == name && *k == kind));
    gateway
}

/// wrangler.toml's top level (`None`) or its `[env.<name>]` table.
fn section(environment: Option<&str>) -> Option<toml::Value> {
    let config = wrangler_toml();
    match environment {
        None => Some(config),
        Some(name) => config.get("env").and_then(|envs| envs.get(name)).cloned(),
    }
}

/// `wrangler.toml` as parsed (the top level: the default deployment).
pub fn wrangler_toml() -> toml::Value {
    toml_at("wrangler.toml")
}

/// A wrangler configuration of the repository, parsed (`path` from its root).
pub fn toml_at(path: &str) -> toml::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|_| panic!("{path}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{path} parses: {e}"))
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real application gateway with these settings.
pub fn app_gateway(vars: &[(String, String)]) -> Gateway<AppState> {
    let map: HashMap<&str, &str> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    app::gateway(|name| map.get(name).map(|v| v.to_string()))
}

/// The settings that give named policies their values: a test table names
/// none of the app's, so these are left out unless a test keeps one.
const NAMED_POLICY_SETTINGS: &[&str] = &[
    "CORS_PROFILES",
    "IP_RULES",
    "JWT_PROVIDERS",
    "UPSTREAMS",
    "RATE_LIMITS",
    "CACHE_POLICIES",
];

/// A gateway over a test route table, with these settings, less the values
/// of the app's named policies (a test table names none of them).
pub fn custom_gateway(routes: Vec<Route<AppState>>, vars: &[(String, String)]) -> Gateway<AppState> {
    custom_gateway_keeping(routes, vars, &[])
}

/// A gateway over a test route table that names the `JWT_PROVIDERS` in `vars`.
pub fn custom_gateway_with_providers(routes: Vec<Route<AppState>>, vars: &[(String, String)]) -> Gateway<AppState> {
    custom_gateway_keeping(routes, vars, &["JWT_PROVIDERS"])
}

/// A gateway over a test route table, keeping these named-policy settings of `vars`.
pub fn custom_gateway_keeping(
    routes: Vec<Route<AppState>>,
    vars: &[(String, String)],
    keep: &[&str],
) -> Gateway<AppState> {
    let kept: Vars = vars
        .iter()
        .filter(|(n, _)| !NAMED_POLICY_SETTINGS.contains(&n.as_str()) || keep.contains(&n.as_str()))
        .cloned()
        .collect();
    framework::test_gateway(routes, &kept)
}

pub fn send(gateway: &Gateway<AppState>, request: Request) -> Exchange {
    send_on(gateway, request, &platform())
}

/// A host platform with the rate limiters wrangler.toml binds (as `wrangler dev` simulates them).
pub fn platform() -> RecordingPlatform {
    let platform = RecordingPlatform::default();
    for (name, limit, period) in declared_rate_limits(None) {
        platform.bind_limiter(&name, limit as u32, period as u32);
    }
    platform
}

/// Sends on a given platform (its clock, fetch answers and counters), with
/// a fresh in-memory store, taking the log lines this request wrote.
pub fn send_on(gateway: &Gateway<AppState>, request: Request, platform: &RecordingPlatform) -> Exchange {
    framework::exchange(gateway, request, &AppState::default(), platform)
}
