//! The OpenAPI 3.1 document of a route table, generated on the host only.
//!
//! Everything the document says comes from what the gateway enforces: the
//! route table (paths, methods, access, policies, upstreams), the handlers'
//! types (extractors describe parameters and bodies, return types describe
//! successes) and the settings (token providers). Schemas come from
//! `schemars` derives, compiled for the host alone: the worker's wasm holds
//! none of this, only the committed document beside it as a static asset.
//!
//! On wasm this module is the [`Documented`] bound and the [`RouteDoc`]
//! placeholder, both empty, so route declarations read the same on both.

#[cfg(not(target_arch = "wasm32"))]
mod document;
#[cfg(not(target_arch = "wasm32"))]
mod operation;

#[cfg(not(target_arch = "wasm32"))]
pub use document::{document, Info};
#[cfg(not(target_arch = "wasm32"))]
pub use operation::Operation;
#[cfg(not(target_arch = "wasm32"))]
pub use schemars;

use crate::http::Status;
use crate::problem::ProblemKind;

/// A type the document can describe: `schemars::JsonSchema` on the host,
/// anything on wasm (where no document is made).
#[cfg(not(target_arch = "wasm32"))]
pub trait Documented: schemars::JsonSchema {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: schemars::JsonSchema + ?Sized> Documented for T {}

/// A type the document can describe (on wasm: any type).
#[cfg(target_arch = "wasm32")]
pub trait Documented {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> Documented for T {}

/// What a route's declaration adds to what its types say: a summary, the
/// problems its handler answers, and successes its return type cannot name
/// (a handler returning a `Response`). Kept on the host only.
#[derive(Clone, Default)]
pub struct RouteDoc {
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) summary: Option<&'static str>,
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) problems: Vec<ProblemKind>,
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) returns: Vec<(Status, operation::SchemaFn)>,
}

impl RouteDoc {
    #[allow(unused_variables)]
    pub(crate) fn set_summary(&mut self, summary: &'static str) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.summary = Some(summary);
        }
    }

    #[allow(unused_variables)]
    pub(crate) fn add_problems(&mut self, problems: &[ProblemKind]) {
        #[cfg(not(target_arch = "wasm32"))]
        self.problems.extend_from_slice(problems);
    }

    #[allow(unused_variables)]
    pub(crate) fn add_return<T: Documented + ?Sized>(&mut self, status: Status) {
        #[cfg(not(target_arch = "wasm32"))]
        self.returns.push((status, operation::schema_of::<T>));
    }
}
