//! Settings resolved against the route table, once per isolate: each path's
//! CORS policy, IP rules and body limit are worked out here so a request only
//! looks them up by index.

use crate::config::{ConfigError, Settings};
use crate::policy::{ApiKeys, CorsPolicy, IpRules};
use crate::routing::{Endpoint, RouteTable};

pub(super) struct PathPolicy {
    pub cors: Option<CorsPolicy>,
    pub ip: IpRules,
    pub max_body_bytes: Option<usize>,
}

pub(super) struct Resolved<S> {
    pub table: RouteTable<S>,
    pub global_cors: CorsPolicy,
    pub global_ip: IpRules,
    pub paths: Vec<PathPolicy>,
    pub api_keys: Option<ApiKeys>,
    pub default_max_body_bytes: usize,
    pub access_log: bool,
}

impl<S> Resolved<S> {
    pub fn new(table: RouteTable<S>, settings: Settings) -> Result<Resolved<S>, Vec<ConfigError>> {
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
        for template in settings.routes.keys() {
            if table.index_of(template).is_none() {
                fail(
                    "ROUTE_POLICIES",
                    format!("`{template}` is not a route path in the route table"),
                );
            }
        }
        let mut paths = Vec::with_capacity(table.paths().len());
        for routes in table.paths() {
            let Some(over) = settings.routes.get(&*routes.template) else {
                paths.push(PathPolicy {
                    cors: None,
                    ip: IpRules::default(),
                    max_body_bytes: None,
                });
                continue;
            };
            let setting = format!("ROUTE_POLICIES[{}]", routes.template);
            let cors = over
                .cors
                .as_ref()
                .and_then(|cors| match CorsPolicy::new(&settings.cors.overridden_by(cors)) {
                    Ok(policy) => Some(policy),
                    Err(message) => {
                        fail(&setting, message);
                        None
                    }
                });
            let ip = IpRules::parse(&over.ip_allow, &over.ip_deny).unwrap_or_else(|message| {
                fail(&setting, message);
                IpRules::default()
            });
            if over.max_body_bytes == Some(0) {
                fail(&setting, "max_body_bytes must be positive".into());
            }
            paths.push(PathPolicy {
                cors,
                ip,
                max_body_bytes: over.max_body_bytes,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Resolved {
            table,
            global_cors,
            global_ip,
            paths,
            api_keys: settings.api_keys.filter(|keys| !keys.is_empty()),
            default_max_body_bytes: settings.max_body_bytes,
            access_log: settings.access_log,
        })
    }

    /// An endpoint's body limit: the path's `ROUTE_POLICIES` override, else
    /// the route's own, else `MAX_BODY_BYTES`.
    pub fn body_limit(&self, policy: &PathPolicy, endpoint: &Endpoint<S>) -> usize {
        policy
            .max_body_bytes
            .or(endpoint.max_body_bytes)
            .unwrap_or(self.default_max_body_bytes)
    }

    /// The CORS policy for a matched path (its override, else the global one).
    pub fn cors_for(&self, path: Option<usize>) -> &CorsPolicy {
        path.and_then(|index| self.paths[index].cors.as_ref())
            .unwrap_or(&self.global_cors)
    }
}
