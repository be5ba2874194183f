//! Traffic control through the gateway's entry point: rate limits on the
//! (fake) rate-limit binding and quotas in the (fake) quota object — keys,
//! windows, headers, refusals, failures and misconfiguration, on test
//! tables. The app's routes as wrangler.toml configures them are tested
//! with the app (tests/traffic.rs).

mod support;

use edgegate::http::{Method, Request};
use edgegate::policy::{api_key, quota, rate_limit};
use edgegate::routing::{Group, Route};
use edgegate::testing::{as_the_adapter_passes, block_on_all, RecordingPlatform};
use support::*;

const KEYS: &str = r#"{"key-a": "alice", "key-b": "bob", "key-c": "carol"}"#;

async fn ok() -> &'static str {
    "ok"
}

/// Settings for the test tables: three keys, a limiter `L` of 3 per 60 s,
/// and `QUOTAS` as given.
fn vars(quotas: &str) -> Vars {
    let vars = with_var(test_vars(), "API_KEYS", KEYS);
    let vars = with_var(vars, "RATE_LIMITS", r#"{"L": {"limit": 3, "period": 60}}"#);
    with_var(vars, "QUOTAS", quotas)
}

fn limited_gateway(quotas: &str) -> edgegate::gateway::Gateway<()> {
    let mut routes = Group::new("/api")
        .access(api_key())
        .policy(rate_limit("L"))
        .routes([Route::get("/a", ok), Route::post("/b", ok).max_body_bytes(4)]);
    routes.push(Route::get("/open", ok).public().policy(rate_limit("L").per_client()));
    routes.push(
        Route::get("/total", ok)
            .public()
            .policy(rate_limit("L").per_key("everyone")),
    );
    routes.push(
        Route::get("/closed", ok)
            .api_key()
            .policy(rate_limit("L").fail_closed()),
    );
    routes.push(Route::get("/q", ok).api_key().policy(quota("QUOTA")));
    routes.push(Route::get("/q-public", ok).public().policy(quota("QUOTA")));
    routes.push(
        Route::get("/q-closed", ok)
            .api_key()
            .policy(quota("QUOTA").fail_closed()),
    );
    test_gateway(routes, &vars(quotas))
}

fn with_limiter() -> RecordingPlatform {
    let platform = RecordingPlatform::default();
    platform.bind_limiter("L", 3, 60);
    platform
}

fn as_(key: &str, target: &str) -> Request {
    get(target).with_header("x-api-key", key)
}

/// Seconds left in the current window of `seconds` on the platform's clock.
fn left_in_window(platform: &RecordingPlatform, seconds: u64) -> u64 {
    let now = (edgegate::platform::Platform::now_ms(platform) / 1000.0).floor() as u64;
    seconds - now % seconds
}

#[test]
fn a_burst_gets_exactly_the_limit_then_429s_a_client_can_act_on() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    for _ in 0..3 {
        let exchange = send_on(&gateway, as_("key-a", "/api/a"), &platform);
        assert_eq!(exchange.status(), 200);
        assert_eq!(exchange.header("ratelimit-policy"), Some(r#""l";q=3;w=60"#));
    }
    for _ in 0..2 {
        let refused = send_on(&gateway, as_("key-a", "/api/a"), &platform);
        let problem = refused.problem(429, "rate-limited");
        let retry_after = left_in_window(&platform, 60);
        assert_eq!(refused.header("retry-after"), Some(retry_after.to_string().as_str()));
        assert_eq!(problem["retry_after"], retry_after);
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("3 requests per 60 seconds"));
        assert_eq!(refused.header("ratelimit-policy"), Some(r#""l";q=3;w=60"#));
        assert_eq!(refused.access_log()["limit"], "rate_limit:L");
        assert_eq!(refused.access_log()["principal"], "alice");
    }
    // The next window counts afresh.
    platform.advance_ms(left_in_window(&platform, 60) as f64 * 1000.0);
    assert_eq!(send_on(&gateway, as_("key-a", "/api/a"), &platform).status(), 200);
}

#[test]
fn each_principal_has_its_own_bucket_shared_across_the_routes_of_the_limiter() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    for _ in 0..3 {
        assert_eq!(send_on(&gateway, as_("key-a", "/api/a"), &platform).status(), 200);
    }
    assert_eq!(send_on(&gateway, as_("key-b", "/api/a"), &platform).status(), 200);
    // The same limiter and key on another route of the group: the same bucket.
    let post = Request::new(Method::Post, "/api/b").with_header("x-api-key", "key-a");
    send_on(&gateway, post, &platform).problem(429, "rate-limited");
    let keys: Vec<String> = platform.counted.borrow().iter().map(|(_, key)| key.clone()).collect();
    assert!(
        keys.iter().all(|k| k == "api_key::alice" || k == "api_key::bob"),
        "{keys:?}"
    );
}

#[test]
fn nothing_is_counted_before_access_passes_and_the_body_is_not_read_before_the_limit() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    send_on(&gateway, get("/api/a"), &platform).problem(401, "unauthorized");
    send_on(&gateway, as_("wrong", "/api/a"), &platform).problem(401, "unauthorized");
    assert!(
        platform.counted.borrow().is_empty(),
        "a refused caller spends no one's budget"
    );
    for _ in 0..3 {
        send_on(&gateway, as_("key-a", "/api/a"), &platform);
    }
    // Over the limit, a body over the route's limit is never looked at: 429, not 413.
    let big = Request::new(Method::Post, "/api/b")
        .with_header("x-api-key", "key-a")
        .with_header("content-length", "99")
        .with_body("x".repeat(99));
    send_on(&gateway, big, &platform).problem(429, "rate-limited");
}

#[test]
fn preflights_and_plain_options_are_never_counted() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    for _ in 0..10 {
        let preflight = Request::new(Method::Options, "/api/a")
            .with_header("origin", FRONTEND)
            .with_header("access-control-request-method", "GET")
            .with_header("access-control-request-headers", "x-api-key");
        assert_eq!(send_on(&gateway, preflight, &platform).status(), 204);
        let options = Request::new(Method::Options, "/api/a").with_header("x-api-key", "key-a");
        assert_eq!(send_on(&gateway, options, &platform).status(), 204);
    }
    assert!(platform.counted.borrow().is_empty());
}

#[test]
fn a_429_from_an_allowed_origin_carries_cors_headers_that_expose_the_limits() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    let from_browser = || as_("key-a", "/api/a").with_header("origin", FRONTEND);
    for _ in 0..3 {
        send_on(&gateway, from_browser(), &platform);
    }
    let refused = send_on(&gateway, from_browser(), &platform);
    refused.problem(429, "rate-limited");
    assert_eq!(refused.header("access-control-allow-origin"), Some(FRONTEND));
    let exposed = refused.header("access-control-expose-headers").unwrap();
    for header in ["ratelimit", "ratelimit-policy", "retry-after"] {
        assert!(exposed.split(", ").any(|h| h == header), "{exposed}");
    }
}

#[test]
fn per_client_counts_by_address_and_an_ipv6_client_by_its_64() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    let from = |ip: &str| get("/open").with_header("cf-connecting-ip", ip);
    for _ in 0..3 {
        assert_eq!(send_on(&gateway, from("203.0.113.7"), &platform).status(), 200);
    }
    send_on(&gateway, from("203.0.113.7"), &platform).problem(429, "rate-limited");
    assert_eq!(send_on(&gateway, from("203.0.113.8"), &platform).status(), 200);
    // One IPv6 network hands out addresses at will: its hosts share a bucket.
    for host in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"] {
        assert_eq!(send_on(&gateway, from(host), &platform).status(), 200);
    }
    send_on(&gateway, from("2001:db8:1:2::77"), &platform).problem(429, "rate-limited");
    // An IPv4-mapped IPv6 address is its IPv4 address: not one shared /64.
    send_on(&gateway, from("::ffff:203.0.113.7"), &platform).problem(429, "rate-limited");
    assert_eq!(send_on(&gateway, from("::ffff:203.0.113.9"), &platform).status(), 200);
    assert_eq!(send_on(&gateway, from("2001:db8:1:3::1"), &platform).status(), 200);
    // A key does not change the bucket: it is the address that counts here.
    let keyed = from("203.0.113.7").with_header("x-api-key", "key-b");
    send_on(&gateway, keyed, &platform).problem(429, "rate-limited");
    let keys: Vec<String> = platform.counted.borrow().iter().map(|(_, key)| key.clone()).collect();
    assert!(
        keys.contains(&"ip:203.0.113.7".to_owned()) && keys.contains(&"ip:2001:db8:1:2::/64".to_owned()),
        "{keys:?}"
    );
}

#[test]
fn hostile_client_addresses_share_one_bucket_and_never_reach_the_key_as_text() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    for ip in [
        "not-an-ip",
        "203.0.113.7, 10.0.0.1",
        "ünïcode",
        &"9".repeat(5000),
        "1.2.3.4\"x",
    ] {
        send_on(&gateway, get("/open").with_header("cf-connecting-ip", ip), &platform);
    }
    send_on(&gateway, get("/open"), &platform);
    let keys: Vec<String> = platform.counted.borrow().iter().map(|(_, key)| key.clone()).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert!(keys.iter().all(|k| k == "ip:unknown"), "{keys:?}");
}

#[test]
fn a_fixed_key_counts_everyone_together() {
    let gateway = limited_gateway(r#"{"default": {}}"#);
    let platform = with_limiter();
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(
            send_on(&gateway, get("/total").with_header("cf-connecting-ip", ip), &platform).status(),
            200
        );
    }
    send_on(
        &gateway,
        get("/total").with_header("cf-connecting-ip", "198.51.100.1"),
        &platform,
    )
    .problem(429, "rate-limited");
}

#[test]
fn a_failing_limiter_fails_open_with_an_error_line_unless_the_route_fails_closed() {
    let gateway = limited_gateway(r#"{"default": {"per_day": 5}}"#);
    let platform = with_limiter();
    platform.fail_binding("L");
    platform.fail_binding("QUOTA");
    for target in ["/api/a", "/q"] {
        let open = send_on(&gateway, as_("key-a", target), &platform);
        assert_eq!(open.status(), 200, "{target}");
        let line = open
            .logs
            .iter()
            .find(|l| l.contains("traffic control failed"))
            .expect("an error line");
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["level"], "error");
        assert_eq!(line["request"], "let through (fail open)");
        assert_eq!(line["request_id"].as_str(), open.header("x-request-id"));
    }
    for (target, limit) in [("/closed", "rate_limit:L"), ("/q-closed", "quota")] {
        let closed = send_on(&gateway, as_("key-a", target), &platform);
        closed.problem(503, "traffic-control-unavailable");
        assert_eq!(closed.header("retry-after"), Some("5"));
        assert_eq!(closed.access_log()["limit"], limit);
        assert!(closed.access_log()["error"].as_str().unwrap().contains("failed"));
        assert!(!closed.text().contains("binding"), "the cause stays in the log");
    }
}

#[test]
fn a_quota_admits_exactly_its_units_and_says_what_is_left() {
    let gateway =
        limited_gateway(r#"{"default": {"per_day": 1000}, "api_key:alice": {"per_day": 100, "per_minute": 3}}"#);
    let platform = with_limiter();
    for left in [2, 1, 0] {
        let exchange = send_on(&gateway, as_("key-a", "/q"), &platform);
        assert_eq!(exchange.status(), 200);
        assert_eq!(
            exchange.header("ratelimit-policy"),
            Some(r#""quota-day";q=100;w=86400, "quota-minute";q=3;w=60"#)
        );
        let day_left = 100 - 3 + left;
        let expected = format!(
            r#""quota-day";r={day_left};t={}, "quota-minute";r={left};t={}"#,
            left_in_window(&platform, 86_400),
            left_in_window(&platform, 60)
        );
        assert_eq!(exchange.header("ratelimit"), Some(expected.as_str()));
    }
    let refused = send_on(&gateway, as_("key-a", "/q"), &platform);
    let problem = refused.problem(429, "quota-exceeded");
    assert!(problem["detail"].as_str().unwrap().contains("quota per minute"));
    assert_eq!(
        refused.header("retry-after").unwrap(),
        left_in_window(&platform, 60).to_string()
    );
    assert_eq!(refused.access_log()["limit"], "quota:minute");
    // A refused request is not counted: the day still has 97 left.
    let key = "quota:api_key::alice";
    assert_eq!(platform.count_of("QUOTA", key, 86_400), 3);
    // Bob has the default: a day's thousand, no minute limit.
    let bob = send_on(&gateway, as_("key-b", "/q"), &platform);
    assert_eq!(bob.header("ratelimit-policy"), Some(r#""quota-day";q=1000;w=86400"#));
    // The next minute, Alice may go on.
    platform.advance_ms(left_in_window(&platform, 60) as f64 * 1000.0);
    assert_eq!(send_on(&gateway, as_("key-a", "/q"), &platform).status(), 200);
    assert_eq!(platform.count_of("QUOTA", key, 86_400), 4);
}

#[test]
fn concurrent_requests_never_pass_a_quota_by_even_one() {
    let gateway = limited_gateway(r#"{"default": {"per_day": 7}}"#);
    let platform = with_limiter();
    let requests: Vec<_> = (0..40)
        .map(|_| {
            let request = as_the_adapter_passes(&gateway, as_("key-c", "/q"));
            gateway.handle(request, &(), &platform)
        })
        .collect();
    let statuses: Vec<u16> = block_on_all(requests).iter().map(|r| r.status.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 7, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 33);
    assert_eq!(platform.count_of("QUOTA", "quota:api_key::carol", 86_400), 7);
}

#[test]
fn a_default_of_no_quota_calls_nothing_and_a_public_route_counts_per_address() {
    let gateway = limited_gateway(r#"{"default": {}, "api_key:alice": {"per_day": 2}}"#);
    let platform = with_limiter();
    let bob = send_on(&gateway, as_("key-b", "/q"), &platform);
    assert_eq!(
        (bob.status(), bob.header("ratelimit"), bob.header("ratelimit-policy")),
        (200, None, None)
    );
    assert!(platform.counted.borrow().is_empty());
    let gateway = limited_gateway(r#"{"default": {"per_day": 1}}"#);
    let from = |ip: &str| get("/q-public").with_header("cf-connecting-ip", ip);
    assert_eq!(send_on(&gateway, from("203.0.113.9"), &platform).status(), 200);
    send_on(&gateway, from("203.0.113.9"), &platform).problem(429, "quota-exceeded");
    assert_eq!(send_on(&gateway, from("203.0.113.10"), &platform).status(), 200);
}

#[test]
fn misconfigured_limits_and_quotas_fail_closed_naming_the_setting() {
    let routes = || {
        vec![
            Route::get("/a", ok).public().policy(rate_limit("L")),
            Route::get("/q", ok).public().policy(quota("QUOTA")),
        ]
    };
    let with = |rate_limits: Option<&str>, quotas: Option<&str>| {
        let mut vars: Vars = test_vars()
            .into_iter()
            .filter(|(n, _)| n != "RATE_LIMITS" && n != "QUOTAS")
            .collect();
        if let Some(value) = rate_limits {
            vars = with_var(vars, "RATE_LIMITS", value);
        }
        if let Some(value) = quotas {
            vars = with_var(vars, "QUOTAS", value);
        }
        let gateway = test_gateway(routes(), &vars);
        let reasons = gateway.misconfiguration().map(|r| r.join("\n")).unwrap_or_default();
        if !reasons.is_empty() {
            send(&gateway, get("/a")).problem(500, "misconfigured");
        }
        reasons
    };
    let good_limits = r#"{"L": {"limit": 5, "period": 10}}"#;
    let good_quotas = r#"{"default": {"per_day": 5}}"#;
    assert_eq!(with(Some(good_limits), Some(good_quotas)), "");
    for (limits, quotas, expected) in [
        (
            None,
            Some(good_quotas),
            "routes name the limiter `L`, which is not defined here",
        ),
        (
            Some(r#"{"L": {"limit": 5, "period": 10}, "M": "off"}"#),
            Some(good_quotas),
            "`M` is not named by any route",
        ),
        (
            Some(r#"{"L": {"limit": 5, "period": 30}}"#),
            Some(good_quotas),
            "period must be 10 or 60",
        ),
        (
            Some(r#"{"L": {"limit": 0, "period": 60}}"#),
            Some(good_quotas),
            "limit must be 1 to 4294967295, not 0",
        ),
        (
            Some(r#"{"L": {"limit": -1, "period": 60}}"#),
            Some(good_quotas),
            "RATE_LIMITS: `L` must be",
        ),
        (
            Some(r#"{"L": {"limit": 5, "period": 60, "burst": 9}}"#),
            Some(good_quotas),
            "unknown field `burst`",
        ),
        (Some(r#"{"L": "of"}"#), Some(good_quotas), "RATE_LIMITS: `L` must be"),
        (Some("[1, 2]"), Some(good_quotas), "RATE_LIMITS: must be a JSON object"),
        (Some(good_limits), None, "QUOTAS is not set"),
        (
            Some(good_limits),
            Some(r#"{"api_key:alice": {"per_day": 5}}"#),
            "needs a `default` entry",
        ),
        (
            Some(good_limits),
            Some(r#"{"default": {"per_day": 0}}"#),
            "a quota is 1 to",
        ),
        (
            Some(good_limits),
            Some(r#"{"default": {"per_hour": 5}}"#),
            "unknown field `per_hour`",
        ),
        (
            Some(good_limits),
            Some(r#"{"default": {"per_day": "many"}}"#),
            "`per_day` is not a whole number",
        ),
        (
            Some(good_limits),
            Some(r#"{"default": {}, "default": {}}"#),
            "given twice",
        ),
        (Some(good_limits), Some("not json"), "QUOTAS: must be"),
    ] {
        let reasons = with(limits, quotas);
        assert!(reasons.contains(expected), "{limits:?} {quotas:?}: {reasons}");
    }
}

#[test]
fn a_limiter_that_is_off_is_never_called_and_need_not_be_bound() {
    let vars = with_var(vars(r#"{"default": {}}"#), "RATE_LIMITS", r#"{"L": "off"}"#);
    let mut gateway = test_gateway(vec![Route::get("/a", ok).public().policy(rate_limit("L"))], &vars);
    assert_eq!(gateway.bindings().count(), 0);
    gateway.check_bindings(|_, _| false);
    assert_eq!(gateway.misconfiguration(), None);
    let platform = RecordingPlatform::default();
    let exchange = send_on(&gateway, get("/a"), &platform);
    assert_eq!((exchange.status(), exchange.header("ratelimit-policy")), (200, None));
    assert!(platform.counted.borrow().is_empty());
}

#[test]
fn hostile_limit_settings_and_keys_are_refused_at_start() {
    let gateway = |routes: Vec<Route<()>>, rate_limits: &str, quotas: &str| {
        let vars = with_var(vars(quotas), "RATE_LIMITS", rate_limits);
        let gateway = test_gateway(routes, &vars);
        gateway.misconfiguration().map(|r| r.join("\n")).unwrap_or_default()
    };
    let limiter = r#"{"L": {"limit": 5, "period": 60}}"#;
    // A fixed key with a space, a line break or bytes outside ASCII.
    for key in ["a b", "a\nb", "ключ", ""] {
        let routes = vec![Route::get("/a", ok).public().policy(rate_limit("L").per_key(key))];
        let reasons = gateway(routes, limiter, r#"{"default": {}}"#);
        assert!(
            reasons.contains("under a key that is not visible ASCII"),
            "{key:?}: {reasons}"
        );
    }
    let routes = || {
        vec![Route::get("/a", ok)
            .public()
            .policy(rate_limit("L"))
            .policy(quota("QUOTA"))]
    };
    // Huge numbers: a limit past u32, a quota past what a JS number counts exactly.
    let reasons = gateway(
        routes(),
        r#"{"L": {"limit": 99999999999, "period": 60}}"#,
        r#"{"default": {}}"#,
    );
    assert!(
        reasons.contains("limit must be 1 to 4294967295, not 99999999999"),
        "{reasons}"
    );
    let reasons = gateway(routes(), limiter, r#"{"default": {"per_day": 1000000000000000000}}"#);
    assert!(
        reasons.contains("a quota is 1 to 1125899906842624 requests"),
        "{reasons}"
    );
    // Negative and fractional numbers are no whole numbers.
    for quota in ["-5", "2.5", "1e3"] {
        let reasons = gateway(
            routes(),
            limiter,
            &format!(r#"{{"default": {{"per_minute": {quota}}}}}"#),
        );
        assert!(
            reasons.contains("`per_minute` is not a whole number"),
            "{quota}: {reasons}"
        );
    }
    // A principal id outside ASCII is an ordinary entry: it is matched exactly.
    let reasons = gateway(
        routes(),
        limiter,
        r#"{"default": {}, "api_key:ålice\u0000": {"per_day": 1}}"#,
    );
    assert_eq!(reasons, "");
    // A consumer whose key only another environment's API_KEYS gives (a
    // secret, while QUOTAS is shared): not this one's misconfiguration.
    let reasons = gateway(
        routes(),
        limiter,
        r#"{"default": {}, "api_key:partner-a": {"per_day": 1000}}"#,
    );
    assert_eq!(reasons, "");
}

#[test]
fn refusals_before_the_traffic_phase_and_unmatched_paths_say_no_policy() {
    // README, "Answers a client can act on": IP rules, access, a 404 and a
    // 405 answer before the phase, so they carry no RateLimit headers.
    let vars = with_var(vars(r#"{"default": {"per_day": 5}}"#), "IP_DENY", "203.0.113.9");
    let gateway = test_gateway(
        vec![Route::get("/both", ok)
            .api_key()
            .policy(rate_limit("L"))
            .policy(quota("QUOTA"))],
        &vars,
    );
    let platform = with_limiter();
    // With IP rules, an address is needed: an allowed one, or the denied one.
    let from = |request: Request, ip: &str| request.with_header("cf-connecting-ip", ip);
    let passed = send_on(&gateway, from(as_("key-a", "/both"), "198.51.100.7"), &platform);
    assert_eq!(passed.status(), 200, "{}", passed.text());
    assert!(
        passed.header("ratelimit-policy").is_some(),
        "the phase says its policies"
    );
    let delete = Request::new(Method::Delete, "/both").with_header("x-api-key", "key-a");
    for (request, ip, status) in [
        (get("/both"), "198.51.100.7", 401),
        (as_("wrong", "/both"), "198.51.100.7", 401),
        (as_("key-a", "/both"), "203.0.113.9", 403),
        (as_("key-a", "/nowhere"), "198.51.100.7", 404),
        (delete, "198.51.100.7", 405),
    ] {
        let exchange = send_on(&gateway, from(request, ip), &platform);
        assert_eq!(exchange.status(), status, "{}", exchange.text());
        assert_eq!(exchange.header("ratelimit-policy"), None, "{status}");
        assert_eq!(exchange.header("ratelimit"), None, "{status}");
    }
}

#[test]
fn a_request_a_later_policy_refuses_was_counted_by_the_earlier_one() {
    // README: the policies run in the route's order, so a rate limit listed
    // before a quota spends a slot on a quota refusal.
    let gateway = test_gateway(
        vec![Route::get("/both", ok)
            .api_key()
            .policy(rate_limit("L"))
            .policy(quota("QUOTA"))],
        &vars(r#"{"default": {}, "api_key:alice": {"per_day": 1}}"#),
    );
    let platform = with_limiter();
    assert_eq!(send_on(&gateway, as_("key-a", "/both"), &platform).status(), 200);
    send_on(&gateway, as_("key-a", "/both"), &platform).problem(429, "quota-exceeded");
    let limited = platform
        .counted
        .borrow()
        .iter()
        .filter(|(binding, _)| binding == "L")
        .count();
    assert_eq!(limited, 2, "{:?}", platform.counted.borrow());
    assert_eq!(platform.count_of("QUOTA", "quota:api_key::alice", 86_400), 1);
}

#[test]
fn a_counter_on_a_route_twice_is_a_misconfiguration_not_a_double_count() {
    let cases: Vec<(Vec<Route<()>>, &str)> = vec![
        (
            Group::new("/api")
                .access(api_key())
                .policy(quota("QUOTA"))
                .routes([Route::get("/x", ok).policy(quota("QUOTA"))]),
            "the quota `QUOTA` is on it twice",
        ),
        (
            Group::new("/api")
                .access(api_key())
                .policy(rate_limit("L"))
                .routes([Route::get("/x", ok).policy(rate_limit("L"))]),
            "the rate limit `L`",
        ),
    ];
    for (routes, expected) in cases {
        let gateway = test_gateway(routes, &vars(r#"{"default": {"per_day": 10}}"#));
        let reasons = gateway.misconfiguration().expect(expected).join("\n");
        assert!(reasons.contains(expected) && reasons.contains("/api/x"), "{reasons}");
        send_on(&gateway, as_("key-a", "/api/x"), &with_limiter()).problem(500, "misconfigured");
    }
    // Per principal and per client are one counter for a caller without a
    // principal (both count its address): refused together too.
    let routes = Group::new("/open")
        .access(edgegate::policy::public())
        .policy(rate_limit("L"))
        .routes([Route::<()>::get("/x", ok).policy(rate_limit("L").per_client())]);
    let gateway = test_gateway(routes, &vars(r#"{"default": {}}"#));
    assert!(gateway.misconfiguration().is_some());
    // A route's total beside each caller's count stands.
    let routes = Group::new("/api")
        .access(api_key())
        .policy(rate_limit("L"))
        .routes([Route::<()>::get("/x", ok).policy(rate_limit("L").per_key("everyone"))]);
    let gateway = test_gateway(routes, &vars(r#"{"default": {}}"#));
    assert_eq!(gateway.misconfiguration(), None);
}
