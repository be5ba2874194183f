//! The pools of the upstreams the routes name, each built once: every route
//! that names an upstream shares its targets and their health.

use std::rc::Rc;

use crate::setting::Named;
use crate::upstream::pool::Pool;
use crate::upstream::targets::{Address, UpstreamSetting};
use crate::upstream::Upstream;

/// Builds the pools as routes name upstreams, with what they need checked.
pub(super) struct Pools<'a> {
    settings: &'a Named<UpstreamSetting>,
    /// Each pool built, with whether its targets are bindings.
    built: Vec<(&'a str, Rc<Pool>, bool)>,
    /// The `UPSTREAMS` entries named (by a route or a canary).
    pub named: Vec<&'a str>,
    pub errors: Vec<String>,
}

impl<'a> Pools<'a> {
    pub fn new(settings: &'a Named<UpstreamSetting>) -> Pools<'a> {
        Pools {
            settings,
            built: Vec::new(),
            named: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The pool of a route's upstream: an origin's `UPSTREAMS` entry, or a
    /// service's (a function's) entry if it has one, else its own binding.
    pub fn of(&mut self, upstream: &'a Upstream) -> Option<Rc<Pool>> {
        self.pool(upstream.name(), upstream.binding().is_some(), None)
    }

    fn pool(&mut self, name: &'a str, bindings: bool, canary_of: Option<&str>) -> Option<Rc<Pool>> {
        let entry = self.settings.get(name);
        if let Some((_, pool, built_bindings)) = self.built.iter().find(|(built, _, _)| *built == name) {
            let (pool, built_bindings) = (pool.clone(), *built_bindings);
            // Named first as the other kind: the same refusal as in the other order.
            if built_bindings != bindings {
                match entry {
                    Some(_) => self.kind_mismatch(name, bindings),
                    // An origin's name no entry defines (a service's binding
                    // had made it a pool): reported with the undefined names.
                    None if !self.named.contains(&name) => self.named.push(name),
                    None => {}
                }
                return None;
            }
            return self.not_a_canary_with_a_canary(&pool, canary_of).then_some(pool);
        }
        if (entry.is_some() || !bindings) && !self.named.contains(&name) {
            self.named.push(name);
        }
        let single;
        let setting = match entry {
            Some(setting) => setting,
            None if bindings => {
                single = UpstreamSetting::single(Address::Binding(name.to_owned()));
                &single
            }
            // Reported with the names no entry defines.
            None => return None,
        };
        if setting.is_bindings() != bindings {
            self.kind_mismatch(name, bindings);
            return None;
        }
        let canary = match entry.and_then(|entry| entry.canary.as_ref()) {
            Some(_) if canary_of.is_some() => {
                self.errors
                    .push(format!("`{name}` is a canary with a canary of its own"));
                return None;
            }
            Some(canary) if canary.upstream == name => {
                self.errors.push(format!("`{name}`'s canary is itself"));
                return None;
            }
            Some(canary) => Some((self.pool(&canary.upstream, bindings, Some(name))?, canary)),
            None => None,
        };
        let pool = Rc::new(Pool::new(name, setting, canary));
        self.built.push((name, pool.clone(), bindings));
        Some(pool)
    }

    /// `name`'s entry is not the kind a route (or a canary's) sends to as: once, whatever the order.
    fn kind_mismatch(&mut self, name: &str, bindings: bool) {
        let error = match bindings {
            true => format!(
                "`{name}` lists URLs, but it is a service binding's upstream: list `{{\"binding\": \"NAME\"}}` targets"
            ),
            false => format!("`{name}` lists bindings, but routes send to it as an origin: list URL targets"),
        };
        if !self.errors.contains(&error) {
            self.errors.push(error);
        }
    }

    fn not_a_canary_with_a_canary(&mut self, pool: &Pool, canary_of: Option<&str>) -> bool {
        if canary_of.is_some() && pool.canary.is_some() {
            self.errors
                .push(format!("`{}` is a canary with a canary of its own", pool.name));
            return false;
        }
        true
    }
}
