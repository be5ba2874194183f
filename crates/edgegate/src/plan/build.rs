//! Building the plan: each path's CORS policy and IP rules, each route's
//! guard, stages and answer, from the declarations and the settings. Names in
//! code and values in settings must find each other both ways; every
//! problem is collected, so the log lists all of them at once.

use std::rc::Rc;

use super::upstreams::Pools;
use super::{Answer, EndpointPlan, PathPlan, Plan, READ_HEADERS, READ_HEADERS_WITH_BEARER};
use crate::cache::purge::PurgePlan;
use crate::cache::{CachePlan, Memory};
use crate::config::Settings;
use crate::http::Method;
use crate::observe::metrics::ANALYTICS_ENGINE_DATASET;
use crate::observe::{timing, LogFields, ServerTiming};
use crate::platform::BindingKind;
use crate::policy::access::{Access, Authenticator, Guard};
use crate::policy::jwt::{JwtProvider, ScopedJwt};
use crate::policy::{Build, CorsPolicy, IpRules, Phase, RoutePolicy, Setting};
use crate::routing::RouteTable;
use crate::setting::{named_policies, ConfigError};
use crate::upstream::Forwarder;

/// A spec built once, whichever of its routes comes first (a group's
/// policy is one spec shared by its routes).
type Built = (*const (), Result<Rc<dyn RoutePolicy>, ()>);

/// Compiles `table` with `settings` into the plan the gateway runs, or
/// every reason it cannot.
pub fn build<S>(table: RouteTable<S>, settings: Settings) -> Result<Plan<S>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut fail = |setting: &str, message: String| {
        errors.push(ConfigError {
            setting: setting.into(),
            message,
        })
    };

    let global_cors = CorsPolicy::new(&settings.cors).unwrap_or_else(|message| {
        fail("CORS", message);
        CorsPolicy::new(&Default::default()).expect("empty CORS settings are valid")
    });
    let global_ip = IpRules::parse(&settings.ip_allow, &settings.ip_deny).unwrap_or_else(|message| {
        fail("IP_ALLOW/IP_DENY", message);
        IpRules::default()
    });
    // Names in code, values in settings: each side must find the other.
    let named = |pick: fn(&crate::routing::PathRoutes<S>) -> Option<&String>| -> Vec<&str> {
        table
            .paths()
            .iter()
            .filter_map(|p| pick(p).map(String::as_str))
            .collect()
    };
    let (cors_named, ip_named) = (named(|p| p.cors.as_ref()), named(|p| p.ip_rules.as_ref()));
    let mut providers_named = Vec::new();
    for routes in table.paths() {
        for (_, endpoint) in routes.endpoints() {
            endpoint.access.providers(&mut providers_named);
            if endpoint.access.declares_no_one() {
                fail(
                    &format!("route {}", routes.template),
                    "its access (or an alternative in it) admits no one: an empty `any_of`, or scopes asked of `api_key()` or `public()` (no token carries them there)".to_owned(),
                );
            }
            if let Some(scope) = endpoint.access.invalid_scope() {
                fail(
                    &format!("route {}", routes.template),
                    format!("the required scope `{scope}` is not a scope token"),
                );
            }
        }
    }
    let reads_bearer = !providers_named.is_empty();
    let mut pools = Pools::new(&settings.upstreams);
    let mut bindings: Vec<(String, BindingKind, String)> = Vec::new();
    let mut add_binding = |name: &str, kind: BindingKind, route: &str| {
        if !bindings.iter().any(|(b, _, _)| b == name) {
            bindings.push((name.to_owned(), kind, route.to_owned()));
        }
    };
    // Cache policies: each route's rule and each purge name an entry.
    let mut caches_named: Vec<&str> = Vec::new();
    for routes in table.paths() {
        for (_, endpoint) in routes.endpoints() {
            let names = endpoint
                .cache
                .iter()
                .map(|rule| rule.name())
                .chain(endpoint.purges.as_deref());
            for name in names {
                if !caches_named.contains(&name) {
                    caches_named.push(name);
                }
            }
        }
    }
    let defined = |setting: &str, entry: &str| match setting {
        "JWT_PROVIDERS" => settings.jwt_providers.get(entry).is_some(),
        "UPSTREAMS" => settings.upstreams.get(entry).is_some(),
        "CORS_PROFILES" => settings.cors_profiles.get(entry).is_some(),
        "IP_RULES" => settings.ip_rules.get(entry).is_some(),
        _ => false,
    };
    // Each policy spec builds its stage from its settings and names its bindings.
    let mut built: Vec<Built> = Vec::new();
    let mut stages: Vec<Vec<Vec<Rc<dyn RoutePolicy>>>> = Vec::new();
    let mut parsed = Vec::new();
    let mut policy_errors: Vec<ConfigError> = Vec::new();
    let mut unexplained: Vec<(String, String)> = Vec::new();
    let mut uses: Vec<(&'static str, String)> = Vec::new();
    // Settings policies outside the core read must have been loaded with the gateway's.
    let outside = table.policy_settings();
    for setting in outside
        .iter()
        .filter(|setting| !settings.policy_names.contains(&setting.name))
    {
        policy_errors.push(ConfigError {
            setting: setting.name.to_owned(),
            message: "a route's policy reads it, but it was not loaded: build the gateway with `Gateway::configured` (or load the settings with `Settings::load_with`)".to_owned(),
        });
    }
    let policy_settings: Vec<Setting> = crate::policy::SETTINGS.iter().copied().chain(outside).collect();
    for routes in table.paths() {
        let mut path_stages = Vec::new();
        for (_, endpoint) in routes.endpoints() {
            if let Some(upstream) = &endpoint.upstream {
                if let Some(pool) = pools.of(upstream) {
                    for binding in pool.targets.iter().filter_map(|t| t.service.as_deref()) {
                        add_binding(binding, BindingKind::Service, &format!("route {}", routes.template));
                    }
                    if let Some(canary) = &pool.canary {
                        for binding in canary.pool.targets.iter().filter_map(|t| t.service.as_deref()) {
                            add_binding(binding, BindingKind::Service, &format!("route {}", routes.template));
                        }
                    }
                }
            }
            let mut endpoint_stages = Vec::with_capacity(endpoint.policies.len());
            for spec in &endpoint.policies {
                let key = Rc::as_ptr(spec) as *const ();
                let stage = match built.iter().find(|(k, _)| *k == key) {
                    Some((_, stage)) => stage.clone(),
                    None => {
                        let mut named_bindings = Vec::new();
                        let mut build = Build {
                            route: &routes.template,
                            texts: &settings.policy_texts,
                            parsed: &mut parsed,
                            errors: &mut policy_errors,
                            bindings: &mut named_bindings,
                            uses: &mut uses,
                            defined: &defined,
                        };
                        let stage = match Rc::clone(spec).build(&mut build) {
                            Ok(stage) => Ok(stage),
                            Err(error) => {
                                if !error.message.is_empty() && !policy_errors.contains(&error) {
                                    policy_errors.push(error);
                                } else if error.message.is_empty() {
                                    // "Already reported": checked once every
                                    // policy is built, so a stage left off a
                                    // route is never silent.
                                    unexplained.push((routes.template.to_string(), error.setting));
                                }
                                Err(())
                            }
                        };
                        for (binding, kind) in named_bindings {
                            add_binding(&binding, kind, &format!("route {}", routes.template));
                        }
                        built.push((key, stage.clone()));
                        stage
                    }
                };
                if let Ok(stage) = stage {
                    endpoint_stages.push(stage);
                }
            }
            // One counter twice (a group's policy repeated on the route)
            // would count each request twice.
            let counters: Vec<String> = endpoint_stages.iter().filter_map(|stage| stage.counter()).collect();
            if let Some(twice) = counters.iter().enumerate().find(|(i, c)| counters[..*i].contains(c)) {
                policy_errors.push(ConfigError {
                    setting: format!("route {}", routes.template),
                    message: format!(
                        "the {} is on it twice (on its group and on itself?): each request would be counted twice",
                        twice.1
                    ),
                });
            }
            // A hit answers before the body phase: a policy that reads the
            // body (a signature over it) would never run for it.
            if endpoint.cache.is_some() && endpoint_stages.iter().any(|stage| stage.phase() == Phase::Body) {
                policy_errors.push(ConfigError {
                    setting: String::from("CACHE_POLICIES"),
                    message: format!(
                        "route {} has a cache and a policy that reads the body: a cached answer would skip that policy",
                        routes.template
                    ),
                });
            }
            path_stages.push(endpoint_stages);
        }
        stages.push(path_stages);
    }
    // A policy that failed without saying why, when nothing else was
    // reported: its route would otherwise run without it.
    if policy_errors.is_empty() {
        for (route, setting) in unexplained {
            policy_errors.push(ConfigError {
                setting,
                message: format!("a policy of route {route} could not be built (it gave no reason)"),
            });
        }
    }
    for error in policy_errors {
        fail(&error.setting, error.message);
    }
    for message in std::mem::take(&mut pools.errors) {
        fail("UPSTREAMS", message);
    }
    // A named policy setting's entries are each named by some route.
    for setting in policy_settings.iter().filter(|setting| setting.named) {
        let Some((_, text)) = settings.policy_texts.iter().find(|(name, _)| *name == setting.name) else {
            continue;
        };
        let read_by_a_route = parsed.iter().any(|(name, _, _)| *name == setting.name);
        let failed = parsed.iter().any(|(name, _, p)| *name == setting.name && p.is_err());
        match named_policies(Some(text), "values") {
            Ok(_) if failed => {}
            Ok(entries) => {
                for name in entries.names() {
                    if !uses.iter().any(|(s, used)| *s == setting.name && used == name) {
                        fail(setting.name, format!("`{name}` is not named by any route (a typo?)"));
                    }
                }
            }
            Err(message) if !read_by_a_route => fail(setting.name, message),
            Err(_) => {}
        }
    }
    for (setting, defined, used) in [
        (
            "UPSTREAMS",
            settings.upstreams.names().collect::<Vec<_>>(),
            &pools.named,
        ),
        (
            "JWT_PROVIDERS",
            settings.jwt_providers.names().collect::<Vec<_>>(),
            &providers_named,
        ),
        (
            "CORS_PROFILES",
            settings.cors_profiles.names().collect::<Vec<_>>(),
            &cors_named,
        ),
        ("IP_RULES", settings.ip_rules.names().collect(), &ip_named),
        (
            "CACHE_POLICIES",
            settings.cache_policies.names().collect(),
            &caches_named,
        ),
    ] {
        for name in &defined {
            if !used.contains(name) {
                fail(setting, format!("`{name}` is not named by any route (a typo?)"));
            }
        }
        for name in used.iter() {
            if !defined.contains(name) {
                fail(setting, format!("routes name `{name}`, which is not defined here"));
            }
        }
    }
    let mut paths = Vec::with_capacity(table.paths().len());
    for routes in table.paths() {
        let setting = |name: &str| format!("{name} (route {})", routes.template);
        let cors = routes
            .cors
            .as_ref()
            .and_then(|name| settings.cors_profiles.get(name))
            .and_then(|profile| match CorsPolicy::new(&settings.cors.overridden_by(profile)) {
                Ok(policy) => Some(policy),
                Err(message) => {
                    fail(&setting("CORS_PROFILES"), message);
                    None
                }
            });
        let ip = match routes.ip_rules.as_ref().and_then(|name| settings.ip_rules.get(name)) {
            Some(rules) => IpRules::parse(&rules.allow, &rules.deny).unwrap_or_else(|message| {
                fail(&setting("IP_RULES"), message);
                IpRules::default()
            }),
            None => IpRules::default(),
        };
        paths.push(PathPolicy { cors, ip });
    }
    if let Some(dataset) = &settings.observe.metrics_dataset {
        add_binding(dataset, ANALYTICS_ENGINE_DATASET, "METRICS_DATASET");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Browsers read Server-Timing only when CORS exposes it.
    let (mut global_cors, mut paths) = (global_cors, paths);
    if settings.observe.server_timing != ServerTiming::Off {
        global_cors.also_expose(timing::HEADER);
        for path in &mut paths {
            if let Some(cors) = &mut path.cors {
                cors.also_expose(timing::HEADER);
            }
        }
    }
    let read_headers = read_headers(reads_bearer, settings.observe.log_fields);
    // Without API_KEYS, key-protected routes refuse every request.
    let authenticators = Authenticators {
        api_keys: Rc::new(settings.api_keys.clone().unwrap_or_default()),
        jwt: settings
            .jwt_providers
            .iter()
            .map(|(name, config)| (name.to_owned(), Rc::new(JwtProvider::new(name, config.clone()))))
            .collect(),
    };
    let cache_settings = |name: &str| Rc::new(settings.cache_policies.get(name).expect("checked above").clone());
    // One memory per policy, shared by its routes and its purge.
    let memories: Vec<(&str, Rc<Memory>)> = settings
        .cache_policies
        .names()
        .map(|name| (name, Rc::default()))
        .collect();
    let memory = |name: &str| {
        memories
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.clone())
            .expect("checked above")
    };
    let compiled = table
        .paths()
        .iter()
        .zip(paths.into_iter().zip(stages))
        .map(|(routes, (PathPolicy { cors, ip }, path_stages))| {
            let mut endpoints = routes
                .endpoints()
                .zip(path_stages)
                .map(|((_, endpoint), stages)| {
                    let answer = match (&endpoint.upstream, &endpoint.handler) {
                        (Some(upstream), _) => {
                            let pool = pools.of(upstream).expect("built above");
                            Answer::Forward(Rc::new(Forwarder::new(upstream.clone(), pool)))
                        }
                        (None, Some(handler)) => Answer::Handler(handler.clone()),
                        (None, None) => {
                            let policy = endpoint
                                .purges
                                .as_deref()
                                .expect("a route has a handler, an upstream or a purge");
                            // The templates of the routes this policy caches: the keys the purge may name.
                            let templates: Vec<&str> = table
                                .paths()
                                .iter()
                                .filter(|path| {
                                    path.endpoints()
                                        .any(|(_, e)| e.cache.as_ref().is_some_and(|rule| rule.name() == policy))
                                })
                                .map(|path| &*path.template)
                                .collect();
                            Answer::Purge(Rc::new(PurgePlan::new(cache_settings(policy)).under(
                                policy,
                                &templates,
                                memory(policy),
                            )))
                        }
                    };
                    let cache = endpoint.cache.as_ref().map(|rule| {
                        let shared = rule.shared || matches!(endpoint.access, Access::Public);
                        let plan = CachePlan::new(routes.template.clone(), shared, cache_settings(rule.name()))
                            .under(rule.name(), memory(rule.name()));
                        Rc::new(match &answer {
                            Answer::Handler(_) => plan.for_handler(),
                            Answer::Forward(forwarder) => plan.reading_within(forwarder.spec.timeout_ms),
                            _ => plan,
                        })
                    });
                    EndpointPlan {
                        guard: authenticators.guard(&endpoint.access),
                        body_stages: stages.iter().any(|stage| stage.phase() == Phase::Body),
                        // A cache key reads the host and the headers it varies on.
                        reads_all_headers: endpoint.reads_all_headers
                            || cache.is_some()
                            || matches!(answer, Answer::Purge(_))
                            || stages.iter().any(|stage| !stage.reads_headers().is_empty()),
                        cache,
                        invalidates: None,
                        stages,
                        max_body_bytes: endpoint.max_body_bytes.unwrap_or(settings.max_body_bytes),
                        answer,
                    }
                })
                .collect::<Vec<_>>();
            // What a GET of this path keeps, every method's request may
            // change: each of its routes invalidates it (and so reads the
            // headers a key is made of).
            let get_cache = routes
                .endpoint_index(&Method::Get)
                .and_then(|get| endpoints[get].cache.clone());
            if let Some(get_cache) = get_cache {
                for endpoint in &mut endpoints {
                    endpoint.invalidates = Some(get_cache.clone());
                    endpoint.reads_all_headers = true;
                }
            }
            PathPlan { cors, ip, endpoints }
        })
        .collect::<Vec<PathPlan<S>>>();
    let all_headers_paths = all_headers_paths(&table, &compiled);
    Ok(Plan {
        table,
        paths: compiled,
        global_cors,
        global_ip,
        access_log: settings.access_log,
        problem_type_prefix: settings.problem_type_prefix,
        read_headers,
        all_headers_paths,
        observe: settings.observe,
        bindings,
    })
}

/// The fixed part (before the first `{`) of each path template whose
/// routes all read every header, longer than `/` alone: a request whose
/// path starts with one gets every header at once. Only a hint: a path it
/// misses still gets them, a call later ([`crate::gateway::Gateway::needs_all_headers`]).
fn all_headers_paths<S>(table: &RouteTable<S>, compiled: &[PathPlan<S>]) -> Vec<String> {
    let mut prefixes: Vec<String> = Vec::new();
    for (routes, path) in table.paths().iter().zip(compiled) {
        if !path.endpoints.iter().all(|endpoint| endpoint.reads_all_headers) {
            continue;
        }
        let template: &str = &routes.template;
        let fixed = &template[..template.find('{').unwrap_or(template.len())];
        if fixed.len() > 1 && !prefixes.iter().any(|known| fixed.starts_with(known.as_str())) {
            prefixes.retain(|known| !known.starts_with(fixed));
            prefixes.push(fixed.to_owned());
        }
    }
    prefixes
}

/// The headers the adapter passes by default: the gateway's, `Authorization`
/// when a route takes tokens, `User-Agent` when the log names it. Made once
/// per isolate.
fn read_headers(reads_bearer: bool, log_fields: LogFields) -> &'static [&'static str] {
    let base = if reads_bearer {
        READ_HEADERS_WITH_BEARER
    } else {
        READ_HEADERS
    };
    match log_fields {
        LogFields::Edgegate => base,
        LogFields::OpenTelemetry => Box::leak([base, &["user-agent"]].concat().into_boxed_slice()),
    }
}

/// One path's policies, resolved.
struct PathPolicy {
    cors: Option<CorsPolicy>,
    ip: IpRules,
}

/// The authenticators routes can name, each built once and shared.
struct Authenticators {
    api_keys: Rc<dyn Authenticator>,
    /// By provider name; a route table names a few.
    jwt: Vec<(String, Rc<JwtProvider>)>,
}

impl Authenticators {
    /// A route's access as the alternatives the gateway tries, in order. An
    /// alternative that is public makes the whole route public.
    fn guard(&self, access: &Access) -> Guard {
        let mut alternatives = Vec::new();
        if self.collect(access, &mut alternatives) {
            Guard::Open
        } else {
            Guard::AnyOf(alternatives)
        }
    }

    /// Adds `access`'s authenticators; true if it admits anyone.
    fn collect(&self, access: &Access, into: &mut Vec<Rc<dyn Authenticator>>) -> bool {
        match access {
            Access::Public => true,
            Access::ApiKey => {
                into.push(self.api_keys.clone());
                false
            }
            Access::Jwt { provider, scopes } => {
                // Every name was checked against the settings above.
                let Some((_, jwt)) = self.jwt.iter().find(|(name, _)| name == provider) else {
                    unreachable!("provider `{provider}` was checked");
                };
                let authenticator: Rc<dyn Authenticator> = if scopes.is_empty() {
                    jwt.clone()
                } else {
                    Rc::new(ScopedJwt {
                        provider: jwt.clone(),
                        scopes: scopes.clone(),
                    })
                };
                into.push(authenticator);
                false
            }
            Access::AnyOf(alternatives) => {
                let mut open = false;
                for alternative in alternatives {
                    open |= self.collect(alternative, into);
                }
                open
            }
        }
    }
}
