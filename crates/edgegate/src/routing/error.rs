//! Why a route table could not be built.

use std::fmt;

/// A mistake in the route table, found when it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// The template is not a valid path pattern.
    InvalidPath { path: String, reason: String },
    /// The template overlaps one registered before it (`/users/{id}` and `/users/{name}`).
    Conflict { path: String, with: String },
    /// The same method and path are declared twice.
    Duplicate { route: String },
    /// The route does not say whether it is public or needs an API key.
    MissingAccess { route: String },
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
                    "route `{route}` does not declare its access: add `.public()` or `.api_key()`"
                )
            }
        }
    }
}

impl std::error::Error for RouteError {}
