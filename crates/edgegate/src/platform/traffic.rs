//! What traffic control asks of the runtime: the Workers Rate Limiting
//! binding (approximate, per location, cheap) and the quota Durable Object
//! (exact, global), plus the names of the bindings a gateway calls, so a
//! missing one is found when the worker starts.

/// What a binding must be for the gateway to call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    /// A service binding (`[[services]]`): upstreams and functions.
    Service,
    /// A rate-limit binding (`[[ratelimits]]`).
    RateLimit,
    /// A Durable Object namespace (`[[durable_objects.bindings]]`): quotas.
    DurableObject,
}

impl BindingKind {
    /// The `wrangler.toml` section that declares such a binding.
    pub fn section(self) -> &'static str {
        match self {
            BindingKind::Service => "[[services]]",
            BindingKind::RateLimit => "[[ratelimits]]",
            BindingKind::DurableObject => "[[durable_objects.bindings]]",
        }
    }

    /// What the binding is called, in a log line.
    pub fn noun(self) -> &'static str {
        match self {
            BindingKind::Service => "service binding",
            BindingKind::RateLimit => "rate-limit binding",
            BindingKind::DurableObject => "Durable Object binding",
        }
    }
}

/// One window a quota counts in: at most `limit` requests per `seconds`,
/// the windows aligned to the clock (a day starts at 00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindow {
    /// The window's length, in seconds.
    pub seconds: u32,
    /// The most requests it admits.
    pub limit: u64,
}

/// What the quota object answered: whether the request was admitted (then
/// it was counted in every window; otherwise in none), and per window, in
/// the order asked, how many it has counted and how many seconds are left
/// until the window resets.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaCount {
    /// Whether the request was admitted (and counted).
    pub admitted: bool,
    /// Per window, in the order asked: how many it has counted, and the seconds until it resets.
    pub windows: Vec<(u64, u32)>,
}
