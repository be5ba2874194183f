//! The route-policy phase through the gateway's entry point: a policy written
//! here, in one type, and added to routes with one line each — where it runs
//! in the fixed order (after preflight, IP rules and access; before the body),
//! what its refusal answers, and the headers it adds to every answer.

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use edgegate::http::{Method, Request, Response, Status};
use edgegate::platform::Platform;
use edgegate::policy::{public, PolicyFuture, Principal, RoutePolicy};
use edgegate::problem::{ApiError, ProblemKind};
use edgegate::routing::{Group, Route};
use support::*;

const CLOSED: ProblemKind = ProblemKind::new("closed", Status(503), "The service is closed now.");

/// A policy as a team would write one: closed to everyone but `allowed`,
/// labelling every answer. It records what it saw, for the tests.
struct OpeningHours {
    label: &'static str,
    allowed: &'static str,
    seen: Rc<RefCell<Vec<String>>>,
}

impl RoutePolicy for OpeningHours {
    fn check<'a>(&'a self, request: &'a mut Request, _platform: &'a dyn Platform) -> PolicyFuture<'a> {
        Box::pin(async move {
            let caller = Principal::of(request).map_or("nobody".to_owned(), |p| p.id.to_string());
            self.seen.borrow_mut().push(format!("{} {caller}", self.label));
            if caller == self.allowed || request.headers.get("x-open") == Some("yes") {
                Ok(())
            } else {
                Err(ApiError::of(CLOSED, "Closed for you.")
                    .with_header("retry-after", "60")
                    .into_response())
            }
        })
    }

    fn reads_headers(&self) -> &'static [&'static str] {
        &["x-open"]
    }

    fn decorate(&self, _request: &Request, response: &mut Response) {
        response.append_header("x-policy", self.label);
    }
}

fn hours(label: &'static str, allowed: &'static str, seen: &Rc<RefCell<Vec<String>>>) -> OpeningHours {
    OpeningHours {
        label,
        allowed,
        seen: seen.clone(),
    }
}

async fn ok() -> &'static str {
    "ok"
}

async fn missing() -> ApiError {
    ApiError::not_found("no such thing")
}

fn gateway(seen: &Rc<RefCell<Vec<String>>>) -> edgegate::gateway::Gateway<()> {
    let mut routes = vec![
        Route::post("/orders", ok)
            .api_key()
            .max_body_bytes(8)
            .policy(hours("orders", "dev", seen)),
        Route::get("/public", ok).public().policy(hours("public", "-", seen)),
    ];
    routes.extend(
        Group::new("/shop")
            .access(public())
            .policy(hours("group", "-", seen))
            .routes([
                Route::get("/open", ok).policy(hours("route", "-", seen)),
                Route::get("/missing", missing),
            ]),
    );
    test_gateway(routes, &test_vars())
}

#[test]
fn a_policy_runs_after_access_and_sees_the_principal() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let gateway = gateway(&seen);
    // Without a key: access answers, the policy never runs.
    send(&gateway, Request::new(Method::Post, "/orders")).problem(401, "unauthorized");
    assert!(seen.borrow().is_empty());
    // With one: it sees who calls, and lets the consumer `dev` through.
    let passed = send(
        &gateway,
        Request::new(Method::Post, "/orders").with_header("x-api-key", DEV_KEY),
    );
    assert_eq!((passed.status(), passed.text()), (200, "ok".to_owned()));
    assert_eq!(*seen.borrow(), ["orders dev"]);
    assert_eq!(passed.header("x-policy"), Some("orders"));
}

#[test]
fn a_refusal_answers_before_the_body_is_read_with_the_policys_headers() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let gateway = gateway(&seen);
    // A body over the route's limit would be a 413: the policy's refusal comes first.
    let refused = send(
        &gateway,
        Request::new(Method::Get, "/public").with_header("content-length", "999999"),
    );
    let problem = refused.problem(503, "closed");
    assert_eq!(problem["detail"], "Closed for you.");
    assert_eq!(refused.header("retry-after"), Some("60"));
    assert_eq!(refused.header("x-policy"), Some("public"));
    assert_eq!(refused.access_log()["problem"], "closed");
    // Past the policy, the body phase answers — and still carries its header.
    let large = Request::new(Method::Post, "/orders")
        .with_header("x-api-key", DEV_KEY)
        .with_body("more than eight bytes");
    let too_large = send(&gateway, large);
    too_large.problem(413, "body-too-large");
    assert_eq!(too_large.header("x-policy"), Some("orders"));
}

#[test]
fn a_groups_policies_run_before_a_routes_own_and_all_label_the_answer() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let gateway = gateway(&seen);
    let open = send(&gateway, get("/shop/open").with_header("x-open", "yes"));
    assert_eq!(open.status(), 200);
    assert_eq!(*seen.borrow(), ["group nobody", "route nobody"]);
    assert_eq!(
        open.response.header_values("x-policy").collect::<Vec<_>>(),
        ["group", "route"]
    );
    // The first refusal answers; later policies do not run, but every one labels the answer.
    seen.borrow_mut().clear();
    let closed = send(&gateway, get("/shop/open"));
    closed.problem(503, "closed");
    assert_eq!(*seen.borrow(), ["group nobody"]);
    assert_eq!(
        closed.response.header_values("x-policy").collect::<Vec<_>>(),
        ["group", "route"]
    );
    // A handler's own error is labelled too.
    let missing = send(&gateway, get("/shop/missing").with_header("x-open", "yes"));
    missing.problem(404, "not-found");
    assert_eq!(missing.header("x-policy"), Some("group"));
}

#[test]
fn preflights_and_unmatched_methods_never_reach_the_phase() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let gateway = gateway(&seen);
    let preflight = Request::new(Method::Options, "/orders")
        .with_header("origin", FRONTEND)
        .with_header("access-control-request-method", "POST");
    assert_eq!(send(&gateway, preflight).status(), 204);
    send(&gateway, Request::new(Method::Delete, "/orders")).problem(405, "method-not-allowed");
    send(&gateway, get("/nowhere")).problem(404, "not-found");
    assert!(seen.borrow().is_empty());
}

#[test]
fn a_policy_that_fails_to_build_without_a_reason_is_still_a_misconfiguration() {
    // An empty message means "already reported"; when nothing was, the
    // route must not run without its policy.
    struct Silent;
    impl edgegate::policy::PolicySpec for Silent {
        fn build(
            self: Rc<Self>,
            _: &mut edgegate::policy::Build<'_>,
        ) -> Result<Rc<dyn RoutePolicy>, edgegate::setting::ConfigError> {
            Err(edgegate::setting::ConfigError {
                setting: "SIGNATURES".to_owned(),
                message: String::new(),
            })
        }
    }
    async fn open() -> &'static str {
        "open"
    }
    let gateway = test_gateway::<()>(vec![Route::get("/guarded", open).public().policy(Silent)], &test_vars());
    let reasons = gateway.misconfiguration().expect("refused").join("\n");
    assert!(
        reasons.contains("/guarded") && reasons.contains("SIGNATURES"),
        "{reasons}"
    );
    send(&gateway, get("/guarded")).problem(500, "misconfigured");
}
