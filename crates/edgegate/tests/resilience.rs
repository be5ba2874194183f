//! Upstream resilience through the gateway's one entry point, on the host:
//! several targets per upstream (weighted, sticky), failover with a retry
//! budget, passive health (ejection, half-open recovery), canaries, and the
//! settings that say so, hostile ones included. The host platform's fetches
//! are scripted per target URL; its randomness is seeded where shares are counted.

mod support;

use edgegate::http::{Method, Request};
use edgegate::platform::FetchError;
use edgegate::policy::{any_of, api_key, jwt};
use edgegate::routing::Route;
use edgegate::testing::{FakeAnswer, RecordingPlatform};
use edgegate::upstream::{function, origin, service};
use serde_json::{json, Value};
use support::tokens::{bearer, providers, rsa_key, token_with};
use support::*;

const EU: &str = "https://eu.origin.test/v1";
const US: &str = "https://us.origin.test/v1";

fn unreachable() -> FakeAnswer {
    FakeAnswer::Fail(FetchError::Unreachable("Network connection lost.".into()))
}

fn ok(platform: &RecordingPlatform, url: &str, body: &str) {
    respond(platform, url, 200, &[], body.as_bytes());
}

/// `/o/{*rest}` → `origin` with these `UPSTREAMS`, any caller with a key; consumers `c0`..`c39`.
fn gateway_with(upstreams: Value) -> edgegate::gateway::Gateway<()> {
    let keys: serde_json::Map<String, Value> = (0..40).map(|i| (format!("key-{i}"), json!(format!("c{i}")))).collect();
    let vars = with_var(
        with_var(test_vars(), "UPSTREAMS", &upstreams.to_string()),
        "API_KEYS",
        &Value::Object(keys).to_string(),
    );
    let gateway = test_gateway(
        vec![
            Route::any_to("/o/{*rest}", origin("origin")).public(),
            Route::any_to("/k/{*rest}", origin("origin")).access(any_of([api_key()])),
        ],
        &vars,
    );
    assert_eq!(gateway.misconfiguration(), None);
    gateway
}

fn two_targets(extra: Value) -> Value {
    let mut origin = json!({"targets": [{"url": EU, "weight": 3}, {"url": US, "weight": 1}]});
    for (name, value) in extra.as_object().unwrap() {
        origin[name] = value.clone();
    }
    json!({ "origin": origin })
}

fn as_consumer(i: usize, target: &str) -> Request {
    get(target).with_header("x-api-key", format!("key-{i}"))
}

#[test]
fn weights_share_the_requests_at_random() {
    let platform = platform();
    platform.seed_random(7);
    ok(&platform, &format!("{EU}/items"), "eu");
    ok(&platform, &format!("{US}/items"), "us");
    let gateway = gateway_with(two_targets(json!({})));
    let n = 4000;
    for _ in 0..n {
        assert_eq!(send_on(&gateway, get("/o/items"), &platform).status(), 200);
    }
    let eu = platform.fetches_of(&format!("{EU}/items"));
    assert_eq!(eu + platform.fetches_of(&format!("{US}/items")), n);
    // 3:1 → p = 0.75; four standard deviations of the binomial (≈ 27) either side.
    let expected = 3000.0;
    let sd = (n as f64 * 0.75 * 0.25).sqrt();
    assert!((eu as f64 - expected).abs() < 4.0 * sd, "eu got {eu} of {n}");
}

#[test]
fn one_url_and_a_one_target_list_call_the_same_address() {
    for upstreams in [json!({"origin": EU}), json!({"origin": {"targets": [EU]}})] {
        let platform = platform();
        ok(&platform, &format!("{EU}/items/7?x=1"), "eu");
        let exchange = send_on(&gateway_with(upstreams), get("/o/items/7?x=1&key=secret"), &platform);
        assert_eq!(exchange.said(), "eu");
        let log = exchange.access_log();
        assert_eq!(log["upstream_target"], EU);
        assert_eq!(log["upstream_tries"], 1);
        assert!(log.get("upstream_skipped").is_none());
    }
}

#[test]
fn a_sticky_upstream_keeps_each_caller_on_one_target_and_moves_only_the_ejected_ones() {
    let platform = platform();
    platform.seed_random(11);
    ok(&platform, &format!("{EU}/me"), "eu");
    ok(&platform, &format!("{US}/me"), "us");
    let gateway = gateway_with(two_targets(json!({"hash": "principal", "eject_after": 1})));
    let target_of = |i: usize| send_on(&gateway, as_consumer(i, "/k/me"), &platform).said();
    let first: Vec<String> = (0..40).map(target_of).collect();
    for _ in 0..3 {
        assert_eq!(
            (0..40).map(target_of).collect::<Vec<_>>(),
            first,
            "a caller changed targets"
        );
    }
    let on_eu = first.iter().filter(|t| *t == "eu").count();
    assert!((15..40).contains(&on_eu), "weights 3:1 over 40 callers, eu has {on_eu}");
    assert!(on_eu < 40, "both targets have callers");

    // The US target fails once and is ejected: only its callers move, and they answer.
    let us_caller = first.iter().position(|t| t == "us").unwrap();
    platform.answer(&format!("{US}/me"), unreachable());
    assert_eq!(target_of(us_caller), "eu", "failed over");
    ok(&platform, &format!("{US}/me"), "us");
    let after: Vec<String> = (0..40).map(target_of).collect();
    assert!(after.iter().all(|t| t == "eu"), "the ejected target gets nobody");
    assert_eq!(after.len(), 40);
}

#[test]
fn a_sticky_upstream_spreads_anonymous_requests_by_weight_and_fails_over_in_list_order() {
    let platform = platform();
    platform.seed_random(13);
    ok(&platform, &format!("{EU}/me"), "eu");
    ok(&platform, &format!("{US}/me"), "us");
    let gateway = gateway_with(two_targets(json!({"hash": "principal"})));
    // Anonymous requests (the public route): at random, by the weights 3:1.
    let n = 2000;
    let on_eu = (0..n)
        .filter(|_| send_on(&gateway, get("/o/me"), &platform).said() == "eu")
        .count();
    let sd = (n as f64 * 0.75 * 0.25).sqrt();
    assert!((on_eu as f64 - 1500.0).abs() < 4.0 * sd, "eu got {on_eu} of {n}");
    // Three targets, the chosen one down: the next listed takes it, every time.
    const ASIA: &str = "https://asia.origin.test/v1";
    let platform = platform_with(|p| p.seed_random(17));
    platform.answer(&format!("{EU}/me"), unreachable());
    ok(&platform, &format!("{US}/me"), "us");
    ok(&platform, &format!("{ASIA}/me"), "asia");
    let upstreams = json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US, ASIA], "hash": "principal",
        "eject_after": 1000, "retry_budget": 100}});
    let gateway = gateway_with(upstreams);
    for i in 0..20 {
        let exchange = send_on(&gateway, as_consumer(i, "/k/me"), &platform);
        if exchange.access_log()["upstream_tries"] == 2 {
            assert_eq!(exchange.said(), "us", "the next in the list, not at random");
        }
    }
    assert!(
        platform.fetches_of(&format!("{EU}/me")) >= 15,
        "most callers hash to EU first"
    );
    assert_eq!(platform.fetches_of(&format!("{ASIA}/me")), 0);
}

#[test]
fn an_idempotent_request_fails_over_to_another_target_unseen_by_the_client() {
    let platform = platform();
    platform.seed_random(3);
    platform.answer(&format!("{EU}/items"), unreachable());
    respond(&platform, &format!("{US}/items"), 200, &[], b"us");
    // Weights 1000:1: the EU target is always chosen first (the budget allows every retry).
    let upstreams =
        json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US], "retry_budget": 100, "eject_after": 1000}});
    let gateway = gateway_with(upstreams.clone());
    for method in [Method::Get, Method::Head, Method::Put, Method::Delete] {
        let exchange = send_on(&gateway, Request::new(method.clone(), "/o/items"), &platform);
        assert_eq!(exchange.status(), 200, "{method:?}: {}", exchange.said());
        let log = exchange.access_log();
        assert_eq!(log["upstream_target"], US);
        assert_eq!(log["upstream_tries"], 2);
        assert_eq!(log["upstream_skipped"], format!("{EU}: unreachable"));
    }
    // A configured status counts as the target's failure too.
    respond(&platform, &format!("{EU}/items"), 503, &[], b"eu down");
    let exchange = send_on(&gateway, get("/o/items"), &platform);
    assert_eq!(exchange.said(), "us");
    assert_eq!(exchange.access_log()["upstream_skipped"], format!("{EU}: status 503"));
    // Other statuses are the target's answer, passed through.
    respond(&platform, &format!("{EU}/items"), 500, &[], b"eu error");
    assert_eq!(send_on(&gateway, get("/o/items"), &platform).said(), "eu error");
    // The default `retry_on` is 502, 503 and 504, as answers.
    for status in [502, 504] {
        respond(&platform, &format!("{EU}/items"), status, &[], b"eu bad gateway");
        let exchange = send_on(&gateway, get("/o/items"), &platform);
        assert_eq!(exchange.said(), "us", "{status}");
        assert_eq!(
            exchange.access_log()["upstream_skipped"],
            format!("{EU}: status {status}")
        );
    }
    // OPTIONS is idempotent too, on a route that sends it on.
    platform.answer(&format!("{EU}/items"), unreachable());
    let vars = with_var(test_vars(), "UPSTREAMS", &upstreams.to_string());
    let options = test_gateway(
        vec![Route::to(Some(Method::Options), "/o/{*rest}", origin("origin")).public()],
        &vars,
    );
    let exchange = send_on(&options, Request::new(Method::Options, "/o/items"), &platform);
    assert_eq!(exchange.said(), "us");
    assert_eq!(exchange.access_log()["upstream_tries"], 2);
}

#[test]
fn a_request_with_a_body_or_a_post_is_never_sent_twice() {
    let platform = platform();
    platform.answer(&format!("{EU}/items"), unreachable());
    ok(&platform, &format!("{US}/items"), "us");
    let gateway = gateway_with(json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US]}}));
    let exchange = send_on(&gateway, post_json("/o/items", "{}"), &platform);
    exchange.problem(502, "upstream-unreachable");
    assert_eq!(exchange.access_log()["upstream_tries"], 1);
    let put = Request::new(Method::Put, "/o/items").with_body("{\"a\":1}");
    send_on(&gateway, put, &platform).problem(502, "upstream-unreachable");
    let post = Request::new(Method::Post, "/o/items");
    send_on(&gateway, post, &platform).problem(502, "upstream-unreachable");
    respond(&platform, &format!("{EU}/items"), 503, &[], b"busy");
    let exchange = send_on(&gateway, post_json("/o/items", "{}"), &platform);
    assert_eq!(
        (exchange.status(), exchange.said().as_str()),
        (503, "busy"),
        "the target's own answer"
    );
    assert_eq!(platform.fetches_of(&format!("{US}/items")), 0);
}

#[test]
fn retries_stay_within_the_budget_while_a_target_keeps_failing() {
    let platform = platform();
    respond(&platform, &format!("{EU}/items"), 503, &[], b"busy");
    ok(&platform, &format!("{US}/items"), "us");
    // Never ejected (eject_after 1000), always chosen first: every request wants a retry.
    let upstreams =
        json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US], "eject_after": 1000, "retry_budget": 20}});
    let gateway = gateway_with(upstreams);
    let mut answered_by_us = 0;
    for _ in 0..200 {
        let exchange = send_on(&gateway, get("/o/items"), &platform);
        if exchange.said() == "us" {
            answered_by_us += 1;
        } else {
            assert_eq!(exchange.status(), 503, "the target's answer once the budget is spent");
        }
        platform.advance_ms(10.0);
    }
    // 200 requests over 2 s, in one 10 s window: 20% is 40 retries (3 at the start).
    assert!((35..=41).contains(&answered_by_us), "{answered_by_us} retries");
    assert_eq!(platform.fetches_of(&format!("{EU}/items")), 200);
    // The window slides: 10 s on, retries resume at about a fifth of the
    // requests (the earlier window, weighted by how much of it still
    // overlaps, counts both its requests and its retries).
    platform.advance_ms(10_000.0);
    let mut later = 0;
    for _ in 0..100 {
        if send_on(&gateway, get("/o/items"), &platform).said() == "us" {
            later += 1;
        }
        platform.advance_ms(10.0);
    }
    assert!((15..=25).contains(&later), "{later} retries of 100");

    // A budget of 0 never retries.
    let platform = platform_with(|p| {
        respond(p, &format!("{EU}/items"), 503, &[], b"busy");
        ok(p, &format!("{US}/items"), "us");
    });
    let upstreams = json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US], "retry_budget": 0}});
    assert_eq!(
        send_on(&gateway_with(upstreams), get("/o/items"), &platform).status(),
        503
    );
}

fn platform_with(script: impl FnOnce(&RecordingPlatform)) -> RecordingPlatform {
    let platform = platform();
    script(&platform);
    platform
}

#[test]
fn a_failing_target_is_ejected_then_tried_once_half_open_with_a_growing_back_off() {
    let platform = platform();
    platform.seed_random(5);
    let (eu, us) = (format!("{EU}/items"), format!("{US}/items"));
    platform.answer(&eu, unreachable());
    ok(&platform, &us, "us");
    let upstreams = json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US], "eject_after": 3, "eject_ms": 1000, "max_eject_ms": 3000, "retry_budget": 100}});
    let gateway = gateway_with(upstreams);
    let send = || send_on(&gateway, get("/o/items"), &platform);
    for _ in 0..3 {
        assert_eq!(send().said(), "us");
    }
    assert_eq!(platform.fetches_of(&eu), 3);
    // Ejected: no call reaches it, and nobody waits for it.
    for _ in 0..5 {
        let exchange = send();
        assert_eq!(exchange.access_log()["upstream_tries"], 1);
        assert_eq!(exchange.access_log()["upstream_target"], US);
    }
    assert_eq!(platform.fetches_of(&eu), 3);
    // After the back-off, one trial; it fails: ejected for twice as long.
    platform.advance_ms(1000.0);
    assert_eq!(send().said(), "us");
    assert_eq!(platform.fetches_of(&eu), 4);
    platform.advance_ms(1999.0);
    send();
    assert_eq!(platform.fetches_of(&eu), 4, "still ejected (2 s)");
    // Back, and healthy now: the trial succeeds and it takes its share again.
    ok(&platform, &eu, "eu");
    platform.advance_ms(1.0);
    assert_eq!(send().said(), "eu");
    assert_eq!(send().said(), "eu");
    // The back-off doubles up to max_eject_ms (3 s), and stays there.
    platform.answer(&eu, unreachable());
    for _ in 0..3 {
        send();
    }
    // Ejected 1 s, then 2 s after a failed trial, then capped at 3 s (not 4).
    for wait in [1000.0, 2000.0, 3000.0, 3000.0, 3000.0] {
        platform.advance_ms(wait - 1.0);
        let before = platform.fetches_of(&eu);
        assert_eq!(send().said(), "us");
        assert_eq!(platform.fetches_of(&eu), before, "still ejected before {wait} ms");
        platform.advance_ms(1.0);
        assert_eq!(send().said(), "us");
        assert_eq!(platform.fetches_of(&eu), before + 1, "one trial after {wait} ms");
    }
}

#[test]
fn with_every_target_ejected_the_answer_is_503_at_once_with_retry_after() {
    let platform = platform();
    let (eu, us) = (format!("{EU}/items"), format!("{US}/items"));
    platform.answer(&eu, unreachable());
    platform.answer(&us, FakeAnswer::Fail(FetchError::Timeout));
    let upstreams = json!({"origin": {"targets": [EU, US], "eject_after": 1, "eject_ms": 2500}});
    let gateway = gateway_with(upstreams);
    let first = send_on(&gateway, get("/o/items"), &platform);
    assert!(matches!(first.status(), 502 | 504), "{}", first.said());
    let sent = platform.sent.borrow().len();
    let exchange = send_on(&gateway, get("/o/items"), &platform);
    let body = exchange.problem(503, "upstream-unavailable");
    assert!(body["detail"].as_str().unwrap().contains("`origin`"));
    assert_eq!(exchange.header("retry-after"), Some("3"));
    assert_eq!(platform.sent.borrow().len(), sent, "no call was made");
    assert_eq!(exchange.access_log()["upstream_skipped"], "every target: ejected");
    // A single URL breaks its circuit the same way, after the default 5 failures.
    let platform = platform_with(|p| p.answer(&eu, unreachable()));
    let gateway = gateway_with(json!({ "origin": EU }));
    for _ in 0..5 {
        send_on(&gateway, get("/o/items"), &platform).problem(502, "upstream-unreachable");
    }
    let exchange = send_on(&gateway, get("/o/items"), &platform);
    exchange.problem(503, "upstream-unavailable");
    assert_eq!(exchange.header("retry-after"), Some("5"), "the default eject_ms");
    assert_eq!(platform.fetches_of(&eu), 5);
    // Each failed trial doubles it, up to the default max_eject_ms (60 s).
    for expected in ["10", "20", "40", "60", "60"] {
        let wait: f64 = send_on(&gateway, get("/o/items"), &platform)
            .header("retry-after")
            .unwrap()
            .parse()
            .unwrap();
        platform.advance_ms(wait * 1000.0);
        send_on(&gateway, get("/o/items"), &platform).problem(502, "upstream-unreachable");
        let ejected = send_on(&gateway, get("/o/items"), &platform);
        assert_eq!(ejected.header("retry-after"), Some(expected));
    }
}

#[test]
fn retries_share_the_routes_timeout() {
    let platform = platform();
    platform.answer(&format!("{EU}/items"), unreachable());
    ok(&platform, &format!("{US}/items"), "us");
    let vars = with_var(
        test_vars(),
        "UPSTREAMS",
        &json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US]}}).to_string(),
    );
    let gateway = test_gateway(
        vec![Route::any_to("/o/{*rest}", origin("origin").timeout_ms(2000)).public()],
        &vars,
    );
    // The host clock stands still: the second try gets what is left, all of it.
    assert_eq!(send_on(&gateway, get("/o/items"), &platform).said(), "us");
    let timeouts: Vec<u32> = platform.sent.borrow().iter().map(|s| s.timeout_ms).collect();
    assert_eq!(timeouts, [2000, 2000]);
    // A timeout spends the route's time: no retry after it.
    platform.answer(&format!("{EU}/items"), FakeAnswer::Fail(FetchError::Timeout));
    send_on(&gateway, get("/o/items"), &platform).problem(504, "upstream-timeout");
    assert_eq!(platform.fetches_of(&format!("{US}/items")), 1);
}

#[test]
fn a_canary_takes_its_share_and_the_callers_its_rules_name() {
    let platform = platform();
    platform.seed_random(42);
    let next = "https://next.origin.test";
    ok(&platform, &format!("{EU}/items"), "stable");
    ok(&platform, &format!("{next}/items"), "canary");
    let key = rsa_key("k1");
    let upstreams = json!({
        "origin": {"targets": [EU], "canary": {
            "upstream": "origin_next", "percent": 10,
            "header": "X-Canary: on",
            "principals": ["c7"],
            "claim": {"beta": true}}},
        "origin_next": next,
    });
    let keys = json!({"key-1": "c1", "key-7": "c7"}).to_string();
    let vars = with_var(
        with_var(
            with_var(test_vars(), "UPSTREAMS", &upstreams.to_string()),
            "API_KEYS",
            &keys,
        ),
        "JWT_PROVIDERS",
        &providers(json!({"keys": [key.jwk]}), json!({})),
    );
    let gateway = test_gateway(
        vec![Route::any_to("/o/{*rest}", origin("origin")).access(any_of([api_key(), jwt("firebase")]))],
        &vars,
    );
    assert_eq!(gateway.misconfiguration(), None);
    let keyed = |key: &str| get("/o/items").with_header("x-api-key", key);
    let n = 2000;
    let canaried = (0..n)
        .filter(|_| send_on(&gateway, keyed("key-1"), &platform).said() == "canary")
        .count();
    // p = 0.1: four standard deviations (≈ 13) either side of 200.
    assert!(
        (canaried as f64 - 200.0).abs() < 4.0 * (n as f64 * 0.1 * 0.9).sqrt(),
        "{canaried} of {n}"
    );
    for _ in 0..20 {
        let exchange = send_on(&gateway, keyed("key-7"), &platform);
        assert_eq!(exchange.said(), "canary", "a named principal");
        assert_eq!(exchange.access_log()["upstream"], "origin_next");
        let by_header = send_on(&gateway, keyed("key-1").with_header("x-canary", "on"), &platform);
        assert_eq!(by_header.said(), "canary", "the header rule");
        let beta = token_with(&platform, |c| c["beta"] = json!(true), &key);
        assert_eq!(send_on(&gateway, bearer("/o/items", &beta), &platform).said(), "canary");
    }
    // Near misses take no rule: another header value, a claim of another type.
    let mut stable = 0;
    for _ in 0..50 {
        let header = send_on(&gateway, keyed("key-1").with_header("x-canary", "ON"), &platform);
        let not_beta = token_with(&platform, |c| c["beta"] = json!("true"), &key);
        let claim = send_on(&gateway, bearer("/o/items", &not_beta), &platform);
        stable += [header, claim].iter().filter(|e| e.said() == "stable").count();
    }
    assert!(
        stable > 70,
        "near misses follow the 10% share only ({stable} of 100 stable)"
    );
}

#[test]
fn services_and_functions_spread_over_the_bindings_their_entry_lists() {
    let platform = platform();
    platform.seed_random(9);
    respond(&platform, "https://billing_eu/invoices", 503, &[], b"down");
    ok(&platform, "https://billing_us/invoices", "us");
    let object = br#"{"statusCode": 200, "body": "hi from the US"}"#;
    platform.answer("https://greeter_eu/", unreachable());
    respond(&platform, "https://greeter_us/", 200, &[], object);
    let upstreams = json!({
        "BILLING": {"targets": [{"binding": "BILLING_EU", "weight": 1000}, {"binding": "BILLING_US"}]},
        "GREETER": {"targets": [{"binding": "GREETER_EU", "weight": 1000}, {"binding": "GREETER_US"}]},
    });
    let vars = with_var(test_vars(), "UPSTREAMS", &upstreams.to_string());
    let gateway = test_gateway(
        vec![
            Route::any_to("/billing/{*rest}", service("BILLING")).public(),
            Route::to(Some(Method::Get), "/greet/{*rest}", function("GREETER")).public(),
        ],
        &vars,
    );
    assert_eq!(gateway.misconfiguration(), None);
    let mut bindings: Vec<String> = gateway.bindings().map(|(name, _)| name.to_owned()).collect();
    bindings.sort();
    assert_eq!(bindings, ["BILLING_EU", "BILLING_US", "GREETER_EU", "GREETER_US"]);
    let exchange = send_on(&gateway, get("/billing/invoices"), &platform);
    assert_eq!(exchange.said(), "us");
    assert_eq!(exchange.access_log()["upstream_target"], "BILLING_US");
    assert_eq!(send_on(&gateway, get("/greet/ada"), &platform).said(), "hi from the US");
    let services: Vec<Option<String>> = platform.sent.borrow().iter().map(|s| s.service.clone()).collect();
    let expected = ["BILLING_EU", "BILLING_US", "GREETER_EU", "GREETER_US"].map(|s| Some(s.to_owned()));
    assert_eq!(services, expected);
}

#[test]
fn every_bad_target_setting_is_a_misconfiguration_that_names_it() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"origin": {"targets": []}}), "1 to 16"),
        (
            json!({"origin": {"targets": (0..17).map(|i| format!("https://t{i}.test")).collect::<Vec<_>>()}}),
            "1 to 16",
        ),
        (json!({"origin": {}}), "no `targets`"),
        (json!({"origin": {"targets": "https://a.test"}}), "must be a list"),
        (json!({"origin": {"targets": [{"url": EU, "weight": 0}]}}), "`weight`"),
        (
            json!({"origin": {"targets": [{"url": EU, "weight": 1001}]}}),
            "`weight`",
        ),
        (json!({"origin": {"targets": [{"url": EU, "weight": "3"}]}}), "`weight`"),
        (json!({"origin": {"targets": [{"url": EU, "weight": -1}]}}), "`weight`"),
        (json!({"origin": {"targets": [{"url": EU, "weight": 2.5}]}}), "`weight`"),
        (json!({"origin": {"targets": [EU, {"binding": "B"}]}}), "mixes"),
        (json!({"origin": {"targets": [EU, EU]}}), "twice"),
        (json!({"origin": {"targets": ["https://a.test/?q=1"]}}), "without query"),
        (json!({"origin": {"targets": ["https://é.test"]}}), "http(s) URL"),
        (json!({"origin": {"targets": ["ftp://a.test"]}}), "http(s) URL"),
        (json!({"origin": {"targets": ["https://a.test/\u{0}"]}}), "http(s) URL"),
        (
            json!({"origin": {"targets": [{"url": EU, "host": "x"}]}}),
            "unknown field `host`",
        ),
        (json!({"origin": {"targets": [{"weight": 2}]}}), "`url` or a `binding`"),
        (json!({"origin": {"targets": [{"binding": "A-B"}]}}), "binding"),
        (json!({"origin": {"targets": [EU], "hash": "sticky"}}), "`hash`"),
        (json!({"origin": {"targets": [EU], "retry_on": [200]}}), "`retry_on`"),
        (json!({"origin": {"targets": [EU], "retry_on": "503"}}), "`retry_on`"),
        (
            json!({"origin": {"targets": [EU], "retry_budget": 101}}),
            "`retry_budget`",
        ),
        (json!({"origin": {"targets": [EU], "eject_after": 0}}), "`eject_after`"),
        (
            json!({"origin": {"targets": [EU], "eject_after": 1001}}),
            "`eject_after`",
        ),
        (json!({"origin": {"targets": [EU], "eject_ms": 10}}), "`eject_ms`"),
        (
            json!({"origin": {"targets": [EU], "eject_ms": 5000, "max_eject_ms": 1000}}),
            "`max_eject_ms`",
        ),
        (
            json!({"origin": {"targets": [EU], "retries": 3}}),
            "unknown field `retries`",
        ),
        (json!({"origin": {"targets": [{"binding": "B"}]}}), "lists bindings"),
        (json!({"origin": 7}), "http(s) URL"),
        (
            json!({"origin": {"targets": [EU], "canary": {"percent": 5}}}),
            "no `upstream`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "origin"}}}),
            "itself",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "nowhere"}}}),
            "`nowhere`, which is not defined",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "percent": 101}}, "n": US}),
            "`percent`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "percent": -1}}, "n": US}),
            "`percent`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "percent": "5"}}, "n": US}),
            "`percent`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "header": "x canary: 1"}}, "n": US}),
            "`header`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "header": "x-c: é"}}, "n": US}),
            "`header`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "header": "x-c: a\u{1}b"}}, "n": US}),
            "`header`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "header": "x-c"}}, "n": US}),
            "`header`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "header": {"name": "x-c", "value": "1"}}}, "n": US}),
            "`header`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "claim": {"a": 1, "b": 2}}}, "n": US}),
            "`claim`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "claim": "beta"}}, "n": US}),
            "`claim`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n", "principals": "alice"}}, "n": US}),
            "`principals`",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n"}}, "n": {"targets": [US], "canary": {"upstream": "origin"}}}),
            "canary of its own",
        ),
        (
            json!({"origin": {"targets": [EU], "canary": {"upstream": "n"}}, "n": {"targets": [{"binding": "B"}]}}),
            "lists bindings",
        ),
    ];
    for (upstreams, expected) in cases {
        let vars = with_var(test_vars(), "UPSTREAMS", &upstreams.to_string());
        let gateway = test_gateway::<()>(vec![Route::any_to("/o/{*rest}", origin("origin")).public()], &vars);
        let reasons = gateway
            .misconfiguration()
            .unwrap_or_else(|| panic!("{upstreams} was accepted"))
            .join("\n");
        assert!(reasons.contains("UPSTREAMS"), "{upstreams}: {reasons}");
        assert!(reasons.contains(expected), "{upstreams}: `{expected}` not in {reasons}");
        // A misconfigured gateway forwards nothing.
        let platform = platform();
        send_on(&gateway, get("/o/x"), &platform).problem(500, "misconfigured");
        assert!(platform.sent.borrow().is_empty());
    }
    // A service's entry must list bindings.
    let vars = with_var(
        test_vars(),
        "UPSTREAMS",
        &json!({"BILLING": {"targets": [EU]}}).to_string(),
    );
    let gateway = test_gateway::<()>(vec![Route::any_to("/b/{*rest}", service("BILLING")).public()], &vars);
    assert!(gateway.misconfiguration().unwrap().join("\n").contains("lists URLs"));
    // Whichever route names it first: a name sent to as an origin and as a
    // service (or a canary the other kind) is refused, never one pool for both.
    for (upstreams, expected) in [
        (json!({"BILLING": {"targets": [EU]}}), "lists URLs"),
        (json!({"BILLING": {"targets": [{"binding": "B"}]}}), "lists bindings"),
        (json!({}), "BILLING"),
    ] {
        for service_first in [true, false] {
            let routes = match service_first {
                true => vec![
                    Route::any_to("/b/{*rest}", service("BILLING")).public(),
                    Route::any_to("/o/{*rest}", origin("BILLING")).public(),
                ],
                false => vec![
                    Route::any_to("/o/{*rest}", origin("BILLING")).public(),
                    Route::any_to("/b/{*rest}", service("BILLING")).public(),
                ],
            };
            let vars = with_var(test_vars(), "UPSTREAMS", &upstreams.to_string());
            let gateway = test_gateway::<()>(routes, &vars);
            let reasons = gateway
                .misconfiguration()
                .unwrap_or_else(|| panic!("{upstreams}, service first {service_first}: accepted"))
                .join("\n");
            assert!(reasons.contains(expected), "{upstreams}: `{expected}` not in {reasons}");
        }
    }
}

/// A POST whose body the platform still streams from the client.
fn uploading(target: &str) -> Request {
    let mut request = Request::new(Method::Post, target).with_header("content-type", "application/octet-stream");
    request.body = edgegate::http::RequestBody::Stream(Box::new(edgegate::testing::FakeBody::new(b"chunk".to_vec())));
    request
}

#[test]
fn the_clients_slow_or_oversized_upload_never_counts_against_the_target() {
    // A timeout while the client's body still streams may be the client's
    // slowness: it does not eject the target for everyone else.
    let items = format!("{EU}/items");
    let platform = platform_with(|p| p.answer(&items, FakeAnswer::Fail(FetchError::Timeout)));
    let gateway = gateway_with(json!({"origin": {"targets": [EU], "eject_after": 1, "eject_ms": 1000}}));
    for _ in 0..3 {
        send_on(&gateway, uploading("/o/items"), &platform).problem(504, "upstream-timeout");
    }
    ok(&platform, &items, "fine");
    assert_eq!(send_on(&gateway, get("/o/items"), &platform).said(), "fine");
    assert_eq!(platform.fetches_of(&items), 4);

    // An oversized upload taking the half-open trial leaves it free at once.
    let platform = platform_with(|p| p.answer(&items, unreachable()));
    let gateway = gateway_with(json!({"origin": {"targets": [EU], "eject_after": 1, "eject_ms": 1000}}));
    send_on(&gateway, get("/o/items"), &platform).problem(502, "upstream-unreachable");
    send_on(&gateway, get("/o/items"), &platform).problem(503, "upstream-unavailable");
    platform.advance_ms(1000.0);
    platform.answer(&items, FakeAnswer::Fail(FetchError::BodyTooLarge));
    send_on(&gateway, uploading("/o/items"), &platform).problem(413, "body-too-large");
    ok(&platform, &items, "back");
    assert_eq!(
        send_on(&gateway, get("/o/items"), &platform).said(),
        "back",
        "the trial was free"
    );
}

/// A GET carrying `body` (as the platform streams it from the client).
fn get_with_body(target: &str, body: &[u8]) -> Request {
    let mut request = get(target);
    request.body = edgegate::http::RequestBody::Stream(Box::new(edgegate::testing::FakeBody::new(body.to_vec())));
    request
}

#[test]
fn a_get_with_a_body_is_refused_before_any_call_and_never_ejects_the_target() {
    let items = format!("{EU}/items");
    let platform = platform_with(|p| ok(p, &items, "fine"));
    let gateway = gateway_with(json!({"origin": {"targets": [EU], "eject_after": 1, "eject_ms": 60000}}));
    // An empty body (`Content-Length: 0`, an empty chunked body) is none.
    assert_eq!(
        send_on(&gateway, get_with_body("/o/items", b""), &platform).said(),
        "fine"
    );
    assert!(platform.sent.borrow()[0].body.is_empty());
    // Anything more: the runtime sends no body with a GET, so it is refused
    // here; the upstream was never called and stays in.
    for _ in 0..3 {
        let refused = send_on(&gateway, get_with_body("/o/items", b"{\"q\":1}"), &platform);
        refused.problem(400, "invalid-request");
        assert!(
            refused.text().contains("GET or HEAD request with a body"),
            "{}",
            refused.text()
        );
    }
    let mut head = get_with_body("/o/items", b"x");
    head.method = Method::Head;
    assert_eq!(send_on(&gateway, head, &platform).status(), 400);
    assert_eq!(platform.fetches_of(&items), 1);
    assert_eq!(send_on(&gateway, get("/o/items"), &platform).said(), "fine");
}

#[test]
fn a_half_open_trial_whose_request_goes_away_frees_the_target_for_the_next() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let items = format!("{EU}/items");
    let platform = platform_with(|p| p.answer(&items, unreachable()));
    let gateway = gateway_with(json!({"origin": {"targets": [EU], "eject_after": 1, "eject_ms": 1000}}));
    send_on(&gateway, get("/o/items"), &platform).problem(502, "upstream-unreachable");
    send_on(&gateway, get("/o/items"), &platform).problem(503, "upstream-unavailable");
    ok(&platform, &items, "back");
    platform.advance_ms(1000.0);
    let mut context = Context::from_waker(Waker::noop());
    // The trial's request is dropped while it calls (its client left): the
    // next request takes the trial at once.
    let mut trial = Box::pin(gateway.handle(get("/o/items"), &(), &platform));
    while platform.fetches_of(&items) == 1 {
        assert!(trial.as_mut().poll(&mut context).is_pending());
    }
    drop(trial);
    assert_eq!(send_on(&gateway, get("/o/items"), &platform).said(), "back");
    // One that goes quiet (neither answered nor dropped) holds it only
    // until its call's deadline has passed.
    platform.answer(&items, unreachable());
    send_on(&gateway, get("/o/items"), &platform).problem(502, "upstream-unreachable");
    ok(&platform, &items, "back again");
    platform.advance_ms(1000.0);
    let before = platform.fetches_of(&items);
    let mut quiet = Box::pin(gateway.handle(get("/o/items"), &(), &platform));
    while platform.fetches_of(&items) == before {
        assert!(quiet.as_mut().poll(&mut context).is_pending());
    }
    send_on(&gateway, get("/o/items"), &platform).problem(503, "upstream-unavailable");
    platform.advance_ms(14_000.0);
    send_on(&gateway, get("/o/items"), &platform).problem(503, "upstream-unavailable");
    platform.advance_ms(2_100.0);
    assert_eq!(send_on(&gateway, get("/o/items"), &platform).said(), "back again");
    drop(quiet);
}

#[test]
fn with_principal_hashing_a_canary_keeps_each_caller_on_one_side() {
    let platform = platform();
    platform.seed_random(7);
    let next = "https://next.origin.test";
    ok(&platform, &format!("{EU}/items"), "stable");
    ok(&platform, &format!("{next}/items"), "canary");
    let gateway = gateway_with(json!({
        "origin": {"targets": [EU], "hash": "principal", "canary": {"upstream": "origin_next", "percent": 50}},
        "origin_next": next,
    }));
    let mut sides = Vec::new();
    for i in 0..40 {
        let first = send_on(&gateway, as_consumer(i, "/k/items"), &platform).said();
        for _ in 0..5 {
            assert_eq!(
                send_on(&gateway, as_consumer(i, "/k/items"), &platform).said(),
                first,
                "c{i} changed sides"
            );
        }
        sides.push(first);
    }
    // Both sides are used across callers (40 callers at 50%).
    let canaried = sides.iter().filter(|side| *side == "canary").count();
    assert!((5..=35).contains(&canaried), "{canaried} of 40 on the canary");
}

#[test]
fn retry_on_decides_which_statuses_fail_a_target_over() {
    let platform = platform();
    platform.seed_random(3);
    respond(&platform, &format!("{US}/items"), 200, &[], b"us");
    // EU always first (1000:1); 503 is the origin's load shedding, not a failure here.
    let upstreams = |retry_on: Value| json!({"origin": {"targets": [{"url": EU, "weight": 1000}, US], "retry_budget": 100, "eject_after": 1, "retry_on": retry_on}});
    let shedding = gateway_with(upstreams(json!([502])));
    respond(
        &platform,
        &format!("{EU}/items"),
        503,
        &[("retry-after", "2")],
        b"eu shedding",
    );
    for _ in 0..3 {
        let exchange = send_on(&shedding, get("/o/items"), &platform);
        assert_eq!((exchange.status(), exchange.said()), (503, "eu shedding".to_owned()));
        assert_eq!(
            exchange.access_log()["upstream_tries"],
            1,
            "no failover, and no ejection"
        );
    }
    // 429 listed: the next target answers instead.
    let throttled = gateway_with(upstreams(json!([429])));
    respond(&platform, &format!("{EU}/items"), 429, &[], b"eu throttled");
    let exchange = send_on(&throttled, get("/o/items"), &platform);
    assert_eq!(exchange.said(), "us");
    assert_eq!(exchange.access_log()["upstream_skipped"], format!("{EU}: status 429"));
}

#[test]
fn a_canarys_entry_has_health_of_its_own() {
    let platform = platform();
    platform.seed_random(23);
    let next = "https://next.origin.test";
    ok(&platform, &format!("{EU}/items"), "stable");
    platform.answer(&format!("{next}/items"), unreachable());
    let upstreams = json!({
        "origin": {"targets": [EU], "eject_after": 1, "eject_ms": 120000, "max_eject_ms": 120000,
            "canary": {"upstream": "origin_next", "header": "x-canary: on"}},
        "origin_next": {"targets": [next], "eject_after": 1, "eject_ms": 60000},
    });
    let gateway = gateway_with(upstreams);
    let canary = || send_on(&gateway, get("/o/items").with_header("x-canary", "on"), &platform);
    canary().problem(502, "upstream-unreachable");
    // The canary's target is ejected: its rule's callers get its 503…
    canary().problem(503, "upstream-unavailable");
    // …while every other request reaches the stable target, untouched.
    for _ in 0..10 {
        let exchange = send_on(&gateway, get("/o/items"), &platform);
        assert_eq!(exchange.said(), "stable");
        assert_eq!(exchange.access_log()["upstream_tries"], 1);
        assert!(exchange.access_log().get("upstream_skipped").is_none());
    }
    assert_eq!(platform.fetches_of(&format!("{next}/items")), 1);
    // And the other way round: the stable target ejected, the canary's rule still served.
    ok(&platform, &format!("{next}/items"), "canary");
    platform.answer(&format!("{EU}/items"), unreachable());
    send_on(&gateway, get("/o/items"), &platform).problem(502, "upstream-unreachable");
    send_on(&gateway, get("/o/items"), &platform).problem(503, "upstream-unavailable");
    platform.advance_ms(60_000.0);
    assert_eq!(canary().said(), "canary");
    send_on(&gateway, get("/o/items"), &platform).problem(503, "upstream-unavailable");
}
