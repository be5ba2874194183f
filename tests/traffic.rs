//! Traffic control on the app's routes: each is limited as wrangler.toml
//! configures it, on the host's (fake) rate-limit binding and quota object.
//! Rate limits and quotas themselves are tested with the framework
//! (crates/edgegate/tests/traffic.rs).

mod support;

use edgegate::http::{Method, Request};
use support::*;

#[test]
fn the_apps_routes_are_limited_as_wrangler_toml_says() {
    let gateway = app_gateway(&dev_vars());
    let platform = platform();
    let api = send_on(&gateway, get("/api/hello").with_header("x-api-key", DEV_KEY), &platform);
    assert_eq!(api.status(), 200);
    assert_eq!(
        api.header("ratelimit-policy"),
        Some(r#""per_principal";q=100;w=60, "quota-day";q=10000;w=86400"#)
    );
    assert!(api.header("ratelimit").unwrap().starts_with(r#""quota-day";r=9999;t="#));
    let reads = send_on(
        &gateway,
        get("/items").with_header("cf-connecting-ip", "203.0.113.5"),
        &platform,
    );
    assert_eq!(reads.header("ratelimit-policy"), Some(r#""per_client";q=600;w=60"#));
    let write = Request::new(Method::Delete, "/items/9").with_header("x-api-key", DEV_KEY);
    let write = send_on(&gateway, write, &platform);
    assert_eq!(
        write.header("ratelimit-policy"),
        Some(r#""per_principal";q=100;w=60, "quota-day";q=10000;w=86400"#)
    );
    // The seed routes are not limited.
    assert_eq!(
        send_on(&gateway, get("/hello"), &platform).header("ratelimit-policy"),
        None
    );
    // /api and item writes share one bucket per caller.
    let counted = platform.counted.borrow();
    let principal: Vec<_> = counted
        .iter()
        .filter(|(b, _)| b == "PER_PRINCIPAL")
        .map(|(_, k)| k.as_str())
        .collect();
    assert_eq!(principal, ["api_key::dev", "api_key::dev"]);
    assert!(counted.contains(&("PER_CLIENT".to_owned(), "ip:203.0.113.5".to_owned())));
}
