//! Edge response caching through the gateway's one entry point, on the
//! host: the host platform's Cache API keeps entries until their
//! `Cache-Control: max-age` passes, on its own clock, as the runtime does.
//! Every rule of `edgegate::cache` — key, freshness, what is never kept,
//! Cache-Status and Age, stale-if-error, collapsing, purges, policies before
//! the cache — and the hostile settings and purges.

mod support;

use edgegate::cache::cache;
use edgegate::gateway::Gateway;
use edgegate::http::{Method, Request, Response};
use edgegate::platform::FetchError;
use edgegate::policy::{any_of, api_key, rate_limit};
use edgegate::routing::Route;
use edgegate::testing::{as_the_adapter_passes, block_on_all, streamed_bytes, FakeAnswer, RecordingPlatform};
use serde_json::{json, Value};
use support::*;

const ORIGIN: &str = "https://origin.test";
const HOST: &str = "api.example.com";

/// The origin answers `path` with `status`, these headers, a declared length, and `body`.
fn origin_says(platform: &RecordingPlatform, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
    let mut all: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, v.to_string())).collect();
    all.push(("content-length", body.len().to_string()));
    let all: Vec<(&str, &str)> = all.iter().map(|(n, v)| (*n, v.as_str())).collect();
    respond(platform, &format!("{ORIGIN}{path}"), status, &all, body.as_bytes());
}

fn calls(platform: &RecordingPlatform, path: &str) -> usize {
    platform.fetches_of(&format!("{ORIGIN}{path}"))
}

/// `/pub/{*rest}` public and shared; `/keyed/{*rest}` keyed, per principal;
/// `/shared/{*rest}` keyed and shared; `/limited/{*rest}` keyed, shared, rate-limited;
/// `/cache/purge` purges, with a key. `policies` is `CACHE_POLICIES`.
fn gateway_with(policies: Value) -> Gateway<()> {
    let vars = with_var(
        with_var(
            with_var(test_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
            "CACHE_POLICIES",
            &policies.to_string(),
        ),
        "API_KEYS",
        r#"{"key-a": "alice", "key-b": "bob"}"#,
    );
    let vars = with_var(vars, "RATE_LIMITS", r#"{"PER_CLIENT": {"limit": 2, "period": 60}}"#);
    let gateway = test_gateway(
        vec![
            public_cached("/pub/{*rest}", "edge"),
            Route::any_to("/keyed/{*rest}", edgegate::upstream::origin("origin"))
                .api_key()
                .cache(cache("edge")),
            Route::any_to("/shared/{*rest}", edgegate::upstream::origin("origin"))
                .access(any_of([api_key()]))
                .cache(cache("edge").shared()),
            Route::any_to("/limited/{*rest}", edgegate::upstream::origin("origin"))
                .api_key()
                .policy(rate_limit("PER_CLIENT"))
                .cache(cache("edge").shared()),
            Route::purge("/cache/purge", "edge").api_key(),
        ],
        &vars,
    );
    assert_eq!(gateway.misconfiguration(), None);
    gateway
}

/// A public route to the origin, cached under `policy`.
fn public_cached(template: &str, policy: &str) -> Route<()> {
    Route::any_to(template, edgegate::upstream::origin("origin"))
        .public()
        .cache(cache(policy))
}

/// `routes` on the origin, with `CACHE_POLICIES` = `policies` and the key `key-a`.
fn gateway_of(policies: &str, routes: Vec<Route<()>>) -> Gateway<()> {
    let vars = with_var(
        with_var(test_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
        "CACHE_POLICIES",
        policies,
    );
    let gateway = test_gateway(routes, &with_var(vars, "API_KEYS", r#"{"key-a": "alice"}"#));
    assert_eq!(gateway.misconfiguration(), None);
    gateway
}

/// `routes` (handlers, no upstream) with `CACHE_POLICIES` = `{"edge": {}}` and the key `key-a`.
fn of_handlers(routes: Vec<Route<()>>) -> Gateway<()> {
    let vars = with_var(
        with_var(test_vars(), "CACHE_POLICIES", r#"{"edge": {}}"#),
        "API_KEYS",
        r#"{"key-a": "alice"}"#,
    );
    let gateway = test_gateway(routes, &vars);
    assert_eq!(gateway.misconfiguration(), None);
    gateway
}

fn edge() -> Gateway<()> {
    gateway_with(json!({ "edge": {} }))
}

fn at(target: &str) -> Request {
    get(target).with_header("host", HOST)
}

/// `count` requests for `target`, all in flight at once (polled in turn until each is done).
fn at_once(gateway: &Gateway<()>, target: &str, count: usize, platform: &RecordingPlatform) -> Vec<Response> {
    let requests = (0..count).map(|_| as_the_adapter_passes(gateway, at(target)));
    block_on_all(requests.map(|r| gateway.handle(r, &(), platform)).collect())
}

fn head(target: &str) -> Request {
    Request::new(Method::Head, target).with_header("host", HOST)
}

fn keyed(target: &str, key: &str) -> Request {
    at(target).with_header("x-api-key", key)
}

fn status_of(exchange: &Exchange) -> String {
    exchange.header("cache-status").unwrap_or("").to_owned()
}

#[test]
fn a_second_get_is_a_hit_without_an_origin_call() {
    let platform = platform();
    origin_says(
        &platform,
        "/items/7",
        200,
        &[("cache-control", "max-age=60"), ("content-type", "text/plain")],
        "seven",
    );
    let gateway = edge();
    let first = send_on(&gateway, at("/pub/items/7"), &platform);
    assert_eq!(first.said(), "seven");
    assert!(
        status_of(&first).starts_with("edgegate; fwd=miss; stored; key=\""),
        "{}",
        status_of(&first)
    );
    assert_eq!(first.access_log()["cache"], "miss");
    platform.advance_ms(5_000.0);
    let second = send_on(&gateway, at("/pub/items/7"), &platform);
    assert_eq!(second.said(), "seven");
    assert_eq!(calls(&platform, "/items/7"), 1);
    assert!(
        status_of(&second).starts_with("edgegate; hit; ttl=55; key=\"/.edgegate-cache/"),
        "{}",
        status_of(&second)
    );
    assert_eq!(second.header("age"), Some("5"));
    assert_eq!(second.header("content-type"), Some("text/plain"));
    assert_eq!(
        second.header("cache-control"),
        Some("max-age=60"),
        "the answer's own, not the stored copy's"
    );
    assert_eq!(second.access_log()["cache"], "hit");
    assert!(second
        .response
        .headers()
        .all(|(name, _)| !name.starts_with("x-edgegate-cache-")));
    // HEAD is answered from GET's entry, without a body.
    let head = send_on(&gateway, head("/pub/items/7"), &platform);
    assert!(status_of(&head).starts_with("edgegate; hit"));
    assert_eq!(calls(&platform, "/items/7"), 1);
}

#[test]
fn the_key_sorts_the_query_and_never_holds_the_api_key_parameter() {
    let platform = platform();
    origin_says(&platform, "/q?b=2&a=1", 200, &[("cache-control", "max-age=60")], "q");
    origin_says(&platform, "/q?a=1&b=2", 200, &[("cache-control", "max-age=60")], "q");
    let gateway = edge();
    send_on(&gateway, at("/pub/q?b=2&a=1"), &platform);
    let again = send_on(&gateway, at("/pub/q?a=1&b=2&key=secret&%6Bey=hidden"), &platform);
    assert!(status_of(&again).starts_with("edgegate; hit"), "{}", status_of(&again));
    assert!(!status_of(&again).contains("secret") && !status_of(&again).contains("hidden"));
    let other = send_on(&gateway, at("/pub/q?a=1&b=3"), &platform);
    assert!(!status_of(&other).contains("hit"));
    // Parameters are sorted by name; a name given twice keeps its values'
    // order (an origin may read the first or the last).
    origin_says(&platform, "/r?v=1&v=2", 200, &[("cache-control", "max-age=60")], "r12");
    origin_says(&platform, "/r?v=2&v=1", 200, &[("cache-control", "max-age=60")], "r21");
    assert_eq!(send_on(&gateway, at("/pub/r?v=1&v=2"), &platform).said(), "r12");
    let swapped = send_on(&gateway, at("/pub/r?v=2&v=1"), &platform);
    assert_eq!(swapped.said(), "r21", "{}", status_of(&swapped));
    origin_says(
        &platform,
        "/r?a=0&v=1&v=2",
        200,
        &[("cache-control", "max-age=60")],
        "ra12",
    );
    let moved = send_on(&gateway, at("/pub/r?a=0&v=1&v=2"), &platform);
    assert!(
        status_of(&moved).starts_with("edgegate; fwd=miss; stored"),
        "{}",
        status_of(&moved)
    );
    let same = send_on(&gateway, at("/pub/r?v=1&a=0&v=2"), &platform);
    assert!(status_of(&same).starts_with("edgegate; hit"), "{}", status_of(&same));
    assert_eq!(same.said(), "ra12");
    // Two spellings of one name (`%76` is `v`) keep their order too: the
    // origin reads `v` as [1, 2] in one and [2, 1] in the other.
    origin_says(
        &platform,
        "/s?%76=1&v=2",
        200,
        &[("cache-control", "max-age=60")],
        "s12",
    );
    origin_says(
        &platform,
        "/s?v=2&%76=1",
        200,
        &[("cache-control", "max-age=60")],
        "s21",
    );
    assert_eq!(send_on(&gateway, at("/pub/s?%76=1&v=2"), &platform).said(), "s12");
    let spelled = send_on(&gateway, at("/pub/s?v=2&%76=1"), &platform);
    assert_eq!(spelled.said(), "s21", "{}", status_of(&spelled));
    // The same with spellings a form decoder joins (`+` is a space) and
    // escapes of a byte that is not UTF-8 (`%FF` is `%ff`).
    for (first, second) in [("a+b=1", "a%20b=2"), ("%FF=1", "%ff=2")] {
        let (one, two) = (format!("/t?{first}&{second}"), format!("/t?{second}&{first}"));
        origin_says(&platform, &one, 200, &[("cache-control", "max-age=60")], "t12");
        origin_says(&platform, &two, 200, &[("cache-control", "max-age=60")], "t21");
        assert_eq!(send_on(&gateway, at(&format!("/pub{one}")), &platform).said(), "t12");
        let swapped = send_on(&gateway, at(&format!("/pub{two}")), &platform);
        assert_eq!(swapped.said(), "t21", "{two}: {}", status_of(&swapped));
    }
}

/// A refusal case: status, headers, why, whether the request is keyed on the shared route.
type RefusalCase = (u16, Vec<(&'static str, &'static str)>, &'static str, bool);

#[test]
fn what_may_not_be_kept_never_is() {
    let cases: Vec<RefusalCase> = vec![
        (200, vec![("cache-control", "no-store, max-age=60")], "no-store", false),
        (200, vec![("cache-control", "private, max-age=60")], "private", false),
        (200, vec![("cache-control", "no-cache, max-age=60")], "no-cache", false),
        (
            200,
            vec![("cache-control", "max-age=60"), ("set-cookie", "s=1")],
            "set-cookie",
            false,
        ),
        (500, vec![("cache-control", "max-age=60")], "status", false),
        (206, vec![("cache-control", "max-age=60")], "status", false),
        (404, vec![("cache-control", "max-age=60")], "status", false),
        (302, vec![("cache-control", "max-age=60")], "status", false),
        (200, vec![], "no-ttl", false),
        (200, vec![("cache-control", "max-age=0")], "no-ttl", false),
        (
            200,
            vec![("cache-control", "max-age=60"), ("vary", "accept-language")],
            "vary",
            false,
        ),
        (200, vec![("cache-control", "max-age=60"), ("vary", "*")], "vary", false),
        (
            200,
            vec![("cache-control", "max-age=60"), ("content-encoding", "gzip")],
            "encoded",
            false,
        ),
        (
            200,
            vec![("cache-control", "max-age=60"), ("cache-tag", "a b")],
            "cache-tag",
            false,
        ),
        // A shared entry for an authenticated caller needs `public` or `s-maxage`.
        (200, vec![("cache-control", "max-age=60")], "authenticated", true),
    ];
    for (status, headers, why, authenticated) in cases {
        let request = || match authenticated {
            true => keyed("/shared/x", "key-a"),
            false => at("/pub/x"),
        };
        let platform = platform();
        origin_says(&platform, "/x", status, &headers, "body");
        let gateway = edge();
        let first = send_on(&gateway, request(), &platform);
        assert_eq!(first.response.status.0, status);
        assert_eq!(
            status_of(&first),
            format!("edgegate; fwd=miss; detail={why}"),
            "{headers:?}"
        );
        let second = send_on(&gateway, request(), &platform);
        assert_eq!(calls(&platform, "/x"), 2, "{why}: never kept");
        assert_eq!(second.said(), "body");
        assert!(platform.cache.borrow().is_empty(), "{why}");
    }
}

#[test]
fn a_policy_keeps_the_statuses_it_names_and_its_ttl_overrides_the_answers() {
    let platform = platform();
    origin_says(&platform, "/gone", 404, &[("cache-control", "max-age=60")], "gone");
    origin_says(&platform, "/plain", 200, &[], "plain");
    origin_says(&platform, "/short", 200, &[("cache-control", "max-age=5")], "short");
    let gateway = gateway_with(json!({ "edge": { "statuses": [404], "ttl": 30 } }));
    for path in ["/gone", "/plain", "/short"] {
        send_on(&gateway, at(&format!("/pub{path}")), &platform);
    }
    platform.advance_ms(29_000.0);
    for path in ["/gone", "/plain", "/short"] {
        let exchange = send_on(&gateway, at(&format!("/pub{path}")), &platform);
        assert!(
            status_of(&exchange).starts_with("edgegate; hit; ttl=1;"),
            "{path}: {}",
            status_of(&exchange)
        );
        assert_eq!(calls(&platform, path), 1);
    }
    // Still never: what the answer forbids.
    origin_says(&platform, "/secret", 200, &[("cache-control", "no-store")], "s");
    assert_eq!(
        status_of(&send_on(&gateway, at("/pub/secret"), &platform)),
        "edgegate; fwd=miss; detail=no-store"
    );
}

#[test]
fn a_stale_entry_is_fetched_again_and_s_maxage_wins_over_max_age() {
    let platform = platform();
    origin_says(
        &platform,
        "/items",
        200,
        &[("cache-control", "max-age=600, s-maxage=10")],
        "v1",
    );
    let gateway = edge();
    send_on(&gateway, at("/pub/items"), &platform);
    platform.advance_ms(10_000.0);
    origin_says(&platform, "/items", 200, &[("cache-control", "s-maxage=10")], "v2");
    let refreshed = send_on(&gateway, at("/pub/items"), &platform);
    assert_eq!(refreshed.said(), "v2");
    assert_eq!(calls(&platform, "/items"), 2);
    // Past its life the runtime dropped it: a plain miss.
    platform.advance_ms(11_000.0);
    assert!(status_of(&send_on(&gateway, at("/pub/items"), &platform)).starts_with("edgegate; fwd=miss; stored"));
}

#[test]
fn a_stale_entry_stands_in_for_a_failed_answer_within_its_stale_if_error_window() {
    let platform = platform();
    origin_says(
        &platform,
        "/items",
        200,
        &[("cache-control", "max-age=1, stale-if-error=60")],
        "kept",
    );
    let gateway = edge();
    send_on(&gateway, at("/pub/items"), &platform);
    platform.advance_ms(2_000.0);
    platform.answer(
        &format!("{ORIGIN}/items"),
        FakeAnswer::Fail(FetchError::Unreachable("down".into())),
    );
    let stale = send_on(&gateway, at("/pub/items"), &platform);
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.said(), "kept");
    let status = status_of(&stale);
    assert!(
        status.starts_with("edgegate; hit; fwd=stale; fwd-status=502; detail=stale-if-error"),
        "{status}"
    );
    assert_eq!(stale.header("age"), Some("2"));
    assert_eq!(stale.access_log()["cache"], "stale-if-error");
    // The origin's own 503 is an error too.
    origin_says(&platform, "/items", 503, &[], "busy");
    assert!(status_of(&send_on(&gateway, at("/pub/items"), &platform)).contains("fwd-status=503"));
    // Past the window, the failure is the client's answer.
    platform.advance_ms(60_000.0);
    platform.answer(
        &format!("{ORIGIN}/items"),
        FakeAnswer::Fail(FetchError::Unreachable("down".into())),
    );
    send_on(&gateway, at("/pub/items"), &platform).problem(502, "upstream-unreachable");
    // must-revalidate: never served stale.
    let platform = platform_with_origin(
        "/strict",
        &[("cache-control", "max-age=1, stale-if-error=60, must-revalidate")],
    );
    send_on(&gateway, at("/pub/strict"), &platform);
    platform.advance_ms(2_000.0);
    platform.answer(&format!("{ORIGIN}/strict"), FakeAnswer::Fail(FetchError::Timeout));
    send_on(&gateway, at("/pub/strict"), &platform).problem(504, "upstream-timeout");
}

fn platform_with_origin(path: &str, headers: &[(&str, &str)]) -> RecordingPlatform {
    let platform = platform();
    origin_says(&platform, path, 200, headers, "body");
    platform
}

#[test]
fn the_policys_stale_if_error_window_applies_to_answers_that_give_none() {
    let platform = platform_with_origin("/items", &[("cache-control", "max-age=1")]);
    let gateway = gateway_with(json!({ "edge": { "stale_if_error": 30 } }));
    send_on(&gateway, at("/pub/items"), &platform);
    platform.advance_ms(20_000.0);
    platform.answer(&format!("{ORIGIN}/items"), FakeAnswer::Fail(FetchError::Timeout));
    assert!(status_of(&send_on(&gateway, at("/pub/items"), &platform)).contains("detail=stale-if-error"));
}

#[test]
fn the_headers_a_policy_varies_on_split_its_entries() {
    let platform = platform_with_origin(
        "/greet",
        &[("cache-control", "max-age=60"), ("vary", "Accept-Language")],
    );
    let gateway = gateway_with(json!({ "edge": { "vary": ["Accept-Language"] } }));
    let with = |language: Option<&str>| {
        let request = at("/pub/greet");
        let request = match language {
            Some(l) => request.with_header("accept-language", l),
            None => request,
        };
        status_of(&send_on(&gateway, request, &platform))
    };
    assert!(with(Some("es")).contains("fwd=miss; stored"));
    assert!(with(Some("en")).contains("fwd=miss; stored"));
    assert!(with(None).contains("fwd=miss; stored"));
    assert!(with(Some("")).contains("fwd=miss; stored"), "empty is not absent");
    assert!(with(Some("es")).contains("hit"));
    assert!(with(None).contains("hit"));
    assert_eq!(calls(&platform, "/greet"), 4);
    let served = send_on(
        &gateway,
        at("/pub/greet").with_header("accept-language", "es"),
        &platform,
    );
    assert!(
        served.header("vary").unwrap_or("").starts_with("Accept-Language"),
        "the answer's Vary comes back"
    );
}

#[test]
fn per_principal_entries_never_cross_callers() {
    let platform = platform_with_origin("/me", &[("cache-control", "private, max-age=60")]);
    let gateway = edge();
    let alice = send_on(&gateway, keyed("/keyed/me", "key-a"), &platform);
    assert!(
        status_of(&alice).contains("stored"),
        "private is kept per principal: {}",
        status_of(&alice)
    );
    let bob = send_on(&gateway, keyed("/keyed/me", "key-b"), &platform);
    assert!(
        status_of(&bob).starts_with("edgegate; fwd=miss"),
        "bob never gets alice's entry"
    );
    assert_eq!(calls(&platform, "/me"), 2);
    assert!(status_of(&send_on(&gateway, keyed("/keyed/me", "key-a"), &platform)).starts_with("edgegate; hit"));
    assert!(status_of(&send_on(&gateway, keyed("/keyed/me", "key-b"), &platform)).starts_with("edgegate; hit"));
    let keys: Vec<String> = platform.cache.borrow().iter().map(|e| e.key.clone()).collect();
    assert!(
        keys.iter().any(|k| k.contains("api_key%3A%3Aalice")) && keys.iter().any(|k| k.contains("api_key%3A%3Abob")),
        "{keys:?}"
    );
}

#[test]
fn a_refused_caller_is_refused_even_when_an_entry_exists() {
    let platform = platform_with_origin("/catalog", &[("cache-control", "public, max-age=60")]);
    platform.bind_limiter("PER_CLIENT", 1, 60);
    let gateway = edge();
    assert!(status_of(&send_on(&gateway, keyed("/limited/catalog", "key-a"), &platform)).contains("stored"));
    assert!(status_of(&send_on(&gateway, keyed("/limited/catalog", "key-b"), &platform)).starts_with("edgegate; hit"));
    send_on(&gateway, at("/limited/catalog"), &platform).problem(401, "unauthorized");
    send_on(&gateway, keyed("/limited/catalog", "wrong"), &platform).problem(401, "unauthorized");
    let limited = send_on(&gateway, keyed("/limited/catalog", "key-a"), &platform);
    limited.problem(429, "rate-limited");
    assert_eq!(limited.header("cache-status"), None, "the cache was never reached");
    assert_eq!(calls(&platform, "/catalog"), 1);
}

#[test]
fn concurrent_misses_for_one_key_make_one_origin_call() {
    let platform = platform_with_origin("/hot", &[("cache-control", "max-age=60")]);
    let gateway = edge();
    let responses = at_once(&gateway, "/pub/hot", 50, &platform);
    assert_eq!(calls(&platform, "/hot"), 1);
    let statuses: Vec<String> = responses
        .iter()
        .map(|r| r.header("cache-status").unwrap_or("").to_owned())
        .collect();
    assert_eq!(statuses.iter().filter(|s| s.contains("stored")).count(), 1);
    assert_eq!(
        statuses.iter().filter(|s| s.contains("collapsed")).count(),
        49,
        "{statuses:?}"
    );
    for response in &responses {
        let body = streamed_bytes(response).unwrap_or_else(|| response.body.as_bytes().to_vec());
        assert_eq!(body, b"body");
    }
    // A collapsed answer says the age the origin gave it, as a hit would.
    let platform = platform_with_origin("/aged", &[("cache-control", "max-age=60"), ("age", "7")]);
    let responses = at_once(&gateway, "/pub/aged", 3, &platform);
    assert_eq!(calls(&platform, "/aged"), 1);
    let collapsed: Vec<&Response> = responses
        .iter()
        .filter(|r| r.header("cache-status").unwrap_or("").contains("collapsed"))
        .collect();
    assert_eq!(collapsed.len(), 2);
    assert!(collapsed.iter().all(|r| r.header("age") == Some("7")));
    // An answer that may not be kept is not shared: each caller calls.
    let platform = platform_with_origin("/cold", &[("cache-control", "no-store")]);
    at_once(&gateway, "/pub/cold", 5, &platform);
    assert_eq!(calls(&platform, "/cold"), 5);
}

fn purge(gateway: &Gateway<()>, platform: &RecordingPlatform, body: &str) -> Exchange {
    let request = post_json("/cache/purge", body)
        .with_header("host", HOST)
        .with_header("x-api-key", "key-a");
    send_on(gateway, request, platform)
}

fn key_of(exchange: &Exchange) -> String {
    let status = status_of(exchange);
    let start = status.find("key=\"").expect("a key") + 5;
    status[start..status.len() - 1].replace("\\\"", "\"")
}

#[test]
fn a_purge_removes_an_exact_key_and_every_entry_of_a_tag() {
    let platform = platform();
    origin_says(
        &platform,
        "/a",
        200,
        &[("cache-control", "max-age=60"), ("cache-tag", "catalog, item-a")],
        "a",
    );
    origin_says(
        &platform,
        "/b",
        200,
        &[("cache-control", "max-age=60"), ("cache-tag", "catalog")],
        "b",
    );
    origin_says(&platform, "/c", 200, &[("cache-control", "max-age=60")], "c");
    let gateway = gateway_with(json!({ "edge": { "tags": ["everything"] } }));
    let a = send_on(&gateway, at("/pub/a"), &platform);
    send_on(&gateway, at("/pub/b"), &platform);
    let c = send_on(&gateway, at("/pub/c"), &platform);
    // By key: only that entry.
    let purged = purge(&gateway, &platform, &json!({ "keys": [key_of(&c)] }).to_string());
    assert_eq!(purged.status(), 200, "{}", purged.text());
    assert_eq!(purged.json()["keys_removed"], 1);
    assert!(status_of(&send_on(&gateway, at("/pub/c"), &platform)).contains("fwd=miss"));
    assert!(status_of(&send_on(&gateway, at("/pub/a"), &platform)).contains("hit"));
    // By the answer's tag: both entries that carry it.
    assert_eq!(purge(&gateway, &platform, r#"{"tags": ["catalog"]}"#).status(), 200);
    assert!(status_of(&send_on(&gateway, at("/pub/a"), &platform)).contains("fwd=miss; stored"));
    assert!(status_of(&send_on(&gateway, at("/pub/b"), &platform)).contains("fwd=miss; stored"));
    assert!(status_of(&send_on(&gateway, at("/pub/c"), &platform)).contains("hit"));
    // By the policy's own tag: everything it kept.
    assert_eq!(purge(&gateway, &platform, r#"{"tags": ["everything"]}"#).status(), 200);
    for path in ["/pub/a", "/pub/b", "/pub/c"] {
        assert!(
            status_of(&send_on(&gateway, at(path), &platform)).contains("fwd=miss"),
            "{path}"
        );
    }
    assert_eq!((calls(&platform, "/a"), calls(&platform, "/c")), (3, 3));
    let _ = a;
}

#[test]
fn a_purge_is_refused_whole_when_any_part_is_wrong() {
    let platform = platform_with_origin("/x", &[("cache-control", "max-age=60")]);
    let gateway = edge();
    let kept = send_on(&gateway, at("/pub/x"), &platform);
    let key = key_of(&kept);
    let other_host = format!("https://evil.example{key}");
    let tag_entry = "/.edgegate-cache/tag/everything".to_owned();
    let too_many: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    // Keys the runtime would resolve elsewhere: to the kept entry by another
    // spelling, to a tag's generation, or out of the cache's keys.
    let climbs = [
        key.replace("/pub/x", "/pub/y/%2e%2e/x"),
        key.replace("/pub/x", "/pub/y/../x"),
        key.replace("/pub/x", "/pub/y\\..\\x"),
        "/.edgegate-cache/a/../tag/everything".to_owned(),
        "/.edgegate-cache/%2E%2E/%2e%2e/elsewhere".to_owned(),
    ];
    let cases: Vec<(String, u16, &str)> = vec![
        ("not json".into(), 400, "malformed-json"),
        ("{}".into(), 422, "invalid-body"),
        (json!({ "keys": [other_host] }).to_string(), 422, "invalid-body"),
        (json!({ "keys": [tag_entry] }).to_string(), 422, "invalid-body"),
        (json!({ "keys": [key, 7] }).to_string(), 422, "invalid-body"),
        (json!({ "keys": key }).to_string(), 422, "invalid-body"),
        (json!({ "tags": too_many }).to_string(), 422, "invalid-body"),
        (json!({ "tags": ["a,b"] }).to_string(), 422, "invalid-body"),
        (json!({ "tags": ["é"] }).to_string(), 422, "invalid-body"),
        (json!({ "tags": ["x".repeat(129)] }).to_string(), 422, "invalid-body"),
        (
            json!({ "keys": [key], "everything": true }).to_string(),
            422,
            "invalid-body",
        ),
    ];
    let climbing = climbs.map(|climb| (json!({ "keys": [climb] }).to_string(), 422, "invalid-body"));
    for (body, status, kind) in cases.into_iter().chain(climbing) {
        purge(&gateway, &platform, &body).problem(status, kind);
    }
    assert!(
        status_of(&send_on(&gateway, at("/pub/x"), &platform)).contains("hit"),
        "nothing was removed"
    );
    // A Host no key could be made with (a key's URL would end elsewhere at
    // its `/`, `#` or `?`) purges nothing.
    for host in ["h/.edgegate-cache/x#", "h?x", "h x", "h\u{e9}"] {
        let request = post_json("/cache/purge", &json!({ "keys": [key] }).to_string())
            .with_header("host", host)
            .with_header("x-api-key", "key-a");
        send_on(&gateway, request, &platform).problem(400, "invalid-header");
    }
    // Its access is its own: no key, no purge.
    let anonymous = post_json("/cache/purge", &json!({ "keys": [key] }).to_string()).with_header("host", HOST);
    send_on(&gateway, anonymous, &platform).problem(401, "unauthorized");
    // A cache that is down: 503, never a 2xx.
    platform.cache_failing.set(true);
    let down = purge(&gateway, &platform, &json!({ "keys": [key] }).to_string());
    down.problem(503, "unavailable");
    assert_eq!(down.header("retry-after"), Some("1"));
}

#[test]
fn a_cache_that_fails_never_fails_the_request() {
    let platform = platform_with_origin("/x", &[("cache-control", "max-age=60")]);
    platform.cache_failing.set(true);
    let gateway = edge();
    let exchange = send_on(&gateway, at("/pub/x"), &platform);
    assert_eq!(exchange.status(), 200);
    assert_eq!(exchange.said(), "body");
    assert_eq!(status_of(&exchange), "edgegate; fwd=miss; detail=cache-error");
    assert!(exchange.logs.iter().any(|l| l.contains("cache lookup failed")));
}

#[test]
fn other_methods_and_unkeyable_requests_pass_and_say_so() {
    let platform = platform_with_origin("/x", &[("cache-control", "max-age=60")]);
    let gateway = edge();
    let posted = send_on(
        &gateway,
        Request::new(Method::Post, "/pub/x").with_header("host", HOST),
        &platform,
    );
    assert_eq!(status_of(&posted), "edgegate; fwd=method; detail=invalidated");
    let options = send_on(
        &gateway,
        Request::new(Method::Options, "/pub/x").with_header("host", HOST),
        &platform,
    );
    assert_eq!(status_of(&options), "");
    let head = send_on(&gateway, head("/pub/x"), &platform);
    assert_eq!(
        status_of(&head),
        "edgegate; fwd=miss; detail=head",
        "a HEAD miss is not kept"
    );
    for host in ["", "bad host", "évil.example", "a/b", "a@b", &"a".repeat(256)] {
        let request = get("/pub/x").with_header("host", host);
        let exchange = send_on(&gateway, request, &platform);
        assert_eq!(status_of(&exchange), "edgegate; fwd=bypass", "{host:?}");
        assert_eq!(exchange.status(), 200);
    }
    assert!(platform.cache.borrow().is_empty());
}

#[test]
fn an_origin_cannot_forge_the_gateways_own_headers() {
    let platform = platform_with_origin(
        "/x",
        &[
            ("cache-control", "max-age=1"),
            ("x-edgegate-cache-fresh", "999999"),
            ("x-edgegate-cache-stored", "99999999999999"),
        ],
    );
    let gateway = edge();
    send_on(&gateway, at("/pub/x"), &platform);
    platform.advance_ms(2_000.0);
    let again = send_on(&gateway, at("/pub/x"), &platform);
    assert!(status_of(&again).starts_with("edgegate; fwd="), "{}", status_of(&again));
    assert_eq!(
        calls(&platform, "/x"),
        2,
        "its own one second of freshness, not the forged days"
    );
    assert_eq!(
        again.header("x-edgegate-cache-fresh"),
        None,
        "meta headers never reach the caller"
    );
}

#[test]
fn every_bad_cache_setting_or_name_is_a_misconfiguration() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "edge": { "ttl": -1 } }), "`ttl`"),
        (json!({ "edge": { "ttl": "60" } }), "`ttl`"),
        (json!({ "edge": { "ttl": 31_536_001 } }), "`ttl`"),
        (json!({ "edge": { "stale_if_error": 1.5 } }), "`stale_if_error`"),
        (json!({ "edge": { "vary": ["accept language"] } }), "`vary`"),
        (json!({ "edge": { "vary": "accept-language" } }), "`vary`"),
        (json!({ "edge": { "vary": ["*"] } }), "`vary`"),
        (json!({ "edge": { "statuses": [200] } }), "`statuses`"),
        (json!({ "edge": { "statuses": [302] } }), "`statuses`"),
        (json!({ "edge": { "max_bytes": 0 } }), "`max_bytes`"),
        (json!({ "edge": { "max_bytes": 26_214_401 } }), "`max_bytes`"),
        (json!({ "edge": { "tags": ["a b"] } }), "`tags`"),
        (json!({ "edge": { "cache": "" } }), "`cache`"),
        (json!({ "edge": { "cache": "a b" } }), "`cache`"),
        (json!({ "edge": { "keep": true } }), "unknown field `keep`"),
        (json!({ "edge": 5 }), "CACHE_POLICIES"),
        (json!({}), "routes name `edge`"),
        (json!({ "edge": {}, "typo": {} }), "`typo` is not named"),
    ];
    for (policies, expected) in cases {
        let vars = with_var(
            with_var(test_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
            "CACHE_POLICIES",
            &policies.to_string(),
        );
        let gateway = test_gateway::<()>(
            vec![Route::any_to("/pub/{*rest}", edgegate::upstream::origin("origin"))
                .public()
                .cache(cache("edge"))],
            &vars,
        );
        let reasons = gateway
            .misconfiguration()
            .unwrap_or_else(|| panic!("{policies} was accepted"))
            .join("\n");
        assert!(
            reasons.contains("CACHE_POLICIES") && reasons.contains(expected),
            "{policies}: {reasons}"
        );
        let platform = platform();
        send_on(&gateway, at("/pub/x"), &platform).problem(500, "misconfigured");
        assert!(platform.sent.borrow().is_empty() && platform.cache_calls.borrow().is_empty());
    }
}

#[test]
fn a_cache_after_a_policy_that_reads_the_body_is_a_misconfiguration() {
    // A hit answers before the body is read: the policy would never run for it.
    struct SignedBody;
    impl edgegate::policy::RoutePolicy for SignedBody {
        fn check<'a>(
            &'a self,
            request: &'a mut Request,
            _: &'a dyn edgegate::platform::Platform,
        ) -> edgegate::policy::PolicyFuture<'a> {
            let signed = request.headers.get("x-signature") == Some("good");
            Box::pin(async move {
                if signed {
                    Ok(())
                } else {
                    Err(Response::new(edgegate::http::Status(401)))
                }
            })
        }
        fn phase(&self) -> edgegate::policy::Phase {
            edgegate::policy::Phase::Body
        }
    }
    let vars = with_var(
        with_var(test_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
        "CACHE_POLICIES",
        r#"{"edge": {}}"#,
    );
    let gateway = test_gateway::<()>(
        vec![Route::any_to("/signed/{*rest}", edgegate::upstream::origin("origin"))
            .public()
            .policy(SignedBody)
            .cache(cache("edge"))],
        &vars,
    );
    let reasons = gateway.misconfiguration().expect("refused").join("\n");
    assert!(
        reasons.contains("/signed/{*rest}") && reasons.contains("reads the body"),
        "{reasons}"
    );
    let platform = platform();
    send_on(&gateway, at("/signed/x"), &platform).problem(500, "misconfigured");
    assert!(platform.sent.borrow().is_empty() && platform.cache_calls.borrow().is_empty());
}

#[test]
fn a_handlers_answer_is_kept_like_an_upstreams() {
    async fn hello() -> edgegate::http::Response {
        edgegate::http::Response::text(edgegate::http::Status::OK, "hello").with_header("cache-control", "max-age=30")
    }
    let vars = with_var(test_vars(), "CACHE_POLICIES", r#"{"edge": {}}"#);
    let gateway = test_gateway::<()>(vec![Route::get("/hello", hello).public().cache(cache("edge"))], &vars);
    let platform = platform();
    assert!(status_of(&send_on(&gateway, at("/hello"), &platform)).contains("stored"));
    let hit = send_on(&gateway, at("/hello"), &platform);
    assert!(status_of(&hit).starts_with("edgegate; hit"));
    assert_eq!(hit.said(), "hello");
}

#[test]
fn a_path_whose_answer_cannot_be_kept_passes_straight_through_for_a_while() {
    let platform = platform_with_origin("/live", &[("cache-control", "no-store")]);
    let gateway = edge();
    let lookups = |platform: &RecordingPlatform| {
        platform
            .cache_calls
            .borrow()
            .iter()
            .filter(|(op, _)| *op == "match")
            .count()
    };
    assert_eq!(
        status_of(&send_on(&gateway, at("/pub/live"), &platform)),
        "edgegate; fwd=miss; detail=no-store"
    );
    assert_eq!(lookups(&platform), 1);
    // Hit-for-pass: no lookup, no waiting behind another request, for 10 s.
    let passed = send_on(&gateway, at("/pub/live"), &platform);
    assert_eq!(status_of(&passed), "edgegate; fwd=miss; detail=no-store");
    assert_eq!(passed.access_log()["cache"], "pass");
    at_once(&gateway, "/pub/live", 5, &platform);
    assert_eq!((lookups(&platform), calls(&platform, "/live")), (1, 7));
    // Another path, and the same path once the pass is over, are looked up.
    send_on(&gateway, at("/pub/live?other=1"), &platform);
    assert_eq!(lookups(&platform), 2);
    platform.advance_ms(10_001.0);
    send_on(&gateway, at("/pub/live"), &platform);
    assert_eq!(lookups(&platform), 3);
    // A failure does not make a path pass: the next request may still find a stale entry.
    let failing = platform_with_origin("/down", &[]);
    origin_says(&failing, "/down", 502, &[], "bad gateway");
    send_on(&gateway, at("/pub/down"), &failing);
    send_on(&gateway, at("/pub/down"), &failing);
    assert_eq!(lookups(&failing), 2);
}

#[test]
fn a_dot_segment_never_climbs_into_another_callers_entry() {
    // The runtime's Cache API parses a key as a URL and resolves dot
    // segments (`%2e%2e` too): a path that climbs out of its own key must
    // never be looked up or kept (the fake cache parses keys the same way).
    let platform = platform();
    origin_says(
        &platform,
        "/items/7",
        200,
        &[("cache-control", "max-age=60")],
        "alice's seven",
    );
    let gateway = edge();
    let alices = send_on(&gateway, keyed("/keyed/items/7", "key-a"), &platform);
    assert_eq!(alices.said(), "alice's seven");
    let status = status_of(&alices);
    let key = status.split("key=\"").nth(1).expect("a key").trim_end_matches('"');
    // `/.edgegate-cache/<route>/<principal>/keyed/items/7`
    let principal = key.split('/').nth(3).expect("the principal's segment");
    for climb in ["%2e%2e", "%2E%2e", ".%2e", "%2e.", ".."] {
        let up = [climb; 3].join("/");
        for path in [
            format!("/keyed/x/{up}/{principal}/keyed/items/7"),
            format!("/keyed/x\\..\\..\\..\\{principal}/keyed/items/7"),
        ] {
            platform.cache_calls.borrow_mut().clear();
            let bobs = send_on(&gateway, keyed(&path, "key-b"), &platform);
            assert_ne!(bobs.said(), "alice's seven", "{path}");
            assert_eq!(bobs.status(), 400, "{path}: {}", bobs.said());
            assert!(
                platform.cache_calls.borrow().is_empty(),
                "{path}: {:?}",
                platform.cache_calls.borrow()
            );
        }
    }
    assert_eq!(calls(&platform, "/items/7"), 1);
}

#[test]
fn an_answer_to_a_callers_own_authorization_is_shared_only_when_it_says_so() {
    // A public route that passes the caller's `Authorization` on sees no
    // principal of its own: RFC 9111 §3.5 holds all the same, and that one
    // request does not make the key pass for everyone else.
    let platform = platform();
    origin_says(&platform, "/mine", 200, &[("cache-control", "max-age=60")], "u1's");
    origin_says(
        &platform,
        "/all",
        200,
        &[("cache-control", "public, max-age=60")],
        "everyone's",
    );
    let gateway = edge();
    let bearer = |path: &str| at(path).with_header("authorization", "Bearer u1");
    let first = send_on(&gateway, bearer("/pub/mine"), &platform);
    assert_eq!(first.said(), "u1's");
    assert_eq!(status_of(&first), "edgegate; fwd=miss; detail=authenticated");
    assert!(platform.cache.borrow().is_empty());
    let anonymous = send_on(&gateway, at("/pub/mine"), &platform);
    assert!(
        status_of(&anonymous).starts_with("edgegate; fwd=miss; stored"),
        "{}",
        status_of(&anonymous)
    );
    assert_eq!(calls(&platform, "/mine"), 2);
    // `public` says all may share it.
    send_on(&gateway, bearer("/pub/all"), &platform);
    let shared = send_on(&gateway, at("/pub/all"), &platform);
    assert!(
        status_of(&shared).starts_with("edgegate; hit"),
        "{}",
        status_of(&shared)
    );
    assert_eq!(shared.said(), "everyone's");
}

#[test]
fn a_key_callers_own_authorization_is_not_in_its_entry_so_the_shared_rules_hold() {
    // A per-caller entry is keyed on the API key's consumer; an
    // `Authorization` the same caller also sends (which an upstream may
    // read) is not in the key. Kept, its answer would go to the same
    // consumer's next request with another `Authorization`.
    let platform = platform();
    origin_says(&platform, "/me2", 200, &[("cache-control", "max-age=60")], "u1's");
    let gateway = edge();
    let as_user = |user: &str| keyed("/keyed/me2", "key-a").with_header("authorization", format!("Bearer {user}"));
    let first = send_on(&gateway, as_user("u1"), &platform);
    assert_eq!(first.said(), "u1's");
    assert_eq!(status_of(&first), "edgegate; fwd=miss; detail=authenticated");
    assert!(platform.cache.borrow().is_empty());
    origin_says(
        &platform,
        "/me2",
        200,
        &[("cache-control", "private, max-age=60")],
        "u2's",
    );
    let second = send_on(&gateway, as_user("u2"), &platform);
    assert_eq!(second.said(), "u2's", "{}", status_of(&second));
    assert_eq!(status_of(&second), "edgegate; fwd=miss; detail=private");
    // One caller's header does not make the key pass: without one, the
    // consumer's answer is kept as ever.
    origin_says(&platform, "/me2", 200, &[("cache-control", "max-age=60")], "alice's");
    let plain = send_on(&gateway, keyed("/keyed/me2", "key-a"), &platform);
    assert!(
        status_of(&plain).starts_with("edgegate; fwd=miss; stored"),
        "{}",
        status_of(&plain)
    );
    // An answer that says all may share it is kept with one.
    origin_says(
        &platform,
        "/all2",
        200,
        &[("cache-control", "public, max-age=60")],
        "everyone's",
    );
    send_on(
        &gateway,
        keyed("/keyed/all2", "key-a").with_header("authorization", "Bearer u1"),
        &platform,
    );
    let again = send_on(
        &gateway,
        keyed("/keyed/all2", "key-a").with_header("authorization", "Bearer u2"),
        &platform,
    );
    assert!(status_of(&again).starts_with("edgegate; hit"), "{}", status_of(&again));
}

#[test]
fn a_partial_or_conditional_answer_to_one_request_does_not_make_the_key_pass() {
    // A 206 to one caller's `Range` (or a 304 to its `If-None-Match`) is not
    // kept, but the next plain request is looked up and kept as ever.
    let platform = platform();
    origin_says(&platform, "/doc", 206, &[("cache-control", "max-age=60")], "d");
    let gateway = edge();
    let partial = send_on(&gateway, at("/pub/doc").with_header("range", "bytes=0-0"), &platform);
    assert_eq!(status_of(&partial), "edgegate; fwd=miss; detail=status");
    origin_says(&platform, "/doc", 200, &[("cache-control", "max-age=60")], "doc");
    let whole = send_on(&gateway, at("/pub/doc"), &platform);
    assert!(
        status_of(&whole).starts_with("edgegate; fwd=miss; stored"),
        "{}",
        status_of(&whole)
    );
    let again = send_on(&gateway, at("/pub/doc"), &platform);
    assert!(status_of(&again).starts_with("edgegate; hit"), "{}", status_of(&again));
    assert_eq!(calls(&platform, "/doc"), 2);
}

#[test]
fn a_tag_purged_while_its_fill_was_on_the_way_is_not_kept() {
    // The fill looked up before the purge and reads the tag's generation
    // after it: what it brings back may be what the purge meant to remove,
    // so it is sent and not kept.
    use std::future::Future;
    use std::task::{Context, Waker};
    let platform = platform();
    origin_says(
        &platform,
        "/t",
        200,
        &[("cache-control", "max-age=60"), ("cache-tag", "catalog")],
        "old",
    );
    let gateway = edge();
    let request = as_the_adapter_passes(&gateway, at("/pub/t"));
    let mut fill = std::pin::pin!(gateway.handle(request, &(), &platform));
    assert!(fill.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    platform.advance_ms(10.0);
    let purged = purge(&gateway, &platform, &json!({ "tags": ["catalog"] }).to_string());
    assert_eq!(purged.status(), 200, "{}", purged.said());
    let filled = edgegate::testing::block_on(fill);
    assert_eq!(filled.header("cache-status"), Some("edgegate; fwd=miss; detail=purged"));
    // Nothing was kept: the next request calls the origin again, and keeps.
    let next = send_on(&gateway, at("/pub/t"), &platform);
    assert!(
        status_of(&next).starts_with("edgegate; fwd=miss; stored"),
        "{}",
        status_of(&next)
    );
    assert_eq!(calls(&platform, "/t"), 2);
    // A fill that begins after the purge keeps its answer as ever.
    let again = send_on(&gateway, at("/pub/t"), &platform);
    assert!(status_of(&again).starts_with("edgegate; hit"), "{}", status_of(&again));
}

#[test]
fn a_route_anyone_may_enter_keeps_only_what_everyone_may_share() {
    // `any_of([public(), ..])` lets callers in without a principal: they all
    // share one entry, so a shared cache's rules hold though the policy is
    // per principal.
    let gateway = gateway_of(
        r#"{"edge": {}}"#,
        vec![Route::any_to("/open/{*rest}", edgegate::upstream::origin("origin"))
            .access(any_of([edgegate::policy::public(), api_key()]))
            .cache(cache("edge"))],
    );
    const PRIVATE: [(&str, &str); 1] = [("cache-control", "private, max-age=60")];
    let platform = platform();
    origin_says(&platform, "/feed", 200, &PRIVATE, "alice's feed");
    let alice = send_on(
        &gateway,
        at("/open/feed").with_header("cookie", "session=alice"),
        &platform,
    );
    assert_eq!(alice.said(), "alice's feed");
    assert_eq!(status_of(&alice), "edgegate; fwd=miss; detail=private");
    assert!(platform.cache.borrow().is_empty());
    origin_says(&platform, "/feed", 200, &PRIVATE, "bob's feed");
    let bob = send_on(&gateway, at("/open/feed"), &platform);
    assert_eq!(bob.said(), "bob's feed");
    // An answer to a caller's own `Authorization` is kept only when it says all may share it.
    origin_says(&platform, "/me", 200, &[("cache-control", "max-age=60")], "u1's");
    let bearer = send_on(
        &gateway,
        at("/open/me").with_header("authorization", "Bearer u1"),
        &platform,
    );
    assert_eq!(status_of(&bearer), "edgegate; fwd=miss; detail=authenticated");
    assert!(platform.cache.borrow().is_empty());
}

#[test]
fn an_upstreams_age_counts_against_its_freshness_and_never_overflows() {
    let platform = platform();
    let gateway = edge();
    // The origin answers `path` fresh for 60 s, already `age` old.
    let aged = |path: &str, age: &str| {
        origin_says(
            &platform,
            path,
            200,
            &[("cache-control", "max-age=60"), ("age", age)],
            path,
        )
    };
    // Already older than its max-age: sent, not kept (it could never be a hit).
    aged("/old", "100");
    assert_eq!(
        status_of(&send_on(&gateway, at("/pub/old"), &platform)),
        "edgegate; fwd=miss; detail=stale"
    );
    for huge in ["18446744073709551615", "99999999999999999999999"] {
        aged("/huge", huge);
        let sent = send_on(&gateway, at("/pub/huge"), &platform);
        assert_eq!(sent.status(), 200);
        assert!(
            status_of(&sent).ends_with("detail=stale") || status_of(&sent).contains("stored"),
            "{}",
            status_of(&sent)
        );
        assert!(
            !status_of(&send_on(&gateway, at("/pub/huge"), &platform)).contains("hit"),
            "{huge}"
        );
    }
    // A young one is fresh for the rest of its max-age, and says its whole age.
    aged("/young", "50");
    send_on(&gateway, at("/pub/young"), &platform);
    platform.advance_ms(5_000.0);
    assert_hit(&send_on(&gateway, at("/pub/young"), &platform), 5, "55");
    platform.advance_ms(6_000.0);
    assert!(!status_of(&send_on(&gateway, at("/pub/young"), &platform)).contains("hit"));
    // A route's `ttl` counts from when the gateway kept it.
    let ttl = gateway_with(json!({ "edge": { "ttl": 30 } }));
    origin_says(&platform, "/cdn", 200, &[("age", "100")], "from another cache");
    let stored = send_on(&ttl, at("/pub/cdn"), &platform);
    assert!(status_of(&stored).contains("stored"), "{}", status_of(&stored));
    platform.advance_ms(10_000.0);
    assert_hit(&send_on(&ttl, at("/pub/cdn"), &platform), 20, "110");
}

/// A hit fresh for `ttl` seconds more, whose `Age` is `age`.
fn assert_hit(exchange: &Exchange, ttl: u64, age: &str) {
    let status = status_of(exchange);
    assert!(status.starts_with(&format!("edgegate; hit; ttl={ttl};")), "{status}");
    assert_eq!(exchange.header("age"), Some(age));
}

#[test]
fn what_one_requests_own_headers_caused_does_not_make_the_key_pass() {
    let platform = platform();
    let gateway = edge();
    for (status, header, value) in [(416, "range", "bytes=999999-"), (412, "if-match", "\"x\"")] {
        let path = format!("/r{status}");
        origin_says(&platform, &path, status, &[("cache-control", "max-age=60")], "no");
        let refused = send_on(
            &gateway,
            at(&format!("/pub{path}")).with_header(header, value),
            &platform,
        );
        assert_eq!(status_of(&refused), "edgegate; fwd=miss; detail=status");
        origin_says(&platform, &path, 200, &[("cache-control", "max-age=60")], "yes");
        let plain = send_on(&gateway, at(&format!("/pub{path}")), &platform);
        assert!(status_of(&plain).contains("stored"), "{status}: {}", status_of(&plain));
    }
    // A request that says `no-store` keeps nothing (RFC 9111 §5.2.1.5), and
    // the next one is kept as ever.
    origin_says(&platform, "/ns", 200, &[("cache-control", "max-age=60")], "ns");
    let kept = platform.cache.borrow().len();
    let asked = send_on(
        &gateway,
        at("/pub/ns").with_header("cache-control", "no-store"),
        &platform,
    );
    assert_eq!(status_of(&asked), "edgegate; fwd=miss; detail=request-no-store");
    assert_eq!(platform.cache.borrow().len(), kept);
    let plain = send_on(&gateway, at("/pub/ns"), &platform);
    assert!(status_of(&plain).contains("stored"), "{}", status_of(&plain));
}

#[test]
fn revalidation_directives_forbid_a_stale_answer_and_the_policys_window_wins_over_the_answers() {
    // `proxy-revalidate` as `must-revalidate`; `s-maxage` on a route anyone
    // may enter (its entries are shared); a policy's `stale_if_error` over
    // the answer's own.
    let platform = platform();
    let open = gateway_of(
        r#"{"edge": {"stale_if_error": 300}}"#,
        vec![Route::any_to("/open/{*rest}", edgegate::upstream::origin("origin"))
            .access(any_of([edgegate::policy::public(), api_key()]))
            .cache(cache("edge"))],
    );
    let shared = gateway_with(json!({ "edge": { "stale_if_error": 300 } }));
    origin_says(
        &platform,
        "/p",
        200,
        &[("cache-control", "max-age=1, proxy-revalidate")],
        "p",
    );
    origin_says(&platform, "/o", 200, &[("cache-control", "s-maxage=1")], "o");
    origin_says(
        &platform,
        "/w",
        200,
        &[("cache-control", "max-age=1, stale-if-error=1")],
        "w",
    );
    send_on(&shared, at("/pub/p"), &platform);
    send_on(&open, at("/open/o"), &platform);
    send_on(&shared, at("/pub/w"), &platform);
    platform.advance_ms(30_000.0);
    for path in ["/p", "/o", "/w"] {
        platform.answer(
            &format!("{ORIGIN}{path}"),
            FakeAnswer::Fail(FetchError::Unreachable("down".into())),
        );
    }
    assert_eq!(send_on(&shared, at("/pub/p"), &platform).status(), 502);
    assert_eq!(send_on(&open, at("/open/o"), &platform).status(), 502);
    // The answer allowed 1 s of stale-if-error, the policy 300: 29 s past, the policy's holds.
    let stale = send_on(&shared, at("/pub/w"), &platform);
    assert_eq!(stale.said(), "w");
    assert!(status_of(&stale).contains("stale-if-error"), "{}", status_of(&stale));
}

#[test]
fn a_stale_entry_called_again_says_fwd_stale_and_a_purge_takes_at_most_100_keys() {
    // Kept past its freshness for its stale-if-error window: there, stale.
    let platform = platform();
    let gateway = gateway_with(json!({ "edge": { "stale_if_error": 60 } }));
    origin_says(&platform, "/s", 200, &[("cache-control", "max-age=1")], "s");
    send_on(&gateway, at("/pub/s"), &platform);
    platform.advance_ms(2_000.0);
    let again = send_on(&gateway, at("/pub/s"), &platform);
    assert!(
        status_of(&again).starts_with("edgegate; fwd=stale; stored"),
        "{}",
        status_of(&again)
    );
    let base = key_of(&again);
    let keys: Vec<String> = (0..101).map(|i| format!("{base}{i}")).collect();
    purge(&gateway, &platform, &json!({ "keys": keys }).to_string()).problem(422, "invalid-body");
    let keys = &keys[..100];
    assert_eq!(
        purge(&gateway, &platform, &json!({ "keys": keys }).to_string()).status(),
        200
    );
}

#[test]
fn s_maxage_forbids_a_stale_answer_in_this_shared_cache() {
    // RFC 9111 §5.2.2.10: `s-maxage` implies `proxy-revalidate`, so not
    // even the policy's stale-if-error window serves it stale.
    let platform = platform();
    let gateway = gateway_with(json!({ "edge": { "stale_if_error": 300 } }));
    origin_says(&platform, "/s", 200, &[("cache-control", "s-maxage=1")], "s");
    origin_says(&platform, "/m", 200, &[("cache-control", "max-age=1")], "m");
    send_on(&gateway, at("/pub/s"), &platform);
    send_on(&gateway, at("/pub/m"), &platform);
    platform.advance_ms(2_000.0);
    for path in ["/s", "/m"] {
        platform.answer(
            &format!("{ORIGIN}{path}"),
            FakeAnswer::Fail(FetchError::Unreachable("down".into())),
        );
    }
    assert_eq!(send_on(&gateway, at("/pub/s"), &platform).status(), 502);
    let stale = send_on(&gateway, at("/pub/m"), &platform);
    assert_eq!(stale.said(), "m");
    assert!(status_of(&stale).contains("stale-if-error"), "{}", status_of(&stale));
}

#[test]
fn a_204_is_kept_and_served_as_any_2xx() {
    let platform = platform();
    let gateway = edge();
    origin_says(&platform, "/none", 204, &[("cache-control", "max-age=60")], "");
    let first = send_on(&gateway, at("/pub/none"), &platform);
    assert_eq!(first.status(), 204);
    assert!(status_of(&first).contains("stored"), "{}", status_of(&first));
    let second = send_on(&gateway, at("/pub/none"), &platform);
    assert_eq!(second.status(), 204);
    assert!(
        status_of(&second).starts_with("edgegate; hit"),
        "{}",
        status_of(&second)
    );
    assert_eq!(second.said(), "");
    assert_eq!(calls(&platform, "/none"), 1);
}

#[test]
fn a_purge_reaches_only_its_own_policys_entries() {
    // Two policies in the default cache, both with a `catalog` tag: one's
    // purge (by tag or by key) leaves the other's entries alone.
    let gateway = gateway_of(
        r#"{"edge": {}, "other": {}}"#,
        vec![
            public_cached("/pub/{*rest}", "edge"),
            public_cached("/alt/{*rest}", "other"),
            Route::purge("/cache/purge", "edge").api_key(),
        ],
    );
    let platform = platform();
    let tagged = [("cache-control", "max-age=60"), ("cache-tag", "catalog")];
    origin_says(&platform, "/t", 200, &tagged, "t");
    let edge = send_on(&gateway, at("/pub/t"), &platform);
    let other = send_on(&gateway, at("/alt/t"), &platform);
    assert!(status_of(&other).contains("stored"), "{}", status_of(&other));
    // By tag: edge's entry goes, other's stays.
    let purged = purge(&gateway, &platform, &json!({ "tags": ["catalog"] }).to_string());
    assert_eq!(purged.status(), 200, "{}", purged.said());
    assert!(!status_of(&send_on(&gateway, at("/pub/t"), &platform)).contains("hit"));
    assert!(status_of(&send_on(&gateway, at("/alt/t"), &platform)).starts_with("edgegate; hit"));
    // By key: another policy's key is refused, whole, and its entry stays.
    let refused = purge(&gateway, &platform, &json!({ "keys": [key_of(&other)] }).to_string());
    refused.problem(422, "invalid-body");
    assert!(
        refused.said().contains("no key of this policy's entries"),
        "{}",
        refused.said()
    );
    assert!(status_of(&send_on(&gateway, at("/alt/t"), &platform)).starts_with("edgegate; hit"));
    // Its own key is purged as ever.
    let own = purge(&gateway, &platform, &json!({ "keys": [key_of(&edge)] }).to_string());
    assert_eq!(own.status(), 200, "{}", own.said());
}

#[test]
fn a_purge_reaches_the_entries_of_the_host_it_is_sent_to() {
    let platform = platform();
    let gateway = edge();
    origin_says(&platform, "/h", 200, &[("cache-control", "max-age=60")], "h");
    let kept = send_on(&gateway, at("/pub/h"), &platform);
    let body = json!({ "keys": [key_of(&kept)] }).to_string();
    let elsewhere = post_json("/cache/purge", &body)
        .with_header("host", "other.example.com")
        .with_header("x-api-key", "key-a");
    let answered = send_on(&gateway, elsewhere, &platform);
    assert_eq!(answered.json()["keys_removed"], 0, "{}", answered.said());
    assert!(status_of(&send_on(&gateway, at("/pub/h"), &platform)).starts_with("edgegate; hit"));
    assert_eq!(purge(&gateway, &platform, &body).json()["keys_removed"], 1);
}

/// The Cache API lookups made so far.
fn lookups(platform: &RecordingPlatform) -> usize {
    platform
        .cache_calls
        .borrow()
        .iter()
        .filter(|(call, _)| *call == "match")
        .count()
}

#[test]
fn a_policy_with_memory_answers_hits_from_the_isolates_memory_while_fresh_and_held() {
    let platform = platform();
    origin_says(
        &platform,
        "/m",
        200,
        &[("cache-control", "max-age=60"), ("content-type", "text/plain")],
        "mem",
    );
    let gateway = gateway_with(json!({ "edge": { "memory": 10 } }));
    let first = send_on(&gateway, at("/pub/m"), &platform);
    assert!(status_of(&first).contains("fwd=miss; stored"), "{}", status_of(&first));
    let looked_up = lookups(&platform);
    platform.advance_ms(3_000.0);
    let second = send_on(&gateway, at("/pub/m"), &platform);
    assert_eq!(second.said(), "mem");
    assert_eq!(lookups(&platform), looked_up, "no Cache API lookup");
    assert!(
        status_of(&second).starts_with("edgegate; hit; ttl=57; detail=memory; key=\"/.edgegate-cache/"),
        "{}",
        status_of(&second)
    );
    assert_eq!(second.header("age"), Some("3"));
    assert_eq!(second.header("cache-control"), Some("max-age=60"));
    assert_eq!(second.header("content-type"), Some("text/plain"));
    assert_eq!(second.access_log()["cache"], "hit");
    assert!(second
        .response
        .headers()
        .all(|(name, _)| !name.starts_with("x-edgegate-cache-")));
    let head = send_on(&gateway, head("/pub/m"), &platform);
    assert!(status_of(&head).contains("detail=memory") && head.said().is_empty());
    // Past its `memory` seconds the Cache API answers, and holds it again.
    platform.advance_ms(8_000.0);
    let later = send_on(&gateway, at("/pub/m"), &platform);
    assert!(
        status_of(&later).starts_with("edgegate; hit; ttl=49; key="),
        "{}",
        status_of(&later)
    );
    assert_eq!(later.said(), "mem");
    assert_eq!(lookups(&platform), looked_up + 1);
    let again = send_on(&gateway, at("/pub/m"), &platform);
    assert!(status_of(&again).contains("detail=memory"), "{}", status_of(&again));
    assert_eq!(again.said(), "mem");
    assert_eq!(lookups(&platform), looked_up + 1);
    assert_eq!(calls(&platform, "/m"), 1);
}

#[test]
fn memory_never_outlives_freshness_nor_crosses_principals() {
    let platform = platform();
    origin_says(&platform, "/short", 200, &[("cache-control", "max-age=2")], "short");
    origin_says(
        &platform,
        "/mine",
        200,
        &[("cache-control", "private, max-age=60")],
        "alice's",
    );
    let gateway = gateway_with(json!({ "edge": { "memory": 60 } }));
    send_on(&gateway, at("/pub/short"), &platform);
    platform.advance_ms(2_500.0);
    let stale = send_on(&gateway, at("/pub/short"), &platform);
    assert!(status_of(&stale).contains("fwd=miss"), "{}", status_of(&stale));
    assert_eq!(calls(&platform, "/short"), 2);
    // Per principal: Alice's answer held in memory is never Bob's.
    let alice = send_on(&gateway, keyed("/keyed/mine", "key-a"), &platform);
    assert!(status_of(&alice).contains("stored"), "{}", status_of(&alice));
    assert!(status_of(&send_on(&gateway, keyed("/keyed/mine", "key-a"), &platform)).contains("detail=memory"));
    let bob = send_on(&gateway, keyed("/keyed/mine", "key-b"), &platform);
    assert!(status_of(&bob).contains("fwd=miss"), "{}", status_of(&bob));
    assert_eq!(calls(&platform, "/mine"), 2);
    // A refused caller is refused before memory is looked at.
    let refused = send_on(&gateway, keyed("/keyed/mine", "key-x"), &platform);
    assert_eq!(refused.status(), 401);
}

#[test]
fn a_purge_forgets_what_this_isolate_holds_in_memory() {
    let platform = platform();
    origin_says(
        &platform,
        "/a",
        200,
        &[("cache-control", "max-age=60"), ("cache-tag", "t")],
        "a",
    );
    origin_says(&platform, "/c", 200, &[("cache-control", "max-age=60")], "c");
    let gateway = gateway_with(json!({ "edge": { "memory": 30 } }));
    send_on(&gateway, at("/pub/a"), &platform);
    let c = send_on(&gateway, at("/pub/c"), &platform);
    assert!(status_of(&send_on(&gateway, at("/pub/c"), &platform)).contains("detail=memory"));
    assert_eq!(
        purge(&gateway, &platform, &json!({ "keys": [key_of(&c)] }).to_string()).status(),
        200
    );
    assert!(status_of(&send_on(&gateway, at("/pub/c"), &platform)).contains("fwd=miss"));
    assert!(status_of(&send_on(&gateway, at("/pub/a"), &platform)).contains("detail=memory"));
    assert_eq!(purge(&gateway, &platform, r#"{"tags": ["t"]}"#).status(), 200);
    assert!(status_of(&send_on(&gateway, at("/pub/a"), &platform)).contains("fwd=miss; stored"));
    assert_eq!((calls(&platform, "/a"), calls(&platform, "/c")), (2, 2));
}

#[test]
fn a_memory_setting_out_of_range_is_a_misconfiguration() {
    for memory in [json!(61), json!(-1), json!("1"), json!(1.5), json!(null)] {
        let vars = with_var(
            with_var(test_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
            "CACHE_POLICIES",
            &json!({ "edge": { "memory": memory } }).to_string(),
        );
        let gateway = test_gateway(vec![public_cached("/pub/{*rest}", "edge")], &vars);
        let problem = gateway.misconfiguration().expect("refused").join("; ");
        assert!(
            problem.contains("`memory` must be a whole number of seconds from 0 to 60"),
            "{memory}: {problem}"
        );
    }
}

#[test]
fn an_entry_too_large_for_memory_streams_from_the_cache_api_and_is_not_held() {
    let platform = platform();
    let big = "x".repeat(4 * 1024 * 1024 + 1);
    origin_says(&platform, "/big", 200, &[("cache-control", "max-age=60")], &big);
    let gateway = gateway_with(json!({ "edge": { "memory": 30, "max_bytes": 8 * 1024 * 1024 } }));
    assert!(status_of(&send_on(&gateway, at("/pub/big"), &platform)).contains("stored"));
    for _ in 0..2 {
        let hit = send_on(&gateway, at("/pub/big"), &platform);
        assert!(
            status_of(&hit).starts_with("edgegate; hit; ttl=60; key="),
            "{}",
            status_of(&hit)
        );
        assert_eq!(streamed_bytes(&hit.response).map(|b| b.len()), Some(big.len()));
    }
    assert_eq!(calls(&platform, "/big"), 1);
}

#[test]
fn a_key_that_passed_is_looked_up_again_once_an_answer_to_it_is_kept() {
    let platform = platform();
    origin_says(&platform, "/flip", 200, &[("cache-control", "no-store")], "not now");
    let gateway = edge();
    let refused = send_on(&gateway, at("/pub/flip"), &platform);
    assert_eq!(status_of(&refused), "edgegate; fwd=miss; detail=no-store");
    origin_says(&platform, "/flip", 200, &[("cache-control", "max-age=60")], "now");
    let kept = send_on(&gateway, at("/pub/flip"), &platform);
    assert!(status_of(&kept).contains("stored"), "{}", status_of(&kept));
    let hit = send_on(&gateway, at("/pub/flip"), &platform);
    assert!(status_of(&hit).starts_with("edgegate; hit"), "{}", status_of(&hit));
    assert_eq!(calls(&platform, "/flip"), 2);
}

#[test]
fn an_answer_fetched_while_a_purge_ran_is_not_held_in_memory() {
    let platform = platform();
    origin_says(&platform, "/r", 200, &[("cache-control", "max-age=60")], "r");
    let gateway = gateway_with(json!({ "edge": { "memory": 30 } }));
    let fill = as_the_adapter_passes(&gateway, at("/pub/r"));
    let purge = as_the_adapter_passes(
        &gateway,
        post_json("/cache/purge", r#"{"tags": ["nothing-kept-has-it"]}"#)
            .with_header("host", HOST)
            .with_header("x-api-key", "key-a"),
    );
    let answers = block_on_all(vec![
        gateway.handle(fill, &(), &platform),
        gateway.handle(purge, &(), &platform),
    ]);
    assert_eq!(answers[1].status.0, 200);
    let next = send_on(&gateway, at("/pub/r"), &platform);
    assert!(
        status_of(&next).starts_with("edgegate; hit; ttl=60; key="),
        "from the Cache API, not memory: {}",
        status_of(&next)
    );
    assert!(status_of(&send_on(&gateway, at("/pub/r"), &platform)).contains("detail=memory"));
}

#[test]
fn when_the_call_others_wait_for_is_dropped_unanswered_one_of_them_calls_for_all() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let platform = platform_with_origin("/dropped", &[("cache-control", "max-age=60")]);
    let gateway = edge();
    let mut context = Context::from_waker(Waker::noop());
    let start = || Box::pin(gateway.handle(as_the_adapter_passes(&gateway, at("/pub/dropped")), &(), &platform));
    // The leader reaches the origin call (looked up, then calling), and its
    // client goes: the runtime drops its request before the origin answers.
    let mut leader = start();
    while calls(&platform, "/dropped") == 0 {
        assert!(leader.as_mut().poll(&mut context).is_pending());
    }
    let mut waiting: Vec<_> = (0..5).map(|_| start()).collect();
    for _ in 0..3 {
        for request in &mut waiting {
            assert!(request.as_mut().poll(&mut context).is_pending());
        }
    }
    drop(leader);
    let answers = block_on_all(waiting);
    let statuses: Vec<&str> = answers.iter().map(|r| r.header("cache-status").unwrap_or("")).collect();
    assert_eq!(calls(&platform, "/dropped"), 2, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| s.contains("stored")).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| s.contains("collapsed")).count(),
        4,
        "{statuses:?}"
    );
}

#[test]
fn a_call_older_than_any_wait_no_longer_holds_its_key() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let platform = platform_with_origin("/quiet", &[("cache-control", "max-age=60")]);
    let gateway = edge();
    let mut context = Context::from_waker(Waker::noop());
    // A leader whose request went quiet: never polled again, never dropped.
    let mut quiet = Box::pin(gateway.handle(as_the_adapter_passes(&gateway, at("/pub/quiet")), &(), &platform));
    while calls(&platform, "/quiet") == 0 {
        assert!(quiet.as_mut().poll(&mut context).is_pending());
    }
    platform.advance_ms(31_000.0);
    // The next request leads at once, and the one after it collapses onto it.
    let answers = at_once(&gateway, "/pub/quiet", 2, &platform);
    let statuses: Vec<&str> = answers.iter().map(|r| r.header("cache-status").unwrap_or("")).collect();
    assert!(statuses[0].contains("fwd=miss; stored"), "{statuses:?}");
    assert!(statuses[1].contains("collapsed"), "{statuses:?}");
    assert_eq!(calls(&platform, "/quiet"), 2);
    drop(quiet);
}

#[test]
fn a_successful_unsafe_request_removes_the_entry_of_its_target() {
    let platform = platform();
    origin_says(&platform, "/doc", 200, &[("cache-control", "max-age=60")], "v1");
    let gateway = gateway_with(json!({ "edge": { "memory": 30 } }));
    assert!(status_of(&send_on(&gateway, at("/pub/doc"), &platform)).contains("stored"));
    assert!(status_of(&send_on(&gateway, at("/pub/doc"), &platform)).starts_with("edgegate; hit"));
    // An error changes nothing: the entry stays.
    origin_says(&platform, "/doc", 409, &[], "conflict");
    let refused = send_on(
        &gateway,
        Request::new(Method::Put, "/pub/doc").with_header("host", HOST),
        &platform,
    );
    assert_eq!(
        (refused.status(), status_of(&refused).as_str()),
        (409, "edgegate; fwd=method")
    );
    assert!(status_of(&send_on(&gateway, at("/pub/doc"), &platform)).starts_with("edgegate; hit"));
    // A success removes it, in memory too.
    for method in [Method::Put, Method::Delete, Method::Post] {
        origin_says(&platform, "/doc", 200, &[("cache-control", "max-age=60")], "v2");
        let changed = send_on(
            &gateway,
            Request::new(method.clone(), "/pub/doc").with_header("host", HOST),
            &platform,
        );
        assert_eq!(
            status_of(&changed),
            "edgegate; fwd=method; detail=invalidated",
            "{method:?}"
        );
        let next = send_on(&gateway, at("/pub/doc"), &platform);
        assert!(
            status_of(&next).contains("fwd=miss; stored"),
            "{method:?}: {}",
            status_of(&next)
        );
        assert_eq!(next.said(), "v2");
    }
    // On a per-caller policy, the caller's own entry.
    origin_says(
        &platform,
        "/mine",
        200,
        &[("cache-control", "private, max-age=60")],
        "alice's",
    );
    send_on(&gateway, keyed("/keyed/mine", "key-a"), &platform);
    send_on(&gateway, keyed("/keyed/mine", "key-b"), &platform);
    let mut patch = keyed("/keyed/mine", "key-a");
    patch.method = Method::Patch;
    let patched = send_on(&gateway, patch, &platform);
    assert_eq!(status_of(&patched), "edgegate; fwd=method; detail=invalidated");
    assert!(status_of(&send_on(&gateway, keyed("/keyed/mine", "key-a"), &platform)).contains("fwd=miss"));
    assert!(status_of(&send_on(&gateway, keyed("/keyed/mine", "key-b"), &platform)).starts_with("edgegate; hit"));
}

#[test]
fn a_lookup_that_overlaps_a_purge_holds_nothing_in_memory() {
    let platform = platform();
    origin_says(&platform, "/p", 200, &[("cache-control", "max-age=60")], "p");
    let gateway = gateway_with(json!({ "edge": { "memory": 30 } }));
    let kept = send_on(&gateway, at("/pub/p"), &platform);
    // Past the memory's seconds: the next lookup asks the Cache API, while
    // the purge's removal has not landed yet.
    platform.advance_ms(31_000.0);
    let purge = as_the_adapter_passes(
        &gateway,
        post_json("/cache/purge", &json!({ "keys": [key_of(&kept)] }).to_string())
            .with_header("host", HOST)
            .with_header("x-api-key", "key-a"),
    );
    let lookup = as_the_adapter_passes(&gateway, at("/pub/p"));
    let answers = block_on_all(vec![
        gateway.handle(purge, &(), &platform),
        gateway.handle(lookup, &(), &platform),
    ]);
    assert_eq!(answers[0].status.0, 200);
    let next = send_on(&gateway, at("/pub/p"), &platform);
    assert!(status_of(&next).contains("fwd=miss"), "not held: {}", status_of(&next));
}

#[test]
fn a_write_invalidates_what_the_get_route_keeps_and_a_fill_in_flight_is_not_kept() {
    let platform = platform();
    origin_says(&platform, "/doc", 200, &[("cache-control", "max-age=60")], "v1");
    // A public cached GET and a keyed POST of its own (no cache of its own).
    let gateway = gateway_of(
        r#"{"edge": {"memory": 30}}"#,
        vec![
            public_cached("/docs/{*rest}", "edge"),
            Route::to(
                Some(Method::Post),
                "/docs/{*rest}",
                edgegate::upstream::origin("origin"),
            )
            .api_key(),
        ],
    );
    assert!(status_of(&send_on(&gateway, at("/docs/doc"), &platform)).contains("stored"));
    let posted = send_on(&gateway, as_post(keyed("/docs/doc", "key-a")), &platform);
    assert_eq!(status_of(&posted), "edgegate; fwd=method; detail=invalidated");
    origin_says(&platform, "/doc", 200, &[("cache-control", "max-age=60")], "v2");
    let after = send_on(&gateway, at("/docs/doc"), &platform);
    assert!(status_of(&after).contains("fwd=miss"), "{}", status_of(&after));
    assert_eq!(after.said(), "v2");
    // A GET's call under way when a write lands: its (older) answer is sent, not kept.
    platform.advance_ms(61_000.0);
    let fill = as_the_adapter_passes(&gateway, at("/docs/doc"));
    let write = as_the_adapter_passes(&gateway, as_post(keyed("/docs/doc", "key-a")));
    let answers = block_on_all(vec![
        gateway.handle(fill, &(), &platform),
        gateway.handle(write, &(), &platform),
    ]);
    assert_eq!(
        answers[0].header("cache-status"),
        Some("edgegate; fwd=miss; detail=purged")
    );
    assert!(status_of(&send_on(&gateway, at("/docs/doc"), &platform)).contains("fwd=miss; stored"));
}

/// The same request as a POST.
fn as_post(mut request: Request) -> Request {
    request.method = Method::Post;
    request
}

#[test]
fn a_requests_own_no_cache_does_not_pass_a_fresh_entry_by() {
    let platform = platform_with_origin("/reload", &[("cache-control", "max-age=60")]);
    let gateway = edge();
    send_on(&gateway, at("/pub/reload"), &platform);
    for (name, value) in [
        ("cache-control", "no-cache"),
        ("cache-control", "max-age=0"),
        ("pragma", "no-cache"),
    ] {
        let reload = send_on(&gateway, at("/pub/reload").with_header(name, value), &platform);
        assert!(status_of(&reload).starts_with("edgegate; hit"), "{name}: {value}");
    }
    assert_eq!(calls(&platform, "/reload"), 1);
}

#[test]
fn a_handlers_write_invalidates_what_the_paths_cached_get_keeps() {
    use edgegate::http::Status;
    use std::cell::Cell;
    thread_local! {
        static VERSION: Cell<u32> = const { Cell::new(1) };
    }
    async fn read() -> Response {
        Response::text(Status::OK, format!("v{}", VERSION.get())).with_header("cache-control", "max-age=60")
    }
    async fn write() -> Status {
        VERSION.set(VERSION.get() + 1);
        Status::NO_CONTENT
    }
    let platform = platform();
    // Handlers, not an upstream: the write's route reads no header of its
    // own, yet its request carries what the GET's key is made of.
    let gateway = of_handlers(vec![
        Route::get("/doc/{name}", read).public().cache(cache("edge")),
        Route::put("/doc/{name}", write).api_key(),
    ]);
    assert!(status_of(&send_on(&gateway, at("/doc/a"), &platform)).contains("stored"));
    let mut put = keyed("/doc/a", "key-a");
    put.method = Method::Put;
    let written = send_on(&gateway, put, &platform);
    assert_eq!(written.status(), 204);
    assert_eq!(status_of(&written), "edgegate; fwd=method; detail=invalidated");
    let after = send_on(&gateway, at("/doc/a"), &platform);
    assert!(status_of(&after).contains("fwd=miss"), "{}", status_of(&after));
    assert_eq!(after.said(), "v2");
}

#[test]
fn a_body_over_max_bytes_is_answered_whole_and_not_kept() {
    let platform = platform();
    let big = "b".repeat(1024 * 1024 + 1);
    origin_says(&platform, "/big", 200, &[("cache-control", "max-age=60")], &big);
    let gateway = edge();
    for call in 1..=2 {
        let answer = send_on(&gateway, at("/pub/big"), &platform);
        assert_eq!(status_of(&answer), "edgegate; fwd=miss; detail=size");
        assert_eq!(answer.said().len(), big.len(), "answered whole");
        assert_eq!(calls(&platform, "/big"), call, "not kept: called again");
    }
    // At the limit, kept.
    origin_says(&platform, "/fits", 200, &[("cache-control", "max-age=60")], &big[1..]);
    assert!(status_of(&send_on(&gateway, at("/pub/fits"), &platform)).contains("stored"));
}

#[test]
fn the_gateways_own_problem_is_never_kept_even_with_its_status_listed() {
    let platform = platform();
    let gateway = gateway_of(
        r#"{"edge": {"statuses": [404], "ttl": 30}}"#,
        vec![
            Route::get("/missing", || async {
                Err::<&str, _>(edgegate::problem::ApiError::not_found("Nothing here."))
            })
            .public()
            .cache(cache("edge")),
            public_cached("/pub/{*rest}", "edge"),
        ],
    );
    for _ in 0..2 {
        let answer = send_on(&gateway, at("/missing"), &platform);
        answer.problem(404, "not-found");
        assert_eq!(status_of(&answer), "edgegate; fwd=miss; detail=problem");
    }
}

#[test]
fn memory_holds_64_answers_and_4_mib_per_policy_forgetting_the_oldest() {
    let platform = platform();
    let gateway = gateway_with(json!({ "edge": { "memory": 60, "max_bytes": 8 * 1024 * 1024 } }));
    for i in 0..65 {
        origin_says(
            &platform,
            &format!("/m{i}"),
            200,
            &[("cache-control", "max-age=60")],
            "m",
        );
        assert!(status_of(&send_on(&gateway, at(&format!("/pub/m{i}")), &platform)).contains("stored"));
    }
    // The 64 newest are held (oldest first, so the first of them last).
    for i in (1..65).rev() {
        let held = send_on(&gateway, at(&format!("/pub/m{i}")), &platform);
        assert!(status_of(&held).contains("detail=memory"), "m{i}: {}", status_of(&held));
    }
    // The 65th pushed out the first: a Cache API hit, no origin call.
    let oldest = send_on(&gateway, at("/pub/m0"), &platform);
    assert!(
        status_of(&oldest).starts_with("edgegate; hit"),
        "{}",
        status_of(&oldest)
    );
    assert!(!status_of(&oldest).contains("detail=memory"), "{}", status_of(&oldest));
    assert_eq!(calls(&platform, "/m0"), 1);
    // Bytes too: three bodies of 1.5 MiB pass 4 MiB, and the first goes.
    let body = "x".repeat(3 * 512 * 1024);
    for i in 0..3 {
        origin_says(
            &platform,
            &format!("/b{i}"),
            200,
            &[("cache-control", "max-age=60")],
            &body,
        );
        assert!(status_of(&send_on(&gateway, at(&format!("/pub/b{i}")), &platform)).contains("stored"));
    }
    assert!(status_of(&send_on(&gateway, at("/pub/b2"), &platform)).contains("detail=memory"));
    assert!(status_of(&send_on(&gateway, at("/pub/b1"), &platform)).contains("detail=memory"));
    let first = send_on(&gateway, at("/pub/b0"), &platform);
    assert!(!status_of(&first).contains("detail=memory"), "{}", status_of(&first));
}

#[test]
fn a_key_parameter_the_handler_reads_is_part_of_the_key_one_the_gateway_consumed_is_not() {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Word {
        key: Option<String>,
    }
    async fn define(edgegate::extract::Query(word): edgegate::extract::Query<Word>) -> Response {
        let said = format!("definition of {}", word.key.as_deref().unwrap_or("-"));
        Response::text(edgegate::http::Status::OK, said).with_header("cache-control", "max-age=60")
    }
    let platform = platform();
    let gateway = of_handlers(vec![
        Route::get("/dict", define).public().cache(cache("edge")),
        Route::get("/mine", define).api_key().cache(cache("edge")),
    ]);
    // A public dictionary: `key` is the word looked up, each its own entry.
    assert_eq!(
        send_on(&gateway, at("/dict?key=apple"), &platform).said(),
        "definition of apple"
    );
    let banana = send_on(&gateway, at("/dict?key=banana"), &platform);
    assert_eq!(banana.said(), "definition of banana", "{}", status_of(&banana));
    let apple = send_on(&gateway, at("/dict?key=apple"), &platform);
    assert!(status_of(&apple).starts_with("edgegate; hit"), "{}", status_of(&apple));
    assert_eq!(apple.said(), "definition of apple");
    // A key the gateway consumed: the handler never sees it, and it never
    // becomes part of a key (one entry, whichever way the key came).
    let by_query = send_on(&gateway, at("/mine?key=key-a"), &platform);
    assert_eq!(by_query.said(), "definition of -");
    assert!(!status_of(&by_query).contains("key-a"), "{}", status_of(&by_query));
    let by_header = send_on(&gateway, keyed("/mine", "key-a"), &platform);
    assert!(
        status_of(&by_header).starts_with("edgegate; hit"),
        "{}",
        status_of(&by_header)
    );
}

#[test]
fn a_body_that_stalls_after_its_head_is_a_504_in_the_upstreams_time_or_a_stale_entry() {
    let platform = platform();
    let stalls = || FakeAnswer::Stall {
        status: 200,
        turns: 1_000_000,
    };
    // The policy makes any 200 fresh for 1 s, and usable for 60 s past it
    // should the upstream fail.
    let gateway = gateway_of(
        r#"{"edge": {"ttl": 1, "stale_if_error": 60}}"#,
        vec![
            Route::any_to("/slow/{*rest}", edgegate::upstream::origin("origin").timeout_ms(2_000))
                .public()
                .cache(cache("edge")),
        ],
    );
    // Nothing kept: a 504 once the upstream's 2 s have passed since its head.
    platform.answer(&format!("{ORIGIN}/items"), stalls());
    let started = edgegate::platform::Platform::now_ms(&platform);
    let stalled = send_on(&gateway, at("/slow/items"), &platform);
    stalled.problem(504, "upstream-timeout");
    let waited = edgegate::platform::Platform::now_ms(&platform) - started;
    assert!((2_000.0..2_100.0).contains(&waited), "{waited} ms");
    assert_eq!(status_of(&stalled), "edgegate; fwd=miss; detail=unreadable");
    // A kept answer past its freshness stands in, within its stale-if-error window.
    origin_says(&platform, "/items", 200, &[], "kept");
    let kept = send_on(&gateway, at("/slow/items"), &platform);
    assert!(status_of(&kept).contains("stored"), "{}", status_of(&kept));
    platform.advance_ms(2_000.0);
    platform.answer(&format!("{ORIGIN}/items"), stalls());
    let stale = send_on(&gateway, at("/slow/items"), &platform);
    assert_eq!(stale.status(), 200, "{}", status_of(&stale));
    assert_eq!(stale.said(), "kept");
    let status = status_of(&stale);
    assert!(
        status.starts_with("edgegate; hit; fwd=stale; fwd-status=504; detail=stale-if-error"),
        "{status}"
    );
    assert_eq!(stale.access_log()["cache"], "stale-if-error");
}

#[test]
fn a_hit_counts_against_the_callers_quota_like_any_request() {
    let platform = platform_with_origin("/catalog", &[("cache-control", "public, max-age=60")]);
    let vars = with_var(
        with_var(
            with_var(test_vars(), "UPSTREAMS", &json!({ "origin": ORIGIN }).to_string()),
            "CACHE_POLICIES",
            r#"{"edge": {}}"#,
        ),
        "API_KEYS",
        r#"{"key-a": "alice"}"#,
    );
    let vars = with_var(vars, "QUOTAS", r#"{"default": {"per_minute": 2}}"#);
    let gateway = test_gateway(
        vec![Route::any_to("/q/{*rest}", edgegate::upstream::origin("origin"))
            .api_key()
            .policy(edgegate::policy::quota("QUOTA"))
            .cache(cache("edge").shared())],
        &vars,
    );
    assert_eq!(gateway.misconfiguration(), None);
    let first = send_on(&gateway, keyed("/q/catalog", "key-a"), &platform);
    assert!(status_of(&first).contains("stored"), "{}", status_of(&first));
    let hit = send_on(&gateway, keyed("/q/catalog", "key-a"), &platform);
    assert!(status_of(&hit).starts_with("edgegate; hit"), "{}", status_of(&hit));
    assert_eq!(
        platform.count_of("QUOTA", "quota:api_key::alice", 60),
        2,
        "the hit was counted"
    );
    // The minute's two are spent: the entry is there, the caller is refused.
    let refused = send_on(&gateway, keyed("/q/catalog", "key-a"), &platform);
    refused.problem(429, "quota-exceeded");
    assert_eq!(refused.header("cache-status"), None, "the cache was never reached");
    assert_eq!(calls(&platform, "/catalog"), 1);
}
