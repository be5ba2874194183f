//! Settings resolved against the route table, once per isolate: each path's
//! CORS policy, IP rules and body limit are worked out here so a request only
//! looks them up by index.

use std::rc::Rc;

use crate::config::{ConfigError, Settings};
use crate::platform::BindingKind;
use crate::policy::access::{Access, Authenticator, Guard};
use crate::policy::jwt::{JwtProvider, ScopedJwt};
use crate::policy::{CorsPolicy, IpRules};
use crate::routing::{Endpoint, RouteTable};
use crate::upstream::forward::Forwarder;

pub(super) struct PathPolicy {
    pub cors: Option<CorsPolicy>,
    pub ip: IpRules,
}

pub(super) struct Resolved<S> {
    pub table: RouteTable<S>,
    pub global_cors: CorsPolicy,
    pub global_ip: IpRules,
    pub paths: Vec<PathPolicy>,
    pub default_max_body_bytes: usize,
    pub access_log: bool,
    pub problem_type_prefix: String,
    /// Some route takes bearer tokens: `Authorization` must be passed in.
    pub reads_bearer: bool,
    /// The bindings upstreams and route policies call, each with what it
    /// must be and the first route that names it (for the misconfiguration's
    /// log line).
    pub bindings: Vec<(String, BindingKind, String)>,
}

impl<S> Resolved<S> {
    pub fn new(mut table: RouteTable<S>, settings: Settings) -> Result<Resolved<S>, Vec<ConfigError>> {
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
                if let Some(scope) = endpoint.access.invalid_scope() {
                    fail(
                        &format!("route {}", routes.template),
                        format!("the required scope `{scope}` is not a scope token"),
                    );
                }
            }
        }
        let reads_bearer = !providers_named.is_empty();
        let mut upstreams_named: Vec<&str> = Vec::new();
        let mut bindings: Vec<(String, BindingKind, String)> = Vec::new();
        let mut add_binding = |name: &str, kind: BindingKind, route: &str| {
            if !bindings.iter().any(|(b, _, _)| b == name) {
                bindings.push((name.to_owned(), kind, route.to_owned()));
            }
        };
        // Route policies take their values from the settings now; what they
        // use of named settings is checked against them below.
        let mut limiters_named: Vec<&str> = Vec::new();
        let mut policy_errors: Vec<ConfigError> = Vec::new();
        for routes in table.paths() {
            for (_, endpoint) in routes.endpoints() {
                match endpoint.upstream.as_ref().map(|u| (u, u.binding())) {
                    Some((_, Some(binding))) => add_binding(binding, BindingKind::Service, &routes.template),
                    Some((upstream, None)) if !upstreams_named.contains(&upstream.name()) => {
                        upstreams_named.push(upstream.name())
                    }
                    _ => {}
                }
                for policy in &endpoint.policies {
                    if let Err(error) = policy.configure(&settings) {
                        if !policy_errors.contains(&error) {
                            policy_errors.push(error);
                        }
                        continue;
                    }
                    for (binding, kind) in policy.bindings() {
                        add_binding(&binding, kind, &routes.template);
                    }
                    if let Some(("RATE_LIMITS", name)) = policy.uses() {
                        if !limiters_named.contains(&name) {
                            limiters_named.push(name);
                        }
                    }
                }
            }
        }
        for error in policy_errors {
            fail(&error.setting, error.message);
        }
        for name in settings.rate_limits.names() {
            if !limiters_named.contains(&name) {
                fail("RATE_LIMITS", format!("`{name}` is not named by any route (a typo?)"));
            }
        }
        for (setting, defined, used) in [
            (
                "UPSTREAMS",
                settings.upstreams.names().collect::<Vec<_>>(),
                &upstreams_named,
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
        if !errors.is_empty() {
            return Err(errors);
        }
        // Without API_KEYS, key-protected routes refuse every request.
        let mut authenticators = Authenticators {
            api_keys: Rc::new(settings.api_keys.clone().unwrap_or_default()),
            jwt: settings
                .jwt_providers
                .iter()
                .map(|(name, config)| (name.to_owned(), Rc::new(JwtProvider::new(name, config.clone()))))
                .collect(),
        };
        for routes in table.paths_mut() {
            for endpoint in routes.endpoints_mut() {
                endpoint.guard = authenticators.guard(&endpoint.access);
                if let Some(upstream) = &endpoint.upstream {
                    let base = match upstream.binding() {
                        // The host only labels a call through a binding.
                        Some(binding) => format!("https://{}/", binding.to_ascii_lowercase()),
                        None => settings.upstreams.get(upstream.name()).expect("checked above").clone(),
                    };
                    endpoint.forwarder = Some(Rc::new(Forwarder::new(upstream.clone(), base)));
                }
            }
        }
        Ok(Resolved {
            table,
            global_cors,
            global_ip,
            paths,
            default_max_body_bytes: settings.max_body_bytes,
            access_log: settings.access_log,
            problem_type_prefix: settings.problem_type_prefix,
            reads_bearer,
            bindings,
        })
    }

    /// An endpoint's body limit: the route's own, else `MAX_BODY_BYTES`.
    pub fn body_limit(&self, endpoint: &Endpoint<S>) -> usize {
        endpoint.max_body_bytes.unwrap_or(self.default_max_body_bytes)
    }

    /// The CORS policy for a matched path (its override, else the global one).
    pub fn cors_for(&self, path: Option<usize>) -> &CorsPolicy {
        path.and_then(|index| self.paths[index].cors.as_ref())
            .unwrap_or(&self.global_cors)
    }
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
    fn guard(&mut self, access: &Access) -> Guard {
        let mut alternatives = Vec::new();
        if self.collect(access, &mut alternatives) {
            Guard::Open
        } else {
            Guard::AnyOf(alternatives)
        }
    }

    /// Adds `access`'s authenticators; true if it admits anyone.
    fn collect(&mut self, access: &Access, into: &mut Vec<Rc<dyn Authenticator>>) -> bool {
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
