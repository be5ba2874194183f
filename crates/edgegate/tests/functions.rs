//! Service and function upstreams on a test table, through the gateway's
//! one entry point, on the host: a service binding's plain forwarding and a
//! function's retry. The app's function route (`/fn/greet`), its event and
//! response objects are tested with the app (tests/functions.rs).

mod support;

use edgegate::gateway::BindingKind;

use edgegate::http::{Method, Request};
use edgegate::platform::FetchError;
use edgegate::routing::Route;
use edgegate::testing::{streamed_bytes, FakeAnswer, RecordingPlatform};
use edgegate::upstream::{function, service};
use support::*;

fn answer(platform: &RecordingPlatform, url: &str, status: u16, body: &[u8]) {
    respond(platform, url, status, &[("content-type", "application/json")], body);
}

fn keyed(method: Method, target: &str) -> Request {
    Request::new(method, target).with_header("x-api-key", DEV_KEY)
}

#[test]
fn a_service_binding_gets_the_request_by_the_forwarding_rules() {
    let routes = vec![
        Route::any_to("/svc/{*rest}", service("SVC")).api_key(),
        Route::any_to("/fn", function("FN").retry_idempotent()).public(),
    ];
    let gateway = test_gateway(routes, &test_vars());
    let bindings: Vec<_> = gateway.bindings().collect();
    assert_eq!(bindings, [("SVC", BindingKind::Service), ("FN", BindingKind::Service)]);
    let platform = platform();
    answer(&platform, "https://svc/a/b?x=1", 201, b"made");
    let request = keyed(Method::Post, "/svc/a/b?x=1&key=k")
        .with_header("content-type", "text/plain")
        .with_body("payload");
    let exchange = send_on(&gateway, request, &platform);
    assert_eq!(exchange.status(), 201);
    assert_eq!(streamed_bytes(&exchange.response).as_deref(), Some(&b"made"[..]));
    let sent = platform.sent.borrow()[0].clone();
    assert_eq!(sent.service.as_deref(), Some("SVC"));
    assert_eq!(sent.header("x-api-key"), None);
    assert!(sent.header("x-edgegate-principal").is_some());
    assert_eq!(sent.body, b"payload");

    // A function route that asks for it is called once more when unreachable (GET only).
    platform.answer("https://fn/", FakeAnswer::Fail(FetchError::Unreachable("reset".into())));
    send_on(&gateway, get("/fn"), &platform).problem(502, "upstream-unreachable");
    assert_eq!(platform.fetches_of("https://fn/"), 2);
    send_on(&gateway, Request::new(Method::Post, "/fn"), &platform).problem(502, "upstream-unreachable");
    assert_eq!(platform.fetches_of("https://fn/"), 3);
}
