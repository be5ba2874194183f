//! The request-signature policy (src/signature.rs), a policy that lives
//! outside the core, through the gateway's one entry point: its setting and
//! its binding are its own, its misconfigurations are caught like the
//! core's, and its hostile inputs are refused.

use std::cell::RefCell;
use std::rc::Rc;

use edgegate::config::Settings;
use edgegate::gateway::Gateway;
use edgegate::http::{hex_encode, Method, Request, Response};
use edgegate::platform::PlatformFuture;
use edgegate::testing::{block_on, RecordingPlatform};
use edgegate_platform::signature::{hmac_sha256, SeenSignatures, KV_NAMESPACE};
use edgegate_platform::{gateway, Platform};

const KEY_A: &str = "partner-a-secret-0123456789abcdef";
const KEY_B: &str = "partner-b-secret-0123456789abcdef";

fn keys() -> String {
    format!(r#"{{"partner-a": "{KEY_A}", "partner-b": "{KEY_B}"}}"#)
}

fn with_keys(keys: Option<String>) -> Gateway<Platform> {
    gateway(
        move |name| (name == "SIGNATURE_KEYS").then(|| keys.clone()).flatten(),
        &Platform,
    )
}

/// The KV namespace, faked: remembers signatures, or fails.
#[derive(Default)]
struct FakeSeen {
    seen: RefCell<Vec<String>>,
    down: bool,
}

impl SeenSignatures for FakeSeen {
    fn first_time<'a>(&'a self, signature: &'a str) -> PlatformFuture<'a, Result<bool, String>> {
        let answer = match self.down {
            true => Err("KV is down".to_owned()),
            false if self.seen.borrow().iter().any(|s| s == signature) => Ok(false),
            false => {
                self.seen.borrow_mut().push(signature.to_owned());
                Ok(true)
            }
        };
        Box::pin(std::future::ready(answer))
    }
}

fn platform_with(seen: FakeSeen) -> RecordingPlatform {
    let platform = RecordingPlatform::default();
    platform.bind::<dyn SeenSignatures>("SEEN_SIGNATURES", Rc::new(seen));
    platform
}

fn signature(key: &str, body: &[u8]) -> String {
    format!("sha256={}", hex_encode(&hmac_sha256(key.as_bytes(), body)))
}

fn post(body: &[u8], signature: Option<&str>) -> Request {
    let request = Request::new(Method::Post, "/signed")
        .with_header("content-length", body.len().to_string())
        .with_body(body.to_vec());
    match signature {
        Some(value) => request.with_header("x-signature", value),
        None => request,
    }
}

fn send(gateway: &Gateway<Platform>, platform: &RecordingPlatform, request: Request) -> Response {
    block_on(gateway.handle(request, &Platform, platform))
}

fn problem_type(response: &Response) -> String {
    let body: serde_json::Value = serde_json::from_str(&response.body_text()).expect("a problem body");
    body["type"]
        .as_str()
        .unwrap_or_default()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_body_signed_with_a_known_key_passes_once() {
    let gateway = with_keys(Some(keys()));
    assert_eq!(gateway.misconfiguration(), None);
    let platform = platform_with(FakeSeen::default());
    let body = br#"{"order": 7}"#;
    let response = send(&gateway, &platform, post(body, Some(&signature(KEY_B, body))));
    assert_eq!(
        (response.status.0, response.body_text()),
        (200, "12 bytes signed by partner-b".to_owned())
    );
    // The same signed request again is a replay.
    let again = send(&gateway, &platform, post(body, Some(&signature(KEY_B, body))));
    assert_eq!(
        (again.status.0, problem_type(&again)),
        (409, "replayed-signature".to_owned())
    );
    // Hex in capitals is the same signature (and so the same replay).
    let upper = signature(KEY_B, body)
        .to_ascii_uppercase()
        .replacen("SHA256=", "sha256=", 1);
    assert_eq!(send(&gateway, &platform, post(body, Some(&upper))).status.0, 409);
    let other = br#"{"order": 8}"#;
    let upper = signature(KEY_A, other)
        .to_ascii_uppercase()
        .replacen("SHA256=", "sha256=", 1);
    assert_eq!(
        send(&gateway, &platform, post(other, Some(&upper))).body_text(),
        "12 bytes signed by partner-a"
    );
}

#[test]
fn hostile_signatures_are_refused_and_the_handler_never_runs() {
    let gateway = with_keys(Some(keys()));
    let seen = Rc::new(FakeSeen::default());
    let platform = RecordingPlatform::default();
    platform.bind::<dyn SeenSignatures>("SEEN_SIGNATURES", seen.clone());
    let body = b"payload";
    let good = signature(KEY_A, body);
    let hex = &good["sha256=".len()..];
    let other_body = signature(KEY_A, b"payload2");
    let unknown_key = signature("an-attacker-key-0123456789abcdefgh", body);
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some(String::new()), "empty"),
        (Some(hex.to_owned()), "no scheme"),
        (Some(format!("sha1={hex}")), "another scheme"),
        (Some(format!("SHA256={hex}")), "scheme in capitals"),
        (Some(format!("sha256= {hex}")), "a space"),
        (Some(format!("sha256={}", &hex[..63])), "short"),
        (Some(format!("sha256={hex}0")), "long"),
        (Some(format!("sha256={}g", &hex[..63])), "not hex"),
        (Some(format!("sha256={}é", &hex[..62])), "not ASCII"),
        (Some(format!("{good}, {good}")), "two values"),
        (Some(other_body), "another body's"),
        (Some(unknown_key), "an unknown key's"),
        (Some(format!("sha256={}", "0".repeat(64))), "zeros"),
    ];
    for (value, case) in cases {
        let response = send(&gateway, &platform, post(body, value.as_deref()));
        assert_eq!(
            (response.status.0, problem_type(&response)),
            (401, "invalid-signature".to_owned()),
            "{case}"
        );
    }
    // Nothing refused was remembered: the good signature is still new.
    assert!(seen.seen.borrow().is_empty());
    assert_eq!(send(&gateway, &platform, post(body, Some(&good))).status.0, 200);
}

#[test]
fn the_body_limit_answers_before_the_signature_is_checked() {
    let gateway = with_keys(Some(keys()));
    let platform = platform_with(FakeSeen::default());
    let body = vec![b'x'; 64 * 1024 + 1];
    let response = send(&gateway, &platform, post(&body, Some(&signature(KEY_A, &body))));
    assert_eq!(response.status.0, 413);
}

#[test]
fn a_store_that_fails_fails_closed_with_its_cause_logged() {
    let gateway = with_keys(Some(keys()));
    let platform = platform_with(FakeSeen {
        down: true,
        ..FakeSeen::default()
    });
    let body = b"payload";
    let response = send(&gateway, &platform, post(body, Some(&signature(KEY_A, body))));
    assert_eq!(
        (response.status.0, problem_type(&response)),
        (503, "unavailable".to_owned())
    );
    assert!(platform.log_lines().iter().any(|line| line.contains("KV is down")));
    // An unbound namespace too (the worker refuses to start without it; see below).
    let unbound = RecordingPlatform::default();
    assert_eq!(
        send(&gateway, &unbound, post(body, Some(&signature(KEY_A, body))))
            .status
            .0,
        503
    );
}

#[test]
fn its_misconfigurations_are_caught_like_the_cores() {
    let reasons = |gateway: &Gateway<Platform>| gateway.misconfiguration().map(|r| r.join("\n")).unwrap_or_default();
    for (keys, expected) in [
        (None, "SIGNATURE_KEYS: is not set"),
        (
            Some(r#"{"partner-a": "short"}"#.to_owned()),
            "SIGNATURE_KEYS: `partner-a`: a secret is 32 to 1024 bytes",
        ),
        (Some(r#"{"partner-a": 7}"#.to_owned()), "must be a secret as a string"),
        (Some("{}".to_owned()), "defines no keys"),
        (Some("[1]".to_owned()), "SIGNATURE_KEYS: must be a JSON object"),
        (
            Some(format!(r#"{{"a b": "{KEY_A}"}}"#)),
            "a signer's name is 1 to 64 visible ASCII",
        ),
    ] {
        let gateway = with_keys(keys.clone());
        let reasons = reasons(&gateway);
        assert!(reasons.contains(expected), "{keys:?}: {reasons}");
        assert!(!reasons.contains(KEY_A), "a secret is never quoted: {reasons}");
        // A misconfigured gateway opens nothing.
        let body = b"x";
        let response = send(
            &gateway,
            &platform_with(FakeSeen::default()),
            post(body, Some(&signature(KEY_A, body))),
        );
        assert_eq!(response.status.0, 500);
    }
    // Settings loaded without the policy's: named, never read as unset by accident.
    let table =
        edgegate::routing::RouteTable::new([
            edgegate::routing::Route::post("/signed", edgegate_platform::signed_hook)
                .public()
                .policy(edgegate_platform::signature::signed("SEEN_SIGNATURES")),
        ]);
    let keys_text = keys();
    let lookup = |name: &str| (name == "SIGNATURE_KEYS").then(|| keys_text.clone());
    let not_loaded: Gateway<Platform> = Gateway::new(table, Settings::load(lookup));
    assert!(reasons(&not_loaded).contains("SIGNATURE_KEYS: a route's policy reads it, but it was not loaded"));
}

#[test]
fn its_binding_is_checked_when_the_worker_starts() {
    let mut gateway = with_keys(Some(keys()));
    let bindings: Vec<_> = gateway.bindings().collect();
    assert!(bindings.contains(&("SEEN_SIGNATURES", KV_NAMESPACE)), "{bindings:?}");
    gateway.check_bindings(|name, kind| !(name == "SEEN_SIGNATURES" && kind == KV_NAMESPACE));
    let reasons = gateway.misconfiguration().expect("missing binding").join("\n");
    assert!(
        reasons
            .contains("route /signed calls the KV namespace `SEEN_SIGNATURES`, which is not bound ([[kv_namespaces]])"),
        "{reasons}"
    );
}
