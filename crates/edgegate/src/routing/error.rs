//! Why a route table could not be built.

use std::fmt;

/// A mistake in the route table, found when it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// The template is not a valid path pattern.
    InvalidPath {
        /// The template as declared.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The template overlaps one registered before it (`/users/{id}` and `/users/{name}`).
    Conflict {
        /// The template as declared.
        path: String,
        /// The earlier template it overlaps.
        with: String,
    },
    /// The same method and path are declared twice.
    Duplicate {
        /// The route, as `METHOD /path` (`ANY` for every method).
        route: String,
    },
    /// The route does not say who may call it.
    MissingAccess {
        /// The route, as `METHOD /path` (`ANY` for every method).
        route: String,
    },
    /// Two routes on one path name different CORS profiles or IP rules
    /// (those apply to a path: a preflight comes before the method is known).
    PolicyConflict {
        /// The path template.
        path: String,
        /// Which policies differ: `CORS profiles` or `IP rules`.
        policy: &'static str,
    },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::InvalidPath { path, reason } => write!(f, "route `{path}` is malformed: {reason}"),
            RouteError::Conflict { path, with } => write!(f, "route `{path}` conflicts with route `{with}`"),
            RouteError::Duplicate { route } => write!(f, "route `{route}` is declared twice"),
            RouteError::MissingAccess { route } => {
                write!(
                    f,
                    "route `{route}` does not declare its access: add `.public()`, `.api_key()` or `.access(..)`"
                )
            }
            RouteError::PolicyConflict { path, policy } => {
                write!(f, "routes on `{path}` name different {policy}: a path has one")
            }
        }
    }
}

impl std::error::Error for RouteError {}
