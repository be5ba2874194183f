//! Observability beyond the access log line: where the time went
//! ([`timing`]: `Server-Timing`), one data point per request on Workers
//! Analytics Engine ([`metrics`]), and the log's field names. A handler's
//! own log lines are an extractor's ([`crate::extract::Log`]). Trace context
//! itself is HTTP's ([`crate::http::TraceContext`]): every request has one,
//! and every upstream call carries it.

pub mod metrics;
pub mod timing;

use crate::digest::HmacKey;

/// `METRICS_PRINCIPAL_KEY`'s bounds: 32 bytes is 256 bits of a hex or
/// base64 secret's text at the least; 1024 keeps a pasted file out.
const MIN_KEY_BYTES: usize = 32;
const MAX_KEY_BYTES: usize = 1024;

/// Who is told `Server-Timing` (`SERVER_TIMING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerTiming {
    /// Nobody.
    Off,
    /// Callers who authenticated (the default: timings help an attacker a little).
    #[default]
    Authenticated,
    /// Everyone.
    All,
}

/// How a data point names the principal (`METRICS_PRINCIPAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrincipalInMetrics {
    /// A hash of scheme, provider and id (the default): counts per caller,
    /// without their names in the dataset; keyed with `METRICS_PRINCIPAL_KEY`
    /// when it is set.
    #[default]
    Hash,
    /// The id itself (a key's consumer, a token's subject).
    Id,
}

/// The access log's field names (`LOG_FIELDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFields {
    /// edgegate's own (`method`, `route`, `status`, `client_ip`): the default.
    #[default]
    Edgegate,
    /// OpenTelemetry's semantic conventions where one exists
    /// (`http.request.method`, `http.route`, `http.response.status_code`,
    /// `client.address`, `user_agent.original`).
    OpenTelemetry,
}

/// The observability settings, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObserveSettings {
    /// Who gets `Server-Timing`.
    pub server_timing: ServerTiming,
    /// The Analytics Engine dataset binding each request writes a data point to.
    pub metrics_dataset: Option<String>,
    /// How a data point names the principal.
    pub metrics_principal: PrincipalInMetrics,
    /// The secret the principal's hash is keyed with (`METRICS_PRINCIPAL_KEY`):
    /// without it, anyone who can guess an id (an e-mail address, a key's
    /// consumer name) can confirm it against the dataset by hashing it.
    pub metrics_principal_key: Option<HmacKey>,
    /// The access log's field names.
    pub log_fields: LogFields,
    /// Custom spans for the stages that wait (`TRACE_SPANS`; the adapter's JS opens them).
    pub trace_spans: bool,
}

impl ObserveSettings {
    /// Reads them through `get` (unset: the defaults); each bad one is
    /// reported through `fail` (setting, message).
    pub fn load(get: impl Fn(&str) -> Option<String>, mut fail: impl FnMut(&str, String)) -> ObserveSettings {
        let mut settings = ObserveSettings::default();
        let mut choice = |name: &str, choices: &[&str]| -> Option<usize> {
            let value = get(name)?;
            let value = value.trim();
            match choices.iter().position(|c| *c == value) {
                Some(index) => Some(index),
                None => {
                    let listed: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
                    fail(
                        name,
                        format!("must be one of {}, not `{}`", listed.join(", "), shown(value)),
                    );
                    None
                }
            }
        };
        if let Some(index) = choice("SERVER_TIMING", &["off", "authenticated", "all"]) {
            settings.server_timing = [ServerTiming::Off, ServerTiming::Authenticated, ServerTiming::All][index];
        }
        if let Some(index) = choice("METRICS_PRINCIPAL", &["hash", "id"]) {
            settings.metrics_principal = [PrincipalInMetrics::Hash, PrincipalInMetrics::Id][index];
        }
        if let Some(index) = choice("LOG_FIELDS", &["edgegate", "otel"]) {
            settings.log_fields = [LogFields::Edgegate, LogFields::OpenTelemetry][index];
        }
        if let Some(index) = choice("TRACE_SPANS", &["false", "true"]) {
            settings.trace_spans = index == 1;
        }
        if let Some(key) = get("METRICS_PRINCIPAL_KEY") {
            // A secret: its length is checked, its value never quoted.
            let key = key.trim();
            match key.len() {
                MIN_KEY_BYTES..=MAX_KEY_BYTES => settings.metrics_principal_key = Some(HmacKey::new(key.as_bytes())),
                length => fail(
                    "METRICS_PRINCIPAL_KEY",
                    format!(
                        "must be a secret of {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes (`openssl rand -hex 32`), not {length} bytes"
                    ),
                ),
            }
        }
        if let Some(name) = get("METRICS_DATASET") {
            let name = name.trim();
            let is_binding_name =
                !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            match is_binding_name {
                true => settings.metrics_dataset = Some(name.to_owned()),
                false => fail(
                    "METRICS_DATASET",
                    format!("must be a binding's name (letters, digits, `_`), not `{}`", shown(name)),
                ),
            }
        }
        settings
    }
}

/// A setting's value as a message quotes it: visible ASCII as it is, any
/// other character as `?` (a log line stays one line of text).
fn shown(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .collect()
}
