//! What the gateway needs from the runtime, and nothing more: a clock, some
//! randomness for request ids, a log, outbound HTTP ([`fetch`]: JWKS,
//! upstreams), signature verification ([`crypto`]: the runtime's
//! WebCrypto, so no RSA or ECDSA code is compiled into the wasm), the Cache
//! API, and bindings of any kind, by name and typed interface ([`binding`]). The
//! Workers adapter implements it with the runtime's APIs; host tests with
//! [`RecordingPlatform`](crate::testing::RecordingPlatform).

pub mod binding;
pub mod crypto;
pub mod fetch;

use std::future::Future;
use std::pin::Pin;

pub use binding::{AnyBinding, Binding, BindingKind};
pub use crypto::{SignatureAlgorithm, VerifyingKey};
pub use fetch::{FetchError, OutboundRequest, OutboundResponse};

/// A future the platform answers with; it may borrow the platform.
pub type PlatformFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The first of two futures to finish (`a` polled first): `Ok` with `a`'s
/// output, `Err` with `b`'s. With [`Platform::sleep`] as `b`, a deadline.
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> Result<A::Output, B::Output> {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(move |context| {
        if let std::task::Poll::Ready(output) = a.as_mut().poll(context) {
            return std::task::Poll::Ready(Ok(output));
        }
        b.as_mut().poll(context).map(Err)
    })
    .await
}

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
    /// The binding `name` as the interface `interface` (a [`Binding`]'s
    /// `TypeId`), as a `Box<Rc<T>>`; `None` when it has none such. Callers
    /// use the typed [`binding`](trait.Platform.html#method.binding) instead.
    fn binding_of(&self, _name: &str, _interface: std::any::TypeId) -> Option<AnyBinding> {
        None
    }
    /// The runtime's Cache API: the answer kept under `key` (a URL) in the
    /// cache `cache` (`None`: the default one), if any. A platform without
    /// one finds nothing.
    fn cache_match<'a>(
        &'a self,
        _cache: Option<&'a str>,
        _key: &'a str,
    ) -> PlatformFuture<'a, Result<Option<OutboundResponse>, String>> {
        Box::pin(std::future::ready(Ok(None)))
    }
    /// Keeps an answer under `key`; the runtime keeps it as long as its
    /// `Cache-Control` says.
    fn cache_put<'a>(
        &'a self,
        _cache: Option<&'a str>,
        _key: &'a str,
        _status: u16,
        _headers: &'a [(String, String)],
        _body: &'a [u8],
    ) -> PlatformFuture<'a, Result<(), String>> {
        Box::pin(std::future::ready(Err("this platform has no cache".to_owned())))
    }
    /// Removes what is kept under `key`: whether there was anything.
    fn cache_delete<'a>(&'a self, _cache: Option<&'a str>, _key: &'a str) -> PlatformFuture<'a, Result<bool, String>> {
        Box::pin(std::future::ready(Ok(false)))
    }
    /// Opens the span of one of the request's stages (`TRACE_SPANS`),
    /// named `name`, with the matched route's template and the method;
    /// nested in the span open, if one is. Nothing by default.
    fn open_span(&self, _name: &'static str, _route: Option<&str>, _method: &str) {}
    /// Closes the innermost span open: how its stage ended (`pass`, a
    /// problem's kind, `answered`) and, when the stage answered, the status.
    fn close_span(&self, _outcome: &str, _status: Option<u16>) {}
}
