//! What the gateway needs from the runtime, and nothing more: a clock, some
//! randomness for request ids, a log, outbound HTTP ([`fetch`]: JWKS,
//! upstreams), signature verification ([`crypto`]: the runtime's
//! WebCrypto, so no RSA or ECDSA code is compiled into the wasm) and
//! traffic control's counters ([`traffic`]: the rate-limit binding and the
//! quota Durable Object). The Workers
//! adapter implements it with the runtime's APIs; host tests with
//! [`RecordingPlatform`](crate::testing::RecordingPlatform).

pub mod crypto;
pub mod fetch;
pub mod traffic;

use std::future::Future;
use std::pin::Pin;

pub use crypto::{SignatureAlgorithm, VerifyingKey};
pub use fetch::{FetchError, OutboundRequest, OutboundResponse};
pub use traffic::{BindingKind, QuotaCount, QuotaWindow};

/// A future the platform answers with; it may borrow the platform.
pub type PlatformFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// What the gateway needs from the runtime: the Workers adapter implements it,
/// host tests use [`RecordingPlatform`](crate::testing::RecordingPlatform).
pub trait Platform {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// Random bits for request ids (not for secrets).
    fn random_u64(&self) -> u64;
    /// Writes one log line (a JSON object).
    fn log(&self, line: &str);
    /// Resolves after about `ms` milliseconds: how a request waits for work
    /// another request is doing (the runtime cancels a request that waits
    /// with nothing of its own pending).
    fn sleep(&self, ms: u32) -> PlatformFuture<'_, ()>;
    /// Sends a request out (redirects are not followed) and answers the
    /// response head; its body is read on demand.
    fn fetch(&self, request: OutboundRequest) -> PlatformFuture<'_, Result<OutboundResponse, FetchError>>;
    /// Imports a public key given as a JWK (JSON text with only its public
    /// members) for verifying `algorithm`'s signatures. Imported once and kept.
    fn import_key(&self, jwk: &str, algorithm: SignatureAlgorithm) -> PlatformFuture<'_, Result<VerifyingKey, String>>;
    /// Whether `signature` is `algorithm`'s signature of `message` by `key`.
    fn verify<'a>(
        &'a self,
        key: &'a VerifyingKey,
        algorithm: SignatureAlgorithm,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> PlatformFuture<'a, Result<bool, String>>;
    /// Counts one request under `key` with the rate-limit binding `binding`
    /// (the Workers Rate Limiting API): whether it is within the limit. An
    /// error when the binding fails or is missing.
    fn rate_limit<'a>(&'a self, binding: &'a str, key: &'a str) -> PlatformFuture<'a, Result<bool, String>>;
    /// Counts one request under `key` in each of `windows`, in the quota
    /// Durable Object behind `binding` (one object per key), if every window
    /// has room; answers the counts. An error when the object cannot be reached.
    fn count_quota<'a>(
        &'a self,
        binding: &'a str,
        key: &'a str,
        windows: &'a [QuotaWindow],
    ) -> PlatformFuture<'a, Result<QuotaCount, String>>;
}
