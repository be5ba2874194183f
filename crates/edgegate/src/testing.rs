//! Helpers for driving the gateway on the host: a platform with a fixed
//! clock, a recorded log, scripted outbound fetches and a stand-in for
//! WebCrypto, and a minimal executor for the gateway's future.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::digest::sha256;
use crate::gateway::Gateway;
use crate::http::{BodyReadError, BodySource, Method, Request, Response, ResponseBody};
use crate::observe::metrics::{AnalyticsDataset, DataPoint};
use crate::platform::fetch::OutboundBody;
use crate::platform::{
    AnyBinding, Binding, FetchError, OutboundRequest, OutboundResponse, Platform, PlatformFuture, SignatureAlgorithm,
    VerifyingKey,
};
use crate::policy::traffic::{QuotaCount, QuotaCounter, QuotaWindow, RateLimiter};

/// The host's platform: the clock stands still unless a test moves it,
/// "randomness" counts, log lines are kept, fetches are answered from a
/// script (and counted), and signatures are a stand-in scheme
/// ([`RecordingPlatform::sign`]), so policies that verify tokens are tested
/// without a runtime. Real WebCrypto is tested end to end.
pub struct RecordingPlatform {
    now: Rc<Cell<f64>>,
    counter: Cell<u64>,
    /// Seeded randomness, when a test asked for it ([`RecordingPlatform::seed_random`]).
    seeded: Cell<Option<u64>>,
    /// Every line logged, in order.
    pub lines: RefCell<Vec<String>>,
    answers: RefCell<Vec<(String, FakeAnswer)>>,
    /// Every request sent, in order.
    pub sent: RefCell<Vec<SentRequest>>,
    /// How many signatures were checked.
    pub verifications: Cell<usize>,
    /// The rate-limit bindings this platform has: name, limit, period.
    limiters: Rc<RefCell<Vec<(String, u32, u32)>>>,
    /// Counts per (binding, key, window start), for limiters and quotas alike.
    counts: Rc<RefCell<Vec<(CounterKey, u64)>>>,
    /// Bindings that fail when called (a limiter or quota object that is down).
    pub failing: Rc<RefCell<Vec<String>>>,
    /// Every counter call: (binding, key).
    pub counted: Rc<RefCell<Vec<(String, String)>>>,
    /// Every data point written to an Analytics Engine dataset: (dataset, point).
    pub data_points: Rc<RefCell<Vec<(String, DataPoint)>>>,
    /// Bindings a test gave: name, interface, and how to hand it out.
    bound: RefCell<Vec<(String, TypeId, HandOut)>>,
    /// The Cache API's entries: [`CacheEntry`]s, kept until their `max-age` passes.
    pub cache: RefCell<Vec<CacheEntry>>,
    /// Every Cache API call: `match`, `put` or `delete`, and the key.
    pub cache_calls: RefCell<Vec<(&'static str, String)>>,
    /// Makes every Cache API call fail (a cache that is down).
    pub cache_failing: Cell<bool>,
    /// Every span the gateway opened (`TRACE_SPANS`), in the order opened.
    pub spans: RefCell<Vec<RecordedSpan>>,
    /// The spans open now, innermost last (indexes into `spans`).
    open_spans: RefCell<Vec<usize>>,
}

/// One entry of the host's Cache API.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The named cache (`None`: the default one).
    pub cache: Option<String>,
    /// The key (a URL).
    pub key: String,
    /// The status kept.
    pub status: u16,
    /// The headers kept.
    pub headers: Vec<(String, String)>,
    /// The body kept.
    pub body: Vec<u8>,
    /// When the runtime drops it: its `Cache-Control: max-age` after it was put.
    pub expires_ms: f64,
}

/// A span the gateway opened on the host platform, and how it was closed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedSpan {
    /// Its name (`edgegate.access`).
    pub name: &'static str,
    /// The span it was nested in (an index into [`RecordingPlatform::spans`]).
    pub parent: Option<usize>,
    /// `http.route`: the matched route's template.
    pub route: Option<String>,
    /// `http.request.method`.
    pub method: String,
    /// `edgegate.outcome`, once closed.
    pub outcome: Option<String>,
    /// `http.response.status_code`, when the stage answered.
    pub status: Option<u16>,
}

/// How a test's binding is handed out: a new handle on the same fake.
type HandOut = Rc<dyn Fn() -> AnyBinding>;

/// A fake counter's key: binding, key, window start (seconds).
type CounterKey = (String, String, u64);

/// How the fake answers a URL.
#[derive(Clone)]
pub enum FakeAnswer {
    /// Answer with this status, headers and body.
    Respond {
        /// The status.
        status: u16,
        /// The headers, as `(name, value)` pairs.
        headers: Vec<(String, String)>,
        /// The body's bytes.
        body: Vec<u8>,
    },
    /// Fail the fetch with this error.
    Fail(FetchError),
    /// Answer with this status and headers at once (JSON, 64 bytes
    /// declared), and a body that stalls: its read waits this many turns
    /// of the executor, then fails.
    Stall {
        /// The status.
        status: u16,
        /// How many turns the body's read waits before it fails.
        turns: u32,
    },
}

impl Default for RecordingPlatform {
    fn default() -> RecordingPlatform {
        RecordingPlatform {
            now: Rc::new(Cell::new(1_795_293_296_789.0)),
            counter: Cell::new(0),
            seeded: Cell::new(None),
            lines: RefCell::new(Vec::new()),
            answers: RefCell::new(Vec::new()),
            sent: RefCell::new(Vec::new()),
            verifications: Cell::new(0),
            limiters: Rc::default(),
            counts: Rc::default(),
            failing: Rc::default(),
            counted: Rc::default(),
            data_points: Rc::default(),
            bound: RefCell::new(Vec::new()),
            cache: RefCell::new(Vec::new()),
            cache_calls: RefCell::new(Vec::new()),
            cache_failing: Cell::new(false),
            spans: RefCell::new(Vec::new()),
            open_spans: RefCell::new(Vec::new()),
        }
    }
}

impl RecordingPlatform {
    /// A copy of every line logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }

    /// Makes "randomness" well spread and repeatable (SplitMix64 from
    /// `seed`), for tests that count shares; by default it counts.
    pub fn seed_random(&self, seed: u64) {
        self.seeded.set(Some(seed));
    }

    /// The spans open now (a finished request leaves none).
    pub fn open_span_count(&self) -> usize {
        self.open_spans.borrow().len()
    }

    /// Moves the clock forward.
    pub fn advance_ms(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
    }

    /// Answers fetches of `url` this way from now on.
    pub fn answer(&self, url: &str, answer: FakeAnswer) {
        let mut answers = self.answers.borrow_mut();
        answers.retain(|(u, _)| u != url);
        answers.push((url.to_owned(), answer));
    }

    /// How many times `url` was fetched.
    pub fn fetches_of(&self, url: &str) -> usize {
        self.sent.borrow().iter().filter(|sent| sent.url == url).count()
    }

    /// Binds a rate limiter: `limit` requests per `period` seconds per key,
    /// in windows aligned to the clock (as `wrangler dev` simulates the binding).
    pub fn bind_limiter(&self, binding: &str, limit: u32, period: u32) {
        self.limiters.borrow_mut().push((binding.to_owned(), limit, period));
    }

    /// Makes calls to `binding` fail from now on.
    pub fn fail_binding(&self, binding: &str) {
        self.failing.borrow_mut().push(binding.to_owned());
    }

    /// What the counter `binding` holds for `key` in the window of `seconds` now.
    pub fn count_of(&self, binding: &str, key: &str, seconds: u32) -> u64 {
        let start = window_start(self.now.get(), seconds);
        let counts = self.counts.borrow();
        counts
            .iter()
            .find(|((b, k, w), _)| b == binding && k == key && *w == start)
            .map_or(0, |(_, count)| *count)
    }

    /// The stand-in signature of `message` by the key whose public members
    /// are `public_jwk` (as the gateway imports them): what
    /// [`Platform::verify`] accepts here.
    pub fn sign(public_jwk: &str, algorithm: SignatureAlgorithm, message: &[u8]) -> Vec<u8> {
        let mut input = Vec::new();
        input.extend_from_slice(algorithm.name().as_bytes());
        input.extend_from_slice(public_jwk.as_bytes());
        input.extend_from_slice(message);
        sha256(&input).to_vec()
    }
}

impl Platform for RecordingPlatform {
    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    fn random_u64(&self) -> u64 {
        if let Some(state) = self.seeded.get() {
            let state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            self.seeded.set(Some(state));
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            return z ^ (z >> 31);
        }
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    fn log(&self, line: &str) {
        self.lines.borrow_mut().push(line.to_owned());
    }

    /// Moves the clock instead of waiting.
    fn sleep(&self, ms: u32) -> PlatformFuture<'_, ()> {
        Box::pin(async move {
            YieldOnce(false).await;
            self.advance_ms(ms as f64);
        })
    }

    fn fetch(&self, request: OutboundRequest) -> PlatformFuture<'_, Result<OutboundResponse, FetchError>> {
        let has_body = !matches!(request.body, OutboundBody::Empty);
        let (body, limit) = match request.body {
            OutboundBody::Empty => (Vec::new(), None),
            OutboundBody::Bytes(bytes) => (bytes, None),
            OutboundBody::Stream { source, limit } => {
                let bytes = match source.into_any().downcast::<FakeBody>() {
                    Ok(body) => body.0,
                    Err(_) => b"<a stream this platform did not make>".to_vec(),
                };
                (bytes, limit)
            }
        };
        // The runtime refuses a GET or HEAD with a body before sending anything.
        if matches!(request.method, Method::Get | Method::Head) && has_body {
            return Box::pin(std::future::ready(Err(FetchError::Unreachable(
                "Request with a GET or HEAD method cannot have a body.".to_owned(),
            ))));
        }
        let too_large = limit.is_some_and(|limit| body.len() > limit);
        self.sent.borrow_mut().push(SentRequest {
            method: request.method.as_str().to_owned(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body,
            limit,
            service: request.service.clone(),
            timeout_ms: request.timeout_ms,
        });
        let answer = self
            .answers
            .borrow()
            .iter()
            .find(|(u, _)| *u == request.url)
            .map(|(_, a)| a.clone());
        let result = match answer {
            Some(FakeAnswer::Respond { status, headers, body }) => Ok(OutboundResponse {
                status,
                headers,
                body: Box::new(FakeBody(body)),
            }),
            Some(FakeAnswer::Fail(error)) => Err(error),
            Some(FakeAnswer::Stall { status, turns }) => Ok(OutboundResponse {
                status,
                headers: vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("content-length".to_owned(), "64".to_owned()),
                ],
                body: Box::new(StallingBody(turns)),
            }),
            None => Err(FetchError::Unreachable(format!("no fake answer for {}", request.url))),
        };
        let result = if too_large {
            Err(FetchError::BodyTooLarge)
        } else {
            result
        };
        // One turn of waiting, as a real fetch would, so concurrent requests interleave.
        Box::pin(async move {
            YieldOnce(false).await;
            result
        })
    }

    /// A test's own bindings first; then, for any name, a fake rate
    /// limiter or quota object counting in this platform, or a dataset
    /// keeping its points in [`RecordingPlatform::data_points`] (a name without
    /// [`RecordingPlatform::bind_limiter`] fails as an unbound limiter would).
    fn binding_of(&self, name: &str, interface: TypeId) -> Option<AnyBinding> {
        let bound = self.bound.borrow();
        if let Some((_, _, hand_out)) = bound.iter().find(|(n, t, _)| n == name && *t == interface) {
            return Some(hand_out());
        }
        let fake = Rc::new(FakeCounter {
            binding: name.to_owned(),
            now: self.now.clone(),
            limiters: self.limiters.clone(),
            counts: self.counts.clone(),
            failing: self.failing.clone(),
            counted: self.counted.clone(),
        });
        if interface == TypeId::of::<dyn RateLimiter>() {
            return Some(Box::new(fake as Rc<dyn RateLimiter>));
        }
        if interface == TypeId::of::<dyn QuotaCounter>() {
            return Some(Box::new(fake as Rc<dyn QuotaCounter>));
        }
        if interface == TypeId::of::<dyn AnalyticsDataset>() {
            let dataset = Rc::new(FakeDataset(name.to_owned(), self.data_points.clone()));
            return Some(Box::new(dataset as Rc<dyn AnalyticsDataset>));
        }
        None
    }

    fn cache_match<'a>(
        &'a self,
        cache: Option<&'a str>,
        key: &'a str,
    ) -> PlatformFuture<'a, Result<Option<OutboundResponse>, String>> {
        self.cache_calls.borrow_mut().push(("match", key.to_owned()));
        let key = &*as_the_runtime_parses(key);
        let now = self.now.get();
        let result = match self.cache_failing.get() {
            true => Err("the cache is down".to_owned()),
            false => {
                let mut entries = self.cache.borrow_mut();
                entries.retain(|entry| entry.expires_ms > now);
                Ok(entries
                    .iter()
                    .find(|entry| entry.cache.as_deref() == cache && entry.key == key)
                    .map(|entry| {
                        // The runtime declares a kept body's length.
                        let mut headers = entry.headers.clone();
                        if !headers.iter().any(|(name, _)| name == "content-length") {
                            headers.push(("content-length".to_owned(), entry.body.len().to_string()));
                        }
                        OutboundResponse {
                            status: entry.status,
                            headers,
                            body: Box::new(FakeBody(entry.body.clone())),
                        }
                    }))
            }
        };
        Box::pin(async move {
            YieldOnce(false).await;
            result
        })
    }

    fn cache_put<'a>(
        &'a self,
        cache: Option<&'a str>,
        key: &'a str,
        status: u16,
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> PlatformFuture<'a, Result<(), String>> {
        self.cache_calls.borrow_mut().push(("put", key.to_owned()));
        let key = &*as_the_runtime_parses(key);
        if self.cache_failing.get() {
            return Box::pin(std::future::ready(Err("the cache is down".to_owned())));
        }
        let max_age = headers
            .iter()
            .filter(|(name, _)| name == "cache-control")
            .flat_map(|(_, value)| value.split(','))
            .find_map(|d| d.trim().strip_prefix("max-age=").and_then(|s| s.parse::<f64>().ok()))
            .unwrap_or(0.0);
        let mut entries = self.cache.borrow_mut();
        entries.retain(|entry| !(entry.cache.as_deref() == cache && entry.key == key));
        entries.push(CacheEntry {
            cache: cache.map(str::to_owned),
            key: key.to_owned(),
            status,
            headers: headers.to_vec(),
            body: body.to_vec(),
            expires_ms: self.now.get() + max_age * 1000.0,
        });
        Box::pin(std::future::ready(Ok(())))
    }

    fn cache_delete<'a>(&'a self, cache: Option<&'a str>, key: &'a str) -> PlatformFuture<'a, Result<bool, String>> {
        self.cache_calls.borrow_mut().push(("delete", key.to_owned()));
        let key = &*as_the_runtime_parses(key);
        if self.cache_failing.get() {
            return Box::pin(std::future::ready(Err("the cache is down".to_owned())));
        }
        let key = key.to_owned();
        // It lands a turn later, as the runtime's does: a lookup meanwhile still finds the entry.
        Box::pin(async move {
            YieldOnce(false).await;
            let mut entries = self.cache.borrow_mut();
            let before = entries.len();
            entries.retain(|entry| !(entry.cache.as_deref() == cache && entry.key == key));
            Ok(entries.len() < before)
        })
    }

    fn open_span(&self, name: &'static str, route: Option<&str>, method: &str) {
        let mut spans = self.spans.borrow_mut();
        let mut open = self.open_spans.borrow_mut();
        spans.push(RecordedSpan {
            name,
            parent: open.last().copied(),
            route: route.map(str::to_owned),
            method: method.to_owned(),
            outcome: None,
            status: None,
        });
        open.push(spans.len() - 1);
    }

    /// Closing with none open is a gateway's bug: it panics.
    fn close_span(&self, outcome: &str, status: Option<u16>) {
        let index = self.open_spans.borrow_mut().pop().expect("a span is open");
        let mut spans = self.spans.borrow_mut();
        spans[index].outcome = Some(outcome.to_owned());
        spans[index].status = status;
    }

    fn import_key(
        &self,
        jwk: &str,
        _algorithm: SignatureAlgorithm,
    ) -> PlatformFuture<'_, Result<VerifyingKey, String>> {
        let key = VerifyingKey(Rc::new(jwk.to_owned()));
        Box::pin(std::future::ready(Ok(key)))
    }

    fn verify<'a>(
        &'a self,
        key: &'a VerifyingKey,
        algorithm: SignatureAlgorithm,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> PlatformFuture<'a, Result<bool, String>> {
        self.verifications.set(self.verifications.get() + 1);
        let jwk = key.0.downcast_ref::<String>().expect("keys imported by this platform");
        let valid = RecordingPlatform::sign(jwk, algorithm, message) == signature;
        Box::pin(std::future::ready(Ok(valid)))
    }
}

impl RecordingPlatform {
    /// Gives the platform the binding `name` as the interface `T` (a fake a
    /// test made): what a policy or handler asking for it gets.
    pub fn bind<T: Binding + ?Sized>(&self, name: &str, binding: Rc<T>) {
        let hand_out: HandOut = Rc::new(move || Box::new(binding.clone()));
        self.bound
            .borrow_mut()
            .push((name.to_owned(), TypeId::of::<T>(), hand_out));
    }
}

/// The fake Analytics Engine dataset: keeps every point.
struct FakeDataset(String, Rc<RefCell<Vec<(String, DataPoint)>>>);

impl AnalyticsDataset for FakeDataset {
    fn write_data_point(&self, point: &DataPoint) -> Result<(), String> {
        self.1.borrow_mut().push((self.0.clone(), point.clone()));
        Ok(())
    }
}

/// The fake rate limiter and quota object: counters in the platform's
/// state, on its clock.
struct FakeCounter {
    binding: String,
    now: Rc<Cell<f64>>,
    limiters: Rc<RefCell<Vec<(String, u32, u32)>>>,
    counts: Rc<RefCell<Vec<(CounterKey, u64)>>>,
    failing: Rc<RefCell<Vec<String>>>,
    counted: Rc<RefCell<Vec<(String, String)>>>,
}

impl FakeCounter {
    fn call(&self, key: &str) -> Result<(), String> {
        let binding = &self.binding;
        self.counted.borrow_mut().push((binding.to_owned(), key.to_owned()));
        if self.failing.borrow().iter().any(|b| b == binding) {
            return Err(format!("the binding {binding} failed"));
        }
        Ok(())
    }

    /// Adds one to a counter if it is under `limit`; whether it was.
    fn count(&self, key: &str, seconds: u32, limit: u64, add: bool) -> (u64, bool) {
        let start = window_start(self.now.get(), seconds);
        let mut counts = self.counts.borrow_mut();
        let id = (self.binding.clone(), key.to_owned(), start);
        let index = match counts.iter().position(|(k, _)| *k == id) {
            Some(index) => index,
            None => {
                counts.push((id, 0));
                counts.len() - 1
            }
        };
        let room = counts[index].1 < limit;
        if room && add {
            counts[index].1 += 1;
        }
        (counts[index].1, room)
    }
}

fn window_start(now_ms: f64, seconds: u32) -> u64 {
    let now = (now_ms / 1000.0).floor() as u64;
    now - now % seconds as u64
}

impl RateLimiter for FakeCounter {
    fn limit<'a>(&'a self, key: &'a str) -> PlatformFuture<'a, Result<bool, String>> {
        let result = self.call(key).and_then(|()| {
            let binding = &self.binding;
            let limiter = self.limiters.borrow().iter().find(|(b, _, _)| b == binding).cloned();
            let (_, limit, period) = limiter.ok_or_else(|| format!("{binding} is not a rate-limit binding"))?;
            Ok(self.count(key, period, limit as u64, true).1)
        });
        Box::pin(async move {
            YieldOnce(false).await;
            result
        })
    }
}

impl QuotaCounter for FakeCounter {
    fn count<'a>(&'a self, key: &'a str, windows: &'a [QuotaWindow]) -> PlatformFuture<'a, Result<QuotaCount, String>> {
        // Counted when called, as the object counts one call at a time.
        let result = self.call(key).map(|()| {
            // As the quota object: counted in every window only if each has room.
            let admitted = windows.iter().all(|w| self.count(key, w.seconds, w.limit, false).1);
            let now = (self.now.get() / 1000.0).floor() as u64;
            let windows = windows
                .iter()
                .map(|w| {
                    let (used, _) = self.count(key, w.seconds, w.limit, admitted);
                    (used, (w.seconds as u64 - now % w.seconds as u64) as u32)
                })
                .collect();
            QuotaCount { admitted, windows }
        });
        Box::pin(async move {
            YieldOnce(false).await;
            result
        })
    }
}

/// A body held in memory.
pub struct FakeBody(Vec<u8>);

impl BodySource for FakeBody {
    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        let result = if self.0.len() > limit {
            Err(BodyReadError::TooLarge)
        } else {
            Ok(self.0)
        };
        Box::pin(std::future::ready(result))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// A body whose read waits `.0` turns, then fails (a sender that stalled).
struct StallingBody(u32);

impl BodySource for StallingBody {
    fn read(self: Box<Self>, _limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        Box::pin(async move {
            for _ in 0..self.0 {
                YieldOnce(false).await;
            }
            Err(BodyReadError::Failed("the body stalled".to_owned()))
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl FakeBody {
    /// A body in memory, as the host platform's fetches answer.
    pub fn new(bytes: Vec<u8>) -> FakeBody {
        FakeBody(bytes)
    }
}

/// A streamed response body's bytes, on the host (its stream is a [`FakeBody`]).
pub fn streamed_bytes(response: &Response) -> Option<Vec<u8>> {
    let ResponseBody::Stream(stream) = &response.body else {
        return None;
    };
    let source = stream.take()?;
    source.into_any().downcast::<FakeBody>().ok().map(|body| body.0)
}

/// What the host platform was asked to send.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRequest {
    /// The method, as sent.
    pub method: String,
    /// The URL, as sent.
    pub url: String,
    /// The headers, as sent.
    pub headers: Vec<(String, String)>,
    /// The body's bytes (a streamed one read here), and the limit it streamed under.
    pub body: Vec<u8>,
    /// The limit the streamed body was sent under, if any.
    pub limit: Option<usize>,
    /// The service binding it went through, if not the network.
    pub service: Option<String>,
    /// How long it was given to answer.
    pub timeout_ms: u32,
}

impl SentRequest {
    /// The first value of the header `name` (matched exactly, as sent).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            context.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// The request as the wasm adapter hands it over: only the headers in
/// [`Gateway::read_headers`], unless the route's handler needs them all. Host tests
/// send every request through this, so a header read without being declared
/// there fails them (debug builds check every read).
pub fn as_the_adapter_passes<S>(gateway: &Gateway<S>, mut request: Request) -> Request {
    if !gateway.needs_all_headers(&request) {
        request.headers = std::mem::take(&mut request.headers).selected(gateway.read_headers());
    }
    request
}

/// Runs a future to completion on this thread. On the host nothing waits on
/// real I/O: a pending future is polled again until it is done.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// Runs several futures to completion, interleaved on this thread (for
/// tests of what concurrent requests share).
pub fn block_on_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut context = Context::from_waker(Waker::noop());
    while outputs.iter().any(Option::is_none) {
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
                    *output = Some(value);
                }
            }
        }
    }
    outputs.into_iter().map(|o| o.expect("all done")).collect()
}

/// A cache key as the runtime's Cache API takes it: parsed as a URL, so a
/// backslash is a `/` and dot segments (`.`, `..`, `%2e`, `.%2E`, ...)
/// are resolved, as the WHATWG URL parser does for `https:` URLs.
fn as_the_runtime_parses(key: &str) -> String {
    let Some(path_at) = key
        .find("://")
        .and_then(|at| key[at + 3..].find('/').map(|i| at + 3 + i))
    else {
        return key.to_owned();
    };
    let (path, rest) = key[path_at..].split_at(key[path_at..].find(['?', '#']).unwrap_or(key.len() - path_at));
    let path = path.replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match segment.to_ascii_lowercase().replace("%2e", ".").as_str() {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            _ => segments.push(segment),
        }
    }
    format!("{}/{}{}", &key[..path_at], segments.join("/"), rest)
}
