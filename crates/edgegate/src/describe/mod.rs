//! What declarations say for the OpenAPI document: each extractor's and
//! return type's part ([`Describe`], beside the runtime traits, never on
//! them), and what a route adds ([`RouteDoc`]). Below the route table, which
//! keeps a route's part when it is declared; the document itself is made by
//! [`crate::openapi`], on the host.
//!
//! Schemas come from `schemars` derives: an app type needs one derive,
//! `#[derive(Deserialize, schemars::JsonSchema)]`. A route keeps its types'
//! part as a function only on the host ([`RouteDoc`], the one place that
//! asks which target it is built for), so the worker's wasm links none of it.

mod operation;
mod types;

pub use operation::Operation;
pub(crate) use operation::{bound_integers, generator};
pub use types::{Describe, DescribeArguments};

use crate::http::Status;
use crate::problem::ProblemKind;

/// A type the document can describe: one with a `schemars::JsonSchema`.
pub trait Documented: schemars::JsonSchema {}
impl<T: schemars::JsonSchema + ?Sized> Documented for T {}

/// What a route's declaration adds to the document beyond its path and
/// policies: its types' part ([`Describe`]), a summary, the problems its
/// handler answers, and successes its return type cannot name (a handler
/// returning a `Response`). Kept on the host only.
#[derive(Clone)]
pub struct RouteDoc {
    pub(crate) summary: Option<&'static str>,
    pub(crate) problems: Vec<ProblemKind>,
    pub(crate) returns: Vec<(Status, operation::SchemaFn)>,
    /// Headers the route's answers of a status carry: status, name, description, required.
    pub(crate) headers: Vec<(Status, &'static str, &'static str, bool)>,
    /// Request headers its handler reads: name, description, required, schema (JSON text).
    pub(crate) request_headers: Vec<(&'static str, &'static str, bool, &'static str)>,
    /// The handler's extractors' and return type's part.
    pub(crate) describe: fn(&mut Operation),
}

impl Default for RouteDoc {
    fn default() -> RouteDoc {
        RouteDoc {
            summary: None,
            problems: Vec::new(),
            returns: Vec::new(),
            headers: Vec::new(),
            request_headers: Vec::new(),
            describe: |_| {},
        }
    }
}

/// Whether routes keep their document parts: on the host, where the
/// document is made; never in the worker's wasm, whose size is start-up.
const KEEPS_DOCS: bool = cfg!(not(target_arch = "wasm32"));

impl RouteDoc {
    pub(crate) fn set_summary(&mut self, summary: &'static str) {
        if KEEPS_DOCS {
            self.summary = Some(summary);
        }
    }

    pub(crate) fn add_problems(&mut self, problems: &[ProblemKind]) {
        if KEEPS_DOCS {
            self.problems.extend_from_slice(problems);
        }
    }

    pub(crate) fn add_header(&mut self, status: Status, name: &'static str, description: &'static str, required: bool) {
        if KEEPS_DOCS {
            self.headers.push((status, name, description, required));
        }
    }

    pub(crate) fn add_request_header(
        &mut self,
        name: &'static str,
        description: &'static str,
        required: bool,
        schema: &'static str,
    ) {
        if KEEPS_DOCS {
            self.request_headers.push((name, description, required, schema));
        }
    }

    pub(crate) fn add_return<T: Documented + ?Sized>(&mut self, status: Status) {
        if KEEPS_DOCS {
            self.returns.push((status, operation::schema_of::<T>));
        }
    }

    /// Keeps the part a handler taking `Args` and returning `Output` adds.
    pub(crate) fn describe_handler<Args: DescribeArguments, Output: Describe>(&mut self) {
        if KEEPS_DOCS {
            self.describe = |op| {
                Args::describe_arguments(op);
                Output::describe(op);
            };
        }
    }
}
