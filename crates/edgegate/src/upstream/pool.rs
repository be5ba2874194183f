//! An upstream's targets at run time, shared by every route that names the
//! upstream: which target a request tries first, which are ejected after
//! failing (passive health, a circuit breaker per target), and how many
//! retries the upstream may still spend. All of it lives in one isolate: the
//! platform runs many, and each learns on its own, from its own requests.
//!
//! A target that fails `eject_after` times in a row is ejected for
//! `eject_ms`; then it is half-open: one request tries it. If that one
//! fails, it is ejected again for twice as long (up to `max_eject_ms`); if
//! it succeeds, it is healthy again.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::Value;

use super::targets::{Address, CanarySetting, Choice, UpstreamSetting};
use crate::http::Request;
use crate::policy::Principal;

/// Retries and requests are counted over this sliding window.
const WINDOW_MS: f64 = 10_000.0;
/// Retries a window allows whatever the budget's share (a quiet upstream
/// may still fail over).
const MIN_RETRIES: f64 = 3.0;
/// How long past its call's deadline a half-open trial that never reported
/// back (its request went quiet) still holds the target.
const TRIAL_GRACE_MS: f64 = 1_000.0;

/// One upstream's targets and their health.
pub struct Pool {
    /// The upstream's name (`UPSTREAMS` entry or binding).
    pub name: Rc<str>,
    /// Its targets, in the order the entry lists them.
    pub targets: Vec<Target>,
    choice: Choice,
    retry_on: Vec<u16>,
    eject_after: u32,
    eject_ms: f64,
    max_eject_ms: f64,
    budget: RetryBudget,
    /// The second upstream that takes a share of the requests.
    pub canary: Option<Canary>,
}

/// One target: where it is, and how it has been answering.
pub struct Target {
    /// The base URL (a binding's is `https://<binding>/`: the host only labels the call).
    pub base: String,
    /// The service binding it is called through, if any.
    pub service: Option<String>,
    /// How the access log names it (a URL without its user info, or the binding).
    pub label: Rc<str>,
    weight: u32,
    health: Cell<Health>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Health {
    /// Failures in a row.
    failures: u32,
    /// Ejections in a row (the back-off doubles with each); non-zero while
    /// ejected or half-open.
    ejections: u32,
    ejected_until: f64,
    /// Until when the half-open trial request holds the target, while it runs.
    trial_until: Option<f64>,
}

impl Health {
    fn available(&self, now: f64) -> bool {
        self.ejected_until <= now && (self.ejections == 0 || self.trial_until.is_none_or(|until| now > until))
    }
}

/// A call to one target, from its `begin` until it says how it went: a
/// call dropped before then (its request went away) frees the half-open
/// trial it held, if it still holds it.
pub struct Begun<'a> {
    pool: &'a Pool,
    index: usize,
    trial_until: Option<f64>,
}

impl Begun<'_> {
    /// Says how the call went ([`Pool::record`]).
    pub fn record(mut self, ok: bool, now: f64) {
        let held = self.trial_until.take();
        self.pool.record(self.index, ok, now, held);
    }

    /// Says the call told nothing of the target: the half-open trial it
    /// holds, if it still holds one, is free for the next request at once
    /// (what dropping it does).
    pub fn release(self) {}
}

impl Drop for Begun<'_> {
    fn drop(&mut self) {
        if let Some(until) = self.trial_until {
            let cell = &self.pool.targets[self.index].health;
            let mut health = cell.get();
            if health.trial_until == Some(until) {
                health.trial_until = None;
                cell.set(health);
            }
        }
    }
}

/// Why a target was not used, or not used again (the access log's `upstream_skipped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Ejected (or half-open, its trial taken by another request).
    Ejected,
    /// Could not be reached.
    Unreachable,
    /// Did not answer in time.
    Timeout,
    /// Answered a status that counts as a failure.
    Status(u16),
}

impl Skip {
    /// How the access log says it (a status follows `status`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Skip::Ejected => "ejected",
            Skip::Unreachable => "unreachable",
            Skip::Timeout => "timeout",
            Skip::Status(_) => "status",
        }
    }
}

impl Pool {
    /// The pool of an `UPSTREAMS` entry (or a single address), with its canary's pool.
    pub fn new(name: &str, setting: &UpstreamSetting, canary: Option<(Rc<Pool>, &CanarySetting)>) -> Pool {
        Pool {
            name: Rc::from(name),
            targets: setting
                .targets
                .iter()
                .map(|target| {
                    let (base, service, label) = match &target.address {
                        Address::Url(url) => (url.clone(), None, without_user_info(url)),
                        Address::Binding(binding) => (
                            format!("https://{}/", binding.to_ascii_lowercase()),
                            Some(binding.clone()),
                            binding.clone(),
                        ),
                    };
                    Target {
                        base,
                        service,
                        label: Rc::from(label),
                        weight: target.weight,
                        health: Cell::new(Health::default()),
                    }
                })
                .collect(),
            choice: setting.choice,
            retry_on: setting.retry_on.clone(),
            eject_after: setting.eject_after,
            eject_ms: setting.eject_ms as f64,
            max_eject_ms: setting.max_eject_ms as f64,
            budget: RetryBudget::new(setting.retry_budget),
            canary: canary.map(|(pool, setting)| Canary::new(pool, setting)),
        }
    }

    /// The pool this request goes to: the canary's when its rules take it.
    pub fn for_request<'a>(&'a self, request: &Request, random: u64) -> &'a Pool {
        match &self.canary {
            Some(canary) if canary.takes(request, self.sticky_key(request).as_deref(), random) => &canary.pool,
            _ => self,
        }
    }

    /// The principal a sticky pool keys on.
    pub fn sticky_key(&self, request: &Request) -> Option<String> {
        match self.choice {
            Choice::Principal => Principal::of(request).map(Principal::qualified),
            Choice::Random => None,
        }
    }

    /// The targets to try, in order: the chosen one first (by weight at
    /// random, or by `key`: one caller, one target), then the others in the
    /// order the entry lists them (its order is the failover preference). Ejected
    /// targets are left out; when every one is, how long until the first
    /// comes back (ms).
    pub fn order(&self, key: Option<&str>, now: f64, random: u64) -> Result<Vec<usize>, f64> {
        let mut order: Vec<usize> = (0..self.targets.len())
            .filter(|&i| self.targets[i].health.get().available(now))
            .collect();
        if order.is_empty() {
            let wait = self
                .targets
                .iter()
                .map(|t| t.health.get().ejected_until - now)
                .fold(f64::INFINITY, f64::min);
            // Half-open targets whose trials are running: ask again in a second.
            return Err(if wait > 0.0 { wait } else { 1000.0 });
        }
        if order.len() == 1 {
            return Ok(order);
        }
        // The first choice is a ticket drawn over every target's weight, so
        // that while a target is available its callers keep it, and an
        // ejected one's callers are dealt over the rest.
        let total: u64 = self.targets.iter().map(|t| t.weight as u64).sum();
        let ticket = match key {
            Some(key) => hash(key, ""),
            None => random,
        };
        let mut chosen = self.holder_of(ticket % total);
        if !order.contains(&chosen) {
            let available: u64 = order.iter().map(|&i| self.targets[i].weight as u64).sum();
            let mut rest = match key {
                Some(key) => hash(key, "again"),
                None => random.rotate_left(32),
            } % available;
            for &i in &order {
                let weight = self.targets[i].weight as u64;
                if rest < weight {
                    chosen = i;
                    break;
                }
                rest -= weight;
            }
        }
        // The chosen first, then the others in the order the entry lists them.
        if let Some(at) = order.iter().position(|&i| i == chosen) {
            order[..=at].rotate_right(1);
        }
        Ok(order)
    }

    /// The target whose share of the weights holds `ticket` (< the total).
    fn holder_of(&self, mut ticket: u64) -> usize {
        for (i, target) in self.targets.iter().enumerate() {
            if ticket < target.weight as u64 {
                return i;
            }
            ticket -= target.weight as u64;
        }
        self.targets.len() - 1
    }

    /// Takes target `index` for one call that ends by `deadline`: none when
    /// it is no longer available (another request took its half-open trial
    /// meanwhile).
    pub fn begin(&self, index: usize, now: f64, deadline: f64) -> Option<Begun<'_>> {
        let cell = &self.targets[index].health;
        let mut health = cell.get();
        if !health.available(now) {
            return None;
        }
        let mut trial_until = None;
        if health.ejections > 0 {
            trial_until = Some(deadline.max(now) + TRIAL_GRACE_MS);
            health.trial_until = trial_until;
            cell.set(health);
        }
        Some(Begun {
            pool: self,
            index,
            trial_until,
        })
    }

    /// Whether an answer with this status counts as the target's failure.
    pub fn fails_with(&self, status: u16) -> bool {
        self.retry_on.contains(&status)
    }

    /// Records how a call to target `index` went; `held` is the half-open
    /// trial it began as, if any. While the target is ejected or half-open
    /// only its current trial's answer counts: calls begun before the
    /// ejection (or a trial since given up) say nothing more of it — a late
    /// success no more ends an ejection than a late failure lengthens it.
    fn record(&self, index: usize, ok: bool, now: f64, held: Option<f64>) {
        let cell = &self.targets[index].health;
        let mut health = cell.get();
        let is_trial = held.is_some() && health.trial_until == held;
        if health.ejections > 0 && !is_trial {
            return;
        }
        if ok {
            cell.set(Health::default());
            return;
        }
        health.failures += 1;
        if health.ejections > 0 || health.failures >= self.eject_after {
            health.ejections = health.ejections.saturating_add(1);
            let backoff = self.eject_ms * (1u64 << (health.ejections.min(30) - 1)) as f64;
            health.ejected_until = now + backoff.min(self.max_eject_ms);
            health.failures = 0;
            health.trial_until = None;
        }
        cell.set(health);
    }

    /// Counts a request against the retry budget's window.
    pub fn note_request(&self, now: f64) {
        self.budget.note_request(now);
    }

    /// Spends one retry if the budget allows it.
    pub fn take_retry(&self, now: f64) -> bool {
        self.budget.take_retry(now)
    }
}

/// At most `percent` retries on top of the requests over a sliding window
/// (two fixed windows, the older weighted by how much of it still
/// overlaps), so a failing upstream is not hammered by retry storms.
struct RetryBudget {
    percent: u32,
    window: Cell<Window>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: f64,
    requests: f64,
    retries: f64,
    earlier_requests: f64,
    earlier_retries: f64,
}

impl RetryBudget {
    fn new(percent: u32) -> RetryBudget {
        RetryBudget {
            percent,
            window: Cell::new(Window::default()),
        }
    }

    fn rolled(&self, now: f64) -> Window {
        let mut window = self.window.get();
        if now - window.start >= WINDOW_MS {
            let adjacent = now - window.start < 2.0 * WINDOW_MS;
            window = Window {
                start: window.start + ((now - window.start) / WINDOW_MS).floor() * WINDOW_MS,
                earlier_requests: if adjacent { window.requests } else { 0.0 },
                earlier_retries: if adjacent { window.retries } else { 0.0 },
                ..Window::default()
            };
        }
        window
    }

    fn note_request(&self, now: f64) {
        let mut window = self.rolled(now);
        window.requests += 1.0;
        self.window.set(window);
    }

    fn take_retry(&self, now: f64) -> bool {
        let mut window = self.rolled(now);
        let overlap = 1.0 - ((now - window.start) / WINDOW_MS).clamp(0.0, 1.0);
        let requests = window.requests + window.earlier_requests * overlap;
        let retries = window.retries + window.earlier_retries * overlap;
        let allowed = (requests * self.percent as f64 / 100.0).max(MIN_RETRIES);
        if self.percent == 0 || retries + 1.0 > allowed {
            self.window.set(window);
            return false;
        }
        window.retries += 1.0;
        self.window.set(window);
        true
    }
}

/// A canary: a second upstream that takes the requests its rules match, and
/// a share of the others.
pub struct Canary {
    /// The canary upstream's own pool.
    pub pool: Rc<Pool>,
    basis_points: u32,
    header: Option<(String, String)>,
    principals: Vec<String>,
    claim: Option<(String, Value)>,
}

impl Canary {
    fn new(pool: Rc<Pool>, setting: &CanarySetting) -> Canary {
        Canary {
            pool,
            basis_points: setting.basis_points,
            header: setting.header.clone(),
            principals: setting.principals.clone(),
            claim: setting.claim.clone(),
        }
    }

    /// Whether the canary takes this request: a rule matches it, or it falls
    /// in the share (by `key` when the pool is sticky, so one caller stays on
    /// one side; else at random).
    fn takes(&self, request: &Request, key: Option<&str>, random: u64) -> bool {
        if let Some((name, value)) = &self.header {
            if request.headers.get(name) == Some(value.as_str()) {
                return true;
            }
        }
        let principal = Principal::of(request);
        if let Some(principal) = principal {
            if self.principals.iter().any(|id| **id == *principal.id) {
                return true;
            }
            if let (Some((name, value)), Some(claims)) = (&self.claim, &principal.claims) {
                if claims.get(name) == Some(value) {
                    return true;
                }
            }
        }
        let roll = match key {
            Some(key) => hash(key, "canary"),
            None => random,
        };
        roll % 10_000 < self.basis_points as u64
    }
}

/// A URL as the log names it: without `user:password@`.
fn without_user_info(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// FNV-1a over both strings, finished by SplitMix64's mixer: a well-spread
/// 64-bit hash (not secret: it only spreads callers over targets).
fn hash(key: &str, salt: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain([0xff]).chain(salt.bytes()) {
        h = (h ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One target that is ejected after `eject_after` failures, for 1 s first.
    fn one_target(eject_after: u32) -> Pool {
        let setting = UpstreamSetting::from_json(serde_json::json!({
            "targets": ["https://eu.example.com"],
            "eject_after": eject_after, "eject_ms": 1000, "max_eject_ms": 60000,
        }))
        .unwrap();
        Pool::new("origin", &setting, None)
    }

    #[test]
    fn calls_begun_before_an_ejection_do_not_lengthen_it() {
        // Twenty requests waiting on a hung target all time out at once:
        // the first ejects it for 1 s; the others began before it, and say
        // nothing more (they are not its half-open trial).
        let pool = one_target(1);
        let calls: Vec<_> = (0..20).map(|_| pool.begin(0, 0.0, 15000.0).unwrap()).collect();
        for call in calls {
            call.record(false, 100.0);
        }
        assert_eq!(pool.order(None, 1200.0, 0), Ok(vec![0]), "ejected for 1 s, not 2^19");
        // Its trial fails: ejected again, for twice as long.
        pool.begin(0, 1200.0, 2000.0).unwrap().record(false, 1300.0);
        assert!(pool.order(None, 3200.0, 0).is_err());
        assert_eq!(pool.order(None, 3400.0, 0), Ok(vec![0]));
    }

    /// A call begun at 0, another failing at 10 ms (ejecting the target
    /// for 1 s), and the half-open trial taken at 1.1 s: (before, trial).
    fn half_open(pool: &Pool) -> (Begun<'_>, Begun<'_>) {
        let before = pool.begin(0, 0.0, 15000.0).unwrap();
        pool.begin(0, 0.0, 15000.0).unwrap().record(false, 10.0);
        (before, pool.begin(0, 1100.0, 2000.0).unwrap())
    }

    #[test]
    fn only_the_trial_decides_a_half_open_target() {
        let pool = one_target(1);
        // Half-open at 1 s: one request takes the trial.
        let (late, trial) = half_open(&pool);
        assert!(pool.begin(0, 1100.0, 2000.0).is_none(), "one trial at a time");
        // A call from before the ejection fails meanwhile: the trial stands.
        late.record(false, 1200.0);
        assert!(pool.begin(0, 1250.0, 2000.0).is_none(), "still the trial's");
        // The trial fails: ejected for twice the first time, from then.
        trial.record(false, 1300.0);
        assert!(pool.order(None, 3200.0, 0).is_err());
        assert_eq!(pool.order(None, 3400.0, 0), Ok(vec![0]));
    }

    #[test]
    fn a_late_success_neither_ends_an_ejection_nor_resets_its_back_off() {
        let pool = one_target(1);
        let (before, trial) = half_open(&pool);
        // A call begun before the ejection answers well at last: the
        // target stays half-open, its trial held.
        before.record(true, 1150.0);
        assert!(pool.begin(0, 1150.0, 2000.0).is_none(), "still the trial's");
        // The trial fails: ejected for twice the first time (the count of
        // ejections kept), from then.
        trial.record(false, 1300.0);
        assert!(pool.order(None, 3200.0, 0).is_err());
        assert_eq!(pool.order(None, 3400.0, 0), Ok(vec![0]));
        // The trial's own success ends it.
        pool.begin(0, 3400.0, 4000.0).unwrap().record(true, 3500.0);
        assert!(pool.begin(0, 3500.0, 4000.0).is_some());
        assert!(pool.begin(0, 3500.0, 4000.0).is_some(), "healthy: no trial to hold");
    }

    #[test]
    fn a_late_success_while_ejected_leaves_the_target_out() {
        let pool = one_target(1);
        let early = pool.begin(0, 0.0, 15000.0).unwrap();
        pool.begin(0, 0.0, 15000.0).unwrap().record(false, 10.0);
        early.record(true, 500.0);
        assert!(pool.order(None, 600.0, 0).is_err(), "ejected until 1.01 s");
    }

    #[test]
    fn a_call_that_tells_nothing_frees_only_its_own_trial() {
        let pool = one_target(1);
        let (before, trial) = half_open(&pool);
        // The client's body failed on a call that began before the ejection.
        before.release();
        assert!(pool.begin(0, 1150.0, 2000.0).is_none(), "the trial is still held");
        trial.release();
        assert!(pool.begin(0, 1150.0, 2000.0).is_some(), "freed by its holder");
    }

    #[test]
    fn the_log_never_sees_a_targets_user_info() {
        assert_eq!(
            without_user_info("https://u:p@eu.example.com/v1"),
            "https://eu.example.com/v1"
        );
        assert_eq!(
            without_user_info("https://eu.example.com/v1"),
            "https://eu.example.com/v1"
        );
        assert_eq!(
            without_user_info("https://eu.example.com/a@b"),
            "https://eu.example.com/a@b"
        );
    }
}
