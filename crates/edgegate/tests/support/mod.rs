//! Drives a gateway over a test route table through its one entry point,
//! as the wasm adapter does: no app, a test state of `()`, and the settings
//! each test gives. The app's tests (`tests/support` at the workspace root)
//! use this module too, for what is not the app's own.

#![allow(dead_code)]

pub mod tokens;

use std::collections::HashMap;

use edgegate::config::Settings;
use edgegate::gateway::Gateway;
use edgegate::http::{Method, Request, Response};
use edgegate::routing::{Route, RouteTable};
use edgegate::testing::{as_the_adapter_passes, block_on, FakeAnswer, RecordingPlatform};
use serde_json::Value;

// The values below are those the app's development settings (wrangler.toml's
// `[vars]` and `.dev.vars.example`) gave the test tables when these tests
// lived with the app; they are written here so the core's tests read no app
// file, and kept the same so every assertion holds as it did.

/// The one key of [`test_vars`]' `API_KEYS`, whose consumer is `dev`.
pub const DEV_KEY: &str = "dev-local-key";
/// An origin [`test_vars`]' `CORS_ALLOWED_ORIGINS` allows.
pub const FRONTEND: &str = "http://localhost:5173";
/// A `JWT_PROVIDERS` value with one provider, `firebase`, and its keys
/// inline (the app's development provider), for tables that name it.
pub const DEV_JWT_PROVIDERS: &str = r#"{"firebase":{"issuer":"edgegate-dev","audiences":["edgegate-dev"],"jwks":{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"edgegate-dev-1","n":"on1kl-wQrp5ONTgv16U4J-4keEfkCYL4QrWWZM-hgCmjdVZuiZ0hHIQ0zLFzAWCvndIS6uC1ZDTvCGO8Uu9Hm-j0REXNmmzv1i0QnfEt4jvxHj26ikn1YG-uM8Gh9kUoIiJYpC8WsVkfyQ5XlroCxFDVBMHnv2eO2FKEyKNHImG5vTQ8FuPRnL00iqmdaSZGZeHvoN_0wUX48jVvfBDbua41M_rsZuYP9HNlxr6ncvRKfiGpIvh37lCvhg9QRZ_Ow3axFy9vCE5LNjaYN96hMAGwPkcrhHMfhntb9mZ-LQgMdo5-D3y2OW_468Ab5z0S3yl0ldKSPWkaKqRq6fy1Cw","e":"AQAB"}]}}}"#;

/// Settings as name and value, as the worker's `env` gives them.
pub type Vars = Vec<(String, String)>;

/// The settings a test table starts from: a key for the consumer `dev`,
/// two allowed origins and a default quota. No policy names: a table that
/// names a limiter, an upstream or a token provider adds its setting.
pub fn test_vars() -> Vars {
    [
        ("CORS_ALLOWED_ORIGINS", "http://localhost:5173, http://127.0.0.1:5173"),
        ("QUOTAS", r#"{"default":{"per_day":10000}}"#),
        ("API_KEYS", r#"{"dev-local-key":"dev"}"#),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

pub fn with_var(mut vars: Vars, name: &str, value: &str) -> Vars {
    vars.retain(|(n, _)| n != name);
    vars.push((name.to_owned(), value.to_owned()));
    vars
}

/// A gateway over a test route table, with exactly these settings.
pub fn test_gateway<S: 'static>(routes: Vec<Route<S>>, vars: &[(String, String)]) -> Gateway<S> {
    let map: HashMap<&str, &str> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    Gateway::new(
        RouteTable::new(routes),
        Settings::load(|name| map.get(name).map(|v| v.to_string())),
    )
}

/// A table whose routes answer who called: `/either` takes a key or a
/// `firebase` token, `/token` a token with the scope `read`, `/open` anyone.
pub fn key_or_token_routes<S: 'static>() -> Vec<Route<S>> {
    use edgegate::policy::{any_of, api_key, jwt, Principal};
    async fn whoami(principal: Principal) -> String {
        format!("{} via {}", principal.id, principal.scheme.as_str())
    }
    async fn maybe(principal: Option<Principal>) -> String {
        principal.map_or_else(|| "anonymous".into(), |p| p.id.to_string())
    }
    vec![
        Route::get("/either", whoami).access(any_of([api_key(), jwt("firebase")])),
        Route::get("/token", whoami).access(jwt("firebase").scopes(&["read"])),
        Route::get("/open", maybe).public(),
    ]
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

    /// What the answer said: its streamed body (an upstream's, a cache
    /// hit's), or the gateway's own.
    pub fn said(&self) -> String {
        match edgegate::testing::streamed_bytes(&self.response) {
            Some(bytes) => String::from_utf8(bytes).unwrap(),
            None => self.text(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text()).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The access log line, parsed.
    pub fn access_log(&self) -> Value {
        let line = self
            .logs
            .iter()
            .find(|l| l.contains("\"request_id\"") && l.contains("\"status\""))
            .expect("an access log line");
        serde_json::from_str(line).unwrap()
    }

    /// The access log line that has `field`, parsed (the OpenTelemetry names).
    pub fn access_log_with(&self, field: &str) -> Value {
        let quoted = format!("\"{field}\"");
        let line = self
            .logs
            .iter()
            .find(|l| l.contains(&quoted))
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

/// Sends with this state on a given platform (its clock, fetch answers and
/// counters), taking the log lines this request wrote.
pub fn exchange<S>(gateway: &Gateway<S>, request: Request, state: &S, platform: &RecordingPlatform) -> Exchange {
    let request = as_the_adapter_passes(gateway, request);
    let response = block_on(gateway.handle(request, state, platform));
    Exchange {
        response,
        logs: platform.lines.take(),
    }
}

pub fn send(gateway: &Gateway<()>, request: Request) -> Exchange {
    send_on(gateway, request, &platform())
}

/// A host platform with nothing bound: a test binds what its table calls.
pub fn platform() -> RecordingPlatform {
    RecordingPlatform::default()
}

/// Sends on a given platform, taking the log lines this request wrote.
pub fn send_on(gateway: &Gateway<()>, request: Request, platform: &RecordingPlatform) -> Exchange {
    exchange(gateway, request, &(), platform)
}

pub fn get(target: &str) -> Request {
    Request::new(Method::Get, target)
}

pub fn post_json(target: &str, body: &str) -> Request {
    Request::new(Method::Post, target)
        .with_header("content-type", "application/json")
        .with_body(body)
}

/// Scripts the platform's answer to a fetch of `url`.
pub fn respond(platform: &RecordingPlatform, url: &str, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    platform.answer(
        url,
        FakeAnswer::Respond {
            status,
            headers,
            body: body.to_vec(),
        },
    );
}
