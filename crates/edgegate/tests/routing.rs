//! The route table: how it is built, refused and matched, through the
//! gateway's entry point. The app's table and seed routes are tested with
//! the app (tests/routing.rs).

mod support;

use edgegate::http::{Method, Request};
use edgegate::routing::{Route, RouteError, RouteTable};
use support::*;

async fn ok() -> &'static str {
    "ok"
}

#[test]
fn bad_tables_fail_to_build_with_clear_messages() {
    let cases: Vec<(Vec<Route<()>>, &str)> = vec![
        (
            vec![
                Route::get("/users/{id}", ok).public(),
                Route::get("/users/{name}", ok).public(),
            ],
            "route `/users/{name}` conflicts with route `/users/{id}`",
        ),
        (
            vec![Route::get("/a", ok).public(), Route::get("/a", ok).api_key()],
            "route `GET /a` is declared twice",
        ),
        (
            vec![Route::any("/a", ok).public(), Route::any("/a", ok).public()],
            "route `ANY /a` is declared twice",
        ),
        (
            vec![Route::get("/a", ok)],
            "route `GET /a` does not declare its access: add `.public()`, `.api_key()` or `.access(..)`",
        ),
        (
            vec![Route::get("a", ok).public()],
            "route `a` is malformed: a route path must start with `/`",
        ),
        (
            vec![Route::get("/a/{id", ok).public()],
            "route `/a/{id` is malformed: a `{` has no closing `}`",
        ),
        (
            vec![Route::get("/a/{}", ok).public()],
            "route `/a/{}` is malformed: a parameter needs a name, as in `{id}`",
        ),
        (
            vec![Route::get("/a/{id}/b/{id}", ok).public()],
            "route `/a/{id}/b/{id}` is malformed: parameter `id` appears twice",
        ),
        (
            vec![Route::get("/a?x=1", ok).public()],
            "route `/a?x=1` is malformed: a route path cannot contain `?` or `#`",
        ),
        (
            vec![
                Route::get("/a", ok).public().cors("one"),
                Route::post("/a", ok).public().cors("two"),
            ],
            "routes on `/a` name different CORS profiles: a path has one",
        ),
    ];
    for (routes, message) in cases {
        let error = RouteTable::new(routes).err().expect(message);
        assert_eq!(error.to_string(), message);
    }
    let catch_all_in_middle = RouteTable::<()>::new(vec![Route::get("/a/{*rest}/b", ok).public()]).err();
    assert!(matches!(catch_all_in_middle, Some(RouteError::InvalidPath { .. })));
}

#[test]
fn an_upstream_route_never_drops_a_path_parameter() {
    use edgegate::upstream::{function, origin, service};
    // The matched remainder is all an origin or a service gets: `/users/7`
    // and `/users/8` would be one call (a DELETE of the base itself).
    for template in ["/users/{id}", "/users/{id}/orders/{*rest}"] {
        for upstream in [origin("users"), service("USERS")] {
            let error = RouteTable::<()>::new(vec![Route::to(Some(Method::Delete), template, upstream).public()])
                .err()
                .expect(template);
            assert!(error.to_string().contains("parameter `id` would be dropped"), "{error}");
        }
    }
    // What carries every parameter is taken: the remainder alone, the
    // parameters in the query, or a function's event.
    for route in [
        Route::any_to("/users/{*rest}", origin("users")),
        Route::any_to("/users", origin("users")),
        Route::to(Some(Method::Delete), "/users/{id}", origin("users").constant_address()),
        Route::to(
            Some(Method::Delete),
            "/users/{id}/orders/{*rest}",
            origin("users").constant_address(),
        ),
        Route::to(Some(Method::Get), "/greet/{name}", function("GREETER")),
        // `{{*}}` is a literal, no catch-all.
        Route::any_to("/x/{{*}}", origin("users")),
    ] {
        assert!(RouteTable::<()>::new(vec![route.public()]).is_ok());
    }
}

#[test]
fn a_bad_table_makes_a_gateway_that_refuses_everything() {
    let gateway = test_gateway(vec![Route::get("/a", ok)], &test_vars());
    let exchange = send(&gateway, get("/a"));
    exchange.problem(500, "misconfigured");
    assert!(
        exchange.logs.iter().any(|l| l.contains("does not declare its access")),
        "{:?}",
        exchange.logs
    );
}

#[test]
fn explicit_routes_win_over_any_and_head_routes_can_be_declared() {
    async fn head_only() -> &'static str {
        "head"
    }
    let gateway = test_gateway(
        vec![
            Route::any("/thing", || async { "any" }).public(),
            Route::get("/thing", || async { "get" }).public(),
            Route::head("/thing", head_only).public(),
        ],
        &[],
    );
    assert_eq!(send(&gateway, get("/thing")).text(), "get");
    assert_eq!(send(&gateway, Request::new(Method::Put, "/thing")).text(), "any");
    let head = send(&gateway, Request::new(Method::Head, "/thing"));
    assert_eq!((head.status(), head.text().as_str()), (200, ""));
}

#[test]
fn allow_and_preflights_name_the_extension_methods_a_path_declares() {
    let gateway = test_gateway(
        vec![
            Route::get("/search", || async { "get" }).public(),
            Route::new(Some(Method::parse("QUERY")), "/search", || async { "query" }).public(),
            Route::new(Some(Method::parse("PROPFIND")), "/search", || async { "propfind" }).public(),
        ],
        &test_vars(),
    );
    assert_eq!(
        send(&gateway, Request::new(Method::parse("QUERY"), "/search")).text(),
        "query"
    );
    let refused = send(&gateway, Request::new(Method::Delete, "/search"));
    refused.problem(405, "method-not-allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS, QUERY, PROPFIND"));
    let options = send(&gateway, Request::new(Method::Options, "/search"));
    assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS, QUERY, PROPFIND"));
    // A browser asks before a cross-origin QUERY: the preflight allows it.
    let preflight = send(
        &gateway,
        Request::new(Method::Options, "/search")
            .with_header("origin", "http://localhost:5173")
            .with_header("access-control-request-method", "QUERY"),
    );
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS, QUERY, PROPFIND")
    );
    // Another extension method is still refused, and named nowhere.
    let other = send(&gateway, Request::new(Method::parse("PATCHX"), "/search"));
    other.problem(405, "method-not-allowed");
    assert!(!other.header("allow").unwrap().contains("PATCHX"));
}

#[test]
fn groups_prefix_their_routes_and_fill_in_what_a_route_leaves_unset() {
    use edgegate::policy::{api_key, public, Access};
    use edgegate::routing::Group;
    let routes = Group::new("/api/")
        .access(api_key())
        .cors("partners")
        .routes([Route::get("/keyed", ok), Route::get("/open", ok).public()]);
    let table = RouteTable::<()>::new(routes).unwrap();
    let keyed = &table.paths()[table.index_of("/api/keyed").unwrap()];
    let open = &table.paths()[table.index_of("/api/open").unwrap()];
    assert_eq!(keyed.endpoint(&Method::Get).unwrap().access, Access::ApiKey);
    assert_eq!(open.endpoint(&Method::Get).unwrap().access, public());
    assert_eq!(keyed.cors.as_deref(), Some("partners"));
    assert_eq!(open.cors.as_deref(), Some("partners"));
}

#[test]
fn the_document_says_what_any_request_may_get_and_which_routes_ask_for_credentials() {
    // `any_of([public(), ..])` admits everyone, so the gateway runs no
    // authentication there: the document asks for no credential either.
    // Every operation lists the 400 `invalid-request` (a malformed target,
    // or Content-Length beside Transfer-Encoding).
    use edgegate::openapi::{document, Info};
    use edgegate::policy::{any_of, api_key, public};
    async fn hello() -> &'static str {
        "hello"
    }
    let table = edgegate::routing::RouteTable::<()>::new([
        Route::get("/either", hello).access(any_of([public(), api_key()])),
        Route::get("/keyed", hello).access(any_of([api_key()])),
    ])
    .expect("a table");
    let vars = test_vars();
    let settings =
        edgegate::config::Settings::load(|name| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
            .expect("settings");
    let info = Info {
        title: "t",
        version: "1",
        description: "d",
    };
    let doc = document(&table, &settings, &info);
    let either = &doc["paths"]["/either"]["get"];
    assert!(either.get("security").is_none(), "{either}");
    assert!(either["responses"].get("401").is_none(), "{either}");
    let keyed = &doc["paths"]["/keyed"]["get"];
    assert!(keyed["security"].is_array(), "{keyed}");
    assert!(keyed["responses"].get("401").is_some(), "{keyed}");
    for op in [either, keyed] {
        assert!(op["responses"]["400"].to_string().contains("invalid-request"), "{op}");
    }
}

#[test]
fn a_204_or_205_carries_no_body_and_no_content_type() {
    use edgegate::extract::Json;
    use edgegate::http::Status;
    let gateway = test_gateway(
        vec![
            Route::get("/none", || async {
                (Status(204), Json(serde_json::json!({"ok": true})))
            })
            .public(),
            Route::get("/reset", || async { (Status(205), "text") }).public(),
        ],
        &test_vars(),
    );
    for path in ["/none", "/reset"] {
        let answer = send_on(&gateway, get(path), &platform());
        assert!(matches!(answer.status(), 204 | 205), "{path}");
        assert!(answer.text().is_empty(), "{path}");
        assert_eq!(answer.header("content-type"), None, "{path}");
        assert_eq!(answer.header("content-length"), None, "{path}");
    }
}

#[test]
fn a_head_route_of_its_own_keeps_the_length_it_says() {
    use edgegate::http::{Response, Status};
    let gateway = test_gateway(
        vec![Route::head("/object", || async {
            Response::new(Status::OK).with_header("content-length", "1234")
        })
        .public()],
        &[],
    );
    let head = send(&gateway, Request::new(Method::Head, "/object"));
    assert_eq!(head.status(), 200);
    assert_eq!(head.header("content-length"), Some("1234"));
}
