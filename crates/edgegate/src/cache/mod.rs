//! Edge response caching on the runtime's Cache API: a route's cache policy
//! is a stage around its handler or upstream, after every policy that may
//! refuse the caller (IP rules, access, traffic control), so a cached answer
//! is never served to a caller who would be refused.
//!
//! ```ignore
//! Route::any_to("/origin/{*rest}", origin("origin")).access(any_of([api_key(), jwt("firebase")])).cache(cache("origin").shared())
//! ```
//!
//! - **Key**: the request's host, the route, the path and the query (its
//!   parameters sorted, the API key's `key` left out), the values of the
//!   request headers the policy varies on, and — unless the policy is
//!   shared — the principal (scheme, provider and id). A route whose access
//!   is public is shared; any other is per principal unless its rule says
//!   [`CacheRule::shared`].
//! - **Freshness**: the answer's `Cache-Control` (`s-maxage`, then
//!   `max-age`; `no-store`, `no-cache`, `private` on a shared policy, and
//!   for an authenticated request on a shared policy, neither `public` nor
//!   `s-maxage`, are never kept) unless the policy's `ttl` overrides the
//!   lifetime. Answers with `Set-Cookie`, a `Vary` on a header the policy
//!   does not vary on, a status other than 2xx (less 206) or the policy's
//!   `statuses`, or (an upstream's) no declared length within `max_bytes`
//!   are never kept.
//! - **`Cache-Status`** (RFC 9211) on every answer of a cached route, and
//!   `Age` on hits. **Stale-if-error**: when the answer is a 500, 502, 503
//!   or 504, an entry within its `stale-if-error` window is served instead.
//!   **Collapsing**: concurrent misses for one key in an isolate make one
//!   call; the others are answered with its answer.
//! - **Purge** ([`purge`]): by exact key (as `Cache-Status` shows it) and
//!   by tag (`Cache-Tag` from the answer, and the policy's own `tags`).
//!   A tag's entries carry the tag's generation; a purge gives the tag a new
//!   one, so every entry stored under the old one is a miss.
//!
//! The Cache API keeps entries per location (data center); the stored copy's
//! `Cache-Control` is the entry's whole life (fresh, then its stale-if-error
//! window) and the gateway's own headers say when it was stored.

pub mod control;
pub mod purge;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::Value;

use crate::http::{decimal, percent_encode, BodySource, Method, Request, Response, ResponseBody, Status, StreamBody};
use crate::platform::{first, OutboundResponse, Platform};
use crate::policy::{api_key, Principal, Scheme};
use crate::setting::{read_fields, string_list};
use control::Directives;

/// The header every answer of a cached route carries (RFC 9211).
pub const CACHE_STATUS: &str = "cache-status";
/// This cache's name in `Cache-Status`, and what follows it.
const NAME: &str = "edgegate; ";
/// Where a key's own part starts after the host.
const KEY_PREFIX: &str = "/.edgegate-cache/";
/// The gateway's own headers on a stored copy, all starting with this.
const META: &str = "x-edgegate-cache-";
/// Those headers (`META` and a name): when it was stored (ms), its seconds
/// fresh, its seconds stale-if-error, its age when stored, its tags.
const META_STORED: &str = "x-edgegate-cache-stored";
const META_FRESH: &str = "x-edgegate-cache-fresh";
const META_STALE_IF_ERROR: &str = "x-edgegate-cache-stale-if-error";
const META_AGE: &str = "x-edgegate-cache-age";
const META_TAGS: &str = "x-edgegate-cache-tags";
/// Its body's length: a runtime's kept answer may not declare it.
const META_LENGTH: &str = "x-edgegate-cache-length";
/// A tag generation's `Cache-Control`: kept `MAX_LIFETIME_S`.
const GENERATION_CACHE_CONTROL: &str = "public, max-age=31536000";
/// The most an answer may be kept, whatever it says (a year).
const MAX_LIFETIME_S: u64 = 365 * 24 * 3600;
/// How often a collapsed request looks whether the call it waits for ended.
/// On its own timer: the runtime cancels a request that waits only on
/// another request's work, and a request may do I/O only in its own context.
const WAIT_STEP_MS: u32 = 10;
/// How long a collapsed request waits at most before it calls on its own.
const WAIT_LIMIT_MS: u32 = 30_000;
/// How long a key whose answer could not be kept passes straight through
/// (hit-for-pass): neither looked up nor collapsed, so an uncacheable path
/// costs no lookup and its concurrent requests never queue behind each other.
const PASS_MS: f64 = 10_000.0;
/// The most keys a route remembers as passing (the oldest is forgotten).
const MAX_PASSES: usize = 256;
/// The default most bytes an answer may have to be kept.
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;
/// The longest a policy's `memory` may be: a purge in one isolate reaches
/// the others' copies only when theirs run out.
const MAX_MEMORY_S: u64 = 60;
/// The most answers, and body bytes, a policy holds in an isolate's memory
/// (the oldest is forgotten first): an isolate has 128 MB in all.
const MEMORY_MAX_ENTRIES: usize = 64;
const MEMORY_MAX_BYTES: usize = 4 * 1024 * 1024;

/// A route's cache policy as the table declares it; `CACHE_POLICIES[name]`
/// gives its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRule {
    pub(crate) name: String,
    pub(crate) shared: bool,
}

/// The cache policy `CACHE_POLICIES[name]` for a route: shared when the
/// route's access is public, per principal otherwise.
pub fn cache(name: &str) -> CacheRule {
    CacheRule {
        name: name.to_owned(),
        shared: false,
    }
}

impl CacheRule {
    /// One entry for every caller, on a route whose access is not public:
    /// the route's upstream or handler answers every caller alike (what it
    /// marks `public` or `s-maxage` is kept).
    pub fn shared(mut self) -> CacheRule {
        self.shared = true;
        self
    }

    /// The `CACHE_POLICIES` entry it names.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A `CACHE_POLICIES` entry, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSetting {
    /// `ttl`: seconds every kept answer is fresh, whatever it says.
    pub ttl_s: Option<u32>,
    /// `stale_if_error`: seconds past freshness an entry may stand in for a
    /// failed answer (else the answer's own `stale-if-error`).
    pub stale_if_error_s: Option<u32>,
    /// `vary`: request headers (lower case) whose values are part of the key.
    pub vary: Vec<String>,
    /// `statuses`: statuses kept besides 2xx (301, 308, 404, 410).
    pub statuses: Vec<u16>,
    /// `cache`: a named cache (`caches.open`), else the default one.
    pub cache: Option<String>,
    /// `max_bytes`: the largest answer kept.
    pub max_bytes: usize,
    /// `tags`: tags every entry of the policy carries, for purges.
    pub tags: Vec<String>,
    /// `memory`: seconds a kept answer is also held in each isolate's
    /// memory (0: never), where a hit costs no Cache API lookup; a purge
    /// elsewhere reaches an isolate's copy only when these run out.
    pub memory_s: u32,
}

impl CacheSetting {
    /// Reads an entry: `{"ttl", "stale_if_error", "vary", "statuses", "cache", "max_bytes", "tags", "memory"}`, each optional.
    pub fn from_json(value: Value) -> Result<CacheSetting, String> {
        let mut setting = CacheSetting {
            ttl_s: None,
            stale_if_error_s: None,
            vary: Vec::new(),
            statuses: Vec::new(),
            cache: None,
            max_bytes: DEFAULT_MAX_BYTES,
            tags: Vec::new(),
            memory_s: 0,
        };
        let seconds = |name: &str, v: &Value| match v.as_u64() {
            Some(n) if n <= MAX_LIFETIME_S => Ok(n as u32),
            _ => Err(format!("`{name}` must be a whole number of seconds, at most a year")),
        };
        read_fields(
            &value,
            " (expected ttl, stale_if_error, vary, statuses, cache, max_bytes, tags, memory)",
            |name, member| {
                match name {
                    "ttl" => setting.ttl_s = Some(seconds(name, member)?),
                    "stale_if_error" => setting.stale_if_error_s = Some(seconds(name, member)?),
                    "vary" => {
                        setting.vary = string_list("vary", member)?
                            .into_iter()
                            .map(|h| h.to_ascii_lowercase())
                            .collect();
                        // `*` is a token but no header: an entry for it would keep `Vary: *` answers.
                        if !setting.vary.iter().all(|h| crate::http::field::is_token(h) && h != "*")
                            || setting.vary.len() > 8
                        {
                            return Err("`vary` must list at most 8 header names".into());
                        }
                    }
                    "statuses" => {
                        for status in member.as_array().ok_or("`statuses` must be a list")? {
                            match status.as_u64() {
                                Some(s @ (301 | 308 | 404 | 410)) => setting.statuses.push(s as u16),
                                _ => return Err("`statuses` may list 301, 308, 404 and 410 only".into()),
                            }
                        }
                    }
                    "cache" => {
                        let name = member.as_str().filter(|n| (1..=64).contains(&n.len()) && is_tag(n));
                        setting.cache = Some(name.ok_or("`cache` must be a cache's name")?.to_owned());
                    }
                    "max_bytes" => match member.as_u64() {
                        Some(n @ 1..=26_214_400) => setting.max_bytes = n as usize,
                        _ => return Err("`max_bytes` must be a whole number from 1 to 26214400 (25 MiB)".into()),
                    },
                    "memory" => match member.as_u64() {
                        Some(n @ 0..=MAX_MEMORY_S) => setting.memory_s = n as u32,
                        _ => {
                            return Err(format!(
                                "`memory` must be a whole number of seconds from 0 to {MAX_MEMORY_S}"
                            ))
                        }
                    },
                    "tags" => {
                        setting.tags = string_list("tags", member)?;
                        if !setting.tags.iter().all(|t| is_tag(t)) {
                            return Err("`tags` must be tags (letters, digits, `-._:/`, at most 128)".into());
                        }
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            },
        )?;
        Ok(setting)
    }
}

/// A tag a purge may name: short, and nothing a header list or a key would split.
pub(crate) fn is_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':' | b'/'))
}

/// A route's cache stage, built once per isolate.
pub struct CachePlan {
    route: Rc<str>,
    shared: bool,
    setting: Rc<CacheSetting>,
    /// The policy's name: its tags' generations are its own, so a purge
    /// of another policy's tag of the same name leaves its entries alone.
    policy: Rc<str>,
    /// The misses being answered now, by key: later ones wait for them.
    inflight: RefCell<Vec<(Rc<str>, Rc<Slot>)>>,
    /// Keys whose last answer could not be kept, and until when they pass.
    passes: RefCell<Vec<(Rc<str>, f64)>>,
    /// The policy's answers held in this isolate's memory (its `memory`).
    memory: Rc<Memory>,
    /// Whether the route's handler reads the `key` query parameter of a
    /// request no API key admitted (an upstream never gets it).
    handler_reads_key: bool,
    /// How long an upstream's body may take once its head came: its
    /// `timeout_ms` (a body kept is read whole before anything is sent).
    read_within_ms: Option<u32>,
}

/// A policy's kept answers held in an isolate's memory for its `memory`
/// seconds, shared by its routes and its purge: a hit found here costs no
/// Cache API lookup and no headers read back from the runtime. Only fresh
/// answers are held; a purge in this isolate forgets what it names (a tag:
/// everything), one elsewhere reaches it when the seconds run out.
#[derive(Default)]
pub(crate) struct Memory {
    held: RefCell<Vec<Held>>,
    /// Counts this isolate's purges and invalidations of the policy's
    /// answers (each counts as it begins and as it ends): what a lookup or
    /// a call began with, to tell whether one came between.
    ticks: Cell<u64>,
    /// The count at the last purge of everything (a tag).
    everything_at: Cell<u64>,
    /// Keys purged or invalidated: the count at each, and when (ms).
    invalidated: RefCell<Vec<(Rc<str>, u64, f64)>>,
}

/// How long a key's invalidation is remembered: longer than any route's
/// call takes to be kept.
const INVALIDATED_MS: f64 = 300_000.0;
/// The most invalidations remembered per policy (the oldest forgotten).
const MAX_INVALIDATED: usize = 256;

struct Held {
    key: Rc<str>,
    stored: Rc<Stored>,
    /// Its seconds fresh, and until when (ms) it is held.
    fresh_s: u64,
    until_ms: f64,
}

impl Memory {
    /// The answer held under `key` while it is fresh and held; forgets it after.
    fn find(&self, key: &str, now_ms: f64) -> Option<(Rc<Stored>, u64)> {
        let mut held = self.held.borrow_mut();
        let at = held.iter().position(|h| &*h.key == key)?;
        let entry = &held[at];
        if entry.until_ms > now_ms && age_at(entry.stored.stored_at_ms, entry.stored.age0, now_ms) < entry.fresh_s {
            return Some((entry.stored.clone(), entry.fresh_s));
        }
        held.remove(at);
        None
    }

    /// The count a lookup or a call begins with (see [`Memory::changed_since`]).
    fn now(&self) -> u64 {
        self.ticks.get()
    }

    /// Holds `stored`, looked up or fetched from the count `since` on, under
    /// `key` until `until_ms`, the oldest forgotten to make room; not if a
    /// purge or invalidation of it came between.
    fn hold(&self, key: Rc<str>, stored: Rc<Stored>, fresh_s: u64, until_ms: f64, since: u64) {
        if stored.body.len() > MEMORY_MAX_BYTES || self.changed_since(&key, since) {
            return;
        }
        let mut held = self.held.borrow_mut();
        held.retain(|h| h.key != key);
        while held.len() >= MEMORY_MAX_ENTRIES
            || held.iter().map(|h| h.stored.body.len()).sum::<usize>() + stored.body.len() > MEMORY_MAX_BYTES
        {
            held.remove(0);
        }
        held.push(Held {
            key,
            stored,
            fresh_s,
            until_ms,
        });
    }

    /// Forgets what is held under `key`, or (none) everything, and counts
    /// it. A purge or an invalidation calls it as it begins and as it ends:
    /// a lookup or a call that overlaps either holds and keeps nothing.
    pub(crate) fn forget(&self, key: Option<&str>, now_ms: f64) {
        let tick = self.ticks.get() + 1;
        self.ticks.set(tick);
        let mut held = self.held.borrow_mut();
        let Some(key) = key else {
            self.everything_at.set(tick);
            held.clear();
            return;
        };
        held.retain(|h| &*h.key != key);
        let mut invalidated = self.invalidated.borrow_mut();
        invalidated.retain(|(k, _, at)| &**k != key && now_ms - at < INVALIDATED_MS);
        if invalidated.len() >= MAX_INVALIDATED {
            invalidated.remove(0);
        }
        invalidated.push((Rc::from(key), tick, now_ms));
    }

    /// Whether `key` (or everything) was purged or invalidated in this
    /// isolate after the count `since`.
    fn changed_since(&self, key: &str, since: u64) -> bool {
        self.everything_at.get() > since || self.invalidated_since(key, since)
    }

    /// Whether `key` itself was purged or invalidated after the count
    /// `since` (a tag's purge is told by its generation).
    fn invalidated_since(&self, key: &str, since: u64) -> bool {
        self.invalidated
            .borrow()
            .iter()
            .any(|(k, tick, _)| &**k == key && *tick > since)
    }
}

/// A miss being answered: done once its call ended, with what it stored
/// (dropped: its request went away before it answered).
#[derive(Default)]
struct Slot {
    done: Cell<bool>,
    dropped: Cell<bool>,
    stored: RefCell<Option<Rc<Stored>>>,
    since_ms: f64,
}

/// An answer as kept: status, headers (the gateway's own included) and body.
#[derive(Debug, Clone)]
struct Stored {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// When it was kept (ms) and the age it came with (s): its age later.
    stored_at_ms: u64,
    age0: u64,
}

/// The age (s) at `now_ms` of an answer kept at `stored_at_ms` that came `age0` old.
fn age_at(stored_at_ms: u64, age0: u64, now_ms: f64) -> u64 {
    let now_s = (now_ms / 1000.0).max(0.0) as u64;
    now_s.saturating_sub(stored_at_ms / 1000).saturating_add(age0)
}

/// What the cache stage did, for the access log (`cache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOutcome(pub &'static str);

/// How a request goes on after the lookup.
pub enum Lookup {
    /// Answered from the cache.
    Answered(Response),
    /// The route answers; [`CachePlan::finish`] then decides what is kept.
    Fill(Ticket),
}

/// A miss in progress: its key, a stale entry that may stand in for an
/// error, and the slot others wait on (when this request leads).
pub struct Ticket {
    key: Option<Rc<str>>,
    stale: Option<Entry>,
    slot: Option<(Rc<Slot>, Rc<CachePlan>)>,
    /// `Cache-Status`'s `fwd`: why the route was called.
    fwd: &'static str,
    /// When the lookup began: a tag purged since then was purged while the
    /// route was answering, and its answer is not kept.
    since_ms: f64,
    /// The memory's count when the lookup began ([`Memory::now`]).
    since_tick: u64,
    /// Whether the route answered (else its request was dropped first).
    answered: bool,
}

impl Drop for Ticket {
    /// Whatever happened (the request may have been dropped), those waiting go on.
    fn drop(&mut self) {
        if let Some((slot, plan)) = &self.slot {
            plan.inflight.borrow_mut().retain(|(_, s)| !Rc::ptr_eq(s, slot));
            slot.dropped.set(!self.answered);
            slot.done.set(true);
        }
    }
}

/// An entry found: its headers read, its body left in the runtime until sent.
struct Entry {
    status: u16,
    headers: Vec<(String, String)>,
    body: Box<dyn BodySource>,
    age_s: u64,
    fresh_s: u64,
    stale_if_error_s: u64,
    /// When it was kept (ms) and the age it came with (s).
    stored_at_ms: u64,
    age0: u64,
}

impl CachePlan {
    /// The stage of a route (`route`: its template) under `setting`.
    pub fn new(route: Rc<str>, shared: bool, setting: Rc<CacheSetting>) -> CachePlan {
        CachePlan {
            route,
            shared,
            setting,
            policy: Rc::from(""),
            inflight: RefCell::new(Vec::new()),
            passes: RefCell::new(Vec::new()),
            memory: Rc::default(),
            handler_reads_key: false,
            read_within_ms: None,
        }
    }

    /// The stage of a route an upstream answers within `timeout_ms`: a
    /// body that stalls after its head is a 504 when that has passed (or
    /// a stale entry, where one may stand in), not a wait without end.
    pub(crate) fn reading_within(mut self, timeout_ms: u32) -> CachePlan {
        self.read_within_ms = Some(timeout_ms);
        self
    }

    /// The stage of a route answered by its handler: a `key` query
    /// parameter no API key consumed is the handler's to read, so it is part
    /// of the key (`?key=a` and `?key=b` may be two answers).
    pub(crate) fn for_handler(mut self) -> CachePlan {
        self.handler_reads_key = true;
        self
    }

    /// The stage as the policy `name`'s (the plan names every route's),
    /// holding answers in the policy's `memory` (its purge forgets them).
    pub(crate) fn under(mut self, name: &str, memory: Rc<Memory>) -> CachePlan {
        self.policy = Rc::from(name);
        self.memory = memory;
        self
    }

    /// The request's key, or none when it cannot have one: no usable host,
    /// or a path with a dot segment or a backslash in any spelling. The
    /// runtime's Cache API parses a key as a URL and resolves `%2e%2e`, so
    /// such a path would climb out of its own entries into another route's
    /// or another caller's.
    pub fn key(&self, request: &Request) -> Option<String> {
        if !crate::http::path::stays_put(&request.path) {
            return None;
        }
        let host = key_host(request)?;
        let mut key = String::with_capacity(64 + request.path.len());
        key.push_str("https://");
        key.push_str(&host.to_ascii_lowercase());
        key.push_str(KEY_PREFIX);
        key.push_str(&percent_encode(&self.route));
        key.push('/');
        match Principal::of(request).filter(|_| !self.shared) {
            Some(principal) => key.push_str(&percent_encode(&principal.qualified())),
            None => key.push('-'),
        }
        // A present header is `v` and its encoded value; an absent one is empty.
        for name in &self.setting.vary {
            key.push('/');
            if let Some(value) = request.headers.get(name) {
                key.push('v');
                key.push_str(&percent_encode(value));
            }
        }
        key.push_str(&request.path);
        // Sorted by name as they are gathered (a query has a few
        // parameters: no sort routine is linked for it); a name given twice
        // keeps its values' order, which an origin may read either way —
        // names compared as the most lenient origin reads them (`%61` is
        // `a`, `+` a space, `%FF` and `%ff` one byte, UTF-8 or not), so two
        // spellings that may be one name never swap their values.
        fn name(pair: &str) -> std::borrow::Cow<'_, [u8]> {
            let raw = pair.split('=').next().unwrap_or(pair);
            match raw.contains(['%', '+']) {
                false => std::borrow::Cow::Borrowed(raw.as_bytes()),
                true => std::borrow::Cow::Owned(crate::http::percent_decode_bytes(raw.replace('+', " ").as_bytes())),
            }
        }
        // A key the gateway consumed never becomes part of a key; one the
        // handler reads does.
        let key_consumed =
            !self.handler_reads_key || Principal::of(request).is_some_and(|p| p.scheme == Scheme::ApiKey);
        let mut query: Vec<&str> = Vec::new();
        for pair in request.query.as_deref().unwrap_or("").split('&') {
            let consumed = key_consumed && api_key::is_key_param(pair);
            if !pair.is_empty() && !consumed {
                let at = query.iter().position(|q| name(q) > name(pair)).unwrap_or(query.len());
                query.insert(at, pair);
            }
        }
        for (i, pair) in query.iter().enumerate() {
            key.push(if i == 0 { '?' } else { '&' });
            key.push_str(pair);
        }
        Some(key)
    }

    /// Looks the request up: a fresh entry answers it; a request waiting
    /// for the same key's call takes that call's answer; any other goes on,
    /// with a stale entry kept in case the route fails.
    pub async fn lookup(self: &Rc<Self>, request: &mut Request, platform: &dyn Platform) -> Lookup {
        let Some(key) = self.key(request) else {
            request.extensions.insert(CacheOutcome("bypass"));
            return Lookup::Fill(Ticket::unkeyed());
        };
        let since_ms = platform.now_ms();
        let key: Rc<str> = Rc::from(key);
        let mut ticket = Ticket::keyed(key.clone(), since_ms, self.memory.now());
        if self.passing(&key, since_ms) {
            request.extensions.insert(CacheOutcome("pass"));
            return Lookup::Fill(ticket);
        }
        if self.setting.memory_s > 0 {
            if let Some((stored, fresh_s)) = self.memory.find(&key, since_ms) {
                request.extensions.insert(CacheOutcome("hit"));
                let age_s = age_at(stored.stored_at_ms, stored.age0, since_ms);
                let status = cache_status(&["hit; ttl=", &decimal(fresh_s - age_s), "; detail=memory"], Some(&key));
                return Lookup::Answered(stored.served(age_s, status));
            }
        }
        let found = match platform.cache_match(self.setting.cache.as_deref(), &key).await {
            Ok(Some(found)) => self.entry(found, &key, platform).await,
            Ok(None) => None,
            Err(cause) => {
                platform.log(&crate::policy::access_log::log_line(
                    "warn",
                    "cache lookup failed",
                    &[("error", &cause)],
                ));
                None
            }
        };
        if let Some(entry) = found {
            if entry.age_s < entry.fresh_s {
                let status = cache_status(&["hit; ttl=", &decimal(entry.fresh_s - entry.age_s)], Some(&key));
                // Streamed from the runtime's cache, unless memory may hold
                // it: then read, held and served from there (a body the
                // runtime cannot give is a miss).
                let holds =
                    self.setting.memory_s > 0 && entry.length().is_some_and(|length| length <= MEMORY_MAX_BYTES as u64);
                if !holds {
                    request.extensions.insert(CacheOutcome("hit"));
                    return Lookup::Answered(entry.served(status));
                }
                let age_s = entry.age_s;
                if let Some(stored) = self.hold(entry, key, ticket.since_tick, platform).await {
                    request.extensions.insert(CacheOutcome("hit"));
                    return Lookup::Answered(stored.served(age_s, status));
                }
            } else {
                ticket.fwd = "stale";
                if entry.age_s < entry.fresh_s + entry.stale_if_error_s {
                    ticket.stale = Some(entry);
                }
            }
        }
        self.lead_or_wait(ticket, request, platform).await
    }

    /// Waits for the call another request is making for the same key and
    /// takes its answer, or makes the call itself (`ticket` says how).
    async fn lead_or_wait(
        self: &Rc<Self>,
        mut ticket: Ticket,
        request: &mut Request,
        platform: &dyn Platform,
    ) -> Lookup {
        let key = ticket.key.clone().expect("only a keyed lookup collapses");
        let mut waited = 0;
        loop {
            let now_ms = platform.now_ms();
            let waiting = {
                let mut inflight = self.inflight.borrow_mut();
                // A call older than any wait is one whose request went quiet
                // (its client left and the runtime has not dropped it yet):
                // the next request leads instead.
                inflight.retain(|(_, slot)| slot.done.get() || now_ms - slot.since_ms < WAIT_LIMIT_MS as f64);
                inflight.iter().find(|(k, _)| *k == key).map(|(_, s)| s.clone())
            };
            let Some(slot) = waiting else { break };
            while !slot.done.get() && waited < WAIT_LIMIT_MS {
                platform.sleep(WAIT_STEP_MS).await;
                waited += WAIT_STEP_MS;
            }
            let stored = slot.stored.borrow().clone();
            if let Some(stored) = stored {
                request.extensions.insert(CacheOutcome("collapsed"));
                let status = cache_status(&["fwd=", ticket.fwd, "; collapsed"], Some(&key));
                let age_s = age_at(stored.stored_at_ms, stored.age0, platform.now_ms());
                return Lookup::Answered(stored.served(age_s, status));
            }
            // A call that ended without keeping anything: this one calls on
            // its own, as every other waiting does (none waits behind another
            // failure). One whose request was dropped before it answered:
            // the first to look again leads.
            if !slot.dropped.get() || waited >= WAIT_LIMIT_MS {
                return Lookup::Fill(ticket);
            }
        }
        let slot = Rc::new(Slot {
            since_ms: platform.now_ms(),
            ..Slot::default()
        });
        self.inflight.borrow_mut().push((key, slot.clone()));
        ticket.slot = Some((slot, self.clone()));
        Lookup::Fill(ticket)
    }

    /// After a method other than GET and HEAD answered: a success of an
    /// unsafe one (POST, PUT, PATCH, DELETE, ...) may have changed what a GET of
    /// the same target gets, so its entry is removed (RFC 9111 §4.4; the
    /// caller's own, on a per-caller policy). Its `Cache-Status`.
    pub async fn after_unsafe(&self, request: &Request, response: &Response, platform: &dyn Platform) -> &'static str {
        // Any method not known to be safe (RFC 9110 §9.2.1) may have changed it.
        let unsafe_method = match &request.method {
            Method::Get | Method::Head | Method::Options => false,
            Method::Other(name) => &**name != "TRACE",
            _ => true,
        };
        let Some(key) = self.key(request).filter(|_| unsafe_method && response.status.0 < 400) else {
            return "edgegate; fwd=method";
        };
        self.memory.forget(Some(&key), platform.now_ms());
        let deleted = platform.cache_delete(self.setting.cache.as_deref(), &key).await;
        self.memory.forget(Some(&key), platform.now_ms());
        match deleted {
            Ok(_) => "edgegate; fwd=method; detail=invalidated",
            Err(cause) => {
                platform.log(&crate::policy::access_log::log_line(
                    "warn",
                    "cache invalidation failed",
                    &[("error", &cause)],
                ));
                "edgegate; fwd=method; detail=cache-error"
            }
        }
    }

    /// Holds `stored` in memory for the policy's `memory` seconds from `now_ms`.
    fn remember(&self, key: Rc<str>, stored: Rc<Stored>, fresh_s: u64, now_ms: f64, since_tick: u64) {
        let until_ms = now_ms + self.setting.memory_s as f64 * 1000.0;
        self.memory.hold(key, stored, fresh_s, until_ms, since_tick);
    }

    /// Holds a fresh entry found in the Cache API in memory: its body read.
    async fn hold(&self, entry: Entry, key: Rc<str>, since_tick: u64, platform: &dyn Platform) -> Option<Rc<Stored>> {
        let body = match entry.body.read(self.setting.max_bytes).await {
            Ok(body) => body,
            Err(error) => {
                platform.log(&crate::policy::access_log::log_line(
                    "warn",
                    "cache lookup failed",
                    &[("error", &format!("{error:?}"))],
                ));
                return None;
            }
        };
        let stored = Rc::new(Stored {
            status: entry.status,
            headers: entry.headers,
            body,
            stored_at_ms: entry.stored_at_ms,
            age0: entry.age0,
        });
        self.remember(key, stored.clone(), entry.fresh_s, platform.now_ms(), since_tick);
        Some(stored)
    }

    /// Reads a found entry; one whose tags were purged since is none.
    async fn entry(&self, found: OutboundResponse, key: &str, platform: &dyn Platform) -> Option<Entry> {
        // The gateway's own headers, in one pass.
        let (mut stored_at, mut fresh_s, mut stale_if_error_s, mut age0, mut tags) = (None, None, 0, 0, None);
        for (name, value) in &found.headers {
            let number = || value.parse::<u64>().ok();
            match name.as_str() {
                META_STORED => stored_at = number(),
                META_FRESH => fresh_s = number(),
                META_STALE_IF_ERROR => stale_if_error_s = number().unwrap_or(0),
                META_AGE => age0 = number().unwrap_or(0),
                META_TAGS => tags = Some(value.as_str()),
                _ => {}
            }
        }
        let (stored_at, fresh_s) = (stored_at?, fresh_s?);
        if let Some(tags) = tags {
            for pair in tags.split(',') {
                let (tag, generation) = pair.split_once('=')?;
                if tag_generation(platform, self.setting.cache.as_deref(), key, &self.policy, tag)
                    .await
                    .as_deref()
                    != Some(generation)
                {
                    return None;
                }
            }
        }
        Some(Entry {
            status: found.status,
            headers: found.headers,
            body: found.body,
            age_s: age_at(stored_at, age0, platform.now_ms()),
            fresh_s,
            stale_if_error_s,
            stored_at_ms: stored_at,
            age0,
        })
    }

    /// The route's answer, kept when it may be, and marked: served stale
    /// instead when it failed and a stale entry may stand in.
    pub async fn finish(
        &self,
        mut ticket: Ticket,
        mut response: Response,
        request: &mut Request,
        platform: &dyn Platform,
    ) -> Response {
        // The cache's own bookkeeping headers are the gateway's to write.
        response.retain_headers(&|name| !name.starts_with(META));
        let Some(key) = ticket.key.clone() else {
            return response.with_header(CACHE_STATUS, "edgegate; fwd=bypass");
        };
        let failed = matches!(response.status.0, 500 | 502 | 503 | 504);
        if failed {
            if let Some(stale) = ticket.stale.take() {
                return stale_if_error(stale, &mut ticket, &response, request, &key);
            }
        }
        let kept = self.keep(&mut response, request, platform, &key, &ticket).await;
        // A body that could not be read (or not in time) failed like the
        // upstream itself: a stale entry may stand in for it too.
        if kept.as_ref().err() == Some(&"unreadable") {
            if let Some(stale) = ticket.stale.take() {
                return stale_if_error(stale, &mut ticket, &response, request, &key);
            }
        }
        let fwd = ticket.fwd;
        if request.extensions.get::<CacheOutcome>() != Some(&CacheOutcome("pass")) {
            request
                .extensions
                .insert(CacheOutcome(if fwd == "stale" { "stale" } else { "miss" }));
        }
        // Answered, and kept or not: those waiting take that (a request
        // dropped before this, even while keeping, leaves them to lead).
        ticket.answered = true;
        let status = match kept {
            Ok(stored) => {
                // Kept: the key no longer passes (another caller's answer may have made it).
                self.passes.borrow_mut().retain(|(k, _)| *k != key);
                if let Some((slot, _)) = &ticket.slot {
                    *slot.stored.borrow_mut() = Some(stored);
                }
                cache_status(&["fwd=", fwd, "; stored"], Some(&key))
            }
            Err(why) => {
                // What the answer itself rules out passes for a while; a
                // failure (or the cache's own) does not, nor what one
                // request's own headers caused (a 206 or 416 to its
                // `Range`, a 304 or 412 to its conditions, its own
                // `Authorization` or `no-store`): one caller must not
                // switch the cache off for everyone.
                let by_request = matches!(response.status.0, 206 | 304 | 412 | 416)
                    || why == "request-no-store"
                    || (why == "authenticated" && Principal::of(request).is_none())
                    || (matches!(why, "authenticated" | "private") && authorization_beside_key(request));
                if !failed
                    && !by_request
                    && !matches!(why, "head" | "problem" | "cache-error" | "unreadable" | "purged")
                {
                    self.pass(key.clone(), platform.now_ms());
                }
                cache_status(&["fwd=", fwd, "; detail=", why], None)
            }
        };
        response.with_header(CACHE_STATUS, status)
    }

    /// Whether `key` passes straight through now (its last answer could not be kept).
    fn passing(&self, key: &str, now_ms: f64) -> bool {
        let mut passes = self.passes.borrow_mut();
        match passes.iter().position(|(k, _)| &**k == key) {
            Some(at) if passes[at].1 > now_ms => true,
            Some(at) => {
                passes.swap_remove(at);
                false
            }
            None => false,
        }
    }

    fn pass(&self, key: Rc<str>, now_ms: f64) {
        let mut passes = self.passes.borrow_mut();
        passes.retain(|(k, until)| *k != key && *until > now_ms);
        if passes.len() >= MAX_PASSES {
            passes.remove(0);
        }
        passes.push((key, now_ms + PASS_MS));
    }

    /// Keeps the answer if the rules allow: what was kept, or why not. The
    /// answer is what to send either way (its body read, when it streamed).
    async fn keep(
        &self,
        response: &mut Response,
        request: &Request,
        platform: &dyn Platform,
        key: &str,
        ticket: &Ticket,
    ) -> Result<Rc<Stored>, &'static str> {
        let since_ms = ticket.since_ms;
        let directives = Directives::parse(response.header_values("cache-control"));
        // A caller without a principal shares its entry with every other
        // (the key's principal part is `-`): a shared cache's rules hold
        // whatever the policy says, as on a route whose access lets anyone in
        // (`any_of([public(), ..])`). So they do for a key's caller who
        // also sends an `Authorization` the key does not hold.
        let shared = self.shared || Principal::of(request).is_none() || authorization_beside_key(request);
        if let Some(why) = self.refusal(response, &directives, request, shared) {
            return Err(why);
        }
        // The age it already has (another cache's, upstream), capped as
        // RFC 9111 §1.2.2 caps it: a huge one never wraps an addition.
        // (digits too many for a number are that largest age, not none).
        let age0: u64 = match response.header("age").map(str::trim) {
            Some(a) if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) => {
                a.parse::<u64>().unwrap_or(u64::MAX).min(MAX_LIFETIME_S)
            }
            _ => 0,
        };
        // Fresh for as long as the answer says less the age it has; a
        // route's `ttl` counts from when it is kept here.
        let fresh_s = match self.setting.ttl_s {
            Some(ttl) => ttl as u64 + age0,
            None => directives.s_maxage.or(directives.max_age).unwrap_or(0) as u64,
        };
        if fresh_s == 0 {
            return Err("no-ttl");
        }
        if age0 >= fresh_s {
            return Err("stale");
        }
        // `must-revalidate`, `proxy-revalidate` and (in a shared cache)
        // `s-maxage` forbid serving it stale (RFC 9111 §4.2.4, §5.2.2.10).
        let no_stale = directives.must_revalidate || (shared && directives.s_maxage.is_some());
        let stale_if_error_s = match no_stale {
            true => 0,
            false => self.setting.stale_if_error_s.or(directives.stale_if_error).unwrap_or(0) as u64,
        };
        let mut tags: Vec<&str> = self.setting.tags.iter().map(String::as_str).collect();
        let answer_tags: Vec<String> = response
            .header_values("cache-tag")
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if answer_tags.len() > 32 || !answer_tags.iter().all(|t| is_tag(t)) {
            return Err("cache-tag");
        }
        tags.extend(answer_tags.iter().map(String::as_str));
        // The body, in memory: a declared length within the limit is read,
        // anything else is sent as it is and not kept.
        let max_bytes = self.setting.max_bytes;
        // A status that has no body (204, 205) has none to read, declared or not.
        if matches!(response.status.0, 204 | 205) {
            response.body = ResponseBody::Empty;
        }
        let body = match std::mem::take(&mut response.body) {
            ResponseBody::Empty => Vec::new(),
            ResponseBody::Text(text) => text.into_bytes(),
            ResponseBody::Bytes(bytes) => bytes,
            ResponseBody::Problem(problem) => {
                response.body = ResponseBody::Problem(problem);
                return Err("problem");
            }
            ResponseBody::Stream(stream) => match (stream.length(), stream.take()) {
                (Some(length), Some(source)) if length <= max_bytes as u64 => {
                    let read = match self.read_within_ms {
                        Some(ms) => first(source.read(max_bytes), platform.sleep(ms)).await,
                        None => Ok(source.read(max_bytes).await),
                    };
                    match read {
                        Ok(Ok(bytes)) => bytes,
                        Ok(Err(_)) => {
                            *response = crate::problem::ApiError::of(
                                crate::problem::kinds::UPSTREAM_UNREACHABLE,
                                "The upstream's answer could not be read.",
                            )
                            .into_response();
                            return Err("unreadable");
                        }
                        Err(()) => {
                            *response = crate::problem::ApiError::of(
                                crate::problem::kinds::UPSTREAM_TIMEOUT,
                                "The upstream's answer did not arrive whole in time.",
                            )
                            .into_response();
                            return Err("unreadable");
                        }
                    }
                }
                (length, source) => {
                    if let Some(source) = source {
                        response.body = ResponseBody::Stream(StreamBody::new(source).with_length(length));
                    }
                    return Err("size");
                }
            },
        };
        if body.len() > max_bytes {
            response.body = ResponseBody::Bytes(body);
            return Err("size");
        }
        // What is sent from here on, whatever is kept.
        response.body = ResponseBody::Bytes(body.clone());
        let now_ms = platform.now_ms().max(0.0);
        let generations = generations(platform, self.setting.cache.as_deref(), key, &self.policy, &tags)
            .await
            .ok_or("cache-error")?;
        // A tag purged while the route was answering: this answer may be
        // what the purge meant to remove, so it is sent and not kept.
        let purged_since = generations
            .split(',')
            .filter_map(|pair| pair.split_once('=')?.1.split_once('.'))
            // Whole milliseconds: no float parsing (and its tables) in the wasm.
            .any(|(_, at)| at.parse::<u64>().is_ok_and(|at| at > since_ms.max(0.0) as u64));
        // The same for a key purged or invalidated here meanwhile.
        if purged_since || self.memory.invalidated_since(key, ticket.since_tick) {
            return Err("purged");
        }
        // The answer's headers (its own `Cache-Control` and `Vary` moved
        // after the gateway's), then the gateway's: the runtime keeps the
        // copy for its whole life, and they say how much of it is fresh.
        // `finish` took every header starting with `META` off already.
        let mut copy: Vec<(String, String)> = Vec::new();
        for (name, value) in response.headers() {
            if !matches!(name, "age" | "content-length" | "cache-control" | "vary") {
                copy.push((name.to_owned(), value.to_owned()));
            }
        }
        for (name, value) in [
            (META_STORED, (now_ms as u64).to_string()),
            (META_FRESH, fresh_s.to_string()),
            (META_STALE_IF_ERROR, stale_if_error_s.to_string()),
            (META_AGE, age0.to_string()),
            (META_TAGS, generations),
            (META_LENGTH, body.len().to_string()),
        ] {
            if !value.is_empty() {
                copy.push((name.to_owned(), value));
            }
        }
        let lifetime = (fresh_s + stale_if_error_s).clamp(1, MAX_LIFETIME_S);
        copy.push((
            "cache-control".to_owned(),
            cat(&["public, max-age=", &lifetime.to_string()]),
        ));
        for (name, value) in response.headers() {
            if matches!(name, "cache-control" | "vary") {
                copy.push((cat(&[META, name]), value.to_owned()));
            }
        }
        let stored = Rc::new(Stored {
            status: response.status.0,
            headers: copy,
            body,
            stored_at_ms: now_ms as u64,
            age0,
        });
        let cache = self.setting.cache.as_deref();
        if let Err(cause) = platform
            .cache_put(cache, key, stored.status, &stored.headers, &stored.body)
            .await
        {
            platform.log(&crate::policy::access_log::log_line(
                "warn",
                "cache store failed",
                &[("error", &cause)],
            ));
            return Err("cache-error");
        }
        if self.setting.memory_s > 0 {
            self.remember(Rc::from(key), stored.clone(), fresh_s, now_ms, ticket.since_tick);
        }
        Ok(stored)
    }

    /// Why an answer may not be kept in an entry `shared` by every caller, or by one.
    fn refusal(
        &self,
        response: &Response,
        directives: &Directives,
        request: &Request,
        shared: bool,
    ) -> Option<&'static str> {
        let status = response.status.0;
        if request.method != Method::Get {
            return Some("head");
        }
        let kept_status = ((200..=299).contains(&status) && status != 206) || self.setting.statuses.contains(&status);
        if !kept_status {
            return Some("status");
        }
        if response.header("set-cookie").is_some() {
            return Some("set-cookie");
        }
        // The runtime decodes what it fetched: the bytes read would not be
        // what the encoding and the length say.
        if response.header("content-encoding").is_some() {
            return Some("encoded");
        }
        if directives.no_store {
            return Some("no-store");
        }
        if directives.no_cache {
            return Some("no-cache");
        }
        if shared && directives.private {
            return Some("private");
        }
        // RFC 9111 §3.5: a shared cache keeps an authenticated request's
        // answer only when the answer says all may share it — whether the
        // gateway authenticated the caller or a public route passes the
        // caller's own `Authorization` on.
        let credentials = Principal::of(request).is_some() || request.headers.contains("authorization");
        if shared && credentials && !directives.public && directives.s_maxage.is_none() {
            return Some("authenticated");
        }
        // RFC 9111 §5.2.1.5: nothing of a request that says `no-store` is kept.
        let asked = Directives::parse(request.headers.get("cache-control").into_iter());
        if asked.no_store {
            return Some("request-no-store");
        }
        for field in response.header_values("vary").flat_map(|v| v.split(',')) {
            let field = field.trim().to_ascii_lowercase();
            if !field.is_empty() && !self.setting.vary.contains(&field) {
                return Some("vary");
            }
        }
        None
    }
}

impl Ticket {
    /// A miss on `key`, looked up at `since_ms` with the memory's count `since_tick`.
    fn keyed(key: Rc<str>, since_ms: f64, since_tick: u64) -> Ticket {
        Ticket {
            key: Some(key),
            stale: None,
            slot: None,
            fwd: "miss",
            since_ms,
            since_tick,
            answered: false,
        }
    }

    fn unkeyed() -> Ticket {
        Ticket {
            key: None,
            stale: None,
            slot: None,
            fwd: "bypass",
            since_ms: 0.0,
            since_tick: 0,
            answered: false,
        }
    }
}

impl Stored {
    /// The answer as sent from memory, `age_s` old.
    fn served(&self, age_s: u64, cache_status: String) -> Response {
        let body = ResponseBody::Bytes(self.body.clone());
        served(self.status, self.headers.clone(), body, age_s, cache_status)
    }
}

impl Entry {
    /// Its body's length, as the gateway kept it or the runtime declares it.
    fn length(&self) -> Option<u64> {
        self.headers
            .iter()
            .find(|(name, _)| name == META_LENGTH || name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<u64>().ok())
    }

    /// The entry as sent, its body streamed from the runtime's cache.
    fn served(self, cache_status: String) -> Response {
        let length = self.length();
        let body = ResponseBody::Stream(StreamBody::new(self.body).with_length(length));
        served(self.status, self.headers, body, self.age_s, cache_status)
    }
}

/// A kept answer as sent: the gateway's own headers (and the runtime's
/// `Content-Length`) off, its `Cache-Control` and `Vary` back, `Age` and
/// `Cache-Status` on.
fn served(
    status: u16,
    headers: Vec<(String, String)>,
    body: ResponseBody,
    age_s: u64,
    cache_status: String,
) -> Response {
    let mut response = Response::new(Status(status));
    // Moved, not copied: a hit's headers are the answer's.
    for (name, value) in headers {
        match name.strip_prefix(META) {
            Some("cache-control") => response.append_header("cache-control", value),
            Some("vary") => response.append_header("vary", value),
            Some(_) => {}
            None if name.eq_ignore_ascii_case("cache-control") || name.eq_ignore_ascii_case("content-length") => {}
            None => response.append_header(name, value),
        }
    }
    response.set_header("age", age_s);
    response.set_header(CACHE_STATUS, cache_status);
    // A HEAD's too: the gateway sends its length, not its bytes.
    response.body = body;
    response
}

/// The parts, one after the other.
fn cat(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

/// The request's `Host` when a key can be made with it: a name, an IPv4 or
/// a bracketed IPv6 address and a port — nothing that would end the key's
/// URL elsewhere (`/`, `?`, `#`) or be escaped in it.
pub(crate) fn key_host(request: &Request) -> Option<&str> {
    request.headers.get("host").filter(|host| {
        !host.is_empty()
            && host.len() <= 255
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    })
}

/// Whether the caller got in by a key and also sends an `Authorization`
/// (which an upstream may read): its entry's key names the key's consumer,
/// not what that header says. A token's caller is keyed on the token's own
/// subject.
fn authorization_beside_key(request: &Request) -> bool {
    request.headers.contains("authorization") && Principal::of(request).is_some_and(|p| p.scheme == Scheme::ApiKey)
}

/// A stale entry (`stale`) standing in for `failed`, the route's failed
/// answer, within its `stale-if-error` window.
fn stale_if_error(stale: Entry, ticket: &mut Ticket, failed: &Response, request: &mut Request, key: &str) -> Response {
    request.extensions.insert(CacheOutcome("stale-if-error"));
    let status = cache_status(
        &[
            "hit; fwd=stale; fwd-status=",
            &failed.status.0.to_string(),
            "; detail=stale-if-error",
        ],
        Some(key),
    );
    ticket.answered = true;
    stale.served(status)
}

/// A `Cache-Status` value: this cache's name, `parts`, and the key as a
/// structured-field string (RFC 8941: quoted, `\` and `"` escaped), from
/// its path on (as a purge takes it): the scheme and host are the
/// request's own, and proxies in front may rewrite absolute URLs in headers.
fn cache_status(parts: &[&str], key: Option<&str>) -> String {
    let mut out = cat(&[NAME]);
    for part in parts {
        out.push_str(part);
    }
    if let Some(key) = key {
        // Keys are `https://{host}{KEY_PREFIX}...` and a host has no `/`.
        let key = key
            .get(8..)
            .and_then(|rest| rest.find('/'))
            .map_or(key, |at| &key[8 + at..]);
        out.push_str("; key=\"");
        for c in key.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out
}

/// Where a tag's generation is kept: beside the entries of the same host.
fn tag_key(key: &str, policy: &str, tag: &str) -> String {
    let host_end = key[8..].find('/').map_or(key.len(), |i| i + 8);
    cat(&[
        &key[..host_end],
        KEY_PREFIX,
        "tag/",
        &percent_encode(policy),
        "/",
        &percent_encode(tag),
    ])
}

/// `tag=generation,...` for every tag, each given one if it has none yet;
/// none when the cache refused one.
async fn generations(
    platform: &dyn Platform,
    cache: Option<&str>,
    key: &str,
    policy: &str,
    tags: &[&str],
) -> Option<String> {
    let mut generations = String::new();
    for tag in tags {
        let generation = match tag_generation(platform, cache, key, policy, tag).await {
            Some(generation) => generation,
            None => new_generation(platform, cache, key, policy, tag, false).await?,
        };
        if !generations.is_empty() {
            generations.push(',');
        }
        generations.push_str(tag);
        generations.push('=');
        generations.push_str(&generation);
    }
    Some(generations)
}

/// The tag's current generation, if the cache has one.
async fn tag_generation(
    platform: &dyn Platform,
    cache: Option<&str>,
    key: &str,
    policy: &str,
    tag: &str,
) -> Option<String> {
    let found = platform.cache_match(cache, &tag_key(key, policy, tag)).await.ok()??;
    let bytes = found.body.read(64).await.ok()?;
    String::from_utf8(bytes).ok()
}

/// Gives the tag a new generation (a purge, or a first entry); it, or none
/// when the cache refused it.
async fn new_generation(
    platform: &dyn Platform,
    cache: Option<&str>,
    key: &str,
    policy: &str,
    tag: &str,
    purge: bool,
) -> Option<String> {
    // A purge's generation says when (`random.ms`): a fill that began
    // before it does not keep its answer.
    let generation = match purge {
        true => format!("{:016x}.{}", platform.random_u64(), platform.now_ms().max(0.0) as u64),
        false => format!("{:016x}", platform.random_u64()),
    };
    let headers = [("cache-control".to_owned(), GENERATION_CACHE_CONTROL.to_owned())];
    platform
        .cache_put(cache, &tag_key(key, policy, tag), 200, &headers, generation.as_bytes())
        .await
        .ok()?;
    Some(generation)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tag_generation_is_kept_as_long_as_any_answer() {
        let expected = format!("public, max-age={}", super::MAX_LIFETIME_S);
        assert_eq!(super::GENERATION_CACHE_CONTROL, expected);
    }
}
