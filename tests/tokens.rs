//! Bearer tokens on the app's routes through the gateway's one entry point,
//! on the host: the claim and header rules, the JWKS cache and its limits,
//! scopes and the answers. Signatures are the host platform's stand-in
//! scheme (`RecordingPlatform::sign`, keys and tokens from the framework's
//! test support); typed claims on a test table are tested with the framework
//! (crates/edgegate/tests/tokens.rs), real WebCrypto end to end
//! (tests/e2e/jwt.test.mjs).

mod support;

use edgegate::platform::{FetchError, SignatureAlgorithm};
use edgegate::policy::{any_of, api_key, jwt, public};
use edgegate::routing::Route;
use edgegate::testing::{block_on_all, FakeAnswer, RecordingPlatform};
use edgegate_app::AppState;
use serde_json::{json, Value};
use support::tokens::*;
use support::*;

/// The app's gateway with the `firebase` provider at a JWKS URL.
fn app_with_remote_keys(extra: Value) -> edgegate::gateway::Gateway<AppState> {
    app_gateway(&with_var(dev_vars(), "JWT_PROVIDERS", &providers(json!(JWKS), extra)))
}

#[test]
fn a_valid_token_is_the_principal_with_its_claims() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let token = token_with(&platform, |_| {}, &key);
    let me = send_on(
        &gateway,
        bearer("/api/me", &token).with_header("x-request-id", "tok-1"),
        &platform,
    );
    assert_eq!(me.status(), 200, "{}", me.text());
    let body = me.json();
    assert_eq!(body["id"], "alice");
    assert_eq!(body["scheme"], "jwt");
    assert_eq!(body["provider"], "firebase");
    assert_eq!(body["claims"], claims(&platform));
    // The body's keys in the order the README shows.
    assert!(me
        .text()
        .starts_with(r#"{"id":"alice","scheme":"jwt","provider":"firebase","claims":{"#));
    let log = me.access_log();
    assert_eq!(
        (log["principal"].as_str(), log["scheme"].as_str()),
        (Some("alice"), Some("jwt"))
    );
    assert!(me.logs.iter().all(|line| !line.contains(&token)));
    // The seed's pair takes a key or a token.
    let goodbye = send_on(&gateway, bearer("/api/goodbye", &token), &platform);
    assert_eq!((goodbye.status(), goodbye.text().as_str()), (200, "Goodbye, World!"));
    let keyed = send_on(&gateway, get("/api/me").with_header("x-api-key", DEV_KEY), &platform).json();
    assert_eq!(
        keyed,
        json!({"id": "dev", "scheme": "api_key", "provider": null, "claims": null})
    );
}

#[test]
fn every_claim_check_refuses_with_its_own_detail() {
    type Change = Box<dyn Fn(&mut Value)>;
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let now = now_s(&platform);
    let cases: Vec<(&str, Change)> = vec![
        (
            "The token has expired.",
            Box::new(move |c| c["exp"] = json!(now - 61.0)),
        ),
        (
            "The token has no expiry.",
            Box::new(|c| c.as_object_mut().unwrap().remove("exp").map(drop).unwrap()),
        ),
        ("The token has no expiry.", Box::new(|c| c["exp"] = json!("tomorrow"))),
        (
            "The token is not valid yet.",
            Box::new(move |c| c["nbf"] = json!(now + 61.0)),
        ),
        (
            "The token was issued in the future.",
            Box::new(move |c| c["iat"] = json!(now + 61.0)),
        ),
        (
            "The token's issuer is not accepted.",
            Box::new(|c| c["iss"] = json!("https://evil.test")),
        ),
        (
            "The token's issuer is not accepted.",
            Box::new(|c| c.as_object_mut().unwrap().remove("iss").map(drop).unwrap()),
        ),
        (
            "The token's audience is not accepted.",
            Box::new(|c| c["aud"] = json!("other")),
        ),
        (
            "The token's audience is not accepted.",
            Box::new(|c| c["aud"] = json!(["other", 7])),
        ),
        ("The token has no subject.", Box::new(|c| c["sub"] = json!(""))),
        ("The token has no subject.", Box::new(|c| c["sub"] = json!(42))),
    ];
    for (detail, change) in cases {
        let token = token_with(&platform, change, &key);
        let answer = send_on(&gateway, bearer("/api/me", &token), &platform);
        let body = answer.problem(401, "unauthorized");
        assert_eq!(body["detail"], detail);
        assert_eq!(
            answer.header("www-authenticate"),
            Some(r#"ApiKey header="x-api-key", query="key", Bearer realm="firebase", error="invalid_token""#)
        );
        assert!(!answer.text().contains(&token));
    }
    // Within the minute of skew, and with the audience among several, a token passes.
    for change in [
        Box::new(move |c: &mut Value| c["exp"] = json!(now - 59.0)) as Change,
        Box::new(move |c| c["nbf"] = json!(now + 59.0)),
        Box::new(|c| c["aud"] = json!(["other", AUDIENCE])),
    ] {
        let token = token_with(&platform, change, &key);
        assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    }
}

#[test]
fn forged_and_malformed_tokens_are_refused_without_echoing_them() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key, &ec_key("e1")], None);
    let gateway = app_with_remote_keys(json!({}));
    let good = token_with(&platform, |_| {}, &key);
    let (head, rest) = good.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let payload = |claims: &Value| b64(claims.to_string().as_bytes());
    let mut tampered_claims = claims(&platform);
    tampered_claims["sub"] = json!("mallory");
    let ec_header = b64(json!({"alg": "ES256", "kid": "k1"}).to_string().as_bytes());
    let none = b64(json!({"alg": "none"}).to_string().as_bytes());
    let hs = b64(json!({"alg": "HS256", "kid": "k1"}).to_string().as_bytes());
    let crit = b64(json!({"alg": "RS256", "kid": "k1", "crit": ["exp"]})
        .to_string()
        .as_bytes());
    let cases = [
        (
            format!("{head}.{}.{signature}", payload(&tampered_claims)),
            "The token's signature does not verify.",
        ),
        (
            format!("{head}.{}.{}", payload(&claims(&platform)), b64(b"not the signature")),
            "The token's signature does not verify.",
        ),
        (
            format!("{none}.{}.", payload(&claims(&platform))),
            "The token's algorithm is not accepted.",
        ),
        (
            format!("{hs}.{}.{signature}", payload(&claims(&platform))),
            "The token's algorithm is not accepted.",
        ),
        (
            format!("{ec_header}.{}.{signature}", payload(&claims(&platform))),
            "The token's signing key does not fit its algorithm.",
        ),
        (
            format!("{crit}.{}.{signature}", payload(&claims(&platform))),
            "The bearer token is malformed.",
        ),
        (
            format!("{head}.{}", payload(&claims(&platform))),
            "The bearer token is malformed.",
        ),
        (
            format!("{head}.{}.{signature}.x", payload(&claims(&platform))),
            "The bearer token is malformed.",
        ),
        (format!("{head}.%%%.{signature}"), "The bearer token is malformed."),
        (
            format!("{}.{}.{signature}", b64(b"not json"), payload(&claims(&platform))),
            "The bearer token is malformed.",
        ),
        (
            format!("{head}.{}.{signature}", b64(b"[1,2]")),
            "The bearer token is malformed.",
        ),
        (
            format!("{head}.{}.{signature}", "A".repeat(100_000)),
            "The bearer token is too large.",
        ),
    ];
    for (token, detail) in cases {
        let answer = send_on(&gateway, bearer("/api/me", &token), &platform);
        let body = answer.problem(401, "unauthorized");
        assert_eq!(body["detail"], detail, "{}", &token[..token.len().min(80)]);
        assert!(!answer.text().contains(&token[token.len().saturating_sub(20)..]));
    }
    // A token anywhere but the Authorization header is no token at all.
    let query = send_on(&gateway, get(&format!("/api/me?access_token={good}")), &platform);
    let detail = query.problem(401, "unauthorized")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.ends_with("or a bearer token in the Authorization header is required."),
        "{detail}"
    );
    let basic = send_on(
        &gateway,
        get("/api/me").with_header("authorization", format!("Basic {good}")),
        &platform,
    );
    basic.problem(401, "unauthorized");
    assert_eq!(
        basic.header("www-authenticate"),
        Some(r#"ApiKey header="x-api-key", query="key", Bearer realm="firebase""#)
    );
    let lower = send_on(
        &gateway,
        get("/api/me").with_header("authorization", format!("bearer {good}")),
        &platform,
    );
    assert_eq!(lower.status(), 200);
}

#[test]
fn keys_are_fetched_once_for_concurrent_first_requests_and_then_cached() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let tokens: Vec<String> = (0..10)
        .map(|i| token_with(&platform, |c| c["sub"] = json!(format!("user-{i}")), &key))
        .collect();
    let state = AppState::default();
    let answers = block_on_all(
        tokens
            .iter()
            .map(|token| gateway.handle(bearer("/api/me", token), &state, &platform))
            .collect(),
    );
    assert!(answers.iter().all(|r| r.status.0 == 200));
    assert_eq!(platform.fetches_of(JWKS), 1);
    // Fresh for five minutes: no fetch; then the next request refreshes.
    platform.advance_ms(299_000.0);
    let token = token_with(&platform, |_| {}, &key);
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 1);
    platform.advance_ms(2_000.0);
    let token = token_with(&platform, |c| c["sub"] = json!("bob"), &key);
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 2);
}

/// `GET /api/me` with a token of `key` for the subject `sub`.
fn me_as(
    gateway: &edgegate::gateway::Gateway<edgegate_app::AppState>,
    platform: &edgegate::testing::RecordingPlatform,
    key: &Key,
    sub: &str,
) -> Exchange {
    send_on(
        gateway,
        bearer("/api/me", &token_with(platform, |c| c["sub"] = json!(sub), key)),
        platform,
    )
}

#[test]
fn a_responses_max_age_sets_the_freshness_within_bounds() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], Some("public, max-age=1"));
    let gateway = app_with_remote_keys(json!({}));
    let call = |sub: &str| me_as(&gateway, &platform, &key, sub);
    assert_eq!(call("a").status(), 200);
    // max-age=1 is raised to the one-minute floor.
    platform.advance_ms(59_000.0);
    assert_eq!(call("b").status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 1);
    platform.advance_ms(2_000.0);
    assert_eq!(call("c").status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 2);
    // Fetched with a 5 s timeout.
    let timeouts: Vec<u32> = platform.sent.borrow().iter().map(|s| s.timeout_ms).collect();
    assert!(
        !timeouts.is_empty() && timeouts.iter().all(|&t| t == 5000),
        "{timeouts:?}"
    );
}

#[test]
fn a_days_max_age_is_cut_to_six_hours_and_held_keys_serve_a_day_past_it() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], Some("public, max-age=86400"));
    let gateway = app_with_remote_keys(json!({}));
    let call = |sub: &str| me_as(&gateway, &platform, &key, sub);
    assert_eq!(call("a").status(), 200);
    platform.advance_ms(6.0 * 3_600_000.0 - 1_000.0);
    assert_eq!(call("b").status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 1, "fresh for six hours");
    platform.advance_ms(2_000.0);
    assert_eq!(call("c").status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 2, "refetched after six");
    // The provider goes down: the held keys serve up to a day past their freshness, then a 503.
    platform.answer(JWKS, FakeAnswer::Fail(FetchError::Timeout));
    platform.advance_ms(6.0 * 3_600_000.0 + 23.0 * 3_600_000.0);
    assert_eq!(call("d").status(), 200, "within a day past freshness");
    platform.advance_ms(2.0 * 3_600_000.0);
    call("e").problem(503, "token-keys-unavailable");
}

#[test]
fn unknown_key_ids_refetch_at_most_once_per_interval_and_rotation_is_picked_up() {
    let platform = platform();
    let old = rsa_key("old");
    let new = rsa_key("new");
    serve_jwks(&platform, &[&old], None);
    let gateway = app_with_remote_keys(json!({}));
    assert_eq!(
        send_on(
            &gateway,
            bearer("/api/me", &token_with(&platform, |_| {}, &old)),
            &platform
        )
        .status(),
        200
    );
    // A flood of random key ids right after: no refetch within 30 s.
    for i in 0..200 {
        let stranger = rsa_key(Box::leak(format!("random-{i}").into_boxed_str()));
        let answer = send_on(
            &gateway,
            bearer("/api/me", &token_with(&platform, |_| {}, &stranger)),
            &platform,
        );
        assert_eq!(
            answer.problem(401, "unauthorized")["detail"],
            "The token's signing key is not known."
        );
        platform.advance_ms(100.0);
    }
    assert!(platform.fetches_of(JWKS) <= 2, "{} fetches", platform.fetches_of(JWKS));
    // The provider rotates; once the interval has passed, the new key is fetched.
    serve_jwks(&platform, &[&old, &new], None);
    platform.advance_ms(30_000.0);
    let fetched = platform.fetches_of(JWKS);
    let rotated = send_on(
        &gateway,
        bearer("/api/me", &token_with(&platform, |_| {}, &new)),
        &platform,
    );
    assert_eq!(rotated.status(), 200, "{}", rotated.text());
    assert_eq!(platform.fetches_of(JWKS), fetched + 1);
}

#[test]
fn an_unreachable_provider_is_a_503_to_retry_and_cached_keys_keep_working() {
    // Down from the start: 503 with Retry-After, never 401; a key still works.
    let platform = platform();
    platform.answer(
        JWKS,
        FakeAnswer::Fail(FetchError::Unreachable("connection refused".into())),
    );
    let gateway = app_with_remote_keys(json!({}));
    let key = rsa_key("k1");
    let token = token_with(&platform, |_| {}, &key);
    let down = send_on(
        &gateway,
        bearer("/api/me", &token).with_header("origin", "http://localhost:5173"),
        &platform,
    );
    down.problem(503, "token-keys-unavailable");
    let retry: u32 = down.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    assert_eq!(
        down.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(down
        .logs
        .iter()
        .any(|l| l.contains("JWKS fetch failed") && l.contains("connection refused")));
    // Within the retry interval the provider is not asked again.
    send_on(&gateway, bearer("/api/me", &token), &platform).problem(503, "token-keys-unavailable");
    assert_eq!(platform.fetches_of(JWKS), 1);
    let keyed = send_on(&gateway, get("/api/me").with_header("x-api-key", DEV_KEY), &platform);
    assert_eq!(keyed.status(), 200);
    // A non-200 answer or a body that is no key set is a failure too.
    for answer in [
        FakeAnswer::Respond {
            status: 500,
            headers: vec![],
            body: b"oops".to_vec(),
        },
        FakeAnswer::Respond {
            status: 200,
            headers: vec![],
            body: b"<html>".to_vec(),
        },
        FakeAnswer::Respond {
            status: 200,
            headers: vec![],
            body: br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#.to_vec(),
        },
    ] {
        platform.answer(JWKS, answer);
        platform.advance_ms(10_000.0);
        send_on(&gateway, bearer("/api/me", &token), &platform).problem(503, "token-keys-unavailable");
    }

    // Up, then down: the keys already fetched keep working past their freshness.
    serve_jwks(&platform, &[&key], None);
    platform.advance_ms(10_000.0);
    assert_eq!(
        send_on(
            &gateway,
            bearer("/api/me", &token_with(&platform, |_| {}, &key)),
            &platform
        )
        .status(),
        200
    );
    platform.answer(JWKS, FakeAnswer::Fail(FetchError::Timeout));
    platform.advance_ms(600_000.0);
    let stale = send_on(
        &gateway,
        bearer("/api/me", &token_with(&platform, |c| c["sub"] = json!("bob"), &key)),
        &platform,
    );
    assert_eq!(stale.status(), 200, "{}", stale.text());
    assert!(stale
        .logs
        .iter()
        .any(|l| l.contains("JWKS fetch failed") && l.contains("timed out")));
}

#[test]
fn a_verified_token_skips_the_signature_check_until_it_expires() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let token = token_with(&platform, |c| c["exp"] = json!(now_s(&platform) + 120.0), &key);
    for _ in 0..5 {
        assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    }
    assert_eq!(platform.verifications.get(), 1);
    // Past expiry and skew the remembered token is refused like any other.
    platform.advance_ms(181_000.0);
    let expired = send_on(&gateway, bearer("/api/me", &token), &platform);
    assert_eq!(expired.problem(401, "unauthorized")["detail"], "The token has expired.");
}

#[test]
fn an_isolate_remembers_256_verified_tokens_per_provider_then_starts_again() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let tokens: Vec<String> = (0..257)
        .map(|i| token_with(&platform, |c| c["sub"] = json!(format!("user-{i}")), &key))
        .collect();
    for token in &tokens[..256] {
        assert_eq!(send_on(&gateway, bearer("/api/me", token), &platform).status(), 200);
    }
    assert_eq!(platform.verifications.get(), 256);
    // All 256 remembered: no signature check for any of them.
    for token in [&tokens[0], &tokens[128], &tokens[255]] {
        assert_eq!(send_on(&gateway, bearer("/api/me", token), &platform).status(), 200);
    }
    assert_eq!(platform.verifications.get(), 256);
    // The 257th (none expired) makes room by forgetting them: checked again.
    assert_eq!(
        send_on(&gateway, bearer("/api/me", &tokens[256]), &platform).status(),
        200
    );
    assert_eq!(
        send_on(&gateway, bearer("/api/me", &tokens[0]), &platform).status(),
        200
    );
    assert_eq!(platform.verifications.get(), 258);
    // All of them, not only the oldest: the newest before is checked again too.
    let newest_before = send_on(&gateway, bearer("/api/me", &tokens[255]), &platform);
    assert_eq!(newest_before.status(), 200);
    assert_eq!(platform.verifications.get(), 259);
}

#[test]
fn scopes_a_route_requires_are_a_403_with_the_scope_named() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let item = r#"{"name": "pen"}"#;
    let post = |token: &str| post_json("/items", item).with_header("authorization", format!("Bearer {token}"));
    let reader = token_with(&platform, |c| c["scope"] = json!("items:read"), &key);
    let refused = send_on(&gateway, post(&reader), &platform);
    refused.problem(403, "insufficient-scope");
    assert_eq!(
        refused.header("www-authenticate"),
        Some(r#"Bearer realm="firebase", error="insufficient_scope", scope="items:write""#)
    );
    for granted in [json!("items:read items:write"), json!(null)] {
        let writer = token_with(
            &platform,
            |c| {
                if granted.is_null() {
                    c["scp"] = json!(["items:write"]);
                } else {
                    c["scope"] = granted.clone();
                }
            },
            &key,
        );
        let created = send_on(&gateway, post(&writer), &platform);
        assert_eq!(created.status(), 201, "{}", created.text());
    }
    // A key is the other way in.
    let keyed = send_on(
        &gateway,
        post_json("/items", item).with_header("x-api-key", DEV_KEY),
        &platform,
    );
    assert_eq!(keyed.status(), 201);
}

#[test]
fn inline_keys_need_no_fetch_and_algorithms_can_be_narrowed() {
    let platform = platform();
    let rsa = rsa_key("k1");
    let ec = ec_key("e1");
    let jwks = json!({"keys": [rsa.jwk, ec.jwk]});
    let gateway = app_gateway(&with_var(
        dev_vars(),
        "JWT_PROVIDERS",
        &providers(jwks.clone(), json!({})),
    ));
    let es = sign(
        json!({"alg": "ES256", "kid": "e1"}),
        claims(&platform),
        &ec,
        SignatureAlgorithm::Es256,
    );
    assert_eq!(send_on(&gateway, bearer("/api/me", &es), &platform).status(), 200);
    assert_eq!(platform.sent.borrow().len(), 0);
    let narrowed = app_gateway(&with_var(
        dev_vars(),
        "JWT_PROVIDERS",
        &providers(jwks, json!({"algorithms": ["RS256"]})),
    ));
    let refused = send_on(&narrowed, bearer("/api/me", &es), &platform);
    assert_eq!(
        refused.problem(401, "unauthorized")["detail"],
        "The token's algorithm is not accepted."
    );
}

#[test]
fn preflights_need_no_token_and_refusals_carry_cors_headers() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let preflight = send_on(
        &gateway,
        edgegate::http::Request::new(edgegate::http::Method::Options, "/api/me")
            .with_header("origin", "http://localhost:5173")
            .with_header("access-control-request-method", "GET")
            .with_header("access-control-request-headers", "authorization"),
        &platform,
    );
    assert_eq!(preflight.status(), 204);
    assert!(preflight
        .header("access-control-allow-headers")
        .unwrap()
        .contains("authorization"));
    assert_eq!(platform.fetches_of(JWKS), 0);
    let expired = token_with(&platform, |c| c["exp"] = json!(1), &key);
    let refused = send_on(
        &gateway,
        bearer("/api/me", &expired).with_header("origin", "http://localhost:5173"),
        &platform,
    );
    refused.problem(401, "unauthorized");
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
}

#[test]
fn provider_settings_are_checked_and_names_must_match_both_ways() {
    let key = rsa_key("k1");
    let good = json!({"issuer": ISSUER, "audiences": [AUDIENCE], "jwks": {"keys": [key.jwk]}});
    let bad = [
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "audience": "x"}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "jwks": {"keys": []}}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE]}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [], "jwks_uri": JWKS}}),
        json!({"firebase": {"issuer": "", "audiences": [AUDIENCE], "jwks_uri": JWKS}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": "ftp://x"}}),
        // Keys in the clear only from this machine: anywhere else they could be swapped.
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": "http://issuer.test/jwks"}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": "http://127.0.0.1@evil.test/jwks"}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": "http://localhost.evil.test/jwks"}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": "http://[::1].evil.test/jwks"}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "algorithms": ["HS256"]}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "clock_skew_s": 86400}}),
        // Each number just past its range (README: 0–600, 1–3600, 1–86400).
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "clock_skew_s": 601}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "clock_skew_s": -1}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "min_refetch_s": 0}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "min_refetch_s": 3601}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "cache_s": 0}}),
        json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS, "cache_s": 86401}}),
        // A provider no route names, and a route's provider missing.
        json!({"firebase": good, "firebsae": good}),
        json!({"other": good}),
        json!("not an object"),
    ];
    for providers in bad {
        let gateway = app_gateway(&with_var(dev_vars(), "JWT_PROVIDERS", &providers.to_string()));
        let answer = send(&gateway, get("/hello"));
        answer.problem(500, "misconfigured");
        assert!(
            answer.logs.iter().any(|l| l.contains("JWT_PROVIDERS")),
            "{providers}: {:?}",
            answer.logs
        );
    }
    // `jwt:<provider>:<subject>` keys limits, quotas and cache entries: a
    // `:` in a provider's name would let two callers share them.
    let colon = json!({"firebase": good, "firebase:partner": good});
    let answer = send(
        &app_gateway(&with_var(dev_vars(), "JWT_PROVIDERS", &colon.to_string())),
        get("/hello"),
    );
    answer.problem(500, "misconfigured");
    assert!(
        answer
            .logs
            .iter()
            .any(|l| l.contains("provider `firebase:partner`: a provider's name has no `:`")),
        "{:?}",
        answer.logs
    );
    // The ends of each range are accepted.
    for (field, value) in [
        ("clock_skew_s", 0),
        ("clock_skew_s", 600),
        ("min_refetch_s", 1),
        ("min_refetch_s", 3600),
        ("cache_s", 1),
        ("cache_s", 86400),
    ] {
        let mut provider = good.clone();
        provider[field] = json!(value);
        let gateway = app_gateway(&with_var(
            dev_vars(),
            "JWT_PROVIDERS",
            &json!({ "firebase": provider }).to_string(),
        ));
        assert_eq!(gateway.misconfiguration(), None, "{field} {value}");
    }
    for local in [
        "http://127.0.0.1:8788/jwks",
        "http://localhost/jwks",
        "http://[::1]:9/jwks",
    ] {
        let providers = json!({"firebase": {"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": local}});
        let gateway = app_gateway(&with_var(dev_vars(), "JWT_PROVIDERS", &providers.to_string()));
        assert_eq!(gateway.misconfiguration(), None, "{local}");
    }
    // Without JWT_PROVIDERS, a table that names a provider is misconfigured too.
    let vars: Vars = dev_vars().into_iter().filter(|(n, _)| n != "JWT_PROVIDERS").collect();
    send(&app_gateway(&vars), get("/hello")).problem(500, "misconfigured");
    // A scope that would break the challenge header is refused at start.
    let gateway = custom_gateway_with_providers(
        vec![Route::get("/x", app_hello).access(jwt("firebase").scopes(&["a\"b"]))],
        &with_var(dev_vars(), "JWT_PROVIDERS", &json!({"firebase": good}).to_string()),
    );
    send(&gateway, get("/x")).problem(500, "misconfigured");
}

#[test]
fn a_token_without_kid_is_checked_only_against_the_one_key_that_fits() {
    // README, Tokens: without `kid`, only the only fitting key; with
    // several, which one signed it is not said, and nothing is guessed.
    let (k1, k2) = (rsa_key("k1"), rsa_key("k2"));
    let unnamed = |platform: &RecordingPlatform, key| {
        let token = sign(
            json!({"alg": "RS256"}),
            claims(platform),
            key,
            SignatureAlgorithm::Rs256,
        );
        get("/api/me").with_header("authorization", format!("Bearer {token}"))
    };
    let one = platform();
    serve_jwks(&one, &[&k1], None);
    let gateway = app_with_remote_keys(json!({}));
    assert_eq!(send_on(&gateway, unnamed(&one, &k1), &one).status(), 200);
    for signer in [&k1, &k2] {
        let two = platform();
        serve_jwks(&two, &[&k1, &k2], None);
        let gateway = app_with_remote_keys(json!({}));
        send_on(&gateway, unnamed(&two, signer), &two).problem(401, "unauthorized");
    }
}

#[test]
fn scopes_on_any_of_bind_every_token_and_are_never_dropped() {
    // `.scopes()` after `any_of` binds each token alternative (a key stays a
    // key); asked of a key or of everyone, no token can carry them: the
    // route is a misconfiguration, never open.
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let good = json!({"issuer": ISSUER, "audiences": [AUDIENCE], "jwks_uri": JWKS});
    let vars = with_var(dev_vars(), "JWT_PROVIDERS", &json!({"firebase": good}).to_string());
    let gateway = custom_gateway_with_providers(
        vec![Route::get("/x", app_hello).access(any_of([api_key(), jwt("firebase")]).scopes(&["items:write"]))],
        &vars,
    );
    let reader = token_with(&platform, |c| c["scope"] = json!("items:read"), &key);
    let bearer = |token: &str| get("/x").with_header("authorization", format!("Bearer {token}"));
    send_on(&gateway, bearer(&reader), &platform).problem(403, "insufficient-scope");
    let writer = token_with(&platform, |c| c["scope"] = json!("items:write"), &key);
    assert_eq!(send_on(&gateway, bearer(&writer), &platform).status(), 200);
    assert_eq!(
        send_on(&gateway, get("/x").with_header("x-api-key", DEV_KEY), &platform).status(),
        200
    );
    // Added to what a token already needs, not in place of it.
    let both = jwt("firebase").scopes(&["a"]).scopes(&["b"]);
    let gateway = custom_gateway_with_providers(vec![Route::get("/x", app_hello).access(both)], &vars);
    let only_b = token_with(&platform, |c| c["scope"] = json!("b"), &key);
    send_on(&gateway, bearer(&only_b), &platform).problem(403, "insufficient-scope");
    // So is an alternative that admits no one beside one that admits some:
    // the scopes were meant for it, and are not dropped with it.
    for access in [
        api_key().scopes(&["items:write"]),
        public().scopes(&["items:write"]),
        any_of([]),
        any_of([jwt("firebase"), api_key().scopes(&["items:write"])]),
        any_of([jwt("firebase"), any_of([])]),
    ] {
        let gateway = custom_gateway_with_providers(vec![Route::get("/x", app_hello).access(access)], &vars);
        let refused = send_on(&gateway, get("/x").with_header("x-api-key", DEV_KEY), &platform);
        refused.problem(500, "misconfigured");
        assert!(
            refused.logs.iter().any(|l| l.contains("admits no one")),
            "{:?}",
            refused.logs
        );
    }
}

async fn app_hello() -> &'static str {
    "hi"
}

#[test]
fn a_token_subject_never_shares_idempotency_keys_with_a_key_consumer_of_the_same_name() {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let token = token_with(
        &platform,
        |c| {
            c["sub"] = json!("dev");
            c["scope"] = json!("items:write");
        },
        &key,
    );
    let item = r#"{"name": "pen"}"#;
    // One store for both requests.
    let state = AppState::default();
    let send = |request| {
        let request = edgegate::testing::as_the_adapter_passes(&gateway, request);
        edgegate::testing::block_on(gateway.handle(request, &state, &platform))
    };
    let json = |response: &edgegate::http::Response| serde_json::from_str::<Value>(&response.body_text()).unwrap();
    let by_key = send(
        post_json("/items", item)
            .with_header("x-api-key", DEV_KEY)
            .with_header("idempotency-key", "k-1"),
    );
    let by_token = send(
        post_json("/items", item)
            .with_header("authorization", format!("Bearer {token}"))
            .with_header("idempotency-key", "k-1"),
    );
    let again = send(
        post_json("/items", item)
            .with_header("x-api-key", DEV_KEY)
            .with_header("idempotency-key", "k-1"),
    );
    assert_eq!((by_key.status.0, by_token.status.0, again.status.0), (201, 201, 201));
    assert_ne!(
        json(&by_key)["id"],
        json(&by_token)["id"],
        "the token replayed the key consumer's item"
    );
    assert_eq!(
        json(&by_key)["id"],
        json(&again)["id"],
        "the same consumer's repeat is a replay"
    );
}

/// `QUOTAS` entries name the scheme (and a token's provider): a token whose
/// `sub` equals a key's consumer never gets that consumer's plan.
#[test]
fn a_quota_plan_is_for_a_consumer_or_a_providers_subject_never_both() {
    let key = rsa_key("k1");
    let gateway_with = |quotas: &str| {
        let vars = with_var(dev_vars(), "JWT_PROVIDERS", &providers(json!(JWKS), json!({})));
        let vars = with_var(vars, "API_KEYS", r#"{"key-vip": "vip-X"}"#);
        app_gateway(&with_var(vars, "QUOTAS", quotas))
    };
    let six = |gateway: &edgegate::gateway::Gateway<AppState>,
               platform: &RecordingPlatform,
               request: &dyn Fn() -> edgegate::http::Request| {
        (0..6)
            .map(|_| send_on(gateway, request(), platform))
            .map(|exchange| {
                (
                    exchange.status(),
                    exchange.header("ratelimit-policy").map(str::to_owned),
                )
            })
            .collect::<Vec<_>>()
    };
    // The route's rate limit, then the caller's quota plan.
    let day = |q: u32| Some(format!(r#""per_principal";q=100;w=60, "quota-day";q={q};w=86400"#));

    // The consumer's plan: its key gets 1000 a day, the look-alike token the default 3.
    let platform = support::platform();
    serve_jwks(&platform, &[&key], None);
    let gateway = gateway_with(r#"{"default": {"per_day": 3}, "api_key:vip-X": {"per_day": 1000}}"#);
    let token = token_with(&platform, |claims| claims["sub"] = json!("vip-X"), &key);
    let by_token = six(&gateway, &platform, &|| bearer("/api/hello", &token));
    assert_eq!(
        by_token.iter().map(|(status, _)| *status).collect::<Vec<_>>(),
        [200, 200, 200, 429, 429, 429]
    );
    assert!(by_token.iter().all(|(_, policy)| *policy == day(3)), "{by_token:?}");
    let by_key = six(&gateway, &platform, &|| {
        get("/api/hello").with_header("x-api-key", "key-vip")
    });
    assert!(
        by_key.iter().all(|exchange| *exchange == (200, day(1000))),
        "{by_key:?}"
    );

    // A subject may hold `:` (a URN): its plan is found all the same.
    let platform = support::platform();
    serve_jwks(&platform, &[&key], None);
    let gateway = gateway_with(r#"{"default": {"per_day": 3}, "jwt:firebase:urn:user:7": {"per_day": 1000}}"#);
    assert_eq!(gateway.misconfiguration(), None);
    let urn = token_with(&platform, |claims| claims["sub"] = json!("urn:user:7"), &key);
    let by_urn = six(&gateway, &platform, &|| bearer("/api/hello", &urn));
    assert!(
        by_urn.iter().all(|exchange| *exchange == (200, day(1000))),
        "{by_urn:?}"
    );

    // The subject's plan: the other way round.
    let platform = support::platform();
    serve_jwks(&platform, &[&key], None);
    let gateway = gateway_with(r#"{"default": {"per_day": 3}, "jwt:firebase:vip-X": {"per_day": 1000}}"#);
    let token = token_with(&platform, |claims| claims["sub"] = json!("vip-X"), &key);
    let by_token = six(&gateway, &platform, &|| bearer("/api/hello", &token));
    assert!(
        by_token.iter().all(|exchange| *exchange == (200, day(1000))),
        "{by_token:?}"
    );
    let by_key = six(&gateway, &platform, &|| {
        get("/api/hello").with_header("x-api-key", "key-vip")
    });
    assert_eq!(
        by_key.iter().map(|(status, _)| *status).collect::<Vec<_>>(),
        [200, 200, 200, 429, 429, 429]
    );

    // A bare name could be either: a misconfiguration that names the fix.
    // So is a plan for a provider that does not exist.
    for (quotas, says) in [
        (
            r#"{"default": {}, "vip-X": {"per_day": 1000}}"#,
            "`vip-X`: an entry names `api_key:<consumer>` or `jwt:<provider>:<subject>`",
        ),
        (
            r#"{"default": {}, "jwt:vip-X": {"per_day": 1000}}"#,
            "`jwt:vip-X`: an entry names",
        ),
        (
            r#"{"default": {}, "api_key:": {"per_day": 1000}}"#,
            "`api_key:`: an entry names",
        ),
        (
            r#"{"default": {}, "jwt:auth0:vip-X": {"per_day": 1000}}"#,
            "names the token provider `auth0`, which JWT_PROVIDERS does not define",
        ),
    ] {
        let refused = send(&gateway_with(quotas), get("/hello"));
        refused.problem(500, "misconfigured");
        let error = refused.access_log()["error"].as_str().unwrap().to_owned();
        assert!(error.contains("QUOTAS") && error.contains(says), "{quotas}: {error}");
    }
}

#[test]
fn a_new_key_id_while_the_provider_is_down_is_a_503_not_the_callers_fault() {
    // The provider rotates to a key the gateway has not seen just as its
    // key set stops answering: the gateway cannot tell a new key from a
    // forged id, so it is a 503 to retry, never a 401.
    let platform = platform();
    let (old, new) = (rsa_key("old"), rsa_key("new"));
    serve_jwks(&platform, &[&old], None);
    let gateway = app_with_remote_keys(json!({}));
    let me = |key: &_| {
        send_on(
            &gateway,
            bearer("/api/me", &token_with(&platform, |_| {}, key)),
            &platform,
        )
    };
    assert_eq!(me(&old).status(), 200);
    platform.advance_ms(31_000.0);
    platform.answer(JWKS, FakeAnswer::Fail(FetchError::Timeout));
    me(&new).problem(503, "token-keys-unavailable");
    // Within the retry interval: not asked again, still not the caller's fault.
    let fetches = platform.fetches_of(JWKS);
    me(&new).problem(503, "token-keys-unavailable");
    assert_eq!(platform.fetches_of(JWKS), fetches);
    // The key in hand keeps working meanwhile.
    assert_eq!(me(&old).status(), 200);
    // Back, with the new key: picked up once the retry interval has passed.
    serve_jwks(&platform, &[&old, &new], None);
    platform.advance_ms(10_000.0);
    assert_eq!(me(&new).status(), 200);
    // A key id it still does not have, with the provider up, is the token's fault.
    platform.advance_ms(31_000.0);
    let stranger = me(&rsa_key("stranger"));
    assert_eq!(
        stranger.problem(401, "unauthorized")["detail"],
        "The token's signing key is not known."
    );
}

#[test]
fn a_remembered_token_ends_when_its_key_leaves_the_set() {
    // A token signed with a key that leaks has a far expiry: once the
    // provider drops the key, the remembered verification ends with it.
    let platform = platform();
    let (leaked, next) = (rsa_key("leaked"), rsa_key("next"));
    serve_jwks(&platform, &[&leaked, &next], Some("max-age=60"));
    let gateway = app_with_remote_keys(json!({}));
    let forged = token_with(
        &platform,
        |c| c["exp"] = json!(now_s(&platform) + 86_400.0 * 365.0),
        &leaked,
    );
    for _ in 0..3 {
        assert_eq!(send_on(&gateway, bearer("/api/me", &forged), &platform).status(), 200);
    }
    assert_eq!(platform.verifications.get(), 1, "remembered while its key is published");
    serve_jwks(&platform, &[&next], Some("max-age=60"));
    platform.advance_ms(61_000.0);
    let refused = send_on(&gateway, bearer("/api/me", &forged), &platform);
    assert_eq!(
        refused.problem(401, "unauthorized")["detail"],
        "The token's signing key is not known."
    );
    // A token of the key still published is remembered as before.
    let good = token_with(&platform, |c| c["exp"] = json!(now_s(&platform) + 600.0), &next);
    let verifications = platform.verifications.get();
    for _ in 0..3 {
        assert_eq!(send_on(&gateway, bearer("/api/me", &good), &platform).status(), 200);
    }
    assert_eq!(platform.verifications.get(), verifications + 1);
}

#[test]
fn a_remembered_token_ends_when_its_key_material_leaves_the_set_whatever_it_names() {
    // A token without `kid` names no key: the one that fits the new set is
    // another key. A `kid` the provider reuses for new material is another
    // key too. Either way the remembered verification ends with the key.
    let leaked = rsa_key("k1");
    let reissued = Key {
        kid: "k1",
        jwk: json!({"kty": "RSA", "kid": "k1", "use": "sig", "n": "modulus-reissued", "e": "AQAB"}),
        public: r#"{"kty":"RSA","n":"modulus-reissued","e":"AQAB"}"#.to_owned(),
    };
    for (named, next) in [(false, rsa_key("next")), (true, reissued)] {
        let platform = platform();
        serve_jwks(&platform, &[&leaked], Some("max-age=60"));
        let gateway = app_with_remote_keys(json!({}));
        let mut far = claims(&platform);
        far["exp"] = json!(now_s(&platform) + 86_400.0 * 365.0);
        let header = match named {
            true => json!({"alg": "RS256", "kid": "k1"}),
            false => json!({"alg": "RS256"}),
        };
        let forged = sign(header, far, &leaked, SignatureAlgorithm::Rs256);
        for _ in 0..3 {
            assert_eq!(send_on(&gateway, bearer("/api/me", &forged), &platform).status(), 200);
        }
        assert_eq!(platform.verifications.get(), 1, "remembered while its key is published");
        serve_jwks(&platform, &[&next], Some("max-age=60"));
        platform.advance_ms(61_000.0);
        // Another caller's token brings the new set in first.
        let mut soon = claims(&platform);
        soon["exp"] = json!(now_s(&platform) + 600.0);
        let good = sign(
            json!({"alg": "RS256", "kid": next.kid}),
            soon,
            &next,
            SignatureAlgorithm::Rs256,
        );
        assert_eq!(send_on(&gateway, bearer("/api/me", &good), &platform).status(), 200);
        let refused = send_on(&gateway, bearer("/api/me", &forged), &platform);
        refused.problem(401, "unauthorized");
        assert_eq!(platform.verifications.get(), 3, "checked again, against the new key");
    }
}

/// A cold isolate and a provider serving one key, `k1`: the platform, the
/// key, the app's gateway, its state and a token of the key.
fn one_key_provider() -> (
    RecordingPlatform,
    Key,
    edgegate::gateway::Gateway<AppState>,
    AppState,
    String,
) {
    let platform = platform();
    let key = rsa_key("k1");
    serve_jwks(&platform, &[&key], None);
    let gateway = app_with_remote_keys(json!({}));
    let token = token_with(&platform, |_| {}, &key);
    (platform, key, gateway, AppState::default(), token)
}

/// Polls `request` until it has asked for the keys; its client then goes
/// quiet: the runtime neither finishes nor (yet) drops it.
fn until_it_fetches<F: std::future::Future>(platform: &RecordingPlatform, request: F) -> std::pin::Pin<Box<F>> {
    let mut request = Box::pin(request);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    while platform.fetches_of(JWKS) == 0 {
        assert!(request.as_mut().poll(&mut context).is_pending());
    }
    request
}

#[test]
fn a_key_fetch_whose_request_went_quiet_is_taken_over_after_its_timeout() {
    let (platform, _, gateway, state, token) = one_key_provider();
    // The first request on a cold isolate fetches the keys.
    let quiet = until_it_fetches(&platform, gateway.handle(bearer("/api/me", &token), &state, &platform));
    // Past the fetch's timeout, the next request fetches for itself at once.
    platform.advance_ms(6_500.0);
    let before = edgegate::platform::Platform::now_ms(&platform);
    let next = send_on(&gateway, bearer("/api/me", &token), &platform);
    assert_eq!(next.status(), 200, "{}", next.text());
    assert_eq!(platform.fetches_of(JWKS), 2);
    assert!(
        edgegate::platform::Platform::now_ms(&platform) - before < 100.0,
        "it did not wait for the quiet fetch"
    );
    // The quiet request's end changes nothing for the fetch that replaced it.
    drop(quiet);
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 2);
}

#[test]
fn a_key_fetch_taken_over_lands_nothing_when_it_ends_late() {
    let platform = platform();
    let (key, other) = (rsa_key("k1"), rsa_key("k2"));
    // The first fetch will fail (the provider is down for it).
    platform.answer(JWKS, FakeAnswer::Fail(FetchError::Unreachable("down".into())));
    let gateway = app_with_remote_keys(json!({}));
    let state = AppState::default();
    let token = token_with(&platform, |_| {}, &key);
    let quiet = until_it_fetches(&platform, gateway.handle(bearer("/api/me", &token), &state, &platform));
    // Taken over past its timeout; the newer fetch brings the keys.
    serve_jwks(&platform, &[&key], None);
    platform.advance_ms(6_500.0);
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    // The old fetch ends now, with its failure: it lands nothing, so no
    // retry delay makes a token of an unknown key a 503 (it is the
    // caller's 401: the set is fresh and lacks the key).
    let _ = edgegate::testing::block_on(quiet);
    let unknown = token_with(&platform, |_| {}, &other);
    send_on(&gateway, bearer("/api/me", &unknown), &platform).problem(401, "unauthorized");
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
}

/// Polls `request` until it has asked for the keys once more than
/// `fetches` (then its client leaves: dropped mid-fetch), or until it
/// answers without asking (`Some`).
fn dropped_mid_fetch<F: std::future::Future>(
    platform: &RecordingPlatform,
    request: F,
    fetches: usize,
) -> Option<F::Output> {
    let mut request = Box::pin(request);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(answer) = request.as_mut().poll(&mut context) {
            return Some(answer);
        }
        if platform.fetches_of(JWKS) > fetches {
            return None;
        }
    }
}

#[test]
fn requests_that_leave_mid_fetch_do_not_make_a_refetch_each() {
    let (platform, key, gateway, state, token) = one_key_provider();
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    assert_eq!(platform.fetches_of(JWKS), 1);
    // Random key ids past the refetch interval, each request leaving as
    // soon as it has asked: one refetch, not one each.
    platform.advance_ms(31_000.0);
    let mut dropped = 0;
    for i in 0..50 {
        let stranger = rsa_key(Box::leak(format!("random-{i}").into_boxed_str()));
        let forged = token_with(&platform, |_| {}, &stranger);
        let fetches = platform.fetches_of(JWKS);
        match dropped_mid_fetch(
            &platform,
            gateway.handle(bearer("/api/me", &forged), &state, &platform),
            fetches,
        ) {
            None => dropped += 1,
            // The refetch went away: the kid may be the provider's new key.
            Some(answer) => assert_eq!(answer.status.0, 503),
        }
        platform.advance_ms(100.0);
    }
    assert_eq!(dropped, 1);
    assert_eq!(platform.fetches_of(JWKS), 2, "one refetch in the interval");
    // Stale keys: the refresh whose request left serves the keys in hand
    // until the interval has passed, then the next request refreshes.
    platform.advance_ms(300_000.0);
    let fetches = platform.fetches_of(JWKS);
    let left = dropped_mid_fetch(
        &platform,
        gateway.handle(bearer("/api/me", &token), &state, &platform),
        fetches,
    );
    assert!(left.is_none(), "a stale set is refreshed");
    for _ in 0..20 {
        let token = token_with(&platform, |c| c["sub"] = json!("bob"), &key);
        assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
        platform.advance_ms(1_000.0);
    }
    assert_eq!(platform.fetches_of(JWKS), fetches + 1, "no refresh each");
    platform.advance_ms(11_000.0);
    let token = token_with(&platform, |c| c["sub"] = json!("carol"), &key);
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    assert_eq!(platform.fetches_of(JWKS), fetches + 2);
}

#[test]
fn a_request_waiting_for_a_fetch_whose_request_left_fetches_for_itself() {
    let (platform, _, gateway, state, token) = one_key_provider();
    // A cold isolate: the first request fetches, a second waits for it.
    let leader = until_it_fetches(&platform, gateway.handle(bearer("/api/me", &token), &state, &platform));
    let mut follower = Box::pin(gateway.handle(bearer("/api/me", &token), &state, &platform));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(std::future::Future::poll(follower.as_mut(), &mut context).is_pending());
    assert_eq!(platform.fetches_of(JWKS), 1, "it waits rather than fetching");
    // The leader's client leaves: the follower fetches, not a 503.
    drop(leader);
    let answer = edgegate::testing::block_on(follower);
    assert_eq!(answer.status.0, 200);
    assert_eq!(platform.fetches_of(JWKS), 2);
}

#[test]
fn a_key_set_whose_body_stalls_times_out_with_the_fetch() {
    let platform = platform();
    platform.answer(
        JWKS,
        FakeAnswer::Stall {
            status: 200,
            turns: 1_000_000,
        },
    );
    let gateway = app_with_remote_keys(json!({}));
    let key = rsa_key("k1");
    let token = token_with(&platform, |_| {}, &key);
    let before = edgegate::platform::Platform::now_ms(&platform);
    let stalled = send_on(&gateway, bearer("/api/me", &token), &platform);
    stalled.problem(503, "token-keys-unavailable");
    let waited = edgegate::platform::Platform::now_ms(&platform) - before;
    assert!((5_000.0..5_100.0).contains(&waited), "{waited} ms");
    assert!(
        stalled
            .logs
            .iter()
            .any(|l| l.contains("JWKS fetch failed") && l.contains("timed out")),
        "{:?}",
        stalled.logs
    );
}

#[test]
fn a_new_key_whose_refetch_went_away_is_a_503_to_retry_then_found() {
    let (platform, key, gateway, state, token) = one_key_provider();
    assert_eq!(send_on(&gateway, bearer("/api/me", &token), &platform).status(), 200);
    // The provider rotates; the first token of the new key refetches, and
    // its client leaves mid-fetch.
    let rotated = rsa_key("k2");
    serve_jwks(&platform, &[&key, &rotated], None);
    platform.advance_ms(31_000.0);
    let new_token = token_with(&platform, |_| {}, &rotated);
    let fetches = platform.fetches_of(JWKS);
    let left = dropped_mid_fetch(
        &platform,
        gateway.handle(bearer("/api/me", &new_token), &state, &platform),
        fetches,
    );
    assert!(left.is_none(), "it refetched");
    // Within the interval: not the caller's fault, a 503 to retry when a fetch is allowed.
    let waiting = send_on(&gateway, bearer("/api/me", &new_token), &platform);
    waiting.problem(503, "token-keys-unavailable");
    let retry: f64 = waiting.header("retry-after").unwrap().parse().unwrap();
    assert!((29.0..=30.0).contains(&retry), "{retry}");
    platform.advance_ms(retry * 1000.0);
    assert_eq!(
        send_on(&gateway, bearer("/api/me", &new_token), &platform).status(),
        200
    );
    assert_eq!(platform.fetches_of(JWKS), fetches + 2);
}

#[test]
fn a_request_that_waited_out_a_quiet_fetch_answers_with_the_keys_it_fetched() {
    let (platform, _, gateway, state, token) = one_key_provider();
    // The first request's fetch goes quiet (neither finished nor dropped);
    // the next waits it out (its 5 s, then until it counts as gone), fetches,
    // and answers with what it fetched.
    let _quiet = until_it_fetches(&platform, gateway.handle(bearer("/api/me", &token), &state, &platform));
    let answer = send_on(&gateway, bearer("/api/me", &token), &platform);
    assert_eq!(answer.status(), 200, "{}", answer.text());
    assert_eq!(platform.fetches_of(JWKS), 2);
}
