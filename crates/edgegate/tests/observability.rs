//! Observability through the gateway's entry point: trace context into
//! every upstream call, the function event and the log; Server-Timing as its
//! setting says; one Analytics Engine data point per request; the log's
//! OpenTelemetry names.

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use edgegate::observe::metrics::{AnalyticsDataset, DataPoint, ANALYTICS_ENGINE_DATASET};
use edgegate::routing::Route;
use edgegate::testing::RecordingPlatform;
use edgegate::upstream::{function, origin};
use support::*;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn hello() -> &'static str {
    "hello"
}

/// A handler that says its own timing.
async fn own_timing() -> edgegate::http::Response {
    edgegate::http::Response::text(edgegate::http::Status::OK, "timed").with_header("server-timing", "db;dur=53")
}

/// A handler that logs what its answer does not show, then fails or not.
async fn logging(
    log: edgegate::extract::Log,
    edgegate::extract::Query(q): edgegate::extract::Query<Note>,
) -> Result<&'static str, edgegate::problem::ApiError> {
    log.warn("cache not warmed", &[("note", &q.note), ("request_id", "forged")]);
    if q.fail {
        log.error("giving up", &[]);
        return Err(edgegate::problem::ApiError::internal("the handler failed"));
    }
    Ok("logged")
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Note {
    note: String,
    #[serde(default)]
    fail: bool,
}

/// A handler that logs, then waits for what never comes (an upstream that
/// hangs while its client gives up).
async fn hanging(log: edgegate::extract::Log) -> &'static str {
    log.info("waiting on the ledger", &[]);
    std::future::pending::<()>().await;
    "never"
}

fn routes() -> Vec<Route<()>> {
    vec![
        Route::get("/open", hello).public(),
        Route::get("/hanging/{id}", hanging).api_key(),
        Route::get("/logging", logging).public(),
        Route::get("/keyed", hello).api_key(),
        Route::get("/timed-open", own_timing).public(),
        Route::get("/timed-keyed", own_timing).api_key(),
        Route::any_to("/origin/{*rest}", origin("origin")).public(),
        Route::any_to("/fn/{*rest}", function("FN")).public(),
    ]
}

fn gateway_with(more: &[(&str, &str)]) -> edgegate::gateway::Gateway<()> {
    let mut vars = with_var(test_vars(), "UPSTREAMS", r#"{"origin": "https://origin.example.com"}"#);
    for (name, value) in more {
        vars = with_var(vars, name, value);
    }
    test_gateway(routes(), &vars)
}

fn keyed(target: &str) -> edgegate::http::Request {
    get(target).with_header("x-api-key", DEV_KEY)
}

#[test]
fn a_valid_traceparent_is_continued_into_the_upstream_and_the_log() {
    let gateway = gateway_with(&[]);
    let platform = platform();
    respond(&platform, "https://origin.example.com/items", 200, &[], b"[]");
    let request = get("/origin/items")
        .with_header("traceparent", TRACEPARENT)
        .with_header("tracestate", "congo=t61rcWkgMzE");
    let exchange = send_on(&gateway, request, &platform);
    assert_eq!(exchange.status(), 200);
    let log = exchange.access_log();
    assert_eq!(log["trace_id"], CALLER_TRACE);
    let span = log["span_id"].as_str().unwrap().to_owned();
    assert_eq!(span.len(), 16);
    let sent = platform.sent.borrow();
    // The child traceparent: the caller's trace, the gateway's span as the parent.
    assert_eq!(
        sent[0].header("traceparent"),
        Some(format!("00-{CALLER_TRACE}-{span}-01").as_str())
    );
    assert_eq!(sent[0].header("tracestate"), Some("congo=t61rcWkgMzE"));
    assert_eq!(
        sent[0].headers.iter().filter(|(n, _)| n == "traceparent").count(),
        1,
        "the caller's copy is replaced"
    );
}

#[test]
fn the_child_traceparent_carries_only_the_flags_the_specification_defines() {
    // Reserved bits are the specification's to assign: a vendor sets them
    // to zero. Sampled (0x01) and random trace id (0x02, Level 2) stay, for
    // the trace (and its id) stays the caller's.
    let gateway = gateway_with(&[]);
    for (value, flags) in [
        (format!("00-{CALLER_TRACE}-00f067aa0ba902b7-ff"), "03"),
        (format!("00-{CALLER_TRACE}-00f067aa0ba902b7-fc"), "00"),
        (format!("00-{CALLER_TRACE}-00f067aa0ba902b7-02"), "02"),
        // A later version's flags may mean more: the child is version 00.
        (format!("cc-{CALLER_TRACE}-00f067aa0ba902b7-09-what-comes-later"), "01"),
    ] {
        let platform = platform();
        respond(&platform, "https://origin.example.com/items", 200, &[], b"[]");
        let exchange = send_on(
            &gateway,
            get("/origin/items").with_header("traceparent", &value),
            &platform,
        );
        assert_eq!(exchange.status(), 200);
        let log = exchange.access_log();
        assert_eq!(log["trace_id"], CALLER_TRACE, "{value} is joined");
        let span = log["span_id"].as_str().unwrap().to_owned();
        let sent = platform.sent.borrow();
        assert_eq!(
            sent[0].header("traceparent"),
            Some(format!("00-{CALLER_TRACE}-{span}-{flags}").as_str()),
            "{value}"
        );
    }
}

#[test]
fn a_malformed_or_missing_traceparent_starts_a_new_trace() {
    let gateway = gateway_with(&[]);
    let mut seen = Vec::new();
    for value in [
        None,
        Some("garbage"),
        Some(&TRACEPARENT.to_uppercase()[..]),
        Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
    ] {
        let platform = platform();
        respond(&platform, "https://origin.example.com/x", 200, &[], b"");
        let mut request = get("/origin/x").with_header("tracestate", "a=b");
        if let Some(value) = value {
            request = request.with_header("traceparent", value);
        }
        let exchange = send_on(&gateway, request, &platform);
        assert_eq!(exchange.status(), 200, "{value:?}: never an error");
        let trace = exchange.access_log()["trace_id"].as_str().unwrap().to_owned();
        assert_eq!(trace.len(), 32);
        assert_ne!(trace, CALLER_TRACE);
        assert_ne!(trace, "0".repeat(32));
        let sent = platform.sent.borrow();
        assert!(sent[0]
            .header("traceparent")
            .unwrap()
            .starts_with(&format!("00-{trace}-")));
        assert_eq!(sent[0].header("tracestate"), None, "no state without a valid parent");
        seen.push(trace);
    }
}

/// A platform on which the function `FN` answers `answer`.
fn function_answers(answer: &[u8]) -> RecordingPlatform {
    let platform = platform();
    respond(&platform, "https://fn/", 200, &[], answer);
    platform
}

#[test]
fn a_function_gets_the_trace_in_its_event_and_its_call() {
    let gateway = gateway_with(&[]);
    let platform = function_answers(br#"{"statusCode": 200, "body": "ok"}"#);
    let exchange = send_on(
        &gateway,
        get("/fn/x").with_header("traceparent", TRACEPARENT),
        &platform,
    );
    assert_eq!(exchange.text(), "ok");
    let sent = platform.sent.borrow();
    let event: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(event["requestContext"]["traceId"], CALLER_TRACE);
    assert!(sent[0]
        .header("traceparent")
        .unwrap()
        .starts_with(&format!("00-{CALLER_TRACE}-")));
    // The caller's headers in the event do not carry its traceparent.
    assert!(event["headers"].get("traceparent").is_none(), "{event}");
}

#[test]
fn server_timing_goes_to_authenticated_callers_by_default() {
    let gateway = gateway_with(&[]);
    assert_eq!(send(&gateway, get("/open")).header("server-timing"), None);
    let timed = send(&gateway, keyed("/keyed"));
    let value = timed.header("server-timing").expect("a keyed caller is told");
    assert!(value.starts_with("auth;dur="), "{value}");
    assert!(
        value.ends_with("total;dur=0.0") && value.contains("app;dur="),
        "{value}"
    );
    // A refused caller is told nothing.
    assert_eq!(send(&gateway, get("/keyed")).header("server-timing"), None);
    // A handler's own: removed for who is not told, the gateway's instead for who is.
    assert_eq!(send(&gateway, get("/timed-open")).header("server-timing"), None);
    let told = send(&gateway, keyed("/timed-keyed"));
    let value = told.header("server-timing").expect("told");
    assert!(value.starts_with("auth;dur=") && !value.contains("db;dur"), "{value}");
    // An upstream's too, for an anonymous caller under the default.
    let platform = platform();
    respond(
        &platform,
        "https://origin.example.com/t",
        200,
        &[("server-timing", "db;dur=53")],
        b"ok",
    );
    let anonymous = send_on(&gateway, get("/origin/t"), &platform);
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.header("server-timing"), None);
}

#[test]
fn server_timing_for_everyone_or_no_one_and_exposed_to_browsers_when_on() {
    let all = gateway_with(&[("SERVER_TIMING", "all")]);
    let platform = platform();
    respond(&platform, "https://origin.example.com/x", 200, &[], b"");
    let exchange = send_on(&all, get("/origin/x").with_header("origin", FRONTEND), &platform);
    let value = exchange.header("server-timing").expect("everyone is told");
    assert!(
        value.contains("upstream;dur=") && value.contains("total;dur="),
        "{value}"
    );
    let exposed = exchange.header("access-control-expose-headers").unwrap();
    assert!(exposed.split(", ").any(|h| h == "server-timing"), "{exposed}");

    let off = gateway_with(&[("SERVER_TIMING", "off")]);
    let exchange = send(&off, keyed("/keyed").with_header("origin", FRONTEND));
    assert_eq!(exchange.header("server-timing"), None);
    assert!(!exchange
        .header("access-control-expose-headers")
        .unwrap()
        .contains("server-timing"));

    for bad in ["on", "ALL", "all, off"] {
        let gateway = gateway_with(&[("SERVER_TIMING", bad)]);
        let reasons = gateway
            .misconfiguration()
            .expect("a bad value is a misconfiguration")
            .join("\n");
        assert!(
            reasons.contains("SERVER_TIMING: must be one of `off`, `authenticated`, `all`"),
            "{reasons}"
        );
    }
}

/// A dataset that keeps what it is given, or fails.
#[derive(Default)]
struct Dataset {
    points: RefCell<Vec<DataPoint>>,
    failing: bool,
}

impl AnalyticsDataset for Dataset {
    fn write_data_point(&self, point: &DataPoint) -> Result<(), String> {
        if self.failing {
            return Err("the dataset is down".into());
        }
        self.points.borrow_mut().push(point.clone());
        Ok(())
    }
}

fn metered(dataset: &Rc<Dataset>) -> RecordingPlatform {
    let platform = platform();
    platform.bind::<dyn AnalyticsDataset>("METRICS", dataset.clone());
    platform
}

#[test]
fn each_request_writes_one_data_point_when_a_dataset_is_named() {
    let gateway = gateway_with(&[("METRICS_DATASET", "METRICS")]);
    let dataset = Rc::new(Dataset::default());
    let platform = metered(&dataset);
    send_on(&gateway, keyed("/keyed"), &platform);
    send_on(&gateway, get("/keyed"), &platform);
    send_on(&gateway, get("/nowhere"), &platform);
    let points = dataset.points.borrow();
    assert_eq!(points.len(), 3);
    let (ok, refused, unmatched) = (&points[0], &points[1], &points[2]);
    assert_eq!(ok.index, "/keyed");
    assert_eq!(ok.blobs[..4], ["/keyed", "GET", "2xx", "api_key"]);
    assert_eq!(
        ok.blobs[4].len(),
        16,
        "the principal as a hash by default: {:?}",
        ok.blobs
    );
    assert_ne!(ok.blobs[4], "dev");
    assert_eq!(ok.doubles[0], 200.0);
    assert_eq!(
        (refused.blobs[2].as_str(), refused.blobs[7].as_str()),
        ("4xx", "unauthorized")
    );
    assert_eq!(
        (unmatched.index.as_str(), unmatched.blobs[0].as_str()),
        ("unmatched", "unmatched")
    );

    let by_id = gateway_with(&[("METRICS_DATASET", "METRICS"), ("METRICS_PRINCIPAL", "id")]);
    let dataset = Rc::new(Dataset::default());
    send_on(&by_id, keyed("/keyed"), &metered(&dataset));
    assert_eq!(dataset.points.borrow()[0].blobs[4], "dev");
}

#[test]
fn the_principal_hash_is_keyed_with_a_secret_when_one_is_set() {
    // Unkeyed, anyone can confirm a guessed id: SHA-256 of "api_key::dev".
    let dataset = Rc::new(Dataset::default());
    let plain = gateway_with(&[("METRICS_DATASET", "METRICS")]);
    send_on(&plain, keyed("/keyed"), &metered(&dataset));
    assert_eq!(dataset.points.borrow()[0].blobs[4], "afba8d2aef091687");

    // Keyed: HMAC-SHA256 under the secret (the expected value from Python's
    // hmac), its surrounding whitespace not part of it.
    const KEY: &str = "metrics-key-0123456789abcdef0123456789";
    let dataset = Rc::new(Dataset::default());
    let keyed_gateway = gateway_with(&[
        ("METRICS_DATASET", "METRICS"),
        ("METRICS_PRINCIPAL_KEY", &format!(" {KEY}\n")),
    ]);
    assert!(keyed_gateway.misconfiguration().is_none());
    send_on(&keyed_gateway, keyed("/keyed"), &metered(&dataset));
    send_on(&keyed_gateway, keyed("/keyed"), &metered(&dataset));
    let points = dataset.points.borrow();
    assert_eq!(points[0].blobs[4], "3d2d61b5edc5ac71", "one caller, one value");
    assert_eq!(points[1].blobs[4], points[0].blobs[4]);

    // `id` names the caller whatever the key.
    let dataset = Rc::new(Dataset::default());
    let by_id = gateway_with(&[
        ("METRICS_DATASET", "METRICS"),
        ("METRICS_PRINCIPAL", "id"),
        ("METRICS_PRINCIPAL_KEY", KEY),
    ]);
    send_on(&by_id, keyed("/keyed"), &metered(&dataset));
    assert_eq!(dataset.points.borrow()[0].blobs[4], "dev");
}

#[test]
fn a_short_huge_or_blank_principal_key_is_a_misconfiguration_that_never_shows_the_key() {
    let short = "s3cret-but-only-31-bytes-long!!";
    let huge = "h".repeat(1025);
    for bad in [short, huge.as_str()] {
        let gateway = gateway_with(&[("METRICS_DATASET", "METRICS"), ("METRICS_PRINCIPAL_KEY", bad)]);
        let reasons = gateway
            .misconfiguration()
            .expect("a bad key is a misconfiguration")
            .join("\n");
        assert!(reasons.contains("METRICS_PRINCIPAL_KEY"), "{reasons}");
        assert!(
            !reasons.contains(short) && !reasons.contains("hhhh"),
            "the key is never quoted: {reasons}"
        );
        // Refused, not served with a weak or missing key.
        let exchange = send(&gateway, keyed("/keyed"));
        assert_eq!(exchange.status(), 500);
        assert!(exchange
            .logs
            .iter()
            .all(|line| !line.contains(short) && !line.contains("hhhh")));
    }
    let exact = "k".repeat(32);
    assert!(gateway_with(&[("METRICS_PRINCIPAL_KEY", &exact)])
        .misconfiguration()
        .is_none());
    // A blank secret (`echo "$UNSET" | wrangler secret put ..`) is a key
    // too short, as for API_KEYS, not unset: the plain hash would let
    // anyone confirm a guessed id.
    for blank in ["", "   ", "\n"] {
        let gateway = gateway_with(&[("METRICS_DATASET", "METRICS"), ("METRICS_PRINCIPAL_KEY", blank)]);
        let reasons = gateway
            .misconfiguration()
            .expect("a blank key is a misconfiguration")
            .join("\n");
        assert!(
            reasons.contains("METRICS_PRINCIPAL_KEY: must be a secret of 32"),
            "{reasons}"
        );
    }
    // Unset: the plain hash.
    let dataset = Rc::new(Dataset::default());
    let unset = gateway_with(&[("METRICS_DATASET", "METRICS")]);
    assert!(unset.misconfiguration().is_none());
    send_on(&unset, keyed("/keyed"), &metered(&dataset));
    assert_eq!(dataset.points.borrow()[0].blobs[4], "afba8d2aef091687");
}

#[test]
fn a_failing_dataset_never_fails_the_request_and_an_unbound_one_is_a_misconfiguration() {
    let mut gateway = gateway_with(&[("METRICS_DATASET", "METRICS")]);
    let dataset = Rc::new(Dataset {
        failing: true,
        ..Dataset::default()
    });
    let exchange = send_on(&gateway, get("/open"), &metered(&dataset));
    assert_eq!(exchange.text(), "hello");
    assert!(exchange
        .logs
        .iter()
        .any(|line| line.contains("metrics not written") && line.contains("the dataset is down")));

    let bindings: Vec<_> = gateway.bindings().collect();
    assert!(
        bindings.contains(&("METRICS", ANALYTICS_ENGINE_DATASET)),
        "{bindings:?}"
    );
    gateway.check_bindings(|name, _| name != "METRICS");
    let reasons = gateway.misconfiguration().unwrap().join("\n");
    assert!(
        reasons.contains("METRICS_DATASET calls the Analytics Engine dataset `METRICS`, which is not bound ([[analytics_engine_datasets]])"),
        "{reasons}"
    );
    for bad in ["", "a b", "METRICS;DROP", "é"] {
        if bad.is_empty() {
            continue; // unset
        }
        let gateway = gateway_with(&[("METRICS_DATASET", bad)]);
        assert!(gateway.misconfiguration().is_some(), "{bad:?}");
    }
}

#[test]
fn the_log_speaks_opentelemetry_when_asked() {
    let gateway = gateway_with(&[("LOG_FIELDS", "otel")]);
    assert!(gateway.read_headers().contains(&"user-agent"));
    let exchange = send(
        &gateway,
        keyed("/keyed")
            .with_header("user-agent", "curl/8")
            .with_header("cf-connecting-ip", "203.0.113.7"),
    );
    let log = exchange.access_log_with("http.response.status_code");
    assert_eq!(log["http.request.method"], "GET");
    assert_eq!(log["http.route"], "/keyed");
    assert_eq!(log["http.response.status_code"], 200);
    assert_eq!(log["client.address"], "203.0.113.7");
    assert_eq!(log["user_agent.original"], "curl/8");
    assert!(log.get("method").is_none() && log.get("status").is_none());
    assert_eq!(log["trace_id"].as_str().unwrap().len(), 32);
    // The default names stay edgegate's.
    let default = send(&gateway_with(&[]), keyed("/keyed"));
    assert_eq!(default.access_log()["status"], 200);
    assert!(!gateway_with(&[]).read_headers().contains(&"user-agent"));
}

/// A stage's span as the tests compare it: name, route ("" for none), outcome, status.
type Stage = (&'static str, String, String, Option<u16>);

fn stage(name: &'static str, route: &str, outcome: &str, status: Option<u16>) -> Stage {
    (name, route.to_owned(), outcome.to_owned(), status)
}

/// The spans the platform recorded, each closed, none nested in another
/// (stages follow each other; the waits inside them are the adapter's).
fn spans_of(platform: &RecordingPlatform) -> Vec<Stage> {
    assert_eq!(platform.open_span_count(), 0, "a finished request leaves no span open");
    let spans = platform.spans.borrow();
    spans
        .iter()
        .map(|s| {
            assert_eq!(s.parent, None, "{} is nested", s.name);
            let outcome = s.outcome.as_deref().expect("closed");
            stage(s.name, s.route.as_deref().unwrap_or(""), outcome, s.status)
        })
        .collect()
}

/// A gateway whose routes meet every stage: a limit, a body, an upstream.
fn staged_gateway(trace_spans: Option<&str>) -> edgegate::gateway::Gateway<()> {
    use edgegate::extract::Json;
    use edgegate::policy::traffic::rate_limit;
    async fn echo(Json(body): Json<String>) -> String {
        body
    }
    let mut routes = routes();
    routes.push(
        Route::post("/echo", echo)
            .api_key()
            .max_body_bytes(8)
            .policy(rate_limit("L")),
    );
    let mut vars = with_var(test_vars(), "UPSTREAMS", r#"{"origin": "https://origin.example.com"}"#);
    vars = with_var(vars, "RATE_LIMITS", r#"{"L": {"limit": 1, "period": 60}}"#);
    if let Some(value) = trace_spans {
        vars = with_var(vars, "TRACE_SPANS", value);
    }
    test_gateway(routes, &vars)
}

#[test]
fn with_trace_spans_each_stage_is_a_span_with_the_route_the_method_and_how_it_ended() {
    let gateway = staged_gateway(Some("true"));
    let run = |request: edgegate::http::Request, platform: &RecordingPlatform| {
        platform.spans.borrow_mut().clear();
        send_on(&gateway, request, platform).status()
    };
    let platform = platform();
    platform.bind_limiter("L", 1, 60);

    // A public handler: the route, then the handler (no access, no body to read).
    assert_eq!(run(get("/open"), &platform), 200);
    assert_eq!(
        spans_of(&platform),
        [
            stage("edgegate.route", "/open", "pass", None),
            stage("edgegate.handler", "/open", "answered", Some(200)),
        ]
    );
    assert!(platform.spans.borrow().iter().all(|s| s.method == "GET"));

    // Access that refuses: its span says why, and nothing after it opens.
    assert_eq!(run(get("/keyed"), &platform), 401);
    assert_eq!(
        spans_of(&platform),
        [
            stage("edgegate.route", "/keyed", "pass", None),
            stage("edgegate.access", "/keyed", "unauthorized", Some(401)),
        ]
    );

    // Every stage: route, access, traffic, body, handler; then the limit refuses.
    let echo = || post_json("/echo", "\"hi\"").with_header("x-api-key", DEV_KEY);
    assert_eq!(run(echo(), &platform), 200);
    assert_eq!(
        spans_of(&platform),
        [
            stage("edgegate.route", "/echo", "pass", None),
            stage("edgegate.access", "/echo", "pass", None),
            stage("edgegate.traffic", "/echo", "pass", None),
            stage("edgegate.body", "/echo", "pass", None),
            stage("edgegate.handler", "/echo", "answered", Some(200)),
        ]
    );
    assert!(platform.spans.borrow().iter().all(|s| s.method == "POST"));
    assert_eq!(run(echo(), &platform), 429);
    assert_eq!(
        spans_of(&platform)[2],
        stage("edgegate.traffic", "/echo", "rate-limited", Some(429))
    );

    // The body over its limit (a fresh limit: the window above is used up).
    let platform = self::platform();
    platform.bind_limiter("L", 1, 60);
    let large = post_json("/echo", "\"too large\"").with_header("x-api-key", DEV_KEY);
    assert_eq!(run(large, &platform), 413);
    assert_eq!(
        spans_of(&platform)[3],
        stage("edgegate.body", "/echo", "body-too-large", Some(413))
    );

    // A body read whole that the handler's extractor refuses: the body
    // stage passes, the handler's span says why it answered.
    let platform = self::platform();
    platform.bind_limiter("L", 1, 60);
    let garbled = post_json("/echo", "nope").with_header("x-api-key", DEV_KEY);
    assert_eq!(run(garbled, &platform), 400);
    assert_eq!(
        spans_of(&platform)[3..],
        [
            stage("edgegate.body", "/echo", "pass", None),
            stage("edgegate.handler", "/echo", "malformed-json", Some(400)),
        ]
    );

    // An upstream: its answer, or the gateway's problem when it fails.
    respond(&platform, "https://origin.example.com/items", 201, &[], b"");
    assert_eq!(run(get("/origin/items"), &platform), 201);
    assert_eq!(
        spans_of(&platform),
        [
            stage("edgegate.route", "/origin/{*rest}", "pass", None),
            stage("edgegate.upstream", "/origin/{*rest}", "answered", Some(201)),
        ]
    );
    assert_eq!(run(get("/origin/unanswered"), &platform), 502);
    assert_eq!(
        spans_of(&platform)[1],
        stage(
            "edgegate.upstream",
            "/origin/{*rest}",
            "upstream-unreachable",
            Some(502)
        )
    );

    // The route stage answers: no path, or not this method.
    assert_eq!(run(get("/nowhere"), &platform), 404);
    assert_eq!(
        spans_of(&platform),
        [stage("edgegate.route", "", "not-found", Some(404))]
    );
    assert_eq!(run(post_json("/open", "{}"), &platform), 405);
    assert_eq!(
        spans_of(&platform),
        [stage("edgegate.route", "/open", "method-not-allowed", Some(405))]
    );
}

#[test]
fn without_trace_spans_no_span_is_opened() {
    for setting in [None, Some("false")] {
        let gateway = staged_gateway(setting);
        let platform = platform();
        platform.bind_limiter("L", 1, 60);
        respond(&platform, "https://origin.example.com/items", 200, &[], b"");
        send_on(&gateway, get("/open"), &platform);
        send_on(&gateway, get("/origin/items"), &platform);
        send_on(
            &gateway,
            post_json("/echo", "\"hi\"").with_header("x-api-key", DEV_KEY),
            &platform,
        );
        assert!(platform.spans.borrow().is_empty(), "{setting:?}");
    }
    let reasons = staged_gateway(Some("yes")).misconfiguration().unwrap().join("\n");
    assert!(
        reasons.contains("TRACE_SPANS: must be one of `false`, `true`"),
        "{reasons}"
    );
}

#[test]
fn a_handlers_log_lines_name_the_request_and_are_written_with_the_access_log_off_and_when_it_fails() {
    for access_log in ["true", "false"] {
        let gateway = gateway_with(&[("ACCESS_LOG", access_log)]);
        // A value a client chose: quotes, a line break, a control character, non-ASCII.
        let exchange = send_on(
            &gateway,
            get("/logging?note=%22%7D%0A%7B%22level%22%3A%22info%22%01%C3%A9").with_header("traceparent", TRACEPARENT),
            &platform(),
        );
        assert_eq!(exchange.status(), 200, "{}", exchange.text());
        let lines: Vec<serde_json::Value> = exchange
            .logs
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not one JSON line: {line}")))
            .collect();
        let warned = lines
            .iter()
            .find(|line| line["message"] == "cache not warmed")
            .expect("the handler's line");
        assert_eq!(warned["level"], "warn");
        assert_eq!(warned["note"], "\"}\n{\"level\":\"info\"\u{1}é");
        assert_eq!(warned["request_id"], exchange.header("x-request-id").unwrap());
        assert_eq!(
            warned["handler.request_id"], "forged",
            "a handler's field never passes for the gateway's"
        );
        assert_eq!(warned["trace_id"], CALLER_TRACE);
        assert_eq!(warned["route"], "/logging");
        assert_eq!(
            exchange.logs.len(),
            if access_log == "true" { 2 } else { 1 },
            "{:?}",
            exchange.logs
        );
    }
    let gateway = gateway_with(&[("ACCESS_LOG", "false")]);
    let failed = send_on(&gateway, get("/logging?note=x&fail=true"), &platform());
    failed.problem(500, "internal");
    let messages: Vec<String> = failed
        .logs
        .iter()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["message"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(
        messages.starts_with(&["cache not warmed".to_owned(), "giving up".to_owned()]),
        "{messages:?}"
    );
    assert_eq!(
        failed.logs.len(),
        3,
        "the handler's two lines, then the failure's access line: {:?}",
        failed.logs
    );
}

#[test]
fn a_request_its_client_abandons_is_logged_and_counted_as_499() {
    use std::future::Future;
    use std::task::{Context, Waker};
    for access_log in ["true", "false"] {
        let gateway = gateway_with(&[("METRICS_DATASET", "METRICS"), ("ACCESS_LOG", access_log)]);
        let dataset = Rc::new(Dataset::default());
        let platform = metered(&dataset);
        let request = edgegate::testing::as_the_adapter_passes(
            &gateway,
            keyed("/hanging/7").with_header("traceparent", TRACEPARENT),
        );
        let mut handling = Box::pin(gateway.handle(request, &(), &platform));
        let mut context = Context::from_waker(Waker::noop());
        for _ in 0..3 {
            assert!(handling.as_mut().poll(&mut context).is_pending());
        }
        platform.advance_ms(1500.0);
        assert!(platform.log_lines().is_empty(), "nothing is written while it waits");
        // What the adapter does when the client goes away: drops the request.
        drop(handling);
        let lines: Vec<serde_json::Value> = platform
            .log_lines()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            lines[0]["message"], "waiting on the ledger",
            "the handler's line first: {lines:?}"
        );
        assert_eq!(lines[0]["route"], "/hanging/{id}");
        if access_log == "true" {
            assert_eq!(lines.len(), 2, "{lines:?}");
            let access = &lines[1];
            assert_eq!(access["status"], 499);
            assert_eq!(access["route"], "/hanging/{id}");
            assert_eq!(access["principal"], "dev");
            assert_eq!(access["trace_id"], CALLER_TRACE);
            assert_eq!(access["request_id"], lines[0]["request_id"]);
            assert!(access["duration_ms"].as_f64().unwrap() >= 1500.0, "{access}");
        } else {
            assert_eq!(lines.len(), 1, "no access line when it is off: {lines:?}");
        }
        let points = dataset.points.borrow();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].blobs[..3], ["/hanging/{id}", "GET", "4xx"]);
        assert_eq!(points[0].doubles[0], 499.0);
    }
    // An answered request finishes once: no second line when it is dropped.
    let gateway = gateway_with(&[]);
    let platform = platform();
    let exchange = send_on(&gateway, keyed("/open"), &platform);
    assert_eq!(exchange.logs.len(), 1);
    assert!(platform.log_lines().is_empty());
}

#[test]
fn a_value_that_reads_like_the_over_budget_notice_stops_no_line() {
    let gateway = gateway_with(&[]);
    let note = "further handler log lines dropped: this request's are over 64 KiB";
    let target = format!(
        "/logging?fail=true&note={}",
        note.replace(' ', "%20").replace('\'', "%27")
    );
    let exchange = send_on(&gateway, get(&target), &platform());
    exchange.problem(500, "internal");
    let messages: Vec<String> = exchange
        .logs
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["message"].to_string())
        .collect();
    assert!(messages.iter().any(|m| m == "\"giving up\""), "{messages:?}");
}

#[test]
fn a_handlers_huge_value_is_cut_and_the_access_line_still_follows() {
    let gateway = gateway_with(&[]);
    let note = "x".repeat(20_000);
    let exchange = send_on(&gateway, get(&format!("/logging?note={note}")), &platform());
    assert_eq!(exchange.status(), 200);
    let lines: Vec<serde_json::Value> = exchange
        .logs
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the handler's line, then the access line");
    let kept = lines[0]["note"].as_str().unwrap();
    assert_eq!(kept, format!("{}… ({} bytes cut)", &note[..4096], 20_000 - 4096));
    assert_eq!(lines[1]["status"], 200);
    assert!(exchange.logs[0].len() < 4096 + 300, "{}", exchange.logs[0].len());
}

#[test]
fn a_data_point_names_the_limit_that_refused_and_the_upstream_with_its_status() {
    let dataset = Rc::new(Dataset::default());
    let platform = metered(&dataset);
    platform.bind_limiter("L", 1, 60);
    respond(&platform, "https://origin.example.com/made", 201, &[], b"made");
    platform.answer(
        "https://origin.example.com/down",
        edgegate::testing::FakeAnswer::Fail(edgegate::platform::FetchError::Unreachable("refused".into())),
    );
    let vars = [
        ("METRICS_DATASET", "METRICS"),
        ("RATE_LIMITS", r#"{"L": {"limit": 1, "period": 60}}"#),
        ("QUOTAS", r#"{"default": {"per_day": 1}}"#),
    ];
    let mut all = with_var(test_vars(), "UPSTREAMS", r#"{"origin": "https://origin.example.com"}"#);
    for (name, value) in vars {
        all = with_var(all, name, value);
    }
    let gateway = test_gateway(
        vec![
            Route::get("/limited", hello)
                .public()
                .policy(edgegate::policy::rate_limit("L").per_client()),
            Route::get("/counted", hello)
                .api_key()
                .policy(edgegate::policy::quota("QUOTA")),
            Route::any_to("/origin/{*rest}", origin("origin")).public(),
        ],
        &all,
    );
    for target in ["/limited", "/limited"] {
        send_on(&gateway, get(target), &platform);
    }
    for _ in 0..2 {
        send_on(&gateway, keyed("/counted"), &platform);
    }
    send_on(&gateway, get("/origin/made"), &platform);
    send_on(&gateway, get("/origin/down"), &platform);
    let points = dataset.points.borrow();
    assert_eq!(points.len(), 6);
    assert_eq!((points[0].blobs[5].as_str(), points[0].doubles[0]), ("", 200.0));
    assert_eq!(
        (points[1].blobs[5].as_str(), points[1].doubles[0]),
        ("rate_limit:L", 429.0)
    );
    assert_eq!(points[3].blobs[5], "quota:day");
    // The upstream, its status and its time; none before or without one.
    let (made, down) = (&points[4], &points[5]);
    assert_eq!(
        (made.blobs[6].as_str(), made.doubles[0], made.doubles[2]),
        ("origin", 201.0, 201.0)
    );
    assert!(made.doubles[3] >= 0.0);
    assert_eq!(
        (down.blobs[6].as_str(), down.doubles[0], down.doubles[2]),
        ("origin", 502.0, 0.0)
    );
    assert_eq!(
        (points[0].blobs[6].as_str(), points[0].doubles[2], points[0].doubles[3]),
        ("", 0.0, 0.0)
    );
}

#[test]
fn server_timing_has_a_stage_for_the_routes_policies_and_one_for_its_body() {
    async fn echo(edgegate::extract::Bytes(body): edgegate::extract::Bytes) -> String {
        format!("{} bytes", body.len())
    }
    let vars = with_var(test_vars(), "RATE_LIMITS", r#"{"L": {"limit": 5, "period": 60}}"#);
    let gateway = test_gateway(
        vec![
            Route::get("/limited", hello)
                .api_key()
                .policy(edgegate::policy::rate_limit("L")),
            Route::post("/upload", echo).api_key(),
        ],
        &vars,
    );
    let platform = platform();
    platform.bind_limiter("L", 5, 60);
    let limited = send_on(&gateway, keyed("/limited"), &platform);
    let value = limited.header("server-timing").expect("told");
    assert!(
        value.starts_with("auth;dur=") && value.contains(", policy;dur="),
        "{value}"
    );
    assert!(!value.contains("body;dur="), "no body read: {value}");
    let upload = edgegate::http::Request::new(edgegate::http::Method::Post, "/upload")
        .with_header("x-api-key", DEV_KEY)
        .with_body("payload");
    let uploaded = send_on(&gateway, upload, &platform);
    assert_eq!(uploaded.text(), "7 bytes");
    let value = uploaded.header("server-timing").expect("told");
    assert!(value.contains("body;dur=") && !value.contains("policy;dur="), "{value}");
    // In the order the request went through them.
    let stages: Vec<&str> = value
        .split(", ")
        .map(|stage| stage.split(';').next().unwrap())
        .collect();
    assert_eq!(stages, ["auth", "body", "app", "total"]);
}

#[test]
fn a_service_call_carries_the_child_traceparent_and_the_callers_state() {
    let gateway = test_gateway(
        vec![Route::any_to("/svc/{*rest}", edgegate::upstream::service("SVC")).public()],
        &test_vars(),
    );
    let platform = platform();
    respond(&platform, "https://svc/items", 200, &[], b"ok");
    let request = get("/svc/items")
        .with_header("traceparent", TRACEPARENT)
        .with_header("tracestate", "congo=t61rcWkgMzE");
    let exchange = send_on(&gateway, request, &platform);
    assert_eq!(exchange.said(), "ok");
    let span = exchange.access_log()["span_id"].as_str().unwrap().to_owned();
    let sent = platform.sent.borrow();
    assert_eq!(
        sent[0].header("traceparent"),
        Some(format!("00-{CALLER_TRACE}-{span}-01").as_str())
    );
    assert_eq!(sent[0].header("tracestate"), Some("congo=t61rcWkgMzE"));
    assert_eq!(sent[0].headers.iter().filter(|(n, _)| n == "traceparent").count(), 1);
}

#[test]
fn a_functions_own_server_timing_reaches_no_one_the_gateway_does_not_tell() {
    let gateway = gateway_with(&[]);
    let platform = function_answers(br#"{"statusCode": 200, "headers": {"server-timing": "db;dur=53"}, "body": "ok"}"#);
    let anonymous = send_on(&gateway, get("/fn/x"), &platform);
    assert_eq!(anonymous.said(), "ok");
    assert_eq!(anonymous.header("server-timing"), None);
}

#[test]
fn a_data_points_index_is_cut_to_96_bytes() {
    let long = format!("/reports/{}/{{id}}", "quarterly-".repeat(12));
    let vars = with_var(test_vars(), "METRICS_DATASET", "METRICS");
    let gateway = test_gateway(vec![Route::get(&long, hello).public()], &vars);
    assert_eq!(gateway.misconfiguration(), None);
    let dataset = Rc::new(Dataset::default());
    let target = long.replace("{id}", "7");
    assert_eq!(send_on(&gateway, get(&target), &metered(&dataset)).status(), 200);
    let points = dataset.points.borrow();
    assert_eq!(points[0].index.len(), 96, "{}", points[0].index);
    assert!(long.starts_with(&points[0].index));
    assert_eq!(points[0].blobs[0], long, "the blob keeps the whole template");
}
