//! One structured JSON line per request. It names the route template, never
//! the raw path or query, so a key passed as `?key=` cannot reach the log.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AccessLogEntry<'a> {
    pub time: String,
    pub request_id: &'a str,
    pub method: &'a str,
    /// The matched template (`/users/{id}`); absent when nothing matched.
    /// (Absent fields keep the line short: printing it is a real share of a
    /// cheap request's cost.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<&'a str>,
    pub status: u16,
    pub duration_ms: f64,
    /// Who the request authenticated as (a key's consumer, a token's subject), and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// The problem type slug for error responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<&'a str>,
    /// The internal cause of a 5xx, for the operator (never sent to clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl AccessLogEntry<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"log\":\"unserializable access log entry\"}"))
    }
}

/// The line a misconfigured gateway logs once, when it is built: every reason at once.
pub fn misconfiguration_line(reasons: &[String]) -> String {
    serde_json::json!({ "level": "error", "message": "gateway misconfigured", "errors": reasons }).to_string()
}
