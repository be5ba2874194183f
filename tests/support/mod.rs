//! Drives a gateway through its one entry point, as the wasm adapter does.

#![allow(dead_code)]

use std::collections::HashMap;

use edgegate::config::Settings;
use edgegate::gateway::Gateway;
use edgegate::http::{Method, Request, Response};
use edgegate::routing::{Route, RouteTable};
use edgegate::testing::{as_the_adapter_passes, block_on, RecordingPlatform};
use edgegate_app::{self as app, AppState};
use serde_json::Value;

pub const DEV_KEY: &str = "dev-local-key";
pub const FRONTEND: &str = "http://localhost:5173";

/// The development settings: wrangler.toml's `[vars]` plus `.dev.vars`.
pub fn dev_vars() -> Vec<(&'static str, String)> {
    vec![
        (
            "CORS_ALLOWED_ORIGINS",
            "http://localhost:5173, http://127.0.0.1:5173".into(),
        ),
        ("API_KEYS", format!(r#"{{"{DEV_KEY}": "dev"}}"#)),
    ]
}

pub fn with_var(mut vars: Vec<(&'static str, String)>, name: &'static str, value: &str) -> Vec<(&'static str, String)> {
    vars.retain(|(n, _)| *n != name);
    vars.push((name, value.to_owned()));
    vars
}

/// The real application gateway with these settings.
pub fn app_gateway(vars: &[(&'static str, String)]) -> Gateway<AppState> {
    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    app::gateway(|name| map.get(name).cloned())
}

/// A gateway over a test route table, with these settings.
pub fn custom_gateway(routes: Vec<Route<AppState>>, vars: &[(&'static str, String)]) -> Gateway<AppState> {
    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    Gateway::new(RouteTable::new(routes), Settings::load(|name| map.get(name).cloned()))
}

/// What one request produced: the response and the log lines.
pub struct Exchange {
    pub response: Response,
    pub logs: Vec<String>,
}

impl Exchange {
    pub fn status(&self) -> u16 {
        self.response.status.0
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.header(name)
    }

    pub fn text(&self) -> String {
        self.response.body_text()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text()).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The access log line, parsed.
    pub fn access_log(&self) -> Value {
        let line = self
            .logs
            .iter()
            .find(|l| l.contains("\"request_id\""))
            .expect("an access log line");
        serde_json::from_str(line).unwrap()
    }

    /// Asserts a problem+json response with this status and type slug; returns its body.
    pub fn problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(self.status(), status, "body: {}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        let body = self.json();
        assert_eq!(body["type"], format!("urn:edgegate:problem:{kind}"), "body: {body}");
        assert_eq!(body["status"], status);
        assert!(body["title"].is_string() && body["detail"].is_string());
        assert_eq!(body["request_id"].as_str(), self.header("x-request-id"));
        body
    }
}

pub fn send(gateway: &Gateway<AppState>, request: Request) -> Exchange {
    let platform = RecordingPlatform::default();
    let request = as_the_adapter_passes(gateway, request);
    let response = block_on(gateway.handle(request, &AppState::default(), &platform));
    Exchange {
        response,
        logs: platform.log_lines(),
    }
}

pub fn get(target: &str) -> Request {
    Request::new(Method::Get, target)
}

pub fn post_json(target: &str, body: &str) -> Request {
    Request::new(Method::Post, target)
        .with_header("content-type", "application/json")
        .with_body(body)
}
