//! The gateway: the core's one entry point. A request goes through a fixed
//! order of steps, whatever the route:
//!
//! 0. a head the adapter could not pass on exactly is refused (400), and so
//!    is one with both `Content-Length` and `Transfer-Encoding`;
//! 1. request id (the client's when sane, else generated) and client address;
//! 2. global IP rules, then the route's IP rules (403): a refused address
//!    gets the 403 for everything, preflights included;
//! 3. a CORS preflight is answered from the route table, before any auth;
//!    then the route match (404) and the method (405, or 204 with `Allow`
//!    for a plain OPTIONS);
//! 4. the route's access policy (401 without a valid API key);
//! 5. the route's policies ([`crate::policy::route_policy`]: traffic
//!    control and other checks that need the principal), which also add
//!    their headers to whatever answers;
//! 6. the body is read within the route's limit (413);
//! 7. extraction and the handler, or the upstream (its body streamed to an
//!    origin or a service, read into a function's event);
//! 8. every response, errors included, has its headers checked (an invalid
//!    one is the gateway's 500, never the runtime's exception), gets its
//!    problem body rendered, CORS headers for an allowed origin,
//!    `x-request-id` and `nosniff`; one access log line.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub use crate::platform::{BindingKind, Platform};

use crate::cache::{CacheOutcome, CachePlan, Lookup, CACHE_STATUS};
use crate::config::{ConfigError, Settings};
use crate::http::{
    field, percent_decode, InvalidHead, Method, Request, RequestBody, Response, ResponseBody, Status, CLIENT_IP_HEADER,
};
use crate::http::{TraceContext, TRACEPARENT, TRACESTATE};
use crate::observe::metrics::{AnalyticsDataset, Observed};
use crate::observe::{timing, LogFields, ServerTiming};
use crate::plan::{Answer, EndpointPlan, Plan};
use crate::policy::access_log::{log_line, AccessLogEntry};
use crate::policy::traffic::RefusedBy;
use crate::policy::{request_id, CorsPolicy, Guard, Phase, Principal, RoutePolicy};
use crate::problem::{kinds, ApiError, DEFAULT_TYPE_PREFIX};
use crate::routing::{RouteError, RouteTable};
use crate::time::rfc3339;
use crate::upstream::forward::UpstreamCall;

pub use crate::plan::{READ_HEADERS, READ_HEADERS_WITH_BEARER};

/// A route table with its validated policies, or the reasons it has none.
///
/// ```
/// use edgegate::config::Settings;
/// use edgegate::extract::{Consumer, Path};
/// use edgegate::gateway::Gateway;
/// use edgegate::http::{Method, Request, Status};
/// use edgegate::routing::{Route, RouteTable};
/// use edgegate::testing::{block_on, RecordingPlatform};
///
/// async fn greet(Path(name): Path<String>) -> String {
///     format!("Hello, {name}!")
/// }
///
/// async fn me(Consumer(name): Consumer) -> String {
///     name
/// }
///
/// let routes = RouteTable::new([
///     Route::get("/greet/{name}", greet).public(),
///     Route::get("/me", me).api_key(),
/// ]);
/// let settings = Settings::load(|name| match name {
///     "API_KEYS" => Some(r#"{"dev-local-key": "alice"}"#.to_owned()),
///     _ => None,
/// });
/// let gateway: Gateway<()> = Gateway::new(routes, settings);
/// assert!(gateway.misconfiguration().is_none());
///
/// let platform = RecordingPlatform::default();
/// let request = Request::new(Method::Get, "/greet/Ada");
/// let response = block_on(gateway.handle(request, &(), &platform));
/// assert_eq!(response.status, Status::OK);
/// assert_eq!(response.body_text(), "Hello, Ada!");
///
/// // Without a key the keyed route answers 401, and its handler never runs.
/// let response = block_on(gateway.handle(Request::new(Method::Get, "/me"), &(), &platform));
/// assert_eq!(response.status, Status::UNAUTHORIZED);
///
/// let keyed = Request::new(Method::Get, "/me").with_header("x-api-key", "dev-local-key");
/// let response = block_on(gateway.handle(keyed, &(), &platform));
/// assert_eq!(response.body_text(), "alice");
/// ```
pub struct Gateway<S> {
    ready: Result<Plan<S>, Vec<String>>,
}

/// The status a request is logged with when its client went away before
/// the answer (nginx's "client closed request"); no client ever receives it.
pub const CLIENT_CLOSED: Status = Status(499);

/// A request being handled: dropped while it still holds the request (its
/// future dropped before the answer), it finishes it as [`CLIENT_CLOSED`],
/// so the request is logged and counted like any other.
struct Unanswered<'g, S> {
    gateway: &'g Gateway<S>,
    request: Option<Request>,
    started: f64,
    platform: &'g dyn Platform,
}

impl<S> Drop for Unanswered<'_, S> {
    fn drop(&mut self) {
        if let Some(request) = self.request.take() {
            let closed = Outcome::at(None, Response::new(CLIENT_CLOSED));
            drop(self.gateway.finish(request, closed, None, self.started, self.platform));
        }
    }
}

/// What dispatch decided, for the finishing steps.
struct Outcome {
    response: Response,
    /// The matched path's index, choosing whose CORS policy applies.
    path: Option<usize>,
    /// A preflight answer already carries its CORS headers.
    preflight: bool,
}

impl Outcome {
    fn at(path: Option<usize>, response: Response) -> Outcome {
        Outcome {
            response,
            path,
            preflight: false,
        }
    }
}

impl<S> Gateway<S> {
    /// Joins the route table and the settings. Anything wrong with either
    /// leaves a gateway that refuses every request with a 500 and logs why:
    /// a misconfiguration never opens the gate.
    pub fn new(table: Result<RouteTable<S>, RouteError>, settings: Result<Settings, Vec<ConfigError>>) -> Gateway<S> {
        let ready = match (table, settings) {
            (Ok(table), Ok(settings)) => {
                crate::plan::build(table, settings).map_err(|errors| errors.iter().map(ToString::to_string).collect())
            }
            (table, settings) => {
                let mut reasons = Vec::new();
                if let Err(error) = table {
                    reasons.push(format!("route table: {error}"));
                }
                if let Err(errors) = settings {
                    reasons.extend(errors.iter().map(ToString::to_string));
                }
                Err(reasons)
            }
        };
        Gateway { ready }
    }

    /// The gateway for `table`, with the settings `lookup` finds (the
    /// adapter's view of `env`): the gateway's own, the built-in policies',
    /// and those the table's other policies name. What an app calls.
    pub fn configured(table: Result<RouteTable<S>, RouteError>, lookup: impl Fn(&str) -> Option<String>) -> Gateway<S> {
        let more = table.as_ref().map(RouteTable::policy_settings).unwrap_or_default();
        let settings = Settings::load_with(lookup, &more);
        Gateway::new(table, settings)
    }

    /// Whether the handler this request would reach reads headers beyond
    /// [`READ_HEADERS`], so the adapter must pass them all. Asked before
    /// `handle`, from the method and path alone.
    pub fn needs_all_headers(&self, request: &Request) -> bool {
        let Ok(ready) = &self.ready else {
            return false;
        };
        ready
            .at(&request.path)
            .and_then(|found| ready.endpoint(found.index, &request.method))
            .is_some_and(|endpoint| endpoint.reads_all_headers)
    }

    /// The headers this gateway's policies read: what the adapter passes by
    /// default. Derived from the route table (`Authorization` only when a
    /// route takes bearer tokens), never kept by hand.
    pub fn read_headers(&self) -> &'static [&'static str] {
        match &self.ready {
            Ok(ready) => ready.read_headers,
            _ => READ_HEADERS,
        }
    }

    /// The fixed beginnings of the paths whose routes read every header
    /// (`/origin/` for `/origin/{*rest}`): the adapter passes every header
    /// at once to a request whose path starts with one, rather than the
    /// selection first and all of them when [`Gateway::needs_all_headers`]
    /// says so. Empty when the gateway refuses everything.
    pub fn all_headers_paths(&self) -> &[String] {
        match &self.ready {
            Ok(ready) => &ready.all_headers_paths,
            _ => &[],
        }
    }

    /// The bindings this gateway calls (upstreams' services, limiters,
    /// quota objects), with what each must be.
    pub fn bindings(&self) -> impl Iterator<Item = (&str, BindingKind)> {
        self.ready.iter().flat_map(|ready| {
            ready
                .bindings
                .iter()
                .map(|(binding, kind, _)| (binding.as_str(), *kind))
        })
    }

    /// Checks that every binding a route calls is bound as what it must be
    /// (the adapter asks the runtime's `env`; tests the deployment's
    /// `wrangler.toml`). A missing one makes the gateway refuse every
    /// request, as any misconfiguration does.
    pub fn check_bindings(&mut self, bound: impl Fn(&str, BindingKind) -> bool) {
        let Ok(ready) = &self.ready else {
            return;
        };
        let missing: Vec<String> = ready
            .bindings
            .iter()
            .filter(|(binding, kind, _)| !bound(binding, *kind))
            .map(|(binding, kind, who)| {
                format!(
                    "{who} calls the {} `{binding}`, which is not bound ({})",
                    kind.noun(),
                    kind.section()
                )
            })
            .collect();
        if !missing.is_empty() {
            self.ready = Err(missing);
        }
    }

    /// Why this gateway refuses every request, if it does.
    pub fn misconfiguration(&self) -> Option<&[String]> {
        self.ready.as_ref().err().map(Vec::as_slice)
    }

    /// Handles one request from start to finish. Never fails: every outcome,
    /// error or not, is a response.
    ///
    /// A request dropped before it is answered (its client went away: the
    /// adapter drops what it awaits) is still finished: its handler's lines
    /// and its access log line are written, with status 499 and the time it
    /// ran, and its data point (see [`CLIENT_CLOSED`]).
    pub async fn handle(&self, request: Request, state: &S, platform: &dyn Platform) -> Response {
        let started = platform.now_ms();
        let mut open = Unanswered {
            gateway: self,
            request: Some(request),
            started,
            platform,
        };
        let Some(request) = open.request.as_mut() else {
            unreachable!()
        };
        request.request_id = match request.headers.get(request_id::HEADER) {
            Some(id) if request_id::is_acceptable(id) => id.to_owned(),
            _ => request_id::generate(platform.random_u64(), platform.random_u64()),
        };
        request.client_ip = request
            .headers
            .get(CLIENT_IP_HEADER)
            .and_then(|ip| ip.trim().parse().ok());
        request.trace = TraceContext::continue_or_start(
            request.headers.get(TRACEPARENT),
            request.headers.get(TRACESTATE),
            || platform.random_u64(),
        );

        let (outcome, cors) = match &self.ready {
            Ok(ready) if request.invalid_head.is_some() => {
                let reason = request.invalid_head.take().expect("checked");
                (Outcome::at(None, invalid_head(reason)), Some(ready.cors_for(None)))
            }
            Ok(ready) => {
                let outcome = ready.dispatch(request, state, platform).await;
                let cors = ready.cors_for(outcome.path);
                (outcome, Some(cors))
            }
            Err(reasons) => {
                let response = ApiError::of(kinds::MISCONFIGURED,
                    "The gateway is misconfigured and refuses all requests until its operator fixes the settings named in its log.",
                )
                .with_internal(format!("gateway misconfigured: {}", reasons.join("; ")))
                .into_response();
                (Outcome::at(None, response), None)
            }
        };
        // Answered: taken from the guard, which then finishes nothing.
        let Some(request) = open.request.take() else {
            unreachable!()
        };
        self.finish(request, outcome, cors, started, platform)
    }

    fn finish(
        &self,
        request: Request,
        outcome: Outcome,
        cors: Option<&CorsPolicy>,
        started: f64,
        platform: &dyn Platform,
    ) -> Response {
        let Outcome {
            mut response,
            preflight,
            ..
        } = outcome;
        if let Some(cause) = invalid_response_header(&response) {
            response = ApiError::internal(cause).into_response();
        }
        // The runtime sends statuses 200..=599 only (1xx are the protocol's own).
        if !(200..=599).contains(&response.status.0) {
            let cause = format!(
                "a handler answered with status {}, which cannot be sent",
                response.status.0
            );
            response = ApiError::internal(cause).into_response();
        }
        if let (Some(cors), false) = (cors, preflight) {
            cors.decorate(&mut response, request.headers.get("origin"));
        }
        response.set_header(request_id::HEADER, request.request_id.as_str());
        response.set_header("x-content-type-options", "nosniff");

        let ready = self.ready.as_ref().ok();
        let observe = ready.map(|ready| &ready.observe);
        let principal = Principal::of(&request);
        let upstream = request.extensions.get::<UpstreamCall>();
        // The clock is read once, and only when something needs it.
        let mut elapsed = None;
        let mut elapsed_ms = || *elapsed.get_or_insert_with(|| (platform.now_ms() - started).max(0.0));
        let timed = match observe.map(|o| o.server_timing) {
            Some(ServerTiming::All) => true,
            Some(ServerTiming::Authenticated) => principal.is_some(),
            _ => false,
        };
        if timed {
            let mut stages = request.timings.clone();
            if let Some(call) = upstream {
                stages.push(("upstream", call.duration_ms));
            }
            response.set_header(timing::HEADER, timing::header_value(&stages, elapsed_ms()));
        } else {
            // Who is not told the gateway's timings is not told an
            // upstream's or a handler's either.
            response.retain_headers(&|name| !name.eq_ignore_ascii_case(timing::HEADER));
        }

        let (problem, cause) = match &response.body {
            ResponseBody::Problem(problem) => (Some(problem.kind), problem.internal_cause()),
            _ => (None, None),
        };
        let limit = request.extensions.get::<RefusedBy>().map(|refused| refused.0.as_str());
        // The handler's own lines, before the access log line that closes
        // the request; written whatever the access log setting.
        if let Some(lines) = request.handler_log.get() {
            for line in lines.borrow().iter() {
                platform.log(line);
            }
        }
        // With the access log off, failures are still logged: their causes exist
        // nowhere else. Otherwise the line is not even built.
        let access_log = ready.is_none_or(|ready| ready.access_log);
        if access_log || response.status.0 >= 500 {
            let entry = AccessLogEntry {
                time: rfc3339(started),
                request_id: &request.request_id,
                trace_id: request.trace.trace_id_hex(),
                span_id: request.trace.span_id_hex(),
                method: request.method.as_str(),
                route: request.route(),
                status: response.status.0,
                duration_ms: elapsed_ms(),
                principal: principal.map(|p| &*p.id),
                upstream: upstream.map(|u| &*u.name),
                upstream_status: upstream.and_then(|u| u.status),
                upstream_ms: upstream.map(|u| u.duration_ms),
                upstream_target: upstream.and_then(|u| u.target.as_deref()),
                upstream_tries: upstream.map(|u| u.tries),
                upstream_skipped: upstream.and_then(|u| u.skipped.as_deref()),
                cache: request.extensions.get::<CacheOutcome>().map(|outcome| outcome.0),
                scheme: principal.map(|p| p.scheme.as_str()),
                // As the edge sent it (it parsed): formatting an address
                // would link the IPv6 printer into the wasm.
                client_ip: request
                    .client_ip
                    .and(request.headers.get(CLIENT_IP_HEADER))
                    .map(|ip| ip.trim().to_owned()),
                limit,
                problem,
                error: cause,
            };
            let line = match observe.map(|o| o.log_fields) {
                Some(LogFields::OpenTelemetry) => entry.to_otel_json(request.headers.get("user-agent")),
                _ => entry.to_json(),
            };
            platform.log(&line);
        }
        if let Some((dataset, observe)) = observe.and_then(|o| o.metrics_dataset.as_deref().map(|d| (d, o))) {
            let point = Observed {
                route: request.route(),
                method: request.method.as_str(),
                status: response.status.0,
                principal,
                limit,
                upstream: upstream.map(|u| (&*u.name, u.status, u.duration_ms)),
                problem,
                duration_ms: elapsed_ms(),
            }
            .point(observe.metrics_principal, observe.metrics_principal_key.as_ref());
            // A write that fails is logged; the request is answered all the same.
            let written = platform
                .binding::<dyn AnalyticsDataset>(dataset)
                .and_then(|sink| sink.write_data_point(&point));
            if let Err(cause) = written {
                let fields = [
                    ("request_id", request.request_id.as_str()),
                    ("dataset", dataset),
                    ("error", cause.as_str()),
                ];
                platform.log(&log_line("error", "metrics not written", &fields));
            }
        }

        if let ResponseBody::Problem(problem) = &response.body {
            let prefix = self
                .ready
                .as_ref()
                .map_or(DEFAULT_TYPE_PREFIX, |ready| ready.problem_type_prefix.as_str());
            response.body = ResponseBody::Text(problem.to_json_with(prefix, &request.request_id));
        }
        // No body with HEAD, 204, 205 or 304 (RFC 9110 §6.4.1); a HEAD says
        // the length a GET's would have (§9.3.2), and a 204 or 205 has no
        // content to have a type.
        if request.method == Method::Head || matches!(response.status.0, 204 | 205 | 304) {
            let length = match &response.body {
                ResponseBody::Empty => Some(0),
                ResponseBody::Text(text) => Some(text.len() as u64),
                ResponseBody::Bytes(bytes) => Some(bytes.len() as u64),
                ResponseBody::Stream(stream) => stream.length(),
                ResponseBody::Problem(_) => None,
            };
            response.body = ResponseBody::Empty;
            if matches!(response.status.0, 204 | 205) {
                response.retain_headers(&|name| name != "content-type" && name != "content-length");
            } else if let (Method::Head, Some(length), false) = (&request.method, length, response.status.0 == 304) {
                // A HEAD route of its own may say the length it knows.
                if length > 0 || response.header("content-length").is_none() {
                    response.set_header("content-length", length);
                }
            }
        }
        response
    }
}

impl<S> Plan<S> {
    async fn dispatch(&self, request: &mut Request, state: &S, platform: &dyn Platform) -> Outcome {
        // Two framings of one body (RFC 9112 §6.3 lets a server refuse them):
        // the body rules never depend on which one a runtime would follow.
        if request.headers.contains("transfer-encoding") && request.headers.contains("content-length") {
            let error = ApiError::of(
                kinds::INVALID_REQUEST,
                "The request has both Content-Length and Transfer-Encoding: its body's length is ambiguous.",
            );
            return Outcome::at(None, error.into_response());
        }
        let found = self.table.at(&request.path).map(|m| {
            let params: Vec<_> = m
                .raw_params
                .iter()
                .map(|(name, raw)| ((*name).clone(), percent_decode(raw).map(Cow::into_owned)))
                .collect();
            // Where the catch-all stands in the path, for an upstream route's address.
            let rest = self.table.paths()[m.index]
                .catch_all
                .then(|| m.raw_params.last().map(|(_, raw)| within(&request.path, raw)))
                .flatten();
            (m.index, params, rest)
        });
        let found = found.map(|(index, params, rest)| {
            request.rest = rest;
            (index, params)
        });
        let index = found.as_ref().map(|(index, _)| *index);

        request.route = index.map(|index| self.table.paths()[index].template.clone());

        let watch = Watch {
            timing: self.observe.server_timing != ServerTiming::Off,
            spans: self.observe.trace_spans,
            platform,
        };
        watch.open(request, ROUTE_SPAN);
        let routed = self.route(request, index, found);
        watch.close(routed.as_ref().err().map(|outcome| &outcome.response));
        let (index, endpoint, unreadable) = match routed {
            Ok(routed) => routed,
            Err(outcome) => return outcome,
        };

        if !matches!(endpoint.guard, Guard::Open) {
            let since = watch.start();
            watch.open(request, ACCESS_SPAN);
            let admitted = endpoint.guard.admit(request, platform).await;
            watch.close(admitted.as_ref().err());
            match admitted {
                Ok(Some(principal)) => request.extensions.insert(principal),
                Ok(None) => {}
                Err(unauthorized) => return Outcome::at(Some(index), unauthorized),
            }
            watch.stop(request, "auth", since);
        }

        // The route-policy phase, and every policy's headers on whatever answers.
        let refusal = match endpoint.stages.is_empty() {
            true => None,
            false => {
                let since = watch.start();
                watch.open(request, TRAFFIC_SPAN);
                // Its own future, not part of every request's state machine.
                let checking: Pin<Box<dyn Future<Output = Result<(), Response>> + '_>> =
                    Box::pin(run_policies(endpoint.stages_in(Phase::Route), request, platform));
                let refusal = checking.await.err();
                watch.close(refusal.as_ref());
                watch.stop(request, "policy", since);
                refusal
            }
        };
        let mut response = match (refusal.or(unreadable), &endpoint.cache) {
            (Some(refusal), _) => refusal,
            (None, Some(cache)) if matches!(request.method, Method::Get | Method::Head) => {
                // Its own future, not part of every request's state machine.
                let caching: Pin<Box<dyn Future<Output = Response> + '_>> =
                    Box::pin(cached(cache, endpoint, request, state, watch));
                caching.await
            }
            (None, cache) => {
                let response = answer(endpoint, request, state, watch).await;
                let invalidated = match &endpoint.invalidates {
                    Some(get_cache) => Some(get_cache.after_unsafe(request, &response, platform).await),
                    None => None,
                };
                match (cache, invalidated) {
                    (_, Some(status)) => response.with_header(CACHE_STATUS, status),
                    (Some(_), None) => response.with_header(CACHE_STATUS, "edgegate; fwd=method"),
                    (None, None) => response,
                }
            }
        };
        for policy in &endpoint.stages {
            policy.decorate(request, &mut response);
        }
        Outcome::at(Some(index), response)
    }

    /// The route stage: IP rules, a preflight, the path, the method and the
    /// path's parameters; the route's plan, or the answer.
    fn route(
        &self,
        request: &mut Request,
        index: Option<usize>,
        found: Option<(usize, PathParams)>,
    ) -> Result<(usize, &EndpointPlan<S>, Option<Response>), Outcome> {
        // IP rules first: a refused address learns nothing of the API, not
        // even through a preflight's allowed methods and headers.
        if !self.global_ip.permits(request.client_ip) {
            return Err(Outcome::at(index, ip_refused()));
        }
        if let Some(index) = index.filter(|&index| !self.paths[index].ip.permits(request.client_ip)) {
            return Err(Outcome::at(Some(index), ip_refused()));
        }
        if let Some(preflight) = self.preflight(request, index) {
            return Err(preflight);
        }
        let Some((index, params)) = found else {
            return Err(Outcome::at(None, no_route()));
        };
        let routes = &self.table.paths()[index];
        let Some(endpoint) = self.endpoint(index, &request.method) else {
            let response = if request.method == Method::Options {
                Response::new(Status::NO_CONTENT).with_header("allow", routes.allow_header())
            } else {
                ApiError::of(
                    kinds::METHOD_NOT_ALLOWED,
                    format!(
                        "{} is not allowed here; this path allows {}.",
                        request.method,
                        routes.allow_header()
                    ),
                )
                .with_header("allow", routes.allow_header().to_owned())
                .into_response()
            };
            return Err(Outcome::at(Some(index), response));
        };

        // An origin or a service that gets the path appended gets it raw,
        // never the decoded parameters: a name that is not UTF-8 once decoded
        // (`caf%E9.txt`, a Latin-1 file name) is theirs to serve. Anything
        // that reads the parameters (a handler, a function's event, a
        // `constant_address()` route's query) refuses it.
        let raw_path_only = matches!(&endpoint.answer, Answer::Forward(forwarder)
            if forwarder.streams_body() && forwarder.spec.path == crate::upstream::PathTranslation::Append);
        // A parameter that cannot be read is the request's 400 — once
        // access and the route's policies have passed, as any extraction
        // error is (a caller without credentials gets its 401 first).
        let mut decoded = Vec::with_capacity(params.len());
        let mut unreadable = None;
        for (name, value) in params {
            match value {
                Ok(value) => decoded.push((name, value)),
                Err(undecodable) if raw_path_only => {
                    decoded.push((name, String::from_utf8_lossy(undecodable.as_bytes()).into_owned()))
                }
                // A step out spelled in overlong UTF-8 is refused as one.
                Err(_)
                    if matches!(endpoint.answer, Answer::Forward(_))
                        && !crate::http::path::stays_put(&request.path) =>
                {
                    unreadable = Some(steps_out().into_response());
                    break;
                }
                Err(_) => {
                    let detail = format!("path parameter `{name}` is not valid UTF-8 after percent-decoding");
                    let error =
                        ApiError::of(kinds::INVALID_PATH_PARAM, detail).with_extension("param", name.to_string());
                    unreadable = Some(error.into_response());
                    break;
                }
            }
        }
        request.params = decoded;
        Ok((index, endpoint, unreadable))
    }

    /// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
    /// from an allowed origin. From any other origin it is a plain OPTIONS.
    fn preflight(&self, request: &Request, index: Option<usize>) -> Option<Outcome> {
        if request.method != Method::Options || !request.headers.contains("access-control-request-method") {
            return None;
        }
        let origin = request.headers.get("origin")?;
        let cors = self.cors_for(index);
        let allow_origin = cors.allow_origin(origin)?;
        Some(match index {
            Some(index) => Outcome {
                response: cors.preflight(allow_origin, self.table.paths()[index].allow_header()),
                path: Some(index),
                preflight: true,
            },
            None => Outcome::at(None, no_route()),
        })
    }
}

/// Runs a route's policies of one phase in order; the first refusal answers.
async fn run_policies<'a>(
    policies: impl Iterator<Item = &'a std::rc::Rc<dyn RoutePolicy>>,
    request: &mut Request,
    platform: &dyn Platform,
) -> Result<(), Response> {
    for policy in policies {
        policy.check(request, platform).await?;
    }
    Ok(())
}

/// A path's parameters, as matched: each name with its percent-decoded value.
type PathParams = Vec<(Rc<str>, Result<String, std::string::FromUtf8Error>)>;

/// The stages' spans (`TRACE_SPANS`), in the order a request meets them.
const ROUTE_SPAN: &str = "edgegate.route";
const ACCESS_SPAN: &str = "edgegate.access";
const TRAFFIC_SPAN: &str = "edgegate.traffic";
const BODY_SPAN: &str = "edgegate.body";
const HANDLER_SPAN: &str = "edgegate.handler";
const UPSTREAM_SPAN: &str = "edgegate.upstream";

/// What watches a stage: the clock, when `Server-Timing` may be sent, and
/// its span, when `TRACE_SPANS` is on. Off, neither costs a call.
#[derive(Clone, Copy)]
struct Watch<'p> {
    timing: bool,
    spans: bool,
    platform: &'p dyn Platform,
}

impl Watch<'_> {
    fn start(self) -> f64 {
        if self.timing {
            self.platform.now_ms()
        } else {
            0.0
        }
    }

    fn stop(self, request: &mut Request, stage: &'static str, since: f64) {
        if self.timing {
            request.timings.push((stage, (self.platform.now_ms() - since).max(0.0)));
        }
    }

    /// Opens the stage's span, with the route and the method.
    fn open(self, request: &Request, span: &'static str) {
        if self.spans {
            self.platform.open_span(span, request.route(), request.method.as_str());
        }
    }

    /// Closes the stage's span: `pass` when the request goes on, else what answered it.
    fn close(self, answered: Option<&Response>) {
        if self.spans {
            let (outcome, status) = match answered {
                None => ("pass", None),
                Some(response) => match &response.body {
                    ResponseBody::Problem(problem) => (problem.kind, Some(response.status.0)),
                    _ => ("answered", Some(response.status.0)),
                },
            };
            self.platform.close_span(outcome, status);
        }
    }
}

/// The route's answer through its cache: a fresh entry, another request's
/// answer to the same key, or the route's own (kept if it may be).
async fn cached<S>(
    cache: &Rc<CachePlan>,
    endpoint: &EndpointPlan<S>,
    request: &mut Request,
    state: &S,
    watch: Watch<'_>,
) -> Response {
    match cache.lookup(request, watch.platform).await {
        Lookup::Answered(response) => response,
        Lookup::Fill(ticket) => {
            let response = answer(endpoint, request, state, watch).await;
            cache.finish(ticket, response, request, watch.platform).await
        }
    }
}

/// What an upstream route answers a path that could step out of its base.
fn steps_out() -> ApiError {
    ApiError::of(
        kinds::INVALID_PATH,
        "The path has a dot segment (`.` or `..`, in any spelling) or a backslash, which an upstream route does not pass on.",
    )
}

/// The body phase, its policies, and the handler or upstream: the route's answer.
async fn answer<S>(endpoint: &EndpointPlan<S>, request: &mut Request, state: &S, watch: Watch<'_>) -> Response {
    let platform = watch.platform;
    let limit = endpoint.max_body_bytes;
    let forwarder = match &endpoint.answer {
        Answer::Forward(forwarder) => Some(forwarder),
        Answer::Handler(_) | Answer::Purge(_) => None,
    };
    // Nothing goes to an upstream on a path that could step out of its base.
    if forwarder.is_some() && !crate::http::path::stays_put(&request.path) {
        let refused = steps_out().into_response();
        watch.open(request, UPSTREAM_SPAN);
        watch.close(Some(&refused));
        return refused;
    }
    // A policy that reads the body has it read, even for an upstream that streams.
    if let Some(forwarder) = forwarder.filter(|f| f.streams_body() && !endpoint.body_stages) {
        watch.open(request, UPSTREAM_SPAN);
        // The body is not read: it streams to the upstream, its declared
        // length checked now and its bytes counted on the way.
        let response = match declared_length_within(request, limit) {
            Err(error) => error.into_response(),
            Ok(()) => {
                request.body_limit = limit;
                // Its own future, not part of every request's state machine.
                let forwarding: Pin<Box<dyn Future<Output = Response> + '_>> =
                    Box::pin(forwarder.forward(request, platform));
                forwarding.await
            }
        };
        watch.close(Some(&response));
        return response;
    }
    // The body is a stage (and a span) when there is one, a declared
    // length, or a policy that reads it; a request with none skips it.
    // Asked only when spans are on: the hot path pays one branch.
    let spanned = watch.spans
        && (!matches!(request.body, RequestBody::Empty)
            || endpoint.body_stages
            || request.headers.contains("content-length"));
    let since = watch.start();
    if spanned {
        watch.open(request, BODY_SPAN);
    }
    let refusal = match read_body(request, limit).await {
        Err(error) => Some(error.into_response()),
        Ok(()) => {
            if !matches!(request.body, RequestBody::Empty) {
                watch.stop(request, "body", since);
            }
            match endpoint.body_stages {
                false => None,
                true => {
                    let checking: Pin<Box<dyn Future<Output = Result<(), Response>> + '_>> =
                        Box::pin(run_policies(endpoint.stages_in(Phase::Body), request, platform));
                    checking.await.err()
                }
            }
        }
    };
    if spanned {
        watch.close(refusal.as_ref());
    }
    if let Some(refusal) = refusal {
        return refusal;
    }
    let response = match &endpoint.answer {
        Answer::Forward(function) => {
            watch.open(request, UPSTREAM_SPAN);
            let invoking: Pin<Box<dyn Future<Output = Response> + '_>> = Box::pin(function.forward(request, platform));
            invoking.await
        }
        Answer::Handler(handler) => {
            let since = watch.start();
            watch.open(request, HANDLER_SPAN);
            let response = handler(request, state).await;
            watch.stop(request, "app", since);
            response
        }
        Answer::Purge(purge) => {
            watch.open(request, HANDLER_SPAN);
            purge.run(request, platform).await
        }
    };
    watch.close(Some(&response));
    response
}

/// A `Content-Length` that does not parse is a 400, one over `limit` a 413:
/// both before any byte is read.
fn declared_length_within(request: &Request, limit: usize) -> Result<(), ApiError> {
    let declared = match request.headers.get("content-length") {
        None => None,
        Some(value) => match value.trim().parse::<u64>() {
            Ok(length) => Some(length),
            Err(_) => {
                return Err(ApiError::of(
                    kinds::INVALID_HEADER,
                    "The Content-Length header is not a whole number of bytes.",
                )
                .with_extension("header", "content-length"))
            }
        },
    };
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::body_too_large(limit));
    }
    Ok(())
}

/// Reads the body into memory, refusing it as soon as it exceeds `limit`
/// bytes. A `Content-Length` over the limit is refused without reading; the
/// bytes actually read are counted either way.
async fn read_body(request: &mut Request, limit: usize) -> Result<(), ApiError> {
    let too_large = || ApiError::body_too_large(limit);
    // A length that does not parse is refused before the body is read: the
    // entry trusts a declared length to read the body whole.
    declared_length_within(request, limit)?;
    request.body = match std::mem::replace(&mut request.body, RequestBody::Empty) {
        RequestBody::Empty => RequestBody::Empty,
        RequestBody::Bytes(bytes) if bytes.len() > limit => return Err(too_large()),
        RequestBody::Bytes(bytes) => RequestBody::Bytes(bytes),
        RequestBody::Stream(source) => match source.read(limit).await {
            Ok(bytes) if bytes.len() > limit => return Err(too_large()),
            Ok(bytes) => RequestBody::Bytes(bytes),
            Err(crate::http::BodyReadError::TooLarge) => return Err(too_large()),
            Err(crate::http::BodyReadError::Internal(cause)) => return Err(ApiError::internal(cause)),
            Err(crate::http::BodyReadError::Failed(cause)) => {
                return Err(
                    ApiError::of(kinds::BODY_UNREADABLE, "The request body could not be read completely.")
                        .with_internal(cause),
                );
            }
        },
    };
    Ok(())
}

/// Where `part`, a slice of `whole`, stands in it.
fn within(whole: &str, part: &str) -> std::ops::Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    debug_assert_eq!(whole.get(start..start + part.len()), Some(part));
    start..start + part.len()
}

/// The answer to a head the adapter could not pass on exactly.
fn invalid_head(reason: InvalidHead) -> Response {
    match reason {
        InvalidHead::Header { name } => {
            let which = name.as_deref().map_or(String::from("A request header"), |n| format!("The request header `{n}`"));
            let error = ApiError::of(kinds::INVALID_HEADER,
                format!("{which} cannot be accepted: header names must be tokens, and values UTF-8 text without control characters."),
            );
            match name {
                Some(name) => error.with_extension("header", name),
                None => error,
            }
        }
        InvalidHead::Target => ApiError::of(kinds::INVALID_REQUEST, "The request method or target is not well-formed."),
        InvalidHead::Layout(cause) => ApiError::internal(format!("request head layout: {cause}")),
    }
    .into_response()
}

/// Why a response header cannot be sent as it is, if one cannot: a name
/// that is not a token, or a value with a line break or other control
/// character. The value is never quoted (it may hold anything).
fn invalid_response_header(response: &Response) -> Option<String> {
    let (name, _) = response
        .headers()
        .find(|(name, value)| !field::is_token(name) || !field::is_value(value))?;
    Some(if field::is_token(name) {
        format!("response header `{name}` has a value with control characters; not sent")
    } else {
        String::from("a response header name is not a token; not sent")
    })
}

fn no_route() -> Response {
    ApiError::not_found("No route matches this path.").into_response()
}

fn ip_refused() -> Response {
    ApiError::of(
        kinds::IP_REFUSED,
        "Requests from your network address are not allowed here.",
    )
    .into_response()
}
