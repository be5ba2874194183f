//! Gateway policies on test tables (API keys, body limits, CORS on errors,
//! response headers, access as a value, statuses), through the gateway's
//! entry point. The app's routes under its settings are tested with the app
//! (tests/policies.rs).

mod support;

use edgegate::gateway::Gateway;
use edgegate::http::{Response, Status};
use edgegate::policy::public;
use edgegate::routing::{Group, Route};
use support::*;

/// The routes of [`key_or_token_routes`], with the `firebase` provider.
fn key_or_token_gateway() -> Gateway<()> {
    test_gateway(
        key_or_token_routes(),
        &with_var(test_vars(), "JWT_PROVIDERS", DEV_JWT_PROVIDERS),
    )
}

#[test]
fn a_handler_reads_the_authenticated_consumer() {
    use edgegate::extract::Consumer;
    let gateway = test_gateway(
        vec![edgegate::routing::Route::get("/me", |Consumer(name): Consumer| async move { name }).api_key()],
        &test_vars(),
    );
    assert_eq!(
        send(&gateway, get("/me").with_header("x-api-key", DEV_KEY)).text(),
        "dev"
    );
}

#[test]
fn routes_and_groups_set_their_own_body_limit() {
    async fn took(body: edgegate::extract::Bytes) -> String {
        body.0.len().to_string()
    }
    let mut routes = vec![
        Route::post("/small", took).public().max_body_bytes(4),
        Route::post("/default", took).public(),
    ];
    routes.extend(
        Group::new("/tiny")
            .max_body_bytes(2)
            .access(public())
            .routes([Route::post("/a", took), Route::post("/b", took).max_body_bytes(8)]),
    );
    let gateway = test_gateway(routes, &with_var(test_vars(), "MAX_BODY_BYTES", "16"));
    send(&gateway, post_json("/small", "12345")).problem(413, "body-too-large");
    send(&gateway, post_json("/tiny/a", "123")).problem(413, "body-too-large");
    assert_eq!(send(&gateway, post_json("/tiny/b", "1234567")).text(), "7");
    assert_eq!(send(&gateway, post_json("/default", "0123456789abcdef")).text(), "16");
}

#[test]
fn unprocessable_and_internal_errors_carry_cors_headers_too() {
    let gateway = test_gateway(
        vec![
            edgegate::routing::Route::get("/fail", || async {
                Err::<&str, _>(edgegate::problem::ApiError::internal("boom"))
            })
            .public(),
            edgegate::routing::Route::post(
                "/shape",
                |edgegate::extract::Json(_): edgegate::extract::Json<std::collections::BTreeMap<String, u8>>| async {
                    "ok"
                },
            )
            .public(),
        ],
        &test_vars(),
    );
    for (request, status) in [(get("/fail"), 500), (post_json("/shape", r#"{"a": "x"}"#), 422)] {
        let exchange = send(&gateway, request.with_header("origin", FRONTEND));
        assert_eq!(exchange.status(), status);
        assert_eq!(exchange.header("access-control-allow-origin"), Some(FRONTEND));
        assert_eq!(
            exchange.header("access-control-expose-headers"),
            Some("x-request-id, ratelimit, ratelimit-policy, retry-after, server-timing")
        );
    }
}

fn with_header_from_handler(value: &'static str) -> Gateway<()> {
    let handler = move || async move { Response::text(Status::OK, "hi").with_header("x-evil", value) };
    test_gateway(vec![Route::get("/evil", handler).public()], &test_vars())
}

#[test]
fn a_response_header_that_would_be_invalid_is_the_gateways_500_logged_under_the_request_id() {
    for value in ["a\r\nset-cookie: x=1", "a\nb", "nul\0", "del\u{7f}"] {
        let gateway = with_header_from_handler(value);
        let request = get("/evil")
            .with_header("x-request-id", "evil-1")
            .with_header("origin", FRONTEND);
        let exchange = send(&gateway, request);
        exchange.problem(500, "internal");
        assert_eq!(exchange.header("x-evil"), None);
        assert_eq!(exchange.header("access-control-allow-origin"), Some(FRONTEND));
        let log = exchange.access_log();
        assert_eq!(log["request_id"], "evil-1");
        assert_eq!(log["status"], 500);
        assert!(log["error"].as_str().unwrap().contains("x-evil"), "{log}");
        assert!(!log["error"].as_str().unwrap().contains("set-cookie"), "{log}");
    }
    assert_eq!(
        send(&with_header_from_handler("fine ünïcode"), get("/evil")).status(),
        200
    );
    // A name that is not a token (a space, a colon, a non-ASCII letter).
    for name in ["bad name", "x:y", "ünï", ""] {
        let handler = move || async move { Response::text(Status::OK, "hi").with_header(name, "v") };
        let gateway = test_gateway(vec![Route::get("/evil", handler).public()], &test_vars());
        let exchange = send(&gateway, get("/evil"));
        exchange.problem(500, "internal");
        let log = exchange.access_log();
        assert!(
            log["error"].as_str().unwrap().contains("not a token"),
            "{name:?}: {log}"
        );
    }
}

#[test]
fn a_route_may_take_a_key_or_a_token() {
    let gateway = key_or_token_gateway();
    let keyed = send(&gateway, get("/either").with_header("x-api-key", DEV_KEY));
    assert_eq!(keyed.text(), "dev via api_key");
    assert_eq!(keyed.access_log()["principal"], "dev");

    let none = send(&gateway, get("/either"));
    none.problem(401, "unauthorized");
    assert_eq!(
        none.header("www-authenticate"),
        Some(r#"ApiKey header="x-api-key", query="key", Bearer realm="firebase""#)
    );
    assert!(none.json()["detail"].as_str().unwrap().contains("or a bearer token"));
}

#[test]
fn an_invalid_token_beside_a_key_decides_nothing_alone() {
    let gateway = key_or_token_gateway();
    for target in ["/either", "/token"] {
        let token = send(
            &gateway,
            get(target).with_header("authorization", "Bearer eyJhbGciOiJub25lIn0.e30."),
        );
        let body = token.problem(401, "unauthorized");
        assert_eq!(body["detail"], "The token's algorithm is not accepted.");
        assert!(!body.to_string().contains("eyJ"), "the token is never echoed");
    }
    // A wrong key beside a token is still refused; a right key still admits.
    let wrong = get("/either")
        .with_header("authorization", "Bearer x")
        .with_header("x-api-key", "wrong");
    send(&gateway, wrong).problem(401, "unauthorized");
    let both = get("/either")
        .with_header("authorization", "Bearer x")
        .with_header("x-api-key", DEV_KEY);
    assert_eq!(send(&gateway, both).status(), 200);
}

#[test]
fn a_public_route_has_no_principal() {
    let gateway = key_or_token_gateway();
    assert_eq!(send(&gateway, get("/open")).text(), "anonymous");
    assert_eq!(
        send(&gateway, get("/open").with_header("x-api-key", DEV_KEY)).text(),
        "anonymous"
    );
}

#[test]
fn a_status_the_runtime_cannot_send_is_a_500_and_bodyless_statuses_carry_no_body() {
    async fn informational() -> Status {
        Status(101)
    }
    async fn too_high() -> (Status, &'static str) {
        (Status(600), "x")
    }
    async fn not_modified() -> (Status, &'static str) {
        (Status(304), "stale body")
    }
    let gateway = test_gateway(
        vec![
            Route::get("/101", informational).public(),
            Route::get("/600", too_high).public(),
            Route::get("/304", not_modified).public(),
        ],
        &test_vars(),
    );
    for target in ["/101", "/600"] {
        let exchange = send(&gateway, get(target));
        exchange.problem(500, "internal");
        assert!(exchange.access_log()["error"]
            .as_str()
            .unwrap()
            .contains("cannot be sent"));
    }
    let not_modified = send(&gateway, get("/304"));
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.text(), "");
}

#[test]
fn the_selection_with_bearer_is_the_plain_one_and_authorization() {
    use edgegate::gateway::{READ_HEADERS, READ_HEADERS_WITH_BEARER};
    assert_eq!(&READ_HEADERS_WITH_BEARER[..READ_HEADERS.len()], READ_HEADERS);
    assert_eq!(READ_HEADERS_WITH_BEARER.len(), READ_HEADERS.len() + 1);
    assert_eq!(READ_HEADERS_WITH_BEARER.last(), Some(&"authorization"));
}
