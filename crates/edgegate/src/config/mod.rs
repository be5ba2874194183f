//! Gateway settings from `wrangler.toml` `[vars]` and secrets, parsed and
//! validated once per isolate. Every problem is collected, so the log of a
//! misconfigured gateway lists all of them at once.

use serde_json::Value;

use crate::setting::{named_entries, read_fields, string_list};
pub use crate::setting::{ConfigError, Named};

use crate::cache::CacheSetting;
use crate::policy::jwt::settings::ProviderConfig;
use crate::policy::{ApiKeys, CorsSettings, Setting};
use crate::upstream::targets::UpstreamSetting;

/// The global default body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The settings the gateway reads itself (its fixed phases: CORS, IP rules,
/// body limits, access, upstreams, logs, problems).
pub const GATEWAY_SETTING_NAMES: &[&str] = &[
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOWED_HEADERS",
    "CORS_EXPOSED_HEADERS",
    "CORS_MAX_AGE",
    "CORS_PROFILES",
    "IP_ALLOW",
    "IP_DENY",
    "IP_RULES",
    "MAX_BODY_BYTES",
    "API_KEYS",
    "ACCESS_LOG",
    "PROBLEM_TYPE_PREFIX",
    "JWT_PROVIDERS",
    "UPSTREAMS",
    "CACHE_POLICIES",
    "SERVER_TIMING",
    "METRICS_DATASET",
    "METRICS_PRINCIPAL",
    "METRICS_PRINCIPAL_KEY",
    "LOG_FIELDS",
    "TRACE_SPANS",
];

/// Every setting the gateway and its built-in policies read. A deployment's
/// configuration naming anything else (and nothing the app or its own
/// policies read) is a typo: the app's tests check `wrangler.toml` against
/// this list and the names of its own settings.
pub const SETTING_NAMES: &[&str] = &joined::<{ GATEWAY_SETTING_NAMES.len() + crate::policy::SETTINGS.len() }>();

const fn joined<const N: usize>() -> [&'static str; N] {
    let mut names = [""; N];
    let mut i = 0;
    while i < GATEWAY_SETTING_NAMES.len() {
        names[i] = GATEWAY_SETTING_NAMES[i];
        i += 1;
    }
    while i < N {
        names[i] = crate::policy::SETTINGS[i - GATEWAY_SETTING_NAMES.len()].name;
        i += 1;
    }
    names
}

/// The settings, parsed but not yet resolved against the route table.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The global CORS policy (`CORS_ALLOWED_ORIGINS`, `CORS_ALLOW_CREDENTIALS`, ...).
    pub cors: CorsSettings,
    /// The global allow list of addresses and CIDR ranges (`IP_ALLOW`).
    pub ip_allow: Vec<String>,
    /// The global deny list of addresses and CIDR ranges (`IP_DENY`).
    pub ip_deny: Vec<String>,
    /// The body limit of routes that set none (`MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// `None` when `API_KEYS` is not set: protected routes then refuse every request.
    pub api_keys: Option<ApiKeys>,
    /// CORS profiles routes name (`.cors("partner")`): fields over the global policy's.
    pub cors_profiles: Named<CorsSettings>,
    /// IP rules routes name (`.ip_rules("office")`), on top of the global ones.
    pub ip_rules: Named<IpRuleSettings>,
    /// One JSON line per request (default). When off, only failures (5xx) are logged.
    pub access_log: bool,
    /// What every problem's `type` starts with (then the kind's slug).
    pub problem_type_prefix: String,
    /// Token providers routes name (`jwt("firebase")`): issuer, keys, audiences.
    pub jwt_providers: Named<ProviderConfig>,
    /// The targets of the upstreams routes name (`origin("origin")`), and
    /// the bindings to spread a service or function over.
    pub upstreams: Named<UpstreamSetting>,
    /// The cache policies routes name (`cache("origin")`).
    pub cache_policies: Named<CacheSetting>,
    /// Server-Timing, metrics on Analytics Engine, the log's field names.
    pub observe: crate::observe::ObserveSettings,
    /// The text of each policy setting loaded (the built-in policies' and
    /// any [`Settings::load_with`] names), for the policies to parse.
    pub(crate) policy_texts: Vec<(&'static str, String)>,
    /// Every policy setting looked up (set or not).
    pub(crate) policy_names: Vec<&'static str>,
}

/// One named entry of `IP_RULES`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpRuleSettings {
    /// Addresses and CIDR ranges this entry admits.
    pub allow: Vec<String>,
    /// Addresses and CIDR ranges this entry refuses.
    pub deny: Vec<String>,
}

impl IpRuleSettings {
    /// `{"allow": [..], "deny": [..]}`, both optional.
    fn from_json(value: &Value) -> Result<IpRuleSettings, String> {
        let mut rules = IpRuleSettings::default();
        read_fields(value, ", expected `allow` or `deny`", |name, member| {
            match name {
                "allow" => rules.allow = string_list(name, member)?,
                "deny" => rules.deny = string_list(name, member)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(rules)
    }
}

impl Settings {
    /// Reads every setting through `lookup` (the adapter's view of `env`).
    /// Unset settings take their defaults; any invalid one is an error.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, Vec<ConfigError>> {
        Settings::load_with(lookup, &[])
    }

    /// [`Settings::load`], and the text of `more` settings for policies
    /// outside the core (which parse them when the gateway is built).
    /// [`crate::gateway::Gateway::configured`] passes those its routes' policies name.
    pub fn load_with(lookup: impl Fn(&str) -> Option<String>, more: &[Setting]) -> Result<Settings, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut fail = |setting: &str, message: String| {
            errors.push(ConfigError {
                setting: setting.into(),
                message,
            })
        };
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let mut settings = Settings {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            access_log: true,
            problem_type_prefix: crate::problem::DEFAULT_TYPE_PREFIX.to_owned(),
            ..Settings::default()
        };
        settings.cors.origins = get("CORS_ALLOWED_ORIGINS").map(|v| list(&v));
        settings.cors.allow_headers = get("CORS_ALLOWED_HEADERS").map(|v| list(&v));
        settings.cors.expose_headers = get("CORS_EXPOSED_HEADERS").map(|v| list(&v));
        // A switch is exactly `true` or `false`: anything else is an error, not a guess.
        let mut switch = |name: &str| {
            let value = get(name)?;
            match value.trim() {
                "true" => Some(true),
                "false" => Some(false),
                other => {
                    fail(name, format!("must be `true` or `false`, not `{other}`"));
                    None
                }
            }
        };
        settings.cors.allow_credentials = switch("CORS_ALLOW_CREDENTIALS");
        if let Some(on) = switch("ACCESS_LOG") {
            settings.access_log = on;
        }
        if let Some(value) = get("CORS_MAX_AGE") {
            match value.trim().parse::<u32>() {
                Ok(seconds) => settings.cors.max_age = Some(seconds),
                Err(_) => fail(
                    "CORS_MAX_AGE",
                    format!("must be a whole number of seconds, not `{value}`"),
                ),
            }
        }
        // A value that names nothing (`,`) is no list: an empty allow list
        // would admit everyone.
        for (name, target) in [("IP_ALLOW", &mut settings.ip_allow), ("IP_DENY", &mut settings.ip_deny)] {
            if let Some(value) = get(name) {
                *target = list(&value);
                if target.is_empty() {
                    fail(name, "lists no address or range (leave it blank for none)".into());
                }
            }
        }
        if let Some(value) = get("MAX_BODY_BYTES") {
            // At most what fits in 32 bits: the worker's `usize` (wasm32), so a
            // value the host tests accept is one the deployment accepts too.
            match value.trim().parse::<u32>() {
                Ok(limit) if limit > 0 => settings.max_body_bytes = limit as usize,
                _ => fail(
                    "MAX_BODY_BYTES",
                    format!("must be a positive whole number of bytes below 4 GiB, not `{value}`"),
                ),
            }
        }
        match named_entries(
            get("CORS_PROFILES").as_deref(),
            "CORS settings",
            |name| format!("`{name}`: "),
            |v| CorsSettings::from_json(&v),
        ) {
            Ok(profiles) => settings.cors_profiles = profiles,
            Err(messages) => messages.into_iter().for_each(|m| fail("CORS_PROFILES", m)),
        }
        match named_entries(
            get("IP_RULES").as_deref(),
            "{\"allow\": [..], \"deny\": [..]}",
            |name| format!("`{name}`: "),
            |v| IpRuleSettings::from_json(&v),
        ) {
            Ok(rules) => settings.ip_rules = rules,
            Err(messages) => messages.into_iter().for_each(|m| fail("IP_RULES", m)),
        }
        if let Some(value) = get("PROBLEM_TYPE_PREFIX") {
            let prefix = value.trim();
            if prefix.len() <= 200 && prefix.contains(':') && prefix.bytes().all(|b| b.is_ascii_graphic()) {
                settings.problem_type_prefix = prefix.to_owned();
            } else {
                fail(
                    "PROBLEM_TYPE_PREFIX",
                    format!("must be the start of a URI (visible ASCII with a `:`, at most 200), not `{prefix}`"),
                );
            }
        }
        match named_entries(
            get("JWT_PROVIDERS").as_deref(),
            "{\"issuer\", \"jwks_uri\" or \"jwks\", \"audiences\"}",
            |name| format!("provider `{name}`: "),
            ProviderConfig::from_json,
        ) {
            // A principal is `jwt:<provider>:<subject>`, for rate limits,
            // quotas and per-caller cache entries: a provider named with a
            // `:` would share them with another's subjects.
            Ok(providers) => {
                let colon = providers
                    .iter()
                    .find(|(name, _)| name.contains(':'))
                    .map(|(name, _)| name.to_owned());
                match colon {
                    Some(name) => fail(
                        "JWT_PROVIDERS",
                        format!("provider `{name}`: a provider's name has no `:` (`corp:partner`'s subject `bob` would be `corp`'s `partner:bob`)"),
                    ),
                    None => settings.jwt_providers = providers,
                }
            }
            Err(messages) => messages.into_iter().for_each(|m| fail("JWT_PROVIDERS", m)),
        }
        match named_entries(
            get("UPSTREAMS").as_deref(),
            "an http(s) URL or {\"targets\": [...]}",
            |name| format!("`{name}` "),
            UpstreamSetting::from_json,
        ) {
            Ok(upstreams) => settings.upstreams = upstreams,
            Err(messages) => messages.into_iter().for_each(|m| fail("UPSTREAMS", m)),
        }
        match named_entries(
            get("CACHE_POLICIES").as_deref(),
            "{\"ttl\", \"stale_if_error\", \"vary\", \"statuses\", \"cache\", \"max_bytes\", \"tags\"}",
            |name| format!("`{name}`: "),
            CacheSetting::from_json,
        ) {
            Ok(policies) => settings.cache_policies = policies,
            Err(messages) => messages.into_iter().for_each(|m| fail("CACHE_POLICIES", m)),
        }
        // A blank secret is too short, not unset: a key was meant.
        let observe_get = |name: &str| match name {
            "METRICS_PRINCIPAL_KEY" => lookup(name),
            _ => get(name),
        };
        settings.observe = crate::observe::ObserveSettings::load(observe_get, &mut fail);
        for setting in crate::policy::SETTINGS.iter().chain(more) {
            settings.policy_names.push(setting.name);
            if let Some(text) = get(setting.name) {
                if !settings.policy_texts.iter().any(|(name, _)| *name == setting.name) {
                    settings.policy_texts.push((setting.name, text));
                }
            }
        }
        // Only the parse error's own words: they never quote a key.
        match lookup("API_KEYS") {
            Some(value) => match ApiKeys::parse(&value) {
                Ok(keys) => settings.api_keys = Some(keys),
                Err(message) => fail("API_KEYS", message),
            },
            None => settings.api_keys = None,
        }
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }
}

/// A comma- or whitespace-separated list.
fn list(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, Vec<ConfigError>> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::load(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert!(settings.cors.origins.is_none());
        assert!(settings.api_keys.is_none());
        assert!(settings.cors_profiles.is_empty() && settings.ip_rules.is_empty());
        assert!(settings.access_log);
    }

    #[test]
    fn lists_and_numbers_parse() {
        let settings = load(&[
            ("CORS_ALLOWED_ORIGINS", "http://localhost:5173, http://127.0.0.1:5173"),
            ("CORS_ALLOW_CREDENTIALS", "true"),
            ("CORS_MAX_AGE", "600"),
            ("IP_DENY", "10.0.0.0/8 192.168.0.1"),
            ("MAX_BODY_BYTES", "2048"),
            ("CORS_PROFILES", r#"{"partner": {"origins": ["https://a.test"]}}"#),
            ("IP_RULES", r#"{"office": {"allow": ["203.0.113.0/24"]}}"#),
        ])
        .unwrap();
        assert_eq!(
            settings.cors.origins.unwrap(),
            vec!["http://localhost:5173", "http://127.0.0.1:5173"]
        );
        assert_eq!(settings.cors.allow_credentials, Some(true));
        assert_eq!(settings.cors.max_age, Some(600));
        assert_eq!(settings.ip_deny, vec!["10.0.0.0/8", "192.168.0.1"]);
        assert_eq!(settings.max_body_bytes, 2048);
        assert_eq!(
            settings.cors_profiles.get("partner").unwrap().origins.as_deref(),
            Some(&["https://a.test".to_string()][..])
        );
        assert_eq!(settings.ip_rules.get("office").unwrap().allow, vec!["203.0.113.0/24"]);
    }

    #[test]
    fn every_invalid_setting_is_reported() {
        let errors = load(&[
            ("CORS_ALLOW_CREDENTIALS", "yes"),
            ("ACCESS_LOG", "sometimes"),
            ("CORS_MAX_AGE", "an hour"),
            ("MAX_BODY_BYTES", "0"),
            ("CORS_PROFILES", r#"{"partner": {"origin": ["https://a.test"]}}"#),
            ("IP_RULES", r#"{"office": {"alow": []}}"#),
            ("API_KEYS", "dev-local-key"),
        ])
        .unwrap_err();
        let settings: Vec<&str> = errors.iter().map(|e| e.setting.as_str()).collect();
        assert_eq!(
            settings,
            [
                "CORS_ALLOW_CREDENTIALS",
                "ACCESS_LOG",
                "CORS_MAX_AGE",
                "MAX_BODY_BYTES",
                "CORS_PROFILES",
                "IP_RULES",
                "API_KEYS"
            ]
        );
        assert!(errors.iter().all(|e| !e.message.contains("dev-local-key")));
    }

    #[test]
    fn a_body_limit_the_worker_cannot_hold_fails_the_host_tests_too() {
        // usize is 32 bits in the worker (wasm32): what the host would take
        // and the deployment refuse is refused here.
        for too_big in ["5000000000", "4294967296"] {
            let errors = load(&[("MAX_BODY_BYTES", too_big)]).unwrap_err();
            assert_eq!(errors[0].setting, "MAX_BODY_BYTES", "{too_big}");
        }
        assert_eq!(
            load(&[("MAX_BODY_BYTES", "4294967295")]).unwrap().max_body_bytes,
            4_294_967_295
        );
    }

    #[test]
    fn a_named_setting_of_the_wrong_type_is_reported_without_its_value() {
        // serde's message would quote the string, and the setting may be a secret.
        let error = crate::setting::named_policies(Some(r#""0123-not-an-object-s3cret""#), "a secret").unwrap_err();
        assert!(!error.contains("s3cret"), "{error}");
        assert!(error.contains("line 1"), "{error}");
    }
}
