//! Gateway policies (CORS, API keys, IP rules, body limits, request ids,
//! access log, configuration) on the app's routes under its settings,
//! through the gateway's entry point. Policies on test tables are tested
//! with the framework (crates/edgegate/tests/policies.rs).

mod support;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use edgegate::digest::sha256;
use edgegate::gateway::Gateway;
use edgegate::http::{hex_encode, BodyReadError, BodySource, InvalidHead, Method, Request, RequestBody};
use edgegate::routing::Route;
use edgegate_app::AppState;
use serde_json::Value;
use support::*;

fn preflight(path: &str, origin: &str) -> Request {
    Request::new(Method::Options, path)
        .with_header("origin", origin)
        .with_header("access-control-request-method", "POST")
        .with_header("access-control-request-headers", "content-type, x-api-key")
}

fn no_cors_headers(exchange: &Exchange) -> bool {
    exchange
        .response
        .headers()
        .all(|(name, _)| !name.starts_with("access-control-"))
}

// CORS ----------------------------------------------------------------------

#[test]
fn preflight_on_a_protected_route_needs_no_key() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(&gateway, preflight("/api/greet/Alice", FRONTEND));
    assert_eq!(exchange.status(), 204);
    assert_eq!(exchange.header("access-control-allow-origin"), Some(FRONTEND));
    assert_eq!(exchange.header("access-control-allow-methods"), Some("POST, OPTIONS"));
    assert_eq!(
        exchange.header("access-control-allow-headers"),
        Some("content-type, authorization, x-api-key, x-request-id, idempotency-key, traceparent, tracestate")
    );
    assert_eq!(exchange.header("access-control-max-age"), Some("3600"));
    assert_eq!(
        exchange.header("vary"),
        Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    );
    assert!(exchange.header("x-request-id").is_some());
    assert!(exchange.text().is_empty());
}

#[test]
fn preflight_lists_the_methods_the_path_has() {
    let gateway = app_gateway(&dev_vars());
    let users = send(&gateway, preflight("/users/1", "http://127.0.0.1:5173"));
    assert_eq!(
        users.header("access-control-allow-origin"),
        Some("http://127.0.0.1:5173")
    );
    assert_eq!(users.header("access-control-allow-methods"), Some("GET, HEAD, OPTIONS"));
    let echo = send(&gateway, preflight("/echo", FRONTEND));
    assert_eq!(
        echo.header("access-control-allow-methods"),
        Some("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
    );
    send(&gateway, preflight("/nope", FRONTEND)).problem(404, "not-found");
}

#[test]
fn a_preflight_from_a_disallowed_origin_is_a_plain_options() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(&gateway, preflight("/api/greet/Alice", "https://evil.example"));
    assert_eq!(exchange.status(), 204);
    assert_eq!(exchange.header("allow"), Some("POST, OPTIONS"));
    assert!(no_cors_headers(&exchange));
}

#[test]
fn options_without_request_method_is_not_a_preflight() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(
        &gateway,
        Request::new(Method::Options, "/hello").with_header("origin", FRONTEND),
    );
    assert_eq!(exchange.status(), 204);
    assert_eq!(exchange.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(exchange.header("access-control-allow-methods"), None);
}

#[test]
fn every_response_to_an_allowed_origin_carries_cors_headers_errors_included() {
    let vars = with_var(dev_vars(), "MAX_BODY_BYTES", "8");
    let vars = with_var(vars, "CORS_ALLOW_CREDENTIALS", "true");
    let vars = with_var(vars, "CORS_EXPOSED_HEADERS", "x-total-count");
    let gateway = app_gateway(&vars);
    let requests: Vec<(Request, u16)> = vec![
        (get("/hello"), 200),
        (Request::new(Method::Post, "/api/greet/a"), 401),
        (get("/nope"), 404),
        (Request::new(Method::Delete, "/hello"), 405),
        (post_json("/echo", r#"{"much":"too long"}"#), 413),
        (
            Request::new(Method::Post, "/api/greet/a")
                .with_header("x-api-key", DEV_KEY)
                .with_header("content-type", "text/plain")
                .with_body("hi"),
            415,
        ),
        (get("/search?q=x&page=NaN"), 400),
    ];
    for (request, status) in requests {
        let exchange = send(&gateway, request.with_header("origin", FRONTEND));
        assert_eq!(exchange.status(), status, "{}", exchange.text());
        assert_eq!(
            exchange.header("access-control-allow-origin"),
            Some(FRONTEND),
            "status {status}"
        );
        assert_eq!(exchange.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            exchange.header("access-control-expose-headers"),
            Some("x-request-id, ratelimit, ratelimit-policy, retry-after, x-total-count, server-timing")
        );
        assert_eq!(exchange.header("vary"), Some("Origin"));
    }
}

#[test]
fn a_disallowed_origin_gets_no_cors_headers_and_the_same_answer() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(&gateway, get("/hello").with_header("origin", "https://evil.example"));
    assert_eq!((exchange.status(), exchange.text().as_str()), (200, "Hello, World!"));
    assert!(no_cors_headers(&exchange));
    let protected = send(
        &gateway,
        get("/api/hello").with_header("origin", "https://evil.example"),
    );
    protected.problem(401, "unauthorized");
    assert!(no_cors_headers(&protected));
}

#[test]
fn route_cors_overrides_replace_the_global_policy_for_that_path() {
    let vars = with_var(
        dev_vars(),
        "CORS_PROFILES",
        r#"{"partners": {"origins": ["https://*.partner.test"], "max_age": 60}}"#,
    );
    let gateway = app_gateway(&vars);
    let partner = send(
        &gateway,
        get("/users/1").with_header("origin", "https://app.partner.test"),
    );
    assert_eq!(
        partner.header("access-control-allow-origin"),
        Some("https://app.partner.test")
    );
    let frontend = send(&gateway, get("/users/1").with_header("origin", FRONTEND));
    assert!(no_cors_headers(&frontend));
    let partner_preflight = send(&gateway, preflight("/users/1", "https://app.partner.test"));
    assert_eq!(partner_preflight.header("access-control-max-age"), Some("60"));
    let elsewhere = send(&gateway, get("/hello").with_header("origin", FRONTEND));
    assert_eq!(elsewhere.header("access-control-allow-origin"), Some(FRONTEND));
}

#[test]
fn star_origins_answer_star() {
    let gateway = app_gateway(&with_var(dev_vars(), "CORS_ALLOWED_ORIGINS", "*"));
    let exchange = send(&gateway, get("/hello").with_header("origin", "https://anyone.test"));
    assert_eq!(exchange.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn star_with_credentials_is_refused_at_load_and_never_reflected() {
    let vars = with_var(dev_vars(), "CORS_ALLOWED_ORIGINS", "*");
    let gateway = app_gateway(&with_var(vars, "CORS_ALLOW_CREDENTIALS", "true"));
    let reasons = gateway.misconfiguration().expect("refused").join("\n");
    assert!(
        reasons.contains("`*` cannot be combined with allow-credentials"),
        "{reasons}"
    );
    let exchange = send(&gateway, get("/hello").with_header("origin", "https://evil.example"));
    exchange.problem(500, "misconfigured");
    assert!(no_cors_headers(&exchange));
    assert!(exchange.access_log()["error"]
        .as_str()
        .unwrap()
        .contains("allow-credentials"));
}

#[test]
fn a_blank_setting_is_unset() {
    let vars = with_var(
        with_var(with_var(dev_vars(), "MAX_BODY_BYTES", ""), "IP_ALLOW", " "),
        "CORS_ALLOWED_HEADERS",
        "",
    );
    let gateway = app_gateway(&vars);
    assert_eq!(gateway.misconfiguration(), None);
    // Any address admitted, the default body limit (1 MiB) and allowed headers.
    let from = get("/hello").with_header("cf-connecting-ip", "203.0.113.9");
    assert_eq!(send(&gateway, from).status(), 200);
    let preflight = send(&gateway, preflight("/hello", FRONTEND));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type, authorization, x-api-key, x-request-id, idempotency-key, traceparent, tracestate")
    );
}

#[test]
fn allowed_headers_and_a_profiles_own_fields_are_what_the_browser_is_told() {
    let gateway = app_gateway(&with_var(dev_vars(), "CORS_ALLOWED_HEADERS", "content-type, x-custom"));
    let answer = send(&gateway, preflight("/hello", FRONTEND));
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("content-type, x-custom")
    );
    // A profile's fields over the global ones: its credentials, its headers.
    let profile = r#"{"partners": {"origins": ["https://app.partner.test"], "allow_credentials": true,
        "allow_headers": ["x-partner"], "expose_headers": ["x-partner-id"]}}"#;
    let gateway = app_gateway(&with_var(dev_vars(), "CORS_PROFILES", profile));
    assert_eq!(gateway.misconfiguration(), None);
    let partner = "https://app.partner.test";
    let answer = send(&gateway, get("/users/1").with_header("origin", partner));
    assert_eq!(answer.header("access-control-allow-credentials"), Some("true"));
    let exposed = answer.header("access-control-expose-headers").unwrap_or("");
    assert!(exposed.split(", ").any(|h| h == "x-partner-id"), "{exposed}");
    let asked = send(&gateway, preflight("/users/1", partner));
    assert_eq!(asked.header("access-control-allow-headers"), Some("x-partner"));
    assert_eq!(asked.header("access-control-allow-credentials"), Some("true"));
    // The global policy elsewhere: no credentials.
    let elsewhere = send(&gateway, get("/hello").with_header("origin", FRONTEND));
    assert_eq!(elsewhere.header("access-control-allow-credentials"), None);
}

#[test]
fn credentials_to_every_site_of_a_shared_host_are_refused_at_load() {
    for pattern in [
        "https://*.vercel.app",
        "https://*.GitHub.io",
        "https://*.co.uk",
        "https://*.pages.dev:8443",
    ] {
        let vars = with_var(dev_vars(), "CORS_ALLOWED_ORIGINS", pattern);
        let gateway = app_gateway(&with_var(vars, "CORS_ALLOW_CREDENTIALS", "true"));
        let reasons = gateway.misconfiguration().expect(pattern).join("\n");
        assert!(
            reasons.contains("cannot be combined with allow-credentials"),
            "{reasons}"
        );
        let exchange = send(&gateway, get("/hello").with_header("origin", "https://evil.vercel.app"));
        exchange.problem(500, "misconfigured");
        assert!(no_cors_headers(&exchange));
    }
    // One's own project under such a host, or its subdomains without
    // credentials, stand.
    for (pattern, credentials) in [
        ("https://*.myapp.vercel.app", "true"),
        ("https://myapp.vercel.app", "true"),
        ("https://*.vercel.app", "false"),
    ] {
        let vars = with_var(dev_vars(), "CORS_ALLOWED_ORIGINS", pattern);
        let gateway = app_gateway(&with_var(vars, "CORS_ALLOW_CREDENTIALS", credentials));
        assert_eq!(gateway.misconfiguration(), None, "{pattern}");
    }
}

// API keys ------------------------------------------------------------------

#[test]
fn protected_routes_accept_a_key_in_the_header_or_the_query() {
    let gateway = app_gateway(&dev_vars());
    let header = send(&gateway, get("/api/hello").with_header("X-API-KEY", DEV_KEY));
    assert_eq!((header.status(), header.text().as_str()), (200, "Hello, World!"));
    assert_eq!(header.access_log()["principal"], "dev");
    assert_eq!(header.access_log()["scheme"], "api_key");
    let query = send(&gateway, get(&format!("/api/goodbye?key={DEV_KEY}")));
    assert_eq!((query.status(), query.text().as_str()), (200, "Goodbye, World!"));
}

#[test]
fn missing_and_wrong_keys_get_the_same_401() {
    let gateway = app_gateway(&dev_vars());
    let missing = send(&gateway, get("/api/hello"));
    let wrong = send(&gateway, get("/api/hello").with_header("x-api-key", "dev-local-kez"));
    let wrong_query = send(&gateway, get("/api/hello?key=nope"));
    for exchange in [&missing, &wrong, &wrong_query] {
        let mut body = exchange.problem(401, "unauthorized");
        body.as_object_mut().unwrap().remove("request_id");
        let mut reference = missing.json();
        reference.as_object_mut().unwrap().remove("request_id");
        assert_eq!(body, reference);
        assert_eq!(
            exchange.header("www-authenticate"),
            Some(r#"ApiKey header="x-api-key", query="key", Bearer realm="firebase""#)
        );
    }
    assert!(!wrong.text().contains("dev-local-kez"));
}

#[test]
fn digests_stand_in_for_keys() {
    let digest = hex_encode(&sha256(b"partner-secret"));
    let gateway = app_gateway(&with_var(
        dev_vars(),
        "API_KEYS",
        &format!(r#"{{"sha256:{digest}": "partner"}}"#),
    ));
    let exchange = send(&gateway, get("/api/hello").with_header("x-api-key", "partner-secret"));
    assert_eq!(exchange.status(), 200);
    assert_eq!(exchange.access_log()["principal"], "partner");
    send(&gateway, get("/api/hello").with_header("x-api-key", DEV_KEY)).problem(401, "unauthorized");
}

#[test]
fn an_empty_key_opens_nothing_however_it_is_written() {
    // The digest of no bytes is what `printf %s "$KEY" | sha256sum` prints
    // when `$KEY` is unset: a misconfiguration, never a key `?key=` matches.
    let empty = hex_encode(&sha256(b""));
    let gateway = app_gateway(&with_var(
        dev_vars(),
        "API_KEYS",
        &format!(r#"{{"sha256:{empty}": "partner"}}"#),
    ));
    let reasons = gateway.misconfiguration().expect("refused").join("\n");
    assert!(reasons.contains("empty key") && !reasons.contains(&empty), "{reasons}");
    for request in [
        get("/api/hello?key="),
        get("/api/hello?key"),
        get("/api/hello").with_header("x-api-key", ""),
    ] {
        assert_eq!(send(&gateway, request).status(), 500);
    }
    // A key given twice in two spellings is refused, never mapped to the last.
    let twice = app_gateway(&with_var(
        dev_vars(),
        "API_KEYS",
        r#"{"partner-secret": "alice", "partner-secre\u0074": "bob"}"#,
    ));
    let reasons = twice.misconfiguration().expect("refused").join("\n");
    assert!(
        reasons.contains("twice") && !reasons.contains("partner-secret"),
        "{reasons}"
    );
}

#[test]
fn without_configured_keys_protected_routes_refuse_even_the_dev_key() {
    let vars: Vec<_> = dev_vars().into_iter().filter(|(n, _)| *n != "API_KEYS").collect();
    let gateway = app_gateway(&vars);
    assert!(gateway.misconfiguration().is_none());
    send(&gateway, get("/api/hello").with_header("x-api-key", DEV_KEY)).problem(401, "unauthorized");
    assert_eq!(send(&gateway, get("/hello")).status(), 200);
    let empty = app_gateway(&with_var(dev_vars(), "API_KEYS", "{}"));
    send(&empty, get("/api/hello").with_header("x-api-key", DEV_KEY)).problem(401, "unauthorized");
}

#[test]
fn keys_never_reach_logs_or_error_bodies() {
    let gateway = app_gateway(&dev_vars());
    let exchanges = [
        send(&gateway, get(&format!("/api/hello?key={DEV_KEY}"))),
        send(&gateway, get(&format!("/api/greet/x?key={DEV_KEY}"))),
        send(&gateway, get(&format!("/search?key={DEV_KEY}&page=bad"))),
        send(&gateway, get("/api/hello?key=guess-1234")),
    ];
    for exchange in &exchanges {
        for line in &exchange.logs {
            assert!(!line.contains(DEV_KEY) && !line.contains("guess-1234"), "{line}");
        }
        if exchange.status() >= 400 {
            assert!(!exchange.text().contains(DEV_KEY) && !exchange.text().contains("guess-1234"));
        }
    }
    let bad_config = app_gateway(&with_var(dev_vars(), "API_KEYS", r#"{"super-secret-key": ""}"#));
    let refused = send(&bad_config, get("/hello"));
    assert!(refused.logs.iter().all(|l| !l.contains("super-secret-key")));
    assert!(bad_config
        .misconfiguration()
        .unwrap()
        .iter()
        .all(|r| !r.contains("super-secret-key")));
}

// IP rules ------------------------------------------------------------------

fn from(ip: &str, request: Request) -> Request {
    request.with_header("cf-connecting-ip", ip)
}

#[test]
fn global_ip_rules_deny_wins_and_allow_lists_are_exclusive() {
    let vars = with_var(dev_vars(), "IP_ALLOW", "10.0.0.0/8, 2001:db8::/32");
    let gateway = app_gateway(&with_var(vars, "IP_DENY", "10.9.0.0/16"));
    assert_eq!(send(&gateway, from("10.1.2.3", get("/hello"))).status(), 200);
    assert_eq!(send(&gateway, from("2001:db8::5", get("/hello"))).status(), 200);
    send(&gateway, from("10.9.1.1", get("/hello"))).problem(403, "ip-refused");
    send(&gateway, from("192.0.2.1", get("/hello"))).problem(403, "ip-refused");
    send(&gateway, from("192.0.2.1", get("/nope"))).problem(403, "ip-refused");
    send(&gateway, get("/hello")).problem(403, "ip-refused");
    send(&gateway, from("not-an-ip", get("/hello"))).problem(403, "ip-refused");
    assert_eq!(send(&gateway, from("::ffff:10.1.2.3", get("/hello"))).status(), 200);
    send(&gateway, from("::ffff:10.9.0.1", get("/hello"))).problem(403, "ip-refused");
}

#[test]
fn route_ip_rules_add_to_the_global_ones() {
    let vars = with_var(dev_vars(), "IP_RULES", r#"{"partners": {"deny": ["198.51.100.0/24"]}}"#);
    let gateway = app_gateway(&vars);
    send(&gateway, from("198.51.100.7", get("/users/1"))).problem(403, "ip-refused");
    assert_eq!(send(&gateway, from("198.51.100.7", get("/hello"))).status(), 200);
    assert_eq!(send(&gateway, from("198.51.101.7", get("/users/1"))).status(), 200);
    let refused = send(
        &gateway,
        from("198.51.100.7", get("/users/1")).with_header("origin", FRONTEND),
    );
    assert_eq!(refused.header("access-control-allow-origin"), Some(FRONTEND));
    assert_eq!(refused.access_log()["client_ip"], "198.51.100.7");
}

#[test]
fn malformed_ip_rules_are_configuration_errors() {
    let gateway = app_gateway(&with_var(dev_vars(), "IP_DENY", "10.0.0.0/40"));
    send(&gateway, get("/hello")).problem(500, "misconfigured");
    let route = app_gateway(&with_var(
        dev_vars(),
        "IP_RULES",
        r#"{"partners": {"allow": ["nope"]}}"#,
    ));
    send(&route, get("/hello")).problem(500, "misconfigured");
}

// Body limits -----------------------------------------------------------------

/// A body that arrives in chunks and never says how long it is.
struct Chunked(Vec<u8>);

impl BodySource for Chunked {
    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        Box::pin(async move {
            let mut read = Vec::new();
            for chunk in self.0.chunks(4) {
                if read.len() + chunk.len() > limit {
                    return Err(BodyReadError::TooLarge);
                }
                read.extend_from_slice(chunk);
            }
            Ok(read)
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

#[test]
fn the_default_body_limit_is_one_mebibyte() {
    let gateway = app_gateway(&dev_vars());
    let just_fits = Request::new(Method::Post, "/echo")
        .with_header("content-type", "text/plain")
        .with_body(vec![b'a'; 1 << 20]);
    assert_eq!(send(&gateway, just_fits).status(), 200);
    let too_big = Request::new(Method::Post, "/echo").with_body(vec![b'a'; (1 << 20) + 1]);
    let body = send(&gateway, too_big).problem(413, "body-too-large");
    assert_eq!(body["max_body_bytes"], 1 << 20);
}

#[test]
fn the_limit_counts_bytes_actually_read_not_the_declared_length() {
    let gateway = app_gateway(&with_var(dev_vars(), "MAX_BODY_BYTES", "16"));
    let lying = Request::new(Method::Post, "/echo")
        .with_header("content-length", "2")
        .with_body(vec![b'a'; 17]);
    send(&gateway, lying).problem(413, "body-too-large");
    let mut streamed = Request::new(Method::Post, "/echo");
    streamed.body = RequestBody::Stream(Box::new(Chunked(vec![b'a'; 17])));
    send(&gateway, streamed).problem(413, "body-too-large");
    let mut small = Request::new(Method::Post, "/echo").with_header("content-type", "text/plain");
    small.body = RequestBody::Stream(Box::new(Chunked(b"sixteen bytes ok".to_vec())));
    assert_eq!(send(&gateway, small).json()["body"], "sixteen bytes ok");
    let declared_too_big = Request::new(Method::Post, "/echo").with_header("content-length", "17");
    send(&gateway, declared_too_big).problem(413, "body-too-large");
}

/// A body that records whether the gateway asked for it.
struct Watched(Rc<Cell<bool>>);

impl BodySource for Watched {
    fn read(self: Box<Self>, _limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        self.0.set(true);
        Box::pin(async { Ok(b"{}".to_vec()) })
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

fn watched(method: Method, target: &str) -> (Request, Rc<Cell<bool>>) {
    let read = Rc::new(Cell::new(false));
    let mut request = Request::new(method, target).with_header("content-type", "application/json");
    request.body = RequestBody::Stream(Box::new(Watched(read.clone())));
    (request, read)
}

#[test]
fn every_refusal_is_decided_before_the_body_is_read() {
    let vars = with_var(dev_vars(), "IP_DENY", "198.51.100.0/24");
    let gateway = app_gateway(&vars);
    let cases: Vec<(Request, Rc<Cell<bool>>, u16, &str)> = vec![
        {
            let (request, read) = watched(Method::Post, "/api/greet/x");
            (request, read, 401, "unauthorized")
        },
        {
            let (request, read) = watched(Method::Post, "/api/greet/x");
            (request.with_header("x-api-key", "wrong"), read, 401, "unauthorized")
        },
        {
            let (request, read) = watched(Method::Post, "/nope");
            (request, read, 404, "not-found")
        },
        {
            let (request, read) = watched(Method::Post, "/hello");
            (request, read, 405, "method-not-allowed")
        },
        {
            let (request, read) = watched(Method::Post, "/items");
            (
                request
                    .with_header("x-api-key", DEV_KEY)
                    .with_header("content-length", "40000"),
                read,
                413,
                "body-too-large",
            )
        },
        {
            let (request, read) = watched(Method::Post, "/echo");
            (from("198.51.100.7", request), read, 403, "ip-refused")
        },
    ];
    for (request, read, status, kind) in cases {
        let request = if request.headers.contains("cf-connecting-ip") {
            request
        } else {
            from("203.0.113.9", request)
        };
        send(&gateway, request).problem(status, kind);
        assert!(!read.get(), "{status} {kind}: the body was read before the refusal");
    }
    let (request, read) = watched(Method::Post, "/api/greet/x");
    let request = from("203.0.113.9", request.with_header("x-api-key", DEV_KEY));
    assert_eq!(send(&gateway, request).status(), 200);
    assert!(read.get());
}

// Request ids and the access log ---------------------------------------------

#[test]
fn sane_client_request_ids_are_kept_and_others_replaced() {
    let gateway = app_gateway(&dev_vars());
    let kept = send(&gateway, get("/hello").with_header("x-request-id", "trace-123"));
    assert_eq!(kept.header("x-request-id"), Some("trace-123"));
    assert_eq!(kept.access_log()["request_id"], "trace-123");
    let problem = send(&gateway, get("/nope").with_header("x-request-id", "trace-404"));
    assert_eq!(problem.problem(404, "not-found")["request_id"], "trace-404");
    for insane in ["has space", &"x".repeat(129), ""] {
        let replaced = send(&gateway, get("/hello").with_header("x-request-id", insane));
        let id = replaced.header("x-request-id").unwrap();
        assert_ne!(id, insane);
        assert_eq!(id.len(), 32);
    }
}

#[test]
fn one_structured_access_log_line_per_request() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(
        &gateway,
        from(
            "203.0.113.9",
            get("/users/secret-user-id?token=abc").with_header("x-request-id", "log-1"),
        ),
    );
    assert_eq!(exchange.logs.len(), 1);
    let log: Value = exchange.access_log();
    assert_eq!(log["request_id"], "log-1");
    assert_eq!(log["method"], "GET");
    assert_eq!(log["route"], "/users/{id}");
    assert_eq!(log["status"], 200);
    assert_eq!(log["client_ip"], "203.0.113.9");
    assert!(log.get("principal").is_none(), "no principal: the field is left out");
    assert!(log.get("scheme").is_none());
    assert_eq!(log["time"], "2026-11-21T20:34:56.789Z");
    assert!(log["duration_ms"].is_number());
    assert!(!exchange.logs[0].contains("secret-user-id") && !exchange.logs[0].contains("token"));
    let unmatched = send(&gateway, get("/nope")).access_log();
    assert!(
        unmatched.get("route").is_none(),
        "no route matched: the field is left out"
    );
    assert_eq!(unmatched["problem"], "not-found");
}

// Configuration ---------------------------------------------------------------

#[test]
fn invalid_settings_refuse_every_request_and_name_the_problem() {
    let cases = [
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com/", "trailing"),
        ("CORS_MAX_AGE", "soon", "CORS_MAX_AGE"),
        ("CORS_MAX_AGE", "86401", "is over a day (86400 s)"),
        ("CORS_ALLOW_CREDENTIALS", "yes", "CORS_ALLOW_CREDENTIALS"),
        ("MAX_BODY_BYTES", "-1", "MAX_BODY_BYTES"),
        ("API_KEYS", "dev-local-key=dev", "API_KEYS"),
        (
            "CORS_PROFILES",
            r#"{"partners": {}, "partnrs": {}}"#,
            "`partnrs` is not named by any route (a typo?)",
        ),
        ("IP_RULES", "{}", "routes name `partners`, which is not defined here"),
        ("IP_RULES", r#"{"partners": {"dney": []}}"#, "unknown field `dney`"),
        ("CORS_ALLOWED_HEADERS", "content/type", "not a header name"),
        // A blank secret is a misconfiguration: a key was meant.
        ("API_KEYS", "", "API_KEYS"),
        ("API_KEYS", "  ", "API_KEYS"),
        // A profile's own fields are checked as the global ones are.
        (
            "CORS_PROFILES",
            r#"{"partners": {"origins": ["https://*.vercel.app"], "allow_credentials": true}}"#,
            "cannot be combined with allow-credentials",
        ),
        (
            "CORS_PROFILES",
            r#"{"partners": {"origins": ["*"], "allow_credentials": true}}"#,
            "cannot be combined with allow-credentials",
        ),
    ];
    for (name, value, expected) in cases {
        let gateway = app_gateway(&with_var(dev_vars(), name, value));
        let reasons = gateway
            .misconfiguration()
            .unwrap_or_else(|| panic!("{name}={value} should be refused"))
            .join("\n");
        assert!(reasons.contains(expected), "{name}: {reasons}");
        for request in [
            get("/hello"),
            get("/api/hello").with_header("x-api-key", DEV_KEY),
            preflight("/hello", FRONTEND),
        ] {
            let exchange = send(&gateway, request);
            exchange.problem(500, "misconfigured");
            assert!(exchange.access_log()["error"].as_str().unwrap().contains(expected));
        }
    }
    // A day is the most, and allowed.
    assert_eq!(
        app_gateway(&with_var(dev_vars(), "CORS_MAX_AGE", "86400")).misconfiguration(),
        None
    );
}

#[test]
fn preflights_are_logged_under_their_route() {
    let gateway = app_gateway(&dev_vars());
    let log = send(&gateway, preflight("/api/greet/Alice", FRONTEND)).access_log();
    assert_eq!(
        (log["method"].clone(), log["route"].clone()),
        (Value::from("OPTIONS"), Value::from("/api/greet/{name}"))
    );
    assert_eq!(log["status"], 204);
}

#[test]
fn the_access_log_can_be_turned_off_but_failures_are_still_logged() {
    let gateway = app_gateway(&with_var(dev_vars(), "ACCESS_LOG", "false"));
    assert!(send(&gateway, get("/hello")).logs.is_empty());
    assert!(send(&gateway, get("/nope")).logs.is_empty());
    let failing = custom_gateway(
        vec![edgegate::routing::Route::get("/fail", || async {
            Err::<&str, _>(edgegate::problem::ApiError::internal("disk on fire"))
        })
        .public()],
        &with_var(dev_vars(), "ACCESS_LOG", "false"),
    );
    let exchange = send(&failing, get("/fail"));
    assert_eq!(exchange.access_log()["error"], "disk on fire");
}

// The JS↔wasm boundary -------------------------------------------------------

#[test]
fn a_head_the_adapter_could_not_pass_exactly_is_a_400_with_cors_and_a_log_line() {
    let gateway = app_gateway(&dev_vars());
    let mut request = get("/hello")
        .with_header("origin", FRONTEND)
        .with_header("x-request-id", "boundary-1");
    request.refuse_head(InvalidHead::Header {
        name: Some("x-api-key".into()),
    });
    let exchange = send(&gateway, request);
    let body = exchange.problem(400, "invalid-header");
    assert_eq!(body["header"], "x-api-key");
    assert_eq!(exchange.header("access-control-allow-origin"), Some(FRONTEND));
    assert_eq!(exchange.access_log()["request_id"], "boundary-1");
    assert_eq!(exchange.access_log()["status"], 400);

    let mut target = get("/hello");
    target.refuse_head(InvalidHead::Target);
    send(&gateway, target).problem(400, "invalid-request");
    let mut layout = get("/hello");
    layout.refuse_head(InvalidHead::Layout("cut short".into()));
    let broken = send(&gateway, layout);
    broken.problem(500, "internal");
    assert!(broken.access_log()["error"].as_str().unwrap().contains("cut short"));
}

#[test]
fn keys_are_compared_on_exactly_what_was_sent() {
    let gateway = app_gateway(&dev_vars());
    // Once truncated to its low bytes, U+017A (ź) read as `z`... and `dev-local-keŹ` as the dev key.
    for near in [
        "dev-local-ke\u{179}",
        "dev-local-ke\u{17a}",
        "dev-local-key\u{100}",
        "DEV-LOCAL-KEY",
    ] {
        send(&gateway, get("/api/hello").with_header("x-api-key", near)).problem(401, "unauthorized");
    }
    assert_eq!(
        send(&gateway, get("/api/hello").with_header("x-api-key", DEV_KEY)).status(),
        200
    );
}

#[test]
fn every_response_says_nosniff() {
    let gateway = app_gateway(&dev_vars());
    for request in [
        get("/hello"),
        get("/nope"),
        get("/api/hello"),
        preflight("/api/greet/a", FRONTEND),
        Request::new(Method::Options, "/hello"),
    ] {
        let exchange = send(&gateway, request);
        assert_eq!(
            exchange.header("x-content-type-options"),
            Some("nosniff"),
            "{}",
            exchange.status()
        );
    }
    let broken = app_gateway(&with_var(dev_vars(), "CORS_MAX_AGE", "soon"));
    assert_eq!(
        send(&broken, get("/hello")).header("x-content-type-options"),
        Some("nosniff")
    );
}

#[test]
fn hostile_origins_are_never_echoed() {
    let gateway = app_gateway(&with_var(dev_vars(), "CORS_ALLOWED_ORIGINS", "https://*.example.com"));
    for origin in [
        "https://a\rb.example.com",
        "https://a\u{10d}b.example.com",
        "https://a\u{1}.example.com",
    ] {
        let exchange = send(&gateway, get("/hello").with_header("origin", origin));
        assert_eq!(exchange.status(), 200);
        assert!(no_cors_headers(&exchange), "{origin:?}");
    }
    let fine = send(&gateway, get("/hello").with_header("origin", "https://app.example.com"));
    assert_eq!(
        fine.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
}

#[test]
fn problem_types_take_the_configured_prefix() {
    let gateway = app_gateway(&with_var(
        dev_vars(),
        "PROBLEM_TYPE_PREFIX",
        "https://errors.example.com/",
    ));
    let body = send(&gateway, get("/api/hello")).json();
    assert_eq!(body["type"], "https://errors.example.com/unauthorized");
    for bad in ["has space", "no-colon", &format!("x:{}", "a".repeat(200))] {
        let broken = app_gateway(&with_var(dev_vars(), "PROBLEM_TYPE_PREFIX", bad));
        let reasons = broken.misconfiguration().expect(bad).join("\n");
        assert!(reasons.contains("PROBLEM_TYPE_PREFIX"), "{reasons}");
        // A misconfigured gateway still answers under the default prefix.
        assert_eq!(
            send(&broken, get("/hello")).json()["type"],
            "urn:edgegate:problem:misconfigured"
        );
    }
}

#[test]
fn every_kind_the_core_and_the_app_answer_with_is_catalogued() {
    use edgegate::problem::kinds::CATALOGUE;
    use edgegate_app::items::kinds::CATALOGUE as APP_CATALOGUE;
    let slugs: Vec<&str> = CATALOGUE.iter().chain(APP_CATALOGUE).map(|k| k.slug).collect();
    let gateway = app_gateway(&dev_vars());
    for request in [
        get("/nope"),
        get("/api/hello"),
        Request::new(Method::Put, "/hello"),
        get("/items/abc"),
        get("/search"),
        post_json("/items", "{").with_header("x-api-key", DEV_KEY),
        get("/items?cursor=zz"),
    ] {
        let exchange = send(&gateway, request);
        let kind = exchange.json()["type"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        assert!(slugs.contains(&kind.as_str()), "{kind} is not catalogued");
    }
}

/// The routes of [`key_or_token_routes`], with the development `firebase` provider.
fn key_or_token_gateway() -> Gateway<AppState> {
    custom_gateway_with_providers(key_or_token_routes(), &dev_vars())
}

async fn whoami_key(principal: edgegate::policy::Principal) -> String {
    principal.id.to_string()
}

#[test]
fn the_header_selection_is_derived_from_the_policies() {
    // A table without token routes never has Authorization cross into wasm.
    let keys_only = custom_gateway(vec![Route::get("/k", whoami_key).api_key()], &dev_vars());
    assert!(!keys_only.read_headers().contains(&"authorization"));
    // A table with a token alternative reads it, and its routes see it.
    let gateway = key_or_token_gateway();
    assert!(gateway.read_headers().contains(&"authorization"));
    assert!(app_gateway(&dev_vars()).read_headers().contains(&"authorization"));
    let token = send(&gateway, get("/either").with_header("authorization", "Bearer x"));
    assert_eq!(token.json()["detail"], "The bearer token is malformed.");
}

#[test]
fn a_content_length_that_does_not_parse_is_refused_before_the_body_is_read() {
    let gateway = app_gateway(&dev_vars());
    for bad in ["5, 5", "-1", "ten", "1e3", ""] {
        let (request, read) = watched(Method::Post, "/echo");
        let body = send(&gateway, request.with_header("content-length", bad)).problem(400, "invalid-header");
        assert_eq!(body["header"], "content-length");
        assert!(!read.get(), "{bad:?}: the body was read");
    }
}

#[test]
fn a_policy_name_given_twice_is_a_misconfiguration() {
    let twice = with_var(
        dev_vars(),
        "IP_RULES",
        r#"{"partners": {}, "partners": {"deny": ["0.0.0.0/0"]}}"#,
    );
    let reasons = app_gateway(&twice).misconfiguration().unwrap().join("\n");
    assert!(reasons.contains("`partners` is given twice"), "{reasons}");
}

/// IP rules come before everything else a client could learn from: a
/// refused address gets the 403 for preflights too, never the methods and
/// headers a path allows.
#[test]
fn a_refused_address_gets_the_403_for_preflights_too() {
    let vars = with_var(dev_vars(), "IP_DENY", "203.0.113.0/24");
    let vars = with_var(vars, "IP_RULES", r#"{"partners": {"deny": ["198.51.100.0/24"]}}"#);
    let gateway = app_gateway(&vars);
    for (address, path) in [
        ("203.0.113.5", "/api/greet/Alice"),
        ("203.0.113.5", "/users/1"),
        ("203.0.113.5", "/nope"),
        ("198.51.100.7", "/users/1"),
    ] {
        let refused = send(&gateway, from(address, preflight(path, FRONTEND)));
        refused.problem(403, "ip-refused");
        assert_eq!(refused.header("access-control-allow-methods"), None, "{address} {path}");
        assert_eq!(refused.header("access-control-allow-headers"), None, "{address} {path}");
    }
    // Other addresses, and the route-refused address elsewhere, are answered as ever.
    let allowed = send(&gateway, from("192.0.2.1", preflight("/users/1", FRONTEND)));
    assert_eq!(allowed.status(), 204);
    assert!(allowed.header("access-control-allow-methods").is_some());
    assert_eq!(
        send(&gateway, from("198.51.100.7", preflight("/api/greet/Alice", FRONTEND))).status(),
        204
    );
}

/// A body framed two ways (`Content-Length` beside `Transfer-Encoding`) is
/// refused before anything else looks at it (RFC 9112 §6.3).
#[test]
fn a_body_framed_two_ways_is_a_400() {
    let gateway = app_gateway(&dev_vars());
    for target in ["/echo", "/hello", "/nope", "/api/greet/Alice"] {
        let request = Request::new(Method::Post, target)
            .with_header("content-length", "5")
            .with_header("transfer-encoding", "chunked")
            .with_body("hello");
        let refused = send(&gateway, request);
        let problem = refused.problem(400, "invalid-request");
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("Content-Length and Transfer-Encoding"));
    }
    // Either alone is an ordinary body.
    for (name, value) in [("content-length", "5"), ("transfer-encoding", "chunked")] {
        let request = Request::new(Method::Post, "/echo")
            .with_header(name, value)
            .with_body("hello");
        assert_eq!(send(&gateway, request).status(), 200);
    }
}
