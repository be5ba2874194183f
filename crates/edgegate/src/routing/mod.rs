//! The route table: every route the gateway serves, declared in one place and
//! checked when it is built, so a conflicting or malformed route fails the
//! build of the table (and `cargo test`), never a request.

mod error;
mod route;

use std::collections::HashMap;
use std::rc::Rc;

pub use crate::policy::Access;
pub use error::RouteError;
pub use route::{Group, Route};

use crate::handler::BoxedHandler;
use crate::http::{Method, MethodSet};
use crate::policy::{PolicySpec, Setting};
use crate::upstream::{PathTranslation, Upstream, UpstreamKind};

/// What one method on one path runs, and under which policy, as declared.
pub struct Endpoint<S> {
    /// The handler (none on a route that forwards to an upstream).
    pub(crate) handler: Option<BoxedHandler<S>>,
    /// The handler reads headers beyond the gateway's own: it needs them all.
    pub reads_all_headers: bool,
    /// Who may call it.
    pub access: Access,
    /// A limit this route sets in code (else the global `MAX_BODY_BYTES`).
    pub max_body_bytes: Option<usize>,
    /// The upstream this route forwards to instead of running a handler.
    pub upstream: Option<Upstream>,
    /// The policies' specs, in order (a group's first).
    pub(crate) policies: Vec<Rc<dyn PolicySpec>>,
    /// Its cache policy, if its answers are kept.
    pub cache: Option<crate::cache::CacheRule>,
    /// On a purge route: the cache policy whose entries it purges.
    pub purges: Option<String>,
    /// What the OpenAPI document says of it beyond its path and policies.
    pub(crate) doc: crate::describe::RouteDoc,
}

/// All routes sharing one path template.
pub struct PathRoutes<S> {
    /// The path template, e.g. `/users/{id}`.
    pub template: Rc<str>,
    /// The CORS profile and IP rules its routes name, if any.
    pub cors: Option<String>,
    /// The IP rules its routes name, if any.
    pub ip_rules: Option<String>,
    param_names: Vec<Rc<str>>,
    /// The template ends in a catch-all (`{*rest}`), decided once, not per request.
    pub(crate) catch_all: bool,
    by_method: Vec<(Method, Endpoint<S>)>,
    any: Option<Endpoint<S>>,
    allow_header: String,
}

impl<S> PathRoutes<S> {
    /// The endpoint for `method`: an exact route first, then GET for HEAD
    /// (answered without a body), then an `ANY` route. OPTIONS is answered by
    /// the gateway unless a route names it. `ANY` is the seven methods its
    /// `Allow` names (as API Gateway's `ANY`): an extension method (`PROPFIND`,
    /// `QUERY`, `TRACE`) is a 405 unless a route names it.
    pub fn endpoint(&self, method: &Method) -> Option<&Endpoint<S>> {
        self.endpoints()
            .nth(self.endpoint_index(method)?)
            .map(|(_, endpoint)| endpoint)
    }

    /// `Allow` as sent with 405 and plain OPTIONS answers; built once.
    pub fn allow_header(&self) -> &str {
        &self.allow_header
    }

    /// Where [`PathRoutes::endpoint`]'s answer stands in [`PathRoutes::endpoints`].
    pub(crate) fn endpoint_index(&self, method: &Method) -> Option<usize> {
        let declared = |wanted: &Method| self.by_method.iter().position(|(m, _)| m == wanted);
        let any = self.any.as_ref().map(|_| self.by_method.len());
        if let Some(index) = declared(method) {
            return Some(index);
        }
        match method {
            Method::Head => declared(&Method::Get).or(any),
            Method::Options | Method::Other(_) => None,
            _ => any,
        }
    }

    /// Every endpoint on this path with its method (`None` for the `ANY` route).
    pub fn endpoints(&self) -> impl Iterator<Item = (Option<&Method>, &Endpoint<S>)> {
        self.by_method
            .iter()
            .map(|(m, e)| (Some(m), e))
            .chain(self.any.iter().map(|e| (None, e)))
    }
}

/// The built table: a matchit router from path template to [`PathRoutes`].
///
/// ```
/// use edgegate::extract::Path;
/// use edgegate::routing::{Route, RouteError, RouteTable};
///
/// async fn user(Path(id): Path<u64>) -> String {
///     format!("user {id}")
/// }
///
/// let table = RouteTable::<()>::new([Route::get("/users/{id}", user).public()]).unwrap();
/// let found = table.at("/users/7").unwrap();
/// assert_eq!(&*table.paths()[found.index].template, "/users/{id}");
/// assert!(table.at("/teams/7").is_none());
///
/// // A route that does not say who may call it fails the build.
/// let forgotten = RouteTable::<()>::new([Route::get("/users/{id}", user)]);
/// assert!(matches!(forgotten, Err(RouteError::MissingAccess { .. })));
/// ```
pub struct RouteTable<S> {
    router: matchit::Router<usize>,
    paths: Vec<PathRoutes<S>>,
}

/// A path that matched, with its raw (still percent-encoded) parameter values.
pub struct PathMatch<'t, 'p> {
    /// The matched path's index in [`RouteTable::paths`].
    pub index: usize,
    /// Each parameter's name and raw value, in template order.
    pub raw_params: Vec<(&'t Rc<str>, &'p str)>,
}

impl<S> RouteTable<S> {
    /// Builds the table, refusing duplicate, conflicting and malformed routes
    /// and routes that do not say who may call them.
    pub fn new(routes: impl IntoIterator<Item = Route<S>>) -> Result<RouteTable<S>, RouteError> {
        let mut router = matchit::Router::new();
        let mut paths: Vec<PathRoutes<S>> = Vec::new();
        let mut index_of: HashMap<String, usize> = HashMap::new();

        for route in routes {
            let described = format!("{} {}", route.method.as_ref().map_or("ANY", |m| m.as_str()), route.path);
            let access = route.access.ok_or_else(|| RouteError::MissingAccess {
                route: described.clone(),
            })?;
            let index = match index_of.get(&route.path) {
                Some(&index) => index,
                None => {
                    let (param_names, catch_all) = validate_template(&route.path)?;
                    router
                        .insert(route.path.clone(), paths.len())
                        .map_err(|error| match error {
                            matchit::InsertError::Conflict { with } => RouteError::Conflict {
                                path: route.path.clone(),
                                with,
                            },
                            other => RouteError::InvalidPath {
                                path: route.path.clone(),
                                reason: other.to_string(),
                            },
                        })?;
                    index_of.insert(route.path.clone(), paths.len());
                    paths.push(PathRoutes {
                        template: route.path.as_str().into(),
                        cors: None,
                        ip_rules: None,
                        catch_all,
                        param_names,
                        by_method: Vec::new(),
                        any: None,
                        allow_header: String::new(),
                    });
                    paths.len() - 1
                }
            };
            let entry = &mut paths[index];
            for (named, slot, policy) in [
                (route.cors, &mut entry.cors, "CORS profiles"),
                (route.ip_rules, &mut entry.ip_rules, "IP rules"),
            ] {
                match (named, &*slot) {
                    (Some(name), Some(earlier)) if name != *earlier => {
                        return Err(RouteError::PolicyConflict {
                            path: route.path.clone(),
                            policy,
                        })
                    }
                    (Some(name), _) => *slot = Some(name),
                    (None, _) => {}
                }
            }
            // The remainder appended is all of the path an upstream gets:
            // a parameter before it would be dropped (`/users/7` and
            // `/users/8` one call). A function gets every parameter.
            if let Some(upstream) = &route.upstream {
                let named = entry.param_names.len() - usize::from(entry.catch_all);
                if named > 0 && upstream.path == PathTranslation::Append && upstream.kind != UpstreamKind::Function {
                    return Err(RouteError::InvalidPath {
                        path: route.path.clone(),
                        reason: format!(
                            "the upstream `{}` gets the matched remainder only, so parameter `{}` would be dropped: \
                             end the template in `{{*rest}}` alone, or call `.constant_address()`",
                            upstream.name, entry.param_names[0]
                        ),
                    });
                }
            }
            let endpoint = Endpoint {
                handler: route.handler,
                reads_all_headers: route.reads_all_headers,
                access,
                max_body_bytes: route.max_body_bytes,
                upstream: route.upstream,
                policies: route.policies,
                cache: route.cache,
                purges: route.purges,
                doc: route.doc,
            };
            match route.method {
                Some(method) => {
                    if entry.by_method.iter().any(|(m, _)| *m == method) {
                        return Err(RouteError::Duplicate { route: described });
                    }
                    entry.by_method.push((method, endpoint));
                }
                None => {
                    if entry.any.is_some() {
                        return Err(RouteError::Duplicate { route: described });
                    }
                    entry.any = Some(endpoint);
                }
            }
        }

        for entry in &mut paths {
            let mut allowed = MethodSet::EMPTY;
            for (method, _) in &entry.by_method {
                allowed.insert(method);
                if *method == Method::Get {
                    allowed.insert(&Method::Head);
                }
            }
            if entry.any.is_some() {
                allowed = MethodSet::ALL;
            }
            allowed.insert(&Method::Options);
            entry.allow_header = allowed.header_value();
            // Extension methods a route names (`QUERY`, `PROPFIND`) after
            // the standard ones, as declared: the set holds the seven only.
            for (method, _) in &entry.by_method {
                if let Method::Other(name) = method {
                    entry.allow_header.push_str(", ");
                    entry.allow_header.push_str(name);
                }
            }
        }
        Ok(RouteTable { router, paths })
    }

    /// Finds the path template matching a raw request path.
    pub fn at<'t, 'p>(&'t self, path: &'p str) -> Option<PathMatch<'t, 'p>> {
        let found = self.router.at(path).ok()?;
        let routes = &self.paths[*found.value];
        let raw_params = routes
            .param_names
            .iter()
            .zip(found.params.iter())
            .map(|(name, (_, value))| (name, value))
            .collect();
        Some(PathMatch {
            index: *found.value,
            raw_params,
        })
    }

    /// Every path's routes, in the order their templates first appear.
    pub fn paths(&self) -> &[PathRoutes<S>] {
        &self.paths
    }

    /// The settings its routes' policies read beyond the built-in ones
    /// (what [`crate::gateway::Gateway::configured`] loads).
    pub fn policy_settings(&self) -> Vec<Setting> {
        let mut settings: Vec<Setting> = Vec::new();
        for routes in &self.paths {
            for (_, endpoint) in routes.endpoints() {
                for setting in endpoint.policies.iter().flat_map(|spec| spec.settings()) {
                    if !settings.contains(setting) && !crate::policy::SETTINGS.contains(setting) {
                        settings.push(*setting);
                    }
                }
            }
        }
        settings
    }

    /// The index of a path template.
    pub fn index_of(&self, template: &str) -> Option<usize> {
        self.paths.iter().position(|p| &*p.template == template)
    }
}

/// Checks what matchit does not: a leading slash, no query or fragment, and
/// unique parameter names. Returns the parameter names in order, and
/// whether the last is a catch-all (`{*rest}`; `{{*` is a literal).
fn validate_template(path: &str) -> Result<(Vec<Rc<str>>, bool), RouteError> {
    let invalid = |reason: &str| RouteError::InvalidPath {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if !path.starts_with('/') {
        return Err(invalid("a route path must start with `/`"));
    }
    if path.contains(['?', '#']) {
        return Err(invalid("a route path cannot contain `?` or `#`"));
    }
    let mut names: Vec<Rc<str>> = Vec::new();
    let mut catch_all = false;
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        if rest[open..].starts_with("{{") {
            rest = &rest[open + 2..];
            continue;
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| invalid("a `{` has no closing `}`"))?
            + open;
        let written = &rest[open + 1..close];
        let name = written.trim_start_matches('*');
        catch_all = written.starts_with('*');
        if name.is_empty() {
            return Err(invalid("a parameter needs a name, as in `{id}`"));
        }
        if names.iter().any(|n| &**n == name) {
            return Err(invalid(&format!("parameter `{name}` appears twice")));
        }
        names.push(name.into());
        rest = &rest[close + 1..];
    }
    Ok((names, catch_all))
}
