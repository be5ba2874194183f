//! The app's function route (`/fn/greet`, the `GREETER` binding) through the
//! gateway's one entry point, on the host: the gateway event a function
//! Worker receives, each variant of the seeds' response object and malformed
//! answers (502). A service binding's plain forwarding is tested with the
//! framework (crates/edgegate/tests/functions.rs). The real runtime (a
//! function Worker under multi-config `wrangler dev`) is tested end to end
//! (tests/e2e/functions.test.mjs).

mod support;

use edgegate::http::{Method, Request};
use edgegate::platform::FetchError;
use edgegate::testing::{FakeAnswer, RecordingPlatform};
use serde_json::{json, Value};
use support::*;

/// Where the gateway calls the `GREETER` function (the host only labels the binding).
const GREETER: &str = "https://greeter/";

fn answer(platform: &RecordingPlatform, url: &str, status: u16, body: &[u8]) {
    respond(platform, url, status, &[("content-type", "application/json")], body);
}

fn keyed(method: Method, target: &str) -> Request {
    Request::new(method, target).with_header("x-api-key", DEV_KEY)
}

/// The event the function was sent, parsed.
fn event(platform: &RecordingPlatform) -> Value {
    let sent = platform.sent.borrow().last().cloned().expect("the function was called");
    serde_json::from_slice(&sent.body).expect("the event is JSON")
}

#[test]
fn a_function_gets_the_gateway_event_through_its_binding() {
    let platform = platform();
    answer(&platform, GREETER, 200, br#"{"statusCode": 200, "body": "hi"}"#);
    let request = keyed(Method::Post, "/fn/greet/Ada%20L?lang=es&key=dev-local-key&n=1&n=2")
        .with_header("content-type", "application/json")
        .with_header("x-custom", "kept ünïcode")
        .with_header("x-edgegate-principal", "forged")
        .with_header("authorization", "Bearer not-for-the-function")
        .with_header("connection", "x-hop")
        .with_header("x-hop", "1")
        .with_header("x-request-id", "req-fn-1")
        .with_body(r#"{"title": "Dr.", "requestContext": {"principal": {"id": "root"}}}"#);
    let exchange = send_on(&app_gateway(&dev_vars()), request, &platform);
    assert_eq!(exchange.status(), 200, "{}", exchange.text());

    let sent = platform.sent.borrow()[0].clone();
    assert_eq!(sent.service.as_deref(), Some("GREETER"));
    assert_eq!((sent.method.as_str(), sent.url.as_str()), ("POST", GREETER));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("x-request-id"), Some("req-fn-1"));
    let event = event(&platform);
    // Both vocabularies: the seeds' and the gateway event's.
    assert_eq!(event["method"], "POST");
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["path"], "/fn/greet/Ada L");
    assert_eq!(event["params"], json!({"rest": "Ada L"}));
    assert_eq!(event["pathParameters"], event["params"]);
    // The consumed key is not passed on; a repeated name keeps its last value.
    assert_eq!(event["query"], json!({"lang": "es", "n": "2"}));
    assert_eq!(event["queryParameters"], event["query"]);
    assert_eq!(
        event["body"],
        json!({"title": "Dr.", "requestContext": {"principal": {"id": "root"}}})
    );
    assert_eq!(event["isBase64Encoded"], false);
    let headers = event["headers"].as_object().unwrap();
    assert_eq!(headers["x-custom"], "kept ünïcode");
    for gone in [
        "x-api-key",
        "authorization",
        "x-edgegate-principal",
        "connection",
        "x-hop",
    ] {
        assert!(!headers.contains_key(gone), "{gone} reached the function");
    }
    // The context is the gateway's: what the client's body said stays in `body`.
    let log = exchange.access_log();
    assert_eq!(
        event["requestContext"],
        json!({
            "requestId": "req-fn-1",
            "traceId": log["trace_id"],
            "principal": {"id": "dev", "scheme": "api_key", "provider": null, "claims": null},
        })
    );
    assert_eq!(
        (log["upstream"].as_str(), log["upstream_status"].as_u64()),
        (Some("GREETER"), Some(200))
    );
}

#[test]
fn a_binary_body_reaches_the_function_as_base64_and_the_route_limit_holds() {
    let platform = platform();
    answer(&platform, GREETER, 200, br#"{"statusCode": 204}"#);
    let request = keyed(Method::Post, "/fn/greet")
        .with_header("content-type", "application/octet-stream")
        .with_body(vec![0u8, 1, 2, 255]);
    assert_eq!(send_on(&app_gateway(&dev_vars()), request, &platform).status(), 204);
    let event = event(&platform);
    assert_eq!(
        (event["body"].as_str(), event["isBase64Encoded"].as_bool()),
        (Some("AAEC/w=="), Some(true))
    );
    assert_eq!(event["params"], json!({}));
    // A compressed JSON body is bytes to the function, not JSON to parse.
    let compressed = keyed(Method::Post, "/fn/greet")
        .with_header("content-type", "application/json")
        .with_header("content-encoding", "gzip")
        .with_body(vec![0x1f, 0x8b, 8, 0]);
    assert_eq!(send_on(&app_gateway(&dev_vars()), compressed, &platform).status(), 204);
    let event = self::event(&platform);
    assert_eq!(
        (event["body"].as_str(), event["isBase64Encoded"].as_bool()),
        (Some("H4sIAA=="), Some(true))
    );

    // Over MAX_BODY_BYTES: refused before the function is called.
    let small = with_var(dev_vars(), "MAX_BODY_BYTES", "8");
    let big = keyed(Method::Post, "/fn/greet/x").with_body("123456789");
    send_on(&app_gateway(&small), big, &platform).problem(413, "body-too-large");
    // Malformed JSON is the client's 400, also before any call.
    let broken = keyed(Method::Post, "/fn/greet/x")
        .with_header("content-type", "application/json")
        .with_body("{");
    send_on(&app_gateway(&dev_vars()), broken, &platform).problem(400, "malformed-json");
    assert_eq!(platform.sent.borrow().len(), 2, "the two calls above");
}

#[test]
fn every_variant_of_the_response_object_maps_to_http() {
    let gateway = app_gateway(&dev_vars());
    let call = |object: Value| {
        let platform = platform();
        answer(&platform, GREETER, 200, object.to_string().as_bytes());
        send_on(&gateway, keyed(Method::Get, "/fn/greet"), &platform)
    };
    // The Function Compute sample: status as a string, the flag as a string, a JSON body.
    let compute = call(json!({
        "isBase64Encoded": "false",
        "statusCode": "201",
        "headers": {"x-custom-header": "header value"},
        "body": {"path": "/fn/greet", "n": [1, 2]},
    }));
    assert_eq!(compute.status(), 201);
    assert_eq!(compute.header("x-custom-header"), Some("header value"));
    assert_eq!(compute.header("content-type"), Some("application/json"));
    assert_eq!(compute.json(), json!({"path": "/fn/greet", "n": [1, 2]}));
    // The seeds' handler: a number, header values of every scalar kind, null skipped.
    let seed = call(json!({
        "statusCode": 200,
        "headers": {"content-type": "text/html", "x-n": 3, "x-yes": true, "x-none": null},
        "body": "<h1>Hello, world!</h1>",
    }));
    assert_eq!(seed.status(), 200);
    assert_eq!(
        (
            seed.header("content-type"),
            seed.header("x-n"),
            seed.header("x-yes"),
            seed.header("x-none")
        ),
        (Some("text/html"), Some("3"), Some("true"), None)
    );
    assert_eq!(seed.text(), "<h1>Hello, world!</h1>");
    // Binary, flagged either way.
    for flag in [json!(true), json!("true")] {
        let binary = call(json!({"statusCode": 200, "isBase64Encoded": flag, "body": "AAEC/w=="}));
        assert_eq!(
            binary.response.body,
            edgegate::http::ResponseBody::Bytes(vec![0, 1, 2, 255])
        );
    }
    // No body at all; the function's own 4xx passes as it is.
    let empty = call(json!({"statusCode": 404}));
    assert_eq!((empty.status(), empty.text()), (404, String::new()));
    // Its CORS and hop-by-hop headers are not passed on: the gateway's CORS replaces them.
    let cors = call(json!({
        "statusCode": 200,
        "headers": {"access-control-allow-origin": "*", "Transfer-Encoding": "chunked", "x-kept": "1"},
        "body": "ok",
    }));
    assert_eq!(
        (
            cors.header("access-control-allow-origin"),
            cors.header("transfer-encoding"),
            cors.header("x-kept")
        ),
        (None, None, Some("1"))
    );
}

#[test]
fn a_malformed_answer_is_a_502_with_the_reason_in_the_log() {
    let gateway = app_gateway(&dev_vars());
    let cases: Vec<(u16, Vec<u8>, &str)> = vec![
        (200, b"not json".to_vec(), "the answer is not JSON"),
        (200, b"[1, 2]".to_vec(), "not a JSON object"),
        (200, br#"{"body": "no status"}"#.to_vec(), "`statusCode` is missing"),
        (200, br#"{"statusCode": "abc"}"#.to_vec(), "`statusCode`"),
        (200, br#"{"statusCode": 99}"#.to_vec(), "`statusCode`"),
        (200, br#"{"statusCode": 600}"#.to_vec(), "`statusCode`"),
        (200, br#"{"statusCode": 200.5}"#.to_vec(), "`statusCode`"),
        (200, br#"{"statusCode": "0200"}"#.to_vec(), "`statusCode`"),
        (
            200,
            br#"{"statusCode": 200, "isBase64Encoded": "yes"}"#.to_vec(),
            "`isBase64Encoded`",
        ),
        (
            200,
            br#"{"statusCode": 200, "isBase64Encoded": true, "body": "***"}"#.to_vec(),
            "not base64",
        ),
        (
            200,
            br#"{"statusCode": 200, "isBase64Encoded": true, "body": {"a": 1}}"#.to_vec(),
            "not a string",
        ),
        (
            200,
            br#"{"statusCode": 200, "headers": ["x"]}"#.to_vec(),
            "`headers` is not an object",
        ),
        (
            200,
            br#"{"statusCode": 200, "headers": {"x": {"a": 1}}}"#.to_vec(),
            "header `x` is neither",
        ),
        (
            200,
            br#"{"statusCode": 200, "headers": {"x": "a\r\nset-cookie: evil=1"}}"#.to_vec(),
            "control characters",
        ),
        (
            200,
            br#"{"statusCode": 200, "headers": {"bad name": "1"}}"#.to_vec(),
            "not a token",
        ),
        (
            200,
            "{\"statusCode\": 200, \"headers\": {\"x-é\": \"1\"}}"
                .as_bytes()
                .to_vec(),
            "not a token",
        ),
        (
            500,
            br#"{"statusCode": 200}"#.to_vec(),
            "the function Worker answered HTTP 500",
        ),
    ];
    for (status, body, reason) in cases {
        let platform = platform();
        answer(&platform, GREETER, status, &body);
        let exchange = send_on(&gateway, keyed(Method::Get, "/fn/greet"), &platform);
        let problem = exchange.problem(502, "upstream-invalid-answer");
        let logged = exchange.access_log()["error"].as_str().unwrap_or_default().to_owned();
        assert!(
            logged.starts_with("function GREETER: ") && logged.contains(reason),
            "{logged}"
        );
        // The client is told whose failure it is, never what the function said.
        assert_eq!(
            problem["detail"],
            "The function `GREETER` did not answer with a response object."
        );
    }
}

#[test]
fn an_answer_over_the_limit_is_a_502_not_held_whole() {
    let platform = platform();
    let huge = format!(
        r#"{{"statusCode": 200, "body": "{}"}}"#,
        "a".repeat(edgegate::upstream::function::ANSWER_LIMIT)
    );
    answer(&platform, GREETER, 200, huge.as_bytes());
    let exchange = send_on(&app_gateway(&dev_vars()), keyed(Method::Get, "/fn/greet"), &platform);
    exchange.problem(502, "upstream-invalid-answer");
    assert!(exchange.access_log()["error"]
        .as_str()
        .unwrap()
        .contains("over 6291456 bytes"));
}

#[test]
fn a_function_that_is_down_or_slow_is_the_gateways_502_or_504() {
    let gateway = app_gateway(&dev_vars());
    let platform = platform();
    platform.answer(
        GREETER,
        FakeAnswer::Fail(FetchError::Unreachable("no such service".into())),
    );
    let down = send_on(&gateway, keyed(Method::Get, "/fn/greet"), &platform);
    down.problem(502, "upstream-unreachable");
    assert_eq!(down.access_log()["error"], "upstream GREETER: no such service");
    platform.answer(GREETER, FakeAnswer::Fail(FetchError::Timeout));
    send_on(&gateway, keyed(Method::Get, "/fn/greet/x"), &platform).problem(504, "upstream-timeout");
    // One that sends its head and then stalls is as slow: the read of its
    // answer ends with the route's timeout (here the body would fail only
    // after 1000 turns; the timer ends it first).
    platform.answer(
        GREETER,
        FakeAnswer::Stall {
            status: 200,
            turns: 1000,
        },
    );
    let stalled = send_on(&gateway, keyed(Method::Get, "/fn/greet/x"), &platform);
    stalled.problem(504, "upstream-timeout");
    // Nothing is called without credentials.
    let before = platform.sent.borrow().len();
    send_on(&gateway, get("/fn/greet"), &platform).problem(401, "unauthorized");
    assert_eq!(platform.sent.borrow().len(), before);
}

#[test]
fn a_head_is_the_functions_get_without_the_body() {
    // The function answers the GET it knows; the gateway drops the body.
    let platform = platform();
    answer(
        &platform,
        GREETER,
        200,
        br#"{"statusCode": 200, "headers": {"x-kind": "greeting"}, "body": "hi"}"#,
    );
    let head = send_on(
        &app_gateway(&dev_vars()),
        keyed(Method::Head, "/fn/greet/Ada"),
        &platform,
    );
    assert_eq!(head.status(), 200, "{}", head.text());
    assert_eq!(head.text(), "");
    assert_eq!(head.header("x-kind"), Some("greeting"));
    let event = event(&platform);
    assert_eq!(
        (event["method"].as_str(), event["httpMethod"].as_str()),
        (Some("GET"), Some("GET"))
    );
}

#[test]
fn headers_a_functions_connection_names_are_hop_by_hop() {
    let platform = platform();
    answer(
        &platform,
        GREETER,
        200,
        br#"{"statusCode": 200, "headers": {"Connection": "X-Internal, keep-alive", "x-internal": "1", "x-kept": "2"}, "body": "hi"}"#,
    );
    let answered = send_on(
        &app_gateway(&dev_vars()),
        keyed(Method::Get, "/fn/greet/Ada"),
        &platform,
    );
    assert_eq!(answered.status(), 200, "{}", answered.text());
    assert_eq!(answered.header("x-internal"), None);
    assert_eq!(answered.header("connection"), None);
    assert_eq!(answered.header("x-kept"), Some("2"));
}
