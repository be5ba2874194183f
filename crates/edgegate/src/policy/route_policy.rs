//! The route-policy phase: checks a route runs after access (and, for a
//! policy in the [`Phase::Body`] slot, after its body is read). Traffic
//! control (rate limits, quotas) lives here, a request signature check, and
//! any rule that needs to know who is calling.
//!
//! A policy is two parts, in one file:
//! - its **spec** ([`PolicySpec`]): what a route says (`rate_limit("PER_CLIENT")`),
//!   a plain value. When the gateway is built it names the settings it
//!   reads, parses them, names the bindings it calls, and builds its stage —
//!   or says what is wrong (the gateway then refuses every request);
//! - its **stage** ([`RoutePolicy`]): the run-time part, built once per
//!   isolate and shared by every request of its routes.
//!
//! A policy without settings is its own spec: implement [`RoutePolicy`] and
//! add it with one line on the routes it guards:
//!
//! ```ignore
//! Route::post("/orders", orders::create).api_key().policy(BusinessHours::new(9, 17))
//! Group::new("/api").access(api_key()).policy(BusinessHours::new(9, 17)).routes([..])
//! ```
//!
//! The gateway keeps the order, which is a security property: a preflight
//! never reaches the phase, IP rules and access have passed (the principal is
//! in the request's extensions), and a [`Phase::Route`] policy runs before a
//! byte of the body is read. A route's policies run in the order declared (a
//! group's first); the first refusal answers. Every policy of the route then
//! adds its headers to whatever answers — the handler, the upstream, an
//! error, a refusal.

use std::any::{Any, TypeId};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::http::{Request, Response};
use crate::platform::{BindingKind, Platform};
use crate::problem::ProblemKind;
use crate::setting::ConfigError;

/// What [`RoutePolicy::check`] answers: go on, or this response now.
pub type PolicyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Response>> + 'a>>;

/// Where in the request a policy's stage runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// After access, before the body is read (traffic control): a refusal
    /// costs no body read.
    Route,
    /// After the body is read within the route's limit, before the handler
    /// or upstream (a signature over the body). An upstream route with such a
    /// policy gets the body read, not streamed.
    Body,
}

/// A policy's run-time part (its stage): built once per isolate and shared
/// by every request of its routes.
pub trait RoutePolicy {
    /// Lets the request go on (`Ok`), or answers it now (a problem response,
    /// typically). It may wait (a limiter's count) and may leave what it
    /// learned in `request.extensions` for handlers and the access log.
    fn check<'a>(&'a self, request: &'a mut Request, platform: &'a dyn Platform) -> PolicyFuture<'a>;

    /// Its slot: [`Phase::Route`] unless it reads the body.
    fn phase(&self) -> Phase {
        Phase::Route
    }

    /// The request headers it reads beyond the gateway's own
    /// (`gateway::READ_HEADERS`): a route with such a policy gets every
    /// header from the adapter, as one whose handler reads them does. Debug
    /// builds fail on a read of a header the selection left out.
    fn reads_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Adds to the response, whatever answered the request past this phase
    /// (`RateLimit-Policy`, say). Nothing by default.
    fn decorate(&self, _request: &Request, _response: &mut Response) {}

    /// The counter it counts requests in, if it counts (its binding and
    /// key kind): two stages of one route in one counter would count each
    /// request twice — a group's policy repeated on a route — which the
    /// gateway's build refuses. None by default.
    fn counter(&self) -> Option<String> {
        None
    }
}

/// A setting a policy reads, as the deployment names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Its name in `[vars]` or the secrets (`RATE_LIMITS`).
    pub name: &'static str,
    /// It is a JSON object whose entries routes name (`rate_limit("L")`
    /// names `RATE_LIMITS.L`): an entry no route names is reported as the
    /// typo it likely is.
    pub named: bool,
}

/// A policy as a route declares it: a plain value that, when the gateway
/// is built, reads its settings, names its bindings and builds its stage.
pub trait PolicySpec {
    /// The settings it reads (loaded with the gateway's own, and listed for
    /// the deployment's check of its `[vars]`).
    fn settings(&self) -> &'static [Setting] {
        &[]
    }

    /// Its stage, from the settings and bindings `build` gives; or what is
    /// wrong with them (reported with every other misconfiguration).
    fn build(self: Rc<Self>, build: &mut Build<'_>) -> Result<Rc<dyn RoutePolicy>, ConfigError>;

    /// The problems it answers with, for the OpenAPI document (a 429, say).
    fn problems(&self) -> Vec<ProblemKind> {
        Vec::new()
    }
}

/// A policy without settings or bindings is its own spec.
impl<P: RoutePolicy + 'static> PolicySpec for P {
    fn build(self: Rc<Self>, _: &mut Build<'_>) -> Result<Rc<dyn RoutePolicy>, ConfigError> {
        Ok(self)
    }
}

/// Each policy setting parsed so far, by name and type (`Err`: its
/// messages are reported).
pub(crate) type Parsed = Vec<(&'static str, TypeId, Result<Rc<dyn Any>, ()>)>;

/// What a spec is built with: its settings (each parsed once per gateway,
/// whichever route asks first), and where it names its bindings.
pub struct Build<'a> {
    pub(crate) route: &'a str,
    pub(crate) texts: &'a [(&'static str, String)],
    pub(crate) parsed: &'a mut Parsed,
    pub(crate) errors: &'a mut Vec<ConfigError>,
    pub(crate) bindings: &'a mut Vec<(String, BindingKind)>,
    pub(crate) uses: &'a mut Vec<(&'static str, String)>,
    pub(crate) defined: &'a dyn Fn(&str, &str) -> bool,
}

impl Build<'_> {
    /// The route being built, for messages (`/items`).
    pub fn route(&self) -> &str {
        self.route
    }

    /// `setting` as `parse` reads it from its text (`None` when it is not
    /// set), parsed once for every route that asks. Each message `parse`
    /// returns is reported under the setting's name, once; the error then
    /// returned says only that (the spec's build returns it as it is).
    pub fn setting<T: 'static>(
        &mut self,
        setting: Setting,
        parse: fn(Option<&str>) -> Result<T, Vec<String>>,
    ) -> Result<Rc<T>, ConfigError> {
        let wanted = TypeId::of::<T>();
        let found = self
            .parsed
            .iter()
            .find(|(name, ty, _)| *name == setting.name && *ty == wanted);
        let parsed = match found {
            Some((_, _, parsed)) => parsed.clone(),
            None => {
                let text = self
                    .texts
                    .iter()
                    .find(|(name, _)| *name == setting.name)
                    .map(|(_, t)| t.as_str());
                let parsed = match parse(text) {
                    Ok(value) => Ok(Rc::new(value) as Rc<dyn Any>),
                    Err(messages) => {
                        for message in messages {
                            self.errors.push(ConfigError {
                                setting: setting.name.to_owned(),
                                message,
                            });
                        }
                        Err(())
                    }
                };
                self.parsed.push((setting.name, wanted, parsed.clone()));
                parsed
            }
        };
        match parsed {
            Ok(value) => Ok(value.downcast::<T>().expect("parsed as T")),
            // Reported above: an error without a message is not reported twice.
            Err(()) => Err(ConfigError {
                setting: setting.name.to_owned(),
                message: String::new(),
            }),
        }
    }

    /// Records that this route names the entry `entry` of a
    /// [`named`](Setting::named) setting.
    pub fn uses_entry(&mut self, setting: Setting, entry: &str) {
        self.uses.push((setting.name, entry.to_owned()));
    }

    /// Whether the gateway's own named setting `setting` (`JWT_PROVIDERS`,
    /// `UPSTREAMS`, `CORS_PROFILES`, `IP_RULES`) defines `entry`.
    pub fn defines(&self, setting: &str, entry: &str) -> bool {
        (self.defined)(setting, entry)
    }

    /// Names a binding the stage calls, with what it must be: the adapter
    /// checks it when the worker starts, `cargo test` against `wrangler.toml`.
    pub fn bind(&mut self, name: &str, kind: BindingKind) {
        self.bindings.push((name.to_owned(), kind));
    }

    /// An error of `setting` for this spec.
    pub fn error(&self, setting: Setting, message: impl Into<String>) -> ConfigError {
        ConfigError {
            setting: setting.name.to_owned(),
            message: message.into(),
        }
    }
}
