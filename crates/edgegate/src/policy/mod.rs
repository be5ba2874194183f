//! The gateway's policies, one file each. Each is built once from validated
//! configuration and then only answers questions about a request; the order
//! they run in is fixed by the gateway, not by handlers.

pub mod access;
pub mod access_log;
pub mod api_key;
pub mod cors;
pub mod ip_rules;
pub mod jwt;
pub mod request_id;
pub mod route_policy;
pub mod traffic;

pub use access::{any_of, api_key, jwt, public, Access, Guard, Principal, Scheme};
pub use api_key::ApiKeys;
pub use cors::{CorsPolicy, CorsSettings};
pub use ip_rules::IpRules;
pub use route_policy::{Build, Phase, PolicyFuture, PolicySpec, RoutePolicy, Setting};
pub use traffic::{quota, rate_limit};

/// The settings of the built-in route policies, one line each: loaded with
/// the gateway's own, and listed in [`crate::config::SETTING_NAMES`].
pub const SETTINGS: &[Setting] = &[traffic::rate_limit::SETTING, traffic::quota::SETTING];
