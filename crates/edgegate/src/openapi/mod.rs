//! The OpenAPI 3.1 document of a route table, made on the host from the
//! declarations alone: the route table (paths, methods, access, policy
//! specs, upstreams), what each route's types say ([`crate::describe`]) and
//! the settings (token providers). Beside the rest: nothing depends on it,
//! and the runtime path never reaches it.

mod document;

pub use crate::describe::{Describe, DescribeArguments, Documented, Operation, RouteDoc};
pub use document::{document, Info};
pub use schemars;
