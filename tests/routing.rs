//! The app's route table and the seed routes, through the gateway's entry
//! point. The route table itself is tested with the framework
//! (crates/edgegate/tests/routing.rs).

mod support;

use edgegate::http::{Method, Request};
use edgegate_app::{self as app, RouteOptions};
use support::*;

#[test]
fn the_real_route_table_builds() {
    app::routes(RouteOptions::default()).expect("the application route table");
    app::routes(RouteOptions { debug_routes: true }).expect("the route table with debug routes");
}

#[test]
fn seed_routes_answer_exactly_as_the_seeds() {
    let gateway = app_gateway(&dev_vars());
    let hello = send(&gateway, get("/hello"));
    assert_eq!((hello.status(), hello.text().as_str()), (200, "Hello, World!"));
    assert_eq!(hello.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(send(&gateway, get("/goodbye")).text(), "Goodbye, World!");
    assert_eq!(send(&gateway, get("/users/42")).text(), r#"{"userId":"42"}"#);
    assert_eq!(
        send(&gateway, get("/search?q=hello&page=2")).text(),
        r#"{"searchTerm":"hello","page":2}"#
    );
    assert_eq!(
        send(&gateway, get("/search?q=hello")).text(),
        r#"{"searchTerm":"hello","page":null}"#
    );
}

#[test]
fn greet_follows_the_seed_rules() {
    let gateway = app_gateway(&dev_vars());
    let greet = |target: &str, body: Option<&str>| {
        let mut request = Request::new(Method::Post, target).with_header("x-api-key", DEV_KEY);
        if let Some(body) = body {
            request = request.with_header("content-type", "application/json").with_body(body);
        }
        send(&gateway, request).json()["message"].clone()
    };
    assert_eq!(
        greet("/api/greet/Alice?lang=es", Some(r#"{"title":"Dr."}"#)),
        "Hola, Dr. Alice!"
    );
    assert_eq!(greet("/api/greet/Alice?lang=fr", None), "Bonjour, Alice!");
    assert_eq!(greet("/api/greet/Alice?lang=de", None), "Hello, Alice!");
    assert_eq!(greet("/api/greet/Alice", Some("{}")), "Hello, Alice!");
    assert_eq!(greet("/api/greet/Jos%C3%A9%20Mar%C3%ADa", None), "Hello, José María!");
    // The body is an object, as the document says: the same field as an
    // array (which serde would read into the struct) is refused.
    let array = Request::new(Method::Post, "/api/greet/Alice")
        .with_header("x-api-key", DEV_KEY)
        .with_header("content-type", "application/json")
        .with_body(r#"["Dr."]"#);
    send(&gateway, array).problem(422, "invalid-body");
}

#[test]
fn unknown_paths_are_404_problems() {
    let gateway = app_gateway(&dev_vars());
    send(&gateway, get("/nope")).problem(404, "not-found");
    send(&gateway, get("/hello/")).problem(404, "not-found");
    send(&gateway, get("/users")).problem(404, "not-found");
}

#[test]
fn wrong_methods_are_405_with_allow() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(&gateway, Request::new(Method::Delete, "/hello"));
    exchange.problem(405, "method-not-allowed");
    assert_eq!(exchange.header("allow"), Some("GET, HEAD, OPTIONS"));
    let post_only = send(&gateway, get("/api/greet/x"));
    assert_eq!(post_only.header("allow"), Some("POST, OPTIONS"));
    let extension = send(&gateway, Request::new(Method::parse("PURGE"), "/hello"));
    extension.problem(405, "method-not-allowed");
}

#[test]
fn head_answers_with_the_get_status_and_headers_and_no_body() {
    let gateway = app_gateway(&dev_vars());
    let get_response = send(&gateway, get("/users/7")).response;
    let head = send(&gateway, Request::new(Method::Head, "/users/7"));
    assert_eq!(head.status(), 200);
    assert_eq!(head.header("content-type"), get_response.header("content-type"));
    assert!(head.text().is_empty());
    // The length a GET's body would have (RFC 9110 §9.3.2), errors included.
    let get_length = send(&gateway, get("/users/7")).text().len().to_string();
    assert_eq!(head.header("content-length"), Some(get_length.as_str()));
    let missing = send(&gateway, Request::new(Method::Head, "/nope"));
    assert_eq!(missing.status(), 404);
    assert!(missing.text().is_empty());
    let missing_length = send(&gateway, get("/nope")).text().len().to_string();
    assert_eq!(missing.header("content-length"), Some(missing_length.as_str()));
}

#[test]
fn plain_options_is_204_with_allow() {
    let gateway = app_gateway(&dev_vars());
    let exchange = send(&gateway, Request::new(Method::Options, "/users/1"));
    assert_eq!(exchange.status(), 204);
    assert_eq!(exchange.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert!(exchange.text().is_empty());
    let any = send(&gateway, Request::new(Method::Options, "/echo"));
    assert_eq!(
        any.header("allow"),
        Some("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
    );
}

#[test]
fn echo_answers_every_method_and_the_catch_all() {
    let gateway = app_gateway(&dev_vars());
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let body = send(&gateway, Request::new(Method::parse(method), "/echo/a/b%20c?x=1")).json();
        assert_eq!(body["method"], method);
        assert_eq!(body["httpMethod"], method);
        assert_eq!(body["path"], "/echo/a/b c");
        assert_eq!(body["params"]["rest"], "a/b c");
        assert_eq!(body["pathParameters"]["rest"], "a/b c");
        assert_eq!(body["query"]["x"], "1");
        assert_eq!(body["queryParameters"]["x"], "1");
    }
    // `ANY` is the seven methods `Allow` names, as API Gateway's: an
    // extension method is a 405 (the OpenAPI document cannot list it).
    for method in ["PROPFIND", "QUERY", "TRACE"] {
        let refused = send(&gateway, Request::new(Method::parse(method), "/echo/a"));
        refused.problem(405, "method-not-allowed");
        assert_eq!(
            refused.header("allow"),
            Some("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        );
    }
    let root = send(&gateway, get("/echo")).json();
    assert_eq!(root["params"], serde_json::json!({}));
    assert_eq!(root["body"], serde_json::Value::Null);
    assert_eq!(root["isBase64Encoded"], false);
}

#[test]
fn only_routes_whose_handlers_take_every_header_get_them_all() {
    let gateway = app_gateway(&dev_vars());
    let needs_all = |method: Method, target: &str| gateway.needs_all_headers(&Request::new(method, target));
    // The seed event (/echo) and the items create (Idempotency-Key via Headers) read any header.
    assert!(needs_all(Method::Get, "/echo"));
    assert!(needs_all(Method::Put, "/echo/a/b"));
    assert!(needs_all(Method::Post, "/items"));
    // Everything else reads only what the gateway reads.
    assert!(!needs_all(Method::Get, "/hello"));
    assert!(!needs_all(Method::Head, "/hello"));
    assert!(!needs_all(Method::Get, "/users/7"));
    assert!(!needs_all(Method::Post, "/api/greet/Al"));
    assert!(!needs_all(Method::Options, "/api/greet/Al"));
    assert!(!needs_all(Method::Get, "/items"));
    assert!(!needs_all(Method::Get, "/nowhere"));
    assert!(!needs_all(Method::Delete, "/hello"));

    // Through the adapter's path, /echo still sees a header the gateway never reads.
    let echoed = send(&gateway, get("/echo").with_header("X-Trace", "t-1")).json();
    assert_eq!(echoed["headers"]["x-trace"], "t-1");

    // Where the entry passes them all at once: paths whose every route reads
    // them (POST /items does, GET /items does not), never `/` alone.
    let paths = gateway.all_headers_paths();
    assert!(paths.iter().any(|p| p == "/echo"), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/origin/"), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/partners/events"), "{paths:?}");
    for target in [
        "/hello",
        "/users/7",
        "/items",
        "/items/7",
        "/api/greet/Al",
        "/me",
        "/nowhere",
    ] {
        assert!(
            !paths.iter().any(|p| target.starts_with(p.as_str())),
            "{target}: {paths:?}"
        );
    }
    for prefix in paths {
        assert!(prefix.len() > 1 && !prefix.contains('{'), "{prefix}");
        let reads_all =
            |method: fn() -> Method| needs_all(method(), prefix) || needs_all(method(), &format!("{prefix}x"));
        assert!(reads_all(|| Method::Get) || reads_all(|| Method::Post), "{prefix}");
    }
    // None for a gateway that refuses everything.
    let refusing = app_gateway(&with_var(dev_vars(), "API_KEYS", "not json"));
    assert!(refusing.misconfiguration().is_some());
    assert!(refusing.all_headers_paths().is_empty());
}
