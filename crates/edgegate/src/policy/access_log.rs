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
        self.line(&OURS)
    }

    /// The entry as one JSON line with OpenTelemetry's names where a
    /// semantic convention has one (`http.request.method`, `http.route`,
    /// `http.response.status_code`, `client.address`), and the caller's
    /// `user_agent.original`.
    pub fn to_otel_json(&self, user_agent: Option<&str>) -> String {
        let mut line = self.line(&OTEL);
        if let Some(agent) = user_agent {
            line.pop();
            line.push_str(",\"user_agent.original\":");
            push_json_string(&mut line, agent);
            line.push('}');
        }
        line
    }

    /// Written field by field, in the struct's order, absent fields left
    /// out: the text serde's derive wrote, for a fraction of its cost on
    /// every request (the derive stays, for callers that serialize one).
    fn line(&self, names: &Names) -> String {
        let mut line = String::with_capacity(320);
        line.push_str("{\"time\":");
        push_json_string(&mut line, &self.time);
        text(&mut line, "request_id", Some(self.request_id));
        text(&mut line, "trace_id", Some(&self.trace_id));
        text(&mut line, "span_id", Some(&self.span_id));
        text(&mut line, names.method, Some(self.method));
        text(&mut line, names.route, self.route);
        integer(&mut line, names.status, Some(self.status.into()));
        float(&mut line, "duration_ms", Some(self.duration_ms));
        text(&mut line, "principal", self.principal);
        text(&mut line, "scheme", self.scheme);
        text(&mut line, names.client_ip, self.client_ip.as_deref());
        text(&mut line, "upstream", self.upstream);
        integer(&mut line, "upstream_status", self.upstream_status.map(u64::from));
        float(&mut line, "upstream_ms", self.upstream_ms);
        text(&mut line, "upstream_target", self.upstream_target);
        integer(&mut line, "upstream_tries", self.upstream_tries.map(u64::from));
        text(&mut line, "upstream_skipped", self.upstream_skipped);
        text(&mut line, "cache", self.cache);
        text(&mut line, "limit", self.limit);
        text(&mut line, "problem", self.problem);
        text(&mut line, "error", self.error);
        line.push('}');
        line
    }
}

/// The names of the fields the two namings differ on.
struct Names {
    method: &'static str,
    route: &'static str,
    status: &'static str,
    client_ip: &'static str,
}

const OURS: Names = Names {
    method: "method",
    route: "route",
    status: "status",
    client_ip: "client_ip",
};

const OTEL: Names = Names {
    method: "http.request.method",
    route: "http.route",
    status: "http.response.status_code",
    client_ip: "client.address",
};

/// `,"name":` (a name of ours: nothing in it to escape).
fn key(line: &mut String, name: &str) {
    line.push_str(",\"");
    line.push_str(name);
    line.push_str("\":");
}

fn text(line: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        key(line, name);
        push_json_string(line, value);
    }
}

fn integer(line: &mut String, name: &str, value: Option<u64>) {
    if let Some(value) = value {
        key(line, name);
        crate::http::push_decimal(line, value);
    }
}

/// A number as serde_json writes an `f64` (`2.0`, `23.1`, and `null` when
/// it is not finite).
fn float(line: &mut String, name: &str, value: Option<f64>) {
    if let Some(value) = value {
        key(line, name);
        line.push_str(&serde_json::to_string(&value).unwrap_or_else(|_| "null".into()));
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
        // As serde_json escapes: the short forms where JSON has one.
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "\\u00",
            _ => continue,
        };
        // `at` is an ASCII byte's: a character boundary.
        out.push_str(&text[run..at]);
        out.push_str(escaped);
        if escaped == "\\u00" {
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

    fn entry<'a>(all: bool) -> AccessLogEntry<'a> {
        AccessLogEntry {
            time: "2026-12-07T13:00:00.000Z".into(),
            request_id: "req \"1\"\n",
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            method: "GET",
            route: all.then_some("/users/{id}"),
            status: 502,
            duration_ms: if all { 23.125 } else { 2.0 },
            principal: all.then_some("dév"),
            scheme: all.then_some("api_key"),
            client_ip: all.then(|| "203.0.113.7".to_owned()),
            upstream: all.then_some("origin"),
            upstream_status: all.then_some(503),
            upstream_ms: all.then_some(0.1 + 0.2),
            upstream_target: all.then_some("https://eu.example.com"),
            upstream_tries: all.then_some(3),
            upstream_skipped: all.then_some("https://us.example.com: ejected"),
            cache: all.then_some("miss"),
            limit: all.then_some("rate_limit:PER_CLIENT"),
            problem: all.then_some("upstream-unreachable"),
            error: all.then_some("a \u{1} control\\ \t\r\u{8}\u{c}\u{1f}"),
        }
    }

    #[test]
    fn the_line_is_the_text_serdes_derive_writes_in_either_naming() {
        for all in [true, false] {
            let entry = entry(all);
            let serde = serde_json::to_string(&entry).unwrap();
            assert_eq!(entry.to_json(), serde);
            let mut renamed = serde.clone();
            for (ours, otel) in [
                ("method", "http.request.method"),
                ("route", "http.route"),
                ("status", "http.response.status_code"),
                ("client_ip", "client.address"),
            ] {
                renamed = renamed.replacen(&format!(",\"{ours}\":"), &format!(",\"{otel}\":"), 1);
            }
            assert_eq!(entry.to_otel_json(None), renamed);
            let with_agent = entry.to_otel_json(Some("curl/8 \"x\""));
            let parsed: serde_json::Value = serde_json::from_str(&with_agent).unwrap();
            assert_eq!(parsed["user_agent.original"], "curl/8 \"x\"");
        }
        let mut infinite = entry(false);
        infinite.duration_ms = f64::INFINITY;
        assert_eq!(infinite.to_json(), serde_json::to_string(&infinite).unwrap());
    }

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
