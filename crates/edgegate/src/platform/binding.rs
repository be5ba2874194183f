//! Bindings, open to any kind: a policy or a handler reaches one by name
//! through a typed interface it names itself (`dyn RateLimiter`, an app's
//! `dyn SeenSignatures`), as workers-rs's `EnvBinding` types do. The core
//! knows no list of kinds: a kind is a value ([`BindingKind`]) saying where
//! `wrangler.toml` declares it and how to recognise it at start-up, and an
//! interface is any `'static` type that implements [`Binding`].
//!
//! The Workers adapter makes each interface from the runtime's binding
//! (`edgegate_worker::Worker::binding`); host tests hand the platform a fake
//! (`RecordingPlatform::bind`).

use std::any::{Any, TypeId};
use std::rc::Rc;

use super::Platform;

/// What a binding must be: where `wrangler.toml` declares it, what a log
/// line calls it, and the method its runtime object has (how the adapter
/// checks, when the worker starts, that `env[name]` is one).
///
/// The kinds the core's own policies call are constants here; an app or a
/// policy outside the core makes its own (`BindingKind { section:
/// "[[kv_namespaces]]", noun: "KV namespace", method: "get" }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindingKind {
    /// The `wrangler.toml` section that declares it (`[[services]]`).
    pub section: &'static str,
    /// What a log line calls it (`service binding`).
    pub noun: &'static str,
    /// A method the runtime's object has (`fetch`).
    pub method: &'static str,
}

// Named as the enum's variants were, so `BindingKind::Service` reads the same.
#[allow(non_upper_case_globals)]
impl BindingKind {
    /// A service binding (`[[services]]`): upstreams and functions.
    pub const Service: BindingKind = BindingKind {
        section: "[[services]]",
        noun: "service binding",
        method: "fetch",
    };
    /// A rate-limit binding (`[[ratelimits]]`).
    pub const RateLimit: BindingKind = BindingKind {
        section: "[[ratelimits]]",
        noun: "rate-limit binding",
        method: "limit",
    };
    /// A Durable Object namespace (`[[durable_objects.bindings]]`): quotas.
    pub const DurableObject: BindingKind = BindingKind {
        section: "[[durable_objects.bindings]]",
        noun: "Durable Object binding",
        method: "idFromName",
    };

    /// The `wrangler.toml` section that declares such a binding.
    pub fn section(self) -> &'static str {
        self.section
    }

    /// What the binding is called, in a log line.
    pub fn noun(self) -> &'static str {
        self.noun
    }
}

/// A typed interface to a binding (usually `dyn SomeTrait`): what the
/// platform hands out by name.
pub trait Binding: 'static {
    /// What the binding behind it must be.
    const KIND: BindingKind;
}

impl dyn Platform + '_ {
    /// The binding `name` as the interface `T`, or why there is none (not
    /// bound, or bound as something else): the policy's or handler's to
    /// answer, failing open or closed as it says.
    pub fn binding<T: Binding + ?Sized>(&self, name: &str) -> Result<Rc<T>, String> {
        self.binding_of(name, TypeId::of::<T>())
            .and_then(|found| found.downcast::<Rc<T>>().ok())
            .map(|found| *found)
            .ok_or_else(|| format!("no {} `{name}`", T::KIND.noun))
    }
}

/// A binding of any interface, as a platform hands it out: a `Box<Rc<T>>`
/// for the interface `T` asked for.
pub type AnyBinding = Box<dyn Any>;
