//! One structured JSON line per request. It names the route template, never
//! the raw path or query, so a key passed as `?key=` cannot reach the log.

use serde::Serialize;

/// One request's access log line, as its fields.
#[derive(Debug, Clone, Serialize)]
pub struct AccessLogEntry<'a> {
    /// When the request arrived (RFC 3339).
    pub time: String,
    /// The request's id (`x-request-id`).
    pub request_id: &'a str,
    /// The trace it belongs to (W3C Trace Context), 32 hex digits.
    pub trace_id: String,
    /// The gateway's span of it, 16 hex digits.
    pub span_id: String,
    /// The request's method.
    pub method: &'a str,
    /// The matched template (`/users/{id}`); absent when nothing matched.
    /// (Absent fields keep the line short: printing it is a real share of a
    /// cheap request's cost.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<&'a str>,
    /// The response's status.
    pub status: u16,
    /// How long the gateway took to answer, in milliseconds.
    pub duration_ms: f64,
    /// Who the request authenticated as (a key's consumer, a token's subject), and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<&'a str>,
    /// The scheme the principal authenticated with (`api_key`, `jwt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<&'static str>,
    /// The client's address, as the edge gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// The upstream an upstream route forwarded to, its status (none when it
    /// did not answer) and how long it took to answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<&'a str>,
    /// The upstream's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    /// How long the upstream took to answer, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_ms: Option<f64>,
    /// The upstream's target that answered (or was tried last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_target: Option<&'a str>,
    /// How many calls the upstream took (failovers and retries included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_tries: Option<u8>,
    /// The targets that failed or were passed over, and why
    /// (`https://eu.example.com: status 503; https://us.example.com: ejected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_skipped: Option<&'a str>,
    /// What the route's cache did: `hit`, `miss`, `stale`, `stale-if-error`,
    /// `collapsed` (answered with another request's call), `bypass`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<&'static str>,
    /// The traffic-control limit that refused the request (`rate_limit:PER_CLIENT`, `quota:day`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<&'a str>,
    /// The problem type slug for error responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<&'a str>,
    /// The internal cause of a 5xx, for the operator (never sent to clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl AccessLogEntry<'_> {
    /// The entry as one JSON line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"log\":\"unserializable access log entry\"}"))
    }
}

impl AccessLogEntry<'_> {
    /// The entry as one JSON line with OpenTelemetry's names where a
    /// semantic convention has one (`http.request.method`, `http.route`,
    /// `http.response.status_code`, `client.address`), and the caller's
    /// `user_agent.original`.
    pub fn to_otel_json(&self, user_agent: Option<&str>) -> String {
        // Renamed in the line itself: every renamed key follows a comma
        // (`time` is always first), and a value's quotes are escaped, so
        // `,"key":` is only ever a key.
        let mut line = self.to_json();
        for (ours, otel) in [
            ("method", "http.request.method"),
            ("route", "http.route"),
            ("status", "http.response.status_code"),
            ("client_ip", "client.address"),
        ] {
            line = line.replacen(&format!(",\"{ours}\":"), &format!(",\"{otel}\":"), 1);
        }
        if let Some(agent) = user_agent {
            line.pop();
            line.push_str(",\"user_agent.original\":");
            push_json_string(&mut line, agent);
            line.push('}');
        }
        line
    }
}

/// The line a misconfigured gateway logs once, when it is built: every reason at once.
pub fn misconfiguration_line(reasons: &[String]) -> String {
    crate::http::compact_json(
        &serde_json::json!({ "level": "error", "message": "gateway misconfigured", "errors": reasons }),
    )
}

/// An operator's log line of text fields: `{"level", "message", fields...}`.
/// Written by hand (a JSON value per line would cost the wasm kilobytes).
pub fn log_line(level: &str, message: &str, fields: &[(&str, &str)]) -> String {
    let mut line = String::with_capacity(96);
    line.push('{');
    for (i, (name, value)) in [("level", level), ("message", message)]
        .iter()
        .chain(fields)
        .enumerate()
    {
        if i > 0 {
            line.push(',');
        }
        push_json_string(&mut line, name);
        line.push(':');
        push_json_string(&mut line, value);
    }
    line.push('}');
    line
}

/// `text` as a JSON string: quotes, backslashes and control characters
/// escaped. The runs between them are copied whole (a user agent or an
/// error text is one copy, not a push per character).
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut run = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0..=0x1f => "\\u00",
            _ => continue,
        };
        // `at` is an ASCII byte's: a character boundary.
        out.push_str(&text[run..at]);
        out.push_str(escaped);
        if byte < 0x20 {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
        run = at + 1;
    }
    out.push_str(&text[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_json_whatever_the_fields_hold() {
        let line = log_line("warn", "x", &[("error", "a \"quoted\"\\ line\nbreak \u{1}")]);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["error"], "a \"quoted\"\\ line\nbreak \u{1}");
        assert_eq!(parsed["level"], "warn");
        // Runs around escapes, at either end, with characters beyond ASCII.
        for text in ["\"", "é\"x\u{1f}ü\\", "\u{7}ab\u{1f}", "日本\n語", ""] {
            let line = log_line("info", "x", &[("v", text)]);
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(parsed["v"], text, "{line}");
        }
    }
}
