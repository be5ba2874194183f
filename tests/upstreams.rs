//! The app's upstream routes (`/origin/`, and `/fn/greet/` beside test
//! routes for the base path) through the gateway's one entry point, on the
//! host: the address, the forwarding rules both ways, streamed bodies and
//! failures, against the host platform's scripted fetches. A route's retry
//! and a constant address are tested with the framework
//! (crates/edgegate/tests/upstreams.rs); the real runtime end to end
//! (tests/e2e/upstreams.test.mjs).

mod support;

use edgegate::http::{Method, Request};
use edgegate::platform::FetchError;
use edgegate::routing::Route;
use edgegate::testing::{streamed_bytes, FakeAnswer, FakeBody};
use edgegate::upstream::origin;
use edgegate_app::AppState;
use serde_json::{json, Value};
use support::*;

const ORIGIN: &str = "https://origin.test/base";

fn app() -> edgegate::gateway::Gateway<AppState> {
    app_gateway(&with_var(
        dev_vars(),
        "UPSTREAMS",
        &json!({ "origin": ORIGIN }).to_string(),
    ))
}

fn keyed(method: Method, target: &str) -> Request {
    Request::new(method, target).with_header("x-api-key", DEV_KEY)
}

#[test]
fn the_request_is_forwarded_with_the_rules_of_a_trustworthy_proxy() {
    let platform = platform();
    respond(
        &platform,
        &format!("{ORIGIN}/a/b%20c?x=1&y=2"),
        200,
        &[("content-type", "text/plain")],
        b"hi",
    );
    let request = Request::new(Method::Put, "/origin/a/b%20c?x=1&key=dev-local-key&y=2")
        .with_header("x-api-key", DEV_KEY)
        .with_header("host", "gateway.example")
        .with_header("cf-connecting-ip", "203.0.113.9")
        .with_header("x-forwarded-for", "198.51.100.1")
        .with_header("x-forwarded-host", "spoofed.example")
        .with_header("forwarded", "for=10.0.0.1;host=spoofed.example;proto=https")
        .with_header("x-real-ip", "10.0.0.1")
        .with_header("true-client-ip", "10.0.0.1")
        .with_header("x_client_ip", "10.0.0.1")
        .with_header("x-forwarded-port", "8443")
        .with_header("x-forwarded-server", "spoofed.example")
        .with_header("x-forwarded-proto", "https")
        .with_header("x-forwarded-prefix", "/admin")
        .with_header("x-original-url", "/admin/delete")
        .with_header("x-rewrite-url", "/admin/delete")
        .with_header("x-edgegate-principal", "forged")
        .with_header("connection", "keep-alive, x-secret-hop")
        .with_header("x-secret-hop", "1")
        .with_header("keep-alive", "timeout=5")
        .with_header("te", "trailers")
        .with_header("trailer", "x-checksum")
        .with_header("upgrade", "websocket")
        .with_header("proxy-authorization", "Basic eA==")
        .with_header("authorization", "Bearer not-for-the-origin")
        .with_header("content-type", "text/plain")
        .with_header("x-custom", "kept")
        .with_header("x-request-id", "req-fwd-1")
        .with_body("payload");
    let answer = send_on(&app(), request, &platform);
    assert_eq!(answer.status(), 200, "{}", answer.text());
    let sent = platform.sent.borrow()[0].clone();
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("PUT", "https://origin.test/base/a/b%20c?x=1&y=2")
    );
    assert_eq!(sent.body, b"payload");
    for gone in [
        "x-api-key",
        "connection",
        "x-secret-hop",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "authorization",
        "host",
        // What an origin that trusts its proxy would read a forged client,
        // host or URL from.
        "forwarded",
        "x-real-ip",
        "true-client-ip",
        "x_client_ip",
        "x-forwarded-port",
        "x-forwarded-server",
        "x-forwarded-prefix",
        "x-original-url",
        "x-rewrite-url",
    ] {
        assert_eq!(sent.header(gone), None, "{gone} was forwarded");
    }
    assert_eq!(sent.header("x-custom"), Some("kept"));
    assert_eq!(sent.header("content-type"), Some("text/plain"));
    assert_eq!(sent.header("x-forwarded-for"), Some("198.51.100.1, 203.0.113.9"));
    assert_eq!(sent.header("x-forwarded-host"), Some("gateway.example"));
    // The gateway's own scheme, not the client's claim (`https`): one header.
    assert_eq!(sent.header("x-forwarded-proto"), Some("http"));
    assert_eq!(sent.headers.iter().filter(|(n, _)| n == "x-forwarded-proto").count(), 1);
    assert_eq!(sent.header("via"), Some("1.1 edgegate"));
    assert_eq!(sent.header("x-request-id"), Some("req-fwd-1"));
    // The principal, from the gateway only: the client's copy is gone.
    let forwarded: Vec<&str> = sent
        .headers
        .iter()
        .filter(|(n, _)| n == "x-edgegate-principal")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(forwarded.len(), 1);
    let decoded = edgegate::policy::jwt::token::base64url(forwarded[0]).unwrap();
    let principal: Value = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(
        principal,
        json!({"id": "dev", "scheme": "api_key", "provider": null, "claims": null})
    );
    // The access log names the upstream, its status and time.
    let log = answer.access_log();
    assert_eq!(
        (log["upstream"].as_str(), log["upstream_status"].as_u64()),
        (Some("origin"), Some(200))
    );
    assert!(log["upstream_ms"].is_number());
}

#[test]
fn the_gateway_is_appended_to_the_via_the_client_sent_never_put_in_its_place() {
    for (sent_via, expected) in [
        (
            "1.0 fred, 1.1 p.example.net",
            "1.0 fred, 1.1 p.example.net, 1.1 edgegate",
        ),
        ("  1.1 spaced  ", "1.1 spaced, 1.1 edgegate"),
        // None: the gateway's own entry only.
        ("", "1.1 edgegate"),
    ] {
        let platform = platform();
        respond(&platform, &format!("{ORIGIN}/v"), 200, &[], b"ok");
        let mut request = keyed(Method::Get, "/origin/v");
        if !sent_via.is_empty() {
            request = request.with_header("via", sent_via);
        }
        let answer = send_on(&app(), request, &platform);
        assert_eq!(answer.status(), 200, "{}", answer.text());
        let sent = platform.sent.borrow()[0].clone();
        assert_eq!(sent.header("via"), Some(expected), "after `{sent_via}`");
        let vias = sent.headers.iter().filter(|(name, _)| name == "via").count();
        assert_eq!(vias, 1, "one Via");
    }
}

#[test]
fn the_answer_comes_back_as_the_upstream_gave_it_less_hop_by_hop_and_cors() {
    let platform = platform();
    respond(
        &platform,
        &format!("{ORIGIN}/page"),
        404,
        &[
            ("content-type", "application/json"),
            ("set-cookie", "a=1; Path=/"),
            ("set-cookie", "b=2; Path=/"),
            ("connection", "x-hop"),
            ("x-hop", "secret"),
            ("transfer-encoding", "chunked"),
            ("content-length", "13"),
            ("proxy-authenticate", "Basic realm=\"origin\""),
            ("trailer", "x-checksum"),
            ("upgrade", "h2c"),
            ("keep-alive", "timeout=5"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-credentials", "true"),
            ("x-origin", "yes"),
        ],
        br#"{"missing":1}"#,
    );
    let request = keyed(Method::Get, "/origin/page").with_header("origin", FRONTEND);
    let answer = send_on(&app(), request, &platform);
    // The upstream's own 4xx passes unchanged, body streamed.
    assert_eq!(answer.status(), 404);
    assert_eq!(streamed_bytes(&answer.response).unwrap(), br#"{"missing":1}"#);
    let cookies: Vec<&str> = answer.response.header_values("set-cookie").collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2; Path=/"]);
    for gone in [
        "connection",
        "x-hop",
        "transfer-encoding",
        "content-length",
        "proxy-authenticate",
        "trailer",
        "upgrade",
        "keep-alive",
        "access-control-allow-credentials",
    ] {
        assert_eq!(answer.header(gone), None, "{gone} came back");
    }
    assert_eq!(answer.header("x-origin"), Some("yes"));
    // The gateway's CORS, not the upstream's.
    assert_eq!(answer.header("access-control-allow-origin"), Some(FRONTEND));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn redirects_are_passed_on_not_followed() {
    let platform = platform();
    respond(
        &platform,
        &format!("{ORIGIN}/old"),
        302,
        &[("location", "https://elsewhere.test/new")],
        b"",
    );
    let answer = send_on(&app(), keyed(Method::Get, "/origin/old"), &platform);
    assert_eq!(
        (answer.status(), answer.header("location")),
        (302, Some("https://elsewhere.test/new"))
    );
    assert_eq!(platform.sent.borrow().len(), 1);
}

#[test]
fn failures_are_the_gateways_502_and_504_never_the_clients() {
    let platform = platform();
    platform.answer(
        &format!("{ORIGIN}/down"),
        FakeAnswer::Fail(FetchError::Unreachable("connection refused".into())),
    );
    platform.answer(&format!("{ORIGIN}/slow"), FakeAnswer::Fail(FetchError::Timeout));
    let gateway = app();
    let down = send_on(&gateway, keyed(Method::Get, "/origin/down"), &platform);
    down.problem(502, "upstream-unreachable");
    assert!(
        !down.text().contains("connection refused"),
        "the cause stays in the log"
    );
    assert_eq!(down.access_log()["error"], "upstream origin: connection refused");
    assert_eq!(down.access_log()["upstream"], "origin");
    assert!(down.access_log().get("upstream_status").is_none());
    let slow = send_on(&gateway, keyed(Method::Get, "/origin/slow"), &platform);
    assert!(slow.problem(504, "upstream-timeout")["detail"]
        .as_str()
        .unwrap()
        .contains("15000 ms"));
    // Nothing is retried unless the route asks.
    assert_eq!(platform.fetches_of(&format!("{ORIGIN}/down")), 1);
}

#[test]
fn policies_run_before_anything_is_forwarded() {
    let platform = platform();
    respond(&platform, &format!("{ORIGIN}/x"), 200, &[], b"ok");
    let gateway = app();
    send_on(&gateway, Request::new(Method::Get, "/origin/x"), &platform).problem(401, "unauthorized");
    let preflight = send_on(
        &gateway,
        Request::new(Method::Options, "/origin/x")
            .with_header("origin", FRONTEND)
            .with_header("access-control-request-method", "POST"),
        &platform,
    );
    assert_eq!(preflight.status(), 204);
    // A declared body over the limit is refused before a byte goes anywhere.
    let big = keyed(Method::Post, "/origin/x")
        .with_header("content-length", "2000000")
        .with_body("x");
    send_on(&gateway, big, &platform).problem(413, "body-too-large");
    assert!(platform.sent.borrow().is_empty(), "{:?}", platform.sent.borrow());
}

#[test]
fn a_body_without_a_declared_length_streams_under_the_routes_limit() {
    let platform = platform();
    respond(&platform, &format!("{ORIGIN}/up"), 201, &[], b"");
    let gateway = app_gateway(&with_var(
        with_var(dev_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
        "MAX_BODY_BYTES",
        "10",
    ));
    let streamed = |body: &str| {
        let mut request = keyed(Method::Post, "/origin/up");
        request.body = edgegate::http::RequestBody::Stream(Box::new(FakeBody::new(body.as_bytes().to_vec())));
        request
    };
    let small = send_on(&gateway, streamed("0123456789"), &platform);
    assert_eq!(small.status(), 201);
    assert_eq!(platform.sent.borrow()[0].limit, Some(10));
    let large = send_on(&gateway, streamed("0123456789!"), &platform);
    large.problem(413, "body-too-large");
}

#[test]
fn upstream_settings_are_checked_and_names_must_match_both_ways() {
    for upstreams in [
        json!({}),
        json!({ "origin": "ftp://x.test" }),
        json!({ "origin": "https://x.test/?q=1" }),
        json!({ "origin": "https://x.test", "orgin": "https://y.test" }),
        json!({ "origin": 7 }),
    ] {
        let gateway = app_gateway(&with_var(dev_vars(), "UPSTREAMS", &upstreams.to_string()));
        let answer = send(&gateway, get("/hello"));
        answer.problem(500, "misconfigured");
        assert!(
            answer.logs.iter().any(|l| l.contains("UPSTREAMS")),
            "{upstreams}: {:?}",
            answer.logs
        );
    }
}

/// Every spelling of a step out of the base path the runtime's `fetch` (or
/// an origin) could resolve, shared with tests/e2e/security.test.mjs.
fn escapes() -> Vec<String> {
    serde_json::from_str(include_str!("fixtures/path-escapes.json")).expect("a JSON list of paths")
}

#[test]
fn an_upstream_route_never_leaves_its_base_path() {
    let services = || {
        vec![
            Route::any_to("/svc/{*rest}", edgegate::upstream::service("SVC")).api_key(),
            Route::any_to("/fnc/{*rest}", edgegate::upstream::function("FN")).api_key(),
            Route::to(Some(Method::Get), "/const/{*rest}", origin("origin").constant_address()).api_key(),
        ]
    };
    for base in [ORIGIN, "https://origin.test/base/"] {
        let vars = with_var(dev_vars(), "UPSTREAMS", &json!({ "origin": base }).to_string());
        let app = app_gateway(&vars);
        let custom = custom_gateway_keeping(services(), &vars, &["UPSTREAMS"]);
        for escape in escapes() {
            for (gateway, prefix) in [
                (&app, "/origin/"),
                (&app, "/fn/greet/"),
                (&custom, "/svc/"),
                (&custom, "/fnc/"),
                (&custom, "/const/"),
            ] {
                let platform = platform();
                let target = format!("{prefix}{escape}");
                let answer = send_on(gateway, keyed(Method::Get, &target), &platform);
                let problem = answer.problem(400, "invalid-path");
                assert!(problem["detail"].as_str().unwrap().contains("dot segment"));
                assert!(
                    platform.sent.borrow().is_empty(),
                    "{target} reached {:?}",
                    platform.sent.borrow()[0].url
                );
            }
        }
        // What stays inside passes, segment-wise under the base, with or
        // without its trailing slash (`/base` never becomes `/base-admin`).
        for (rest, url) in [
            ("a/b", "https://origin.test/base/a/b"),
            (".well-known/x", "https://origin.test/base/.well-known/x"),
            ("...", "https://origin.test/base/..."),
            ("a..b/c.d", "https://origin.test/base/a..b/c.d"),
            ("-admin", "https://origin.test/base/-admin"),
            ("a%2Fb", "https://origin.test/base/a%2Fb"),
        ] {
            let platform = platform();
            respond(&platform, url, 200, &[], b"ok");
            let answer = send_on(&app, keyed(Method::Get, &format!("/origin/{rest}")), &platform);
            assert_eq!(answer.status(), 200, "{base} {rest}: {}", answer.text());
            assert_eq!(platform.sent.borrow()[0].url, url);
        }
    }
}

/// Origins that map headers to CGI names read `x_edgegate_principal` as the
/// principal header: no spelling of a header the gateway sets passes.
#[test]
fn underscore_spellings_of_the_gateways_headers_never_reach_an_upstream() {
    let forged = [
        "x_edgegate_principal",
        "X-Edgegate_Principal",
        "x_forwarded_for",
        "x-forwarded_host",
        "X_Forwarded_Proto",
        "x_request_id",
        "x_api_key",
        "cf_connecting_ip",
    ];
    let with_forgeries = |mut request: Request| {
        for name in forged {
            request = request.with_header(name, "forged");
        }
        request.with_header("x_custom_thing", "kept")
    };
    let platform = platform();
    respond(&platform, &format!("{ORIGIN}/a"), 200, &[], b"ok");
    let answer = send_on(&app(), with_forgeries(keyed(Method::Get, "/origin/a")), &platform);
    assert_eq!(answer.status(), 200, "{}", answer.text());
    let sent = platform.sent.borrow()[0].clone();
    assert!(
        sent.headers.iter().all(|(_, value)| value != "forged"),
        "{:?}",
        sent.headers
    );
    assert_eq!(sent.header("x_custom_thing"), Some("kept"));
    assert_eq!(
        sent.headers.iter().filter(|(n, _)| n == "x-edgegate-principal").count(),
        1
    );

    // A function's event carries the same headers an origin would get.
    let platform = self::platform();
    platform.answer(
        "https://greeter/",
        edgegate::testing::FakeAnswer::Respond {
            status: 200,
            headers: vec![],
            body: br#"{"statusCode": 200, "body": "hi"}"#.to_vec(),
        },
    );
    let answer = send_on(&app(), with_forgeries(keyed(Method::Get, "/fn/greet/ada")), &platform);
    assert_eq!(answer.status(), 200, "{}", answer.text());
    let event: Value = serde_json::from_slice(&platform.sent.borrow()[0].body).unwrap();
    let headers = event["headers"].as_object().unwrap();
    assert!(headers.values().all(|value| value != "forged"), "{headers:?}");
    assert_eq!(headers["x_custom_thing"], "kept");
}

#[test]
fn a_clients_x_forwarded_for_never_reaches_the_origin_alone() {
    // Without a client address of its own (no CF-Connecting-IP: called
    // through a service binding, or under plain workerd) the gateway has
    // nothing to append, and the client's list would end in an entry the
    // client chose: it is dropped.
    let platform = platform();
    respond(&platform, &format!("{ORIGIN}/a"), 200, &[], b"ok");
    let request = keyed(Method::Get, "/origin/a").with_header("x-forwarded-for", "10.0.0.1");
    assert_eq!(send_on(&app(), request, &platform).status(), 200);
    let sent = platform.sent.borrow()[0].clone();
    assert_eq!(sent.header("x-forwarded-for"), None, "{:?}", sent.headers);
}

#[test]
fn an_upstreams_server_timing_reaches_only_who_is_told_the_gateways() {
    let platform = platform();
    respond(
        &platform,
        &format!("{ORIGIN}/t"),
        200,
        &[("server-timing", "db;dur=53")],
        b"ok",
    );
    // The default (`authenticated`): an authenticated caller gets the gateway's.
    let told = send_on(&app(), keyed(Method::Get, "/origin/t"), &platform);
    let timing = told.header("server-timing").expect("told");
    assert!(
        timing.contains("upstream;dur=") && !timing.contains("db;dur"),
        "{timing}"
    );
    // Off: neither the gateway's nor the origin's.
    let off = app_gateway(&with_var(
        with_var(dev_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
        "SERVER_TIMING",
        "off",
    ));
    let untold = send_on(&off, keyed(Method::Get, "/origin/t"), &platform);
    assert_eq!(untold.status(), 200);
    assert_eq!(untold.header("server-timing"), None);
}

#[test]
fn a_path_that_is_not_utf8_once_decoded_reaches_an_origin_as_sent() {
    // The origin gets the raw path: a Latin-1 file name is its to serve.
    // A function, whose event carries the decoded parameters, refuses it.
    let platform = platform();
    respond(&platform, &format!("{ORIGIN}/caf%E9.txt"), 200, &[], b"latin-1");
    let answer = send_on(&app(), keyed(Method::Get, "/origin/caf%E9.txt"), &platform);
    assert_eq!(answer.status(), 200, "{}", answer.text());
    assert_eq!(platform.sent.borrow()[0].url, format!("{ORIGIN}/caf%E9.txt"));
    let function = send_on(&app(), keyed(Method::Get, "/fn/greet/caf%E9"), &platform);
    function.problem(400, "invalid-path-param");
}
