//! The deployment's configuration, checked where it is written: the gateway
//! is built from wrangler.toml's `[vars]` (and each `[env.*]`'s) with
//! `.dev.vars.example`'s secrets, so a misspelled setting or policy name fails
//! `cargo test`, never a deployment.

mod support;

use edgegate::config::SETTING_NAMES;
use edgegate::gateway::BindingKind;
use edgegate_app::APP_SETTING_NAMES;
use support::*;

#[test]
fn every_environment_in_wrangler_toml_builds_a_working_gateway() {
    let mut checked = vec![None];
    checked.extend(wrangler_environments().into_iter().map(Some));
    for environment in &checked {
        let vars = deployment_vars(environment.as_deref());
        let gateway = deployed_gateway(environment.as_deref());
        assert_eq!(
            gateway.misconfiguration(),
            None,
            "wrangler.toml {}",
            environment.as_deref().unwrap_or("[vars]")
        );
        for (name, _) in &vars {
            assert!(
                SETTING_NAMES.contains(&name.as_str()) || APP_SETTING_NAMES.contains(&name.as_str()),
                "`{name}` in wrangler.toml or .dev.vars.example is no setting the gateway or the app reads"
            );
        }
    }
}

#[test]
fn every_binding_the_routes_call_must_be_bound_as_what_it_is() {
    let bindings = |gateway: &edgegate::gateway::Gateway<_>| -> Vec<(String, BindingKind)> {
        gateway.bindings().map(|(name, kind)| (name.to_owned(), kind)).collect()
    };
    let all = bindings(&app_gateway(&dev_vars()));
    for expected in [
        ("PER_PRINCIPAL", BindingKind::RateLimit),
        ("QUOTA", BindingKind::DurableObject),
        ("PER_CLIENT", BindingKind::RateLimit),
        ("PER_PARTNER", BindingKind::RateLimit),
        ("GREETER", BindingKind::Service),
    ] {
        assert!(all.contains(&(expected.0.to_owned(), expected.1)), "{all:?}");
    }
    for (missing, kind, route, section) in [
        ("GREETER", BindingKind::Service, "/fn/greet", "[[services]]"),
        ("PER_CLIENT", BindingKind::RateLimit, "/items", "[[ratelimits]]"),
        (
            "QUOTA",
            BindingKind::DurableObject,
            "/api/hello",
            "[[durable_objects.bindings]]",
        ),
    ] {
        let mut gateway = app_gateway(&dev_vars());
        gateway.check_bindings(|name, _| name != missing);
        let reasons = gateway.misconfiguration().expect("refuses every request").join("\n");
        let noun = kind.noun();
        assert!(
            reasons.contains(&format!(
                "route {route} calls the {noun} `{missing}`, which is not bound ({section})"
            )),
            "{reasons}"
        );
        assert_eq!(
            send(&gateway, get("/hello")).problem(500, "misconfigured")["status"],
            500
        );
    }
    // Bound, but as something else than the route calls, is missing too.
    let mut gateway = app_gateway(&dev_vars());
    gateway.check_bindings(|name, kind| name != "QUOTA" || kind != BindingKind::DurableObject);
    assert!(
        gateway.misconfiguration().is_some(),
        "a QUOTA that is no Durable Object namespace"
    );
}

#[test]
fn rate_limits_repeat_each_limiter_binding_exactly() {
    let mut environments = vec![None];
    environments.extend(wrangler_environments().into_iter().map(Some));
    for environment in environments {
        let vars = deployment_vars(environment.as_deref());
        let settings: serde_json::Value = vars
            .iter()
            .find(|(name, _)| name == "RATE_LIMITS")
            .map(|(_, value)| serde_json::from_str(value).unwrap())
            .expect("RATE_LIMITS");
        let declared = declared_rate_limits(environment.as_deref());
        assert_eq!(declared.len(), settings.as_object().unwrap().len(), "{environment:?}");
        for (name, limit, period) in declared {
            let entry = &settings[&name];
            assert!(
                entry == "off" || (entry["limit"] == limit && entry["period"] == period),
                "RATE_LIMITS.{name} of {environment:?} says {entry}, its [[ratelimits]] entry {limit} per {period} s"
            );
        }
    }
}

#[test]
fn the_development_settings_build_a_working_gateway() {
    assert_eq!(app_gateway(&dev_vars()).misconfiguration(), None);
}

#[test]
fn no_deployment_accepts_the_development_token_key() {
    let dev_key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tools/dev-token/public.jwk").unwrap()).unwrap();
    let modulus = dev_key["n"].as_str().unwrap();
    // The development provider has it (make dev accepts `make token`'s tokens)...
    assert!(dev_vars()
        .iter()
        .any(|(name, value)| name == "JWT_PROVIDERS" && value.contains(modulus)));
    // ...and no deployment does.
    let mut environments = vec![None];
    environments.extend(wrangler_environments().into_iter().map(Some));
    for environment in environments {
        for (name, value) in deployment_vars(environment.as_deref()) {
            assert!(
                !value.contains(modulus),
                "{name} of {environment:?} lists the development key"
            );
        }
    }
}

#[test]
fn a_misspelled_policy_name_in_the_settings_is_caught() {
    // What these tests would say if wrangler.toml had `partnrs` for `partners`.
    let misspelled = with_var(dev_vars(), "IP_RULES", r#"{"partnrs": {"deny": []}}"#);
    let reasons = app_gateway(&misspelled).misconfiguration().unwrap().join("\n");
    assert!(reasons.contains("`partnrs` is not named by any route"), "{reasons}");
    assert!(
        reasons.contains("routes name `partners`, which is not defined here"),
        "{reasons}"
    );
    let cors = with_var(dev_vars(), "CORS_PROFILES", r#"{"partners": {"origin": []}}"#);
    assert!(app_gateway(&cors).misconfiguration().is_some());
}

#[test]
fn the_dead_letter_consumer_rides_out_a_long_store_outage() {
    // README, "Partner events": the events consumer retries 3 times, then the
    // dead-letter queue's consumer up to Queues' most, so a D1 outage of
    // hours loses no event.
    let config = support::wrangler_toml();
    let consumers = config["queues"]["consumers"].as_array().expect("queue consumers");
    let of = |queue: &str| {
        consumers
            .iter()
            .find(|c| c["queue"].as_str() == Some(queue))
            .unwrap_or_else(|| panic!("a consumer of {queue}"))
    };
    let events = of("edgegate-events");
    assert_eq!(events["max_retries"].as_integer(), Some(3));
    assert_eq!(events["dead_letter_queue"].as_str(), Some("edgegate-events-dlq"));
    assert_eq!(of("edgegate-events-dlq")["max_retries"].as_integer(), Some(100));
}

#[test]
fn the_function_worker_has_no_public_url() {
    // README, "Upstreams": the greeter is reached through the gateway's
    // service binding only; wrangler's default (`workers_dev = true`) would
    // also publish it on workers.dev, past every check.
    let greeter = support::toml_at("functions/greeter/wrangler.toml");
    assert_eq!(greeter["workers_dev"].as_bool(), Some(false));
    assert_eq!(greeter["preview_urls"].as_bool(), Some(false));
}

#[test]
fn a_request_abandoned_by_its_client_is_logged_at_once_in_the_deployment() {
    // README, "Observability": the runtime tells the gateway a client went
    // away (Request.signal) only with this flag; the raw-socket test runs
    // plain workerd with the same flag (tests/e2e/security.test.mjs).
    let config = support::wrangler_toml();
    let flags = config["compatibility_flags"].as_array().expect("compatibility_flags");
    assert!(
        flags.iter().any(|flag| flag.as_str() == Some("enable_request_signal")),
        "{flags:?}"
    );
}

#[test]
fn a_name_given_twice_at_any_depth_or_a_list_that_names_nothing_is_caught() {
    // serde_json keeps the last of two members silently: `deny` would end
    // up empty, the second consumer would own the key. Each is refused,
    // naming its setting, never quoting a key.
    for (setting, value, expected) in [
        (
            "IP_RULES",
            r#"{"partners": {"allow": [], "deny": ["198.51.100.0/24"], "deny": []}}"#,
            "gives a name twice",
        ),
        (
            "QUOTAS",
            r#"{"default": {"per_day": 100, "per_day": 100000}}"#,
            "gives a name twice",
        ),
        (
            "CORS_PROFILES",
            r#"{"partners": {"origins": ["https://a.example"], "origins": ["*"]}}"#,
            "gives a name twice",
        ),
        (
            "API_KEYS",
            r#"{"s3cret-key-1": "alice", "s3cret-key-1": "mallory"}"#,
            "gives a key twice",
        ),
        ("IP_ALLOW", ",", "lists no address or range"),
        ("IP_DENY", " , ", "lists no address or range"),
    ] {
        let reasons = app_gateway(&with_var(dev_vars(), setting, value))
            .misconfiguration()
            .unwrap_or_else(|| panic!("{setting} {value} was accepted"))
            .join("\n");
        assert!(
            reasons.contains(setting) && reasons.contains(expected),
            "{setting}: {reasons}"
        );
        assert!(!reasons.contains("s3cret"), "{reasons}");
    }
}
