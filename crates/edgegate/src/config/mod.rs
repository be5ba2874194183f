//! Gateway settings from `wrangler.toml` `[vars]` and secrets, parsed and
//! validated once per isolate. Every problem is collected, so the log of a
//! misconfigured gateway lists all of them at once.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::policy::jwt::settings::ProviderConfig;
use crate::policy::traffic::{LimiterSettings, Quotas};
use crate::policy::{ApiKeys, CorsSettings};

/// The global default body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every setting the gateway reads. A deployment's configuration naming
/// anything else (and nothing the app reads) is a typo: the app's tests check
/// `wrangler.toml` against this list.
pub const SETTING_NAMES: &[&str] = &[
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
    "RATE_LIMITS",
    "QUOTAS",
];

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
    /// The addresses of the upstreams routes name (`origin("origin")`).
    pub upstreams: Named<String>,
    /// The numbers of the rate-limit bindings routes name (`rate_limit("PER_PRINCIPAL")`).
    pub rate_limits: Named<LimiterSettings>,
    /// Each principal's quota; `None` when `QUOTAS` is not set (then a
    /// route that counts quotas is a misconfiguration).
    pub quotas: Option<Quotas>,
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
        for (name, member) in members(value)? {
            match name.as_str() {
                "allow" => rules.allow = string_list(name, member)?,
                "deny" => rules.deny = string_list(name, member)?,
                other => return Err(format!("unknown field `{other}`, expected `allow` or `deny`")),
            }
        }
        Ok(rules)
    }
}

/// A JSON object's members, or an error saying it is none.
pub(crate) fn members(value: &Value) -> Result<&serde_json::Map<String, Value>, String> {
    value.as_object().ok_or_else(|| "not a JSON object".to_owned())
}

/// A JSON list of strings.
pub(crate) fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The member `name`, which must be a list of strings.
pub(crate) fn string_list(name: &str, value: &Value) -> Result<Vec<String>, String> {
    strings(value).ok_or_else(|| format!("`{name}` must be an array of strings"))
}

/// One thing wrong with the configuration: which setting, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The setting's name, as `wrangler.toml` spells it.
    pub setting: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

impl Settings {
    /// Reads every setting through `lookup` (the adapter's view of `env`).
    /// Unset settings take their defaults; any invalid one is an error.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, Vec<ConfigError>> {
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
        settings.ip_allow = get("IP_ALLOW").map(|v| list(&v)).unwrap_or_default();
        settings.ip_deny = get("IP_DENY").map(|v| list(&v)).unwrap_or_default();
        if let Some(value) = get("MAX_BODY_BYTES") {
            match value.trim().parse::<usize>() {
                Ok(limit) if limit > 0 => settings.max_body_bytes = limit,
                _ => fail(
                    "MAX_BODY_BYTES",
                    format!("must be a positive whole number of bytes, not `{value}`"),
                ),
            }
        }
        match named_entries(
            get("CORS_PROFILES"),
            "CORS settings",
            |name| format!("`{name}`: "),
            |v| CorsSettings::from_json(&v),
        ) {
            Ok(profiles) => settings.cors_profiles = profiles,
            Err(messages) => messages.into_iter().for_each(|m| fail("CORS_PROFILES", m)),
        }
        match named_entries(
            get("IP_RULES"),
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
            get("JWT_PROVIDERS"),
            "{\"issuer\", \"jwks_uri\" or \"jwks\", \"audiences\"}",
            |name| format!("provider `{name}`: "),
            ProviderConfig::from_json,
        ) {
            Ok(providers) => settings.jwt_providers = providers,
            Err(messages) => messages.into_iter().for_each(|m| fail("JWT_PROVIDERS", m)),
        }
        let address = |url: Value| match url.as_str() {
            Some(url) => crate::upstream::check_address(url),
            None => Err("must be an http(s) URL as a string".to_owned()),
        };
        match named_entries(get("UPSTREAMS"), "an http(s) URL", |name| format!("`{name}` "), address) {
            Ok(upstreams) => settings.upstreams = upstreams,
            Err(messages) => messages.into_iter().for_each(|m| fail("UPSTREAMS", m)),
        }
        match named_entries(
            get("RATE_LIMITS"),
            "{\"limit\": n, \"period\": 10 or 60} or \"off\"",
            |name| format!("`{name}` "),
            LimiterSettings::from_json,
        ) {
            Ok(limiters) => settings.rate_limits = limiters,
            Err(messages) => messages.into_iter().for_each(|m| fail("RATE_LIMITS", m)),
        }
        if let Some(value) = get("QUOTAS") {
            match named_policies(Some(value), "{\"per_day\": n, \"per_minute\": n}").and_then(Quotas::from_json) {
                Ok(quotas) => settings.quotas = Some(quotas),
                Err(message) => fail("QUOTAS", message),
            }
        }
        // A plan for a provider's subjects names a provider that exists (a
        // typo would silently leave those callers on the default).
        if let Some(quotas) = &settings.quotas {
            let unknown: Vec<String> = quotas
                .providers()
                .filter(|provider| settings.jwt_providers.get(provider).is_none())
                .map(|provider| format!("`{provider}`"))
                .collect();
            if !unknown.is_empty() {
                fail(
                    "QUOTAS",
                    format!(
                        "names the token provider {}, which JWT_PROVIDERS does not define",
                        unknown.join(", ")
                    ),
                );
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

/// Named policy values in the order given. A list, not a map: a route table
/// names a few, and a map type per policy would cost the wasm kilobytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Named<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Named<T> {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    /// The value given to `name`, if any.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, value)| value)
    }

    /// Each name with its value, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// The names, in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    /// Whether no names are given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Entries<T> {
            type Value = Named<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object from name to values")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Named<T>, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, T>()? {
                    if entries.iter().any(|(n, _)| *n == name) {
                        return Err(serde::de::Error::custom(format!("`{name}` is given twice")));
                    }
                    entries.push((name, value));
                }
                Ok(Named(entries))
            }
        }

        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// A setting holding named policy values: a JSON object from name to `shape`,
/// each value read by hand afterwards (one deserializer in the wasm, not one
/// per policy type).
fn named_policies(value: Option<String>, shape: &str) -> Result<Named<Value>, String> {
    match value {
        None => Ok(Named::default()),
        Some(json) => serde_json::from_slice(json.as_bytes())
            .map_err(|error| format!("must be a JSON object from name to {shape}: {error}")),
    }
}

/// A setting of named policy values, each read by `read`. Every bad entry is
/// reported (after `label`, which names it), as every bad setting is.
fn named_entries<T>(
    value: Option<String>,
    shape: &str,
    label: impl Fn(&str) -> String,
    read: impl Fn(Value) -> Result<T, String>,
) -> Result<Named<T>, Vec<String>> {
    let Named(entries) = named_policies(value, shape).map_err(|message| vec![message])?;
    let mut read_entries = Vec::with_capacity(entries.len());
    let mut errors = Vec::new();
    for (name, value) in entries {
        match read(value) {
            Ok(entry) => read_entries.push((name, entry)),
            Err(message) => errors.push(format!("{}{message}", label(&name))),
        }
    }
    match errors.is_empty() {
        true => Ok(Named(read_entries)),
        false => Err(errors),
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
}
