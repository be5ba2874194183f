//! The plan: the route table's declarations compiled with the settings,
//! once per isolate, into what the gateway runs. Per path, its CORS policy
//! and IP rules; per route, its guard (access resolved against the
//! authenticators), its policies' stages in their phase slots, its body
//! limit, and its answer — the handler, or the upstream call. Nothing in it
//! changes after it is built; every misconfiguration is collected while
//! building it ([`build`]).

mod build;
mod upstreams;

use std::rc::Rc;

use crate::cache::purge::PurgePlan;
use crate::cache::CachePlan;
use crate::handler::BoxedHandler;
use crate::http::{Method, CLIENT_IP_HEADER, TRACEPARENT, TRACESTATE};
use crate::observe::ObserveSettings;
use crate::platform::BindingKind;
use crate::policy::{api_key, jwt, request_id, CorsPolicy, Guard, IpRules, Phase, RoutePolicy};
use crate::routing::{PathMatch, RouteTable};
use crate::upstream::Forwarder;

pub use build::build;

/// Every request header the gateway's steps and the built-in extractors read
/// when no route takes bearer tokens. The adapter passes only the selection
/// the gateway's policies need ([`crate::gateway::Gateway::read_headers`]: this, or
/// [`READ_HEADERS_WITH_BEARER`]), unless the route's handler takes more
/// ([`crate::gateway::Gateway::needs_all_headers`]): a browser's request through the edge
/// carries twenty or more, and copying them all into wasm costs time on every
/// request. Debug builds check that nothing reads a header missing here.
pub const READ_HEADERS: &[&str] = READ_HEADERS_WITH_BEARER.split_at(READ_HEADERS_WITH_BEARER.len() - 1).0;

/// [`READ_HEADERS`] and, last, `Authorization`: for a gateway with a route that takes tokens.
pub const READ_HEADERS_WITH_BEARER: &[&str] = &[
    request_id::HEADER,
    CLIENT_IP_HEADER,
    // CORS: the origin, and whether an OPTIONS is a preflight.
    "origin",
    "access-control-request-method",
    api_key::HEADER,
    // Trace context, continued when the caller sends a valid one.
    TRACEPARENT,
    TRACESTATE,
    // The body's size (checked against the route's limit), type and coding
    // (body extractors); its framing, which must not contradict the size.
    "content-length",
    "transfer-encoding",
    "content-type",
    "content-encoding",
    jwt::HEADER,
];

/// The compiled gateway: the declarations it was built from (for matching
/// paths), and what runs for each.
pub struct Plan<S> {
    /// The declarations: matching, templates and `Allow` come from here.
    pub(crate) table: RouteTable<S>,
    /// Per path of `table`, by the same index.
    pub(crate) paths: Vec<PathPlan<S>>,
    pub(crate) global_cors: CorsPolicy,
    pub(crate) global_ip: IpRules,
    pub(crate) access_log: bool,
    pub(crate) problem_type_prefix: String,
    /// The request headers the gateway's policies read: what the adapter
    /// passes by default (`Authorization` only when a route takes tokens).
    pub(crate) read_headers: &'static [&'static str],
    /// The fixed beginnings of the paths whose routes read every header
    /// ([`crate::gateway::Gateway::all_headers_paths`]).
    pub(crate) all_headers_paths: Vec<String>,
    /// Server-Timing, metrics, the log's field names.
    pub(crate) observe: ObserveSettings,
    /// The bindings upstreams, policies and metrics call, each with what it
    /// must be and who names it first (`route /x`), for the
    /// misconfiguration's log line.
    pub(crate) bindings: Vec<(String, BindingKind, String)>,
}

/// One path's compiled policies and routes.
pub(crate) struct PathPlan<S> {
    /// Its CORS profile, if it names one (else the global policy applies).
    pub cors: Option<CorsPolicy>,
    pub ip: IpRules,
    /// Per route, in the order of [`crate::routing::PathRoutes::endpoints`].
    pub endpoints: Vec<EndpointPlan<S>>,
}

/// What one route runs.
pub(crate) struct EndpointPlan<S> {
    pub guard: Guard,
    /// Its policies' stages, in the order declared (a group's first).
    pub stages: Vec<Rc<dyn RoutePolicy>>,
    /// Whether any stage runs after the body is read.
    pub body_stages: bool,
    pub max_body_bytes: usize,
    /// The handler or a policy reads headers beyond the gateway's own.
    pub reads_all_headers: bool,
    /// Its cache stage, around the answer, if its answers are kept.
    pub cache: Option<Rc<CachePlan>>,
    /// The path's GET cache stage, whose entry a successful unsafe request
    /// here removes (RFC 9111 §4.4), whatever this route's own policy.
    pub invalidates: Option<Rc<CachePlan>>,
    pub answer: Answer<S>,
}

/// What answers a route past its policies.
pub(crate) enum Answer<S> {
    /// The handler, with its extractors.
    Handler(BoxedHandler<S>),
    /// The upstream call.
    Forward(Rc<Forwarder>),
    /// A purge of a cache policy's entries.
    Purge(Rc<PurgePlan>),
}

impl<S> EndpointPlan<S> {
    /// Its stages in `phase`'s slot, in order.
    pub fn stages_in(&self, phase: Phase) -> impl Iterator<Item = &Rc<dyn RoutePolicy>> {
        self.stages.iter().filter(move |stage| stage.phase() == phase)
    }
}

impl<S> Plan<S> {
    /// The path a raw request path matches.
    pub(crate) fn at<'t, 'p>(&'t self, path: &'p str) -> Option<PathMatch<'t, 'p>> {
        self.table.at(path)
    }

    /// The compiled route for `method` on the path at `index`.
    pub(crate) fn endpoint(&self, index: usize, method: &Method) -> Option<&EndpointPlan<S>> {
        let which = self.table.paths()[index].endpoint_index(method)?;
        Some(&self.paths[index].endpoints[which])
    }

    /// The CORS policy for a matched path (its override, else the global one).
    pub(crate) fn cors_for(&self, path: Option<usize>) -> &CorsPolicy {
        path.and_then(|index| self.paths[index].cors.as_ref())
            .unwrap_or(&self.global_cors)
    }
}
