//! Upstream routes on test tables through the gateway's one entry point,
//! on the host: a route's retry and a constant address, against the host
//! platform's scripted fetches. The app's `/origin/` route (the forwarding
//! rules both ways, streamed bodies, failures) is tested with the app
//! (tests/upstreams.rs).

mod support;

use edgegate::http::{Method, Request};
use edgegate::platform::FetchError;
use edgegate::policy::any_of;
use edgegate::routing::Route;
use edgegate::testing::FakeAnswer;
use edgegate::upstream::origin;
use serde_json::json;
use support::*;

fn keyed(method: Method, target: &str) -> Request {
    Request::new(method, target).with_header("x-api-key", DEV_KEY)
}

/// `routes` with these `UPSTREAMS` and the test settings.
fn gateway_to(upstreams: serde_json::Value, routes: Vec<Route<()>>) -> edgegate::gateway::Gateway<()> {
    test_gateway(routes, &with_var(test_vars(), "UPSTREAMS", &upstreams.to_string()))
}

#[test]
fn idempotent_requests_are_retried_once_when_the_route_asks() {
    let platform = platform();
    let url = "https://origin.test/flaky";
    platform.answer(url, FakeAnswer::Fail(FetchError::Unreachable("reset".into())));
    let gateway = gateway_to(
        json!({ "flaky": "https://origin.test/flaky" }),
        vec![
            Route::to(Some(Method::Get), "/flaky", origin("flaky").retry_idempotent()).public(),
            Route::to(Some(Method::Post), "/flaky", origin("flaky").retry_idempotent()).public(),
        ],
    );
    send_on(&gateway, get("/flaky"), &platform).problem(502, "upstream-unreachable");
    assert_eq!(platform.fetches_of(url), 2);
    send_on(&gateway, Request::new(Method::Post, "/flaky"), &platform).problem(502, "upstream-unreachable");
    assert_eq!(platform.fetches_of(url), 3, "a POST is never retried");
    // Only a target that cannot be reached is tried again: its answer,
    // even a 503, is the answer.
    respond(&platform, url, 503, &[], b"busy");
    let busy = send_on(&gateway, get("/flaky"), &platform);
    assert_eq!((busy.status(), busy.said()), (503, "busy".to_owned()));
    assert_eq!(platform.fetches_of(url), 4);
}

#[test]
fn a_constant_address_gets_the_path_parameters_in_its_query() {
    let platform = platform();
    let url = "https://fn.test/run?lang=es&name=Ana%20Mar%C3%ADa";
    respond(&platform, url, 200, &[], b"ok");
    let gateway = gateway_to(
        json!({ "fn": "https://fn.test/run" }),
        vec![
            Route::to(Some(Method::Get), "/greet/{name}", origin("fn").constant_address())
                .access(any_of([edgegate::policy::api_key()])),
        ],
    );
    let answer = send_on(
        &gateway,
        keyed(Method::Get, "/greet/Ana%20Mar%C3%ADa?lang=es"),
        &platform,
    );
    assert_eq!(answer.status(), 200, "{}", answer.text());
    assert_eq!(platform.sent.borrow()[0].url, url);
    // A client's query pair named like a path parameter (however encoded)
    // never stands beside it: an origin reading the first value would read
    // the client's, not the path the gateway routed.
    for spoof in [
        "name=Eve",
        "%6Eame=Eve",
        "name",
        "na%6De=Eve&name=Mallory",
        "NAME=Eve",
        "Name=Eve",
        "%4Eame=Eve",
    ] {
        let answer = send_on(
            &gateway,
            keyed(Method::Get, &format!("/greet/Ana%20Mar%C3%ADa?{spoof}&lang=es")),
            &platform,
        );
        assert_eq!(answer.status(), 200, "{spoof}: {}", answer.text());
        let sent = platform.sent.borrow().last().unwrap().url.clone();
        assert_eq!(sent, url, "{spoof}");
    }
    // Its parameters go in the query decoded: one that is not UTF-8 once
    // decoded is refused, and nothing is sent.
    let calls = platform.sent.borrow().len();
    let refused = send_on(&gateway, keyed(Method::Get, "/greet/caf%E9"), &platform);
    assert_eq!(refused.problem(400, "invalid-path-param")["param"], "name");
    assert_eq!(platform.sent.borrow().len(), calls);
}

/// `/up/{*rest}` to the origin `https://fn.test/run`, for a key.
fn keyed_origin() -> edgegate::gateway::Gateway<()> {
    gateway_to(
        json!({ "fn": "https://fn.test/run" }),
        vec![Route::any_to("/up/{*rest}", origin("fn")).access(any_of([edgegate::policy::api_key()]))],
    )
}

#[test]
fn an_upstream_header_that_cannot_be_sent_is_dropped_and_logged_not_the_answer() {
    // The runtime puts U+FFFD where an upstream's header bytes were not
    // UTF-8 (a Latin-1 file name): the upstream has acted already, so the
    // answer stands without that header.
    let platform = platform();
    let url = "https://fn.test/run/file";
    respond(
        &platform,
        url,
        201,
        &[
            ("x-file", "caf\u{FFFD}.txt"),
            ("x-ok", "fine"),
            ("x-bell", "a\u{7}b"),
            ("x:y", "a name that is no token"),
        ],
        b"made",
    );
    let gateway = keyed_origin();
    let answer = send_on(&gateway, keyed(Method::Post, "/up/file"), &platform);
    assert_eq!(answer.status(), 201, "{}", answer.text());
    assert_eq!(answer.header("x-ok"), Some("fine"));
    assert_eq!(answer.header("x-file"), None);
    assert_eq!(answer.header("x-bell"), None);
    assert_eq!(answer.header("x:y"), None);
    let warned: Vec<&String> = answer.logs.iter().filter(|l| l.contains("dropped")).collect();
    assert_eq!(warned.len(), 3, "{:?}", answer.logs);
    assert!(warned[2].contains("(not a token)"), "{}", warned[2]);
    assert!(
        warned[0].contains("x-file") && !warned[0].contains("caf"),
        "{}",
        warned[0]
    );
}

#[test]
fn a_key_in_the_query_is_found_beside_a_parameter_that_is_not_utf8() {
    // `q=caf%E9` is the origin's to read (a Latin-1 name), and hides no key.
    let platform = platform();
    respond(&platform, "https://fn.test/run/x?q=caf%E9", 200, &[], b"found");
    let gateway = keyed_origin();
    for target in ["/up/x?key=dev-local-key&q=caf%E9", "/up/x?q=caf%E9&k%65y=dev-local-key"] {
        let answer = send_on(&gateway, get(target), &platform);
        assert_eq!(answer.status(), 200, "{target}: {}", answer.text());
        assert_eq!(answer.said(), "found");
    }
    let wrong = send_on(&gateway, get("/up/x?key=dev-local-kez&q=caf%E9"), &platform);
    wrong.problem(401, "unauthorized");
}

#[test]
fn an_upstream_that_passes_authorization_gets_the_clients_exactly_and_no_other_does() {
    let platform = platform();
    respond(&platform, "https://fn.test/run/x", 200, &[], b"ok");
    let gateway = gateway_to(
        json!({ "fn": "https://fn.test/run" }),
        vec![
            Route::any_to("/pass/{*rest}", origin("fn").pass_authorization()).public(),
            Route::any_to("/drop/{*rest}", origin("fn")).public(),
        ],
    );
    let credential = "Bearer eyJ.origin-token.sig";
    for path in ["pass", "drop"] {
        let answer = send_on(
            &gateway,
            get(&format!("/{path}/x")).with_header("authorization", credential),
            &platform,
        );
        assert_eq!(answer.status(), 200, "{}", answer.text());
    }
    let sent = platform.sent.borrow();
    assert_eq!(sent[0].header("authorization"), Some(credential));
    assert_eq!(sent[0].headers.iter().filter(|(n, _)| n == "authorization").count(), 1);
    assert_eq!(sent[1].header("authorization"), None);
}
