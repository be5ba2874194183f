//! Every kind of problem the gateway and its extractors answer with, in one
//! place: the slug behind `type` (stable for clients to switch on), the
//! status, and what it means. An app declares its own kinds the same way.

use crate::http::Status;

/// One kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemKind {
    /// The last part of `type` (`urn:edgegate:problem:<slug>` by default).
    pub slug: &'static str,
    /// The status it is answered with.
    pub status: Status,
    /// When it is answered, for documentation.
    pub meaning: &'static str,
}

impl ProblemKind {
    /// A kind from its slug, status and meaning: how an app declares its own, as constants.
    pub const fn new(slug: &'static str, status: Status, meaning: &'static str) -> ProblemKind {
        ProblemKind { slug, status, meaning }
    }
}

macro_rules! kinds {
    ($($name:ident = $slug:literal, $status:ident, $meaning:literal;)*) => {
        $(
            #[doc = $meaning]
            pub const $name: ProblemKind = ProblemKind::new($slug, Status::$status, $meaning);
        )*
        /// The core's kinds, for documentation and tests.
        pub const CATALOGUE: &[ProblemKind] = &[$($name),*];
    };
}

kinds! {
    INVALID_HEADER = "invalid-header", BAD_REQUEST,
        "A request header has control characters or bytes that are not UTF-8, or a name that is not a token.";
    INVALID_REQUEST = "invalid-request", BAD_REQUEST, "The request method or target is not well-formed.";
    INVALID_PATH = "invalid-path", BAD_REQUEST, "An upstream route's path has a dot segment (`.`, `..`, in any spelling) or a backslash.";
    INVALID_PATH_PARAM = "invalid-path-param", BAD_REQUEST, "A path parameter does not parse into its type.";
    INVALID_QUERY = "invalid-query", BAD_REQUEST, "A query parameter is missing, unknown or does not parse.";
    MISSING_BODY = "missing-body", BAD_REQUEST, "The route requires a request body and none came.";
    MALFORMED_JSON = "malformed-json", BAD_REQUEST, "The body is not valid JSON (with line and column).";
    BODY_UNREADABLE = "body-unreadable", BAD_REQUEST, "The request body could not be read completely.";
    UNAUTHORIZED = "unauthorized", UNAUTHORIZED, "No credentials the route accepts, or invalid ones.";
    INSUFFICIENT_SCOPE = "insufficient-scope", FORBIDDEN, "A valid token without a scope the route requires (see WWW-Authenticate).";
    INSUFFICIENT_CLAIMS = "insufficient-claims", FORBIDDEN, "A valid token whose claims lack what the route needs.";
    IP_REFUSED = "ip-refused", FORBIDDEN, "The client address is refused by IP rules.";
    NOT_FOUND = "not-found", NOT_FOUND, "No route matches the path, or the resource does not exist.";
    METHOD_NOT_ALLOWED = "method-not-allowed", METHOD_NOT_ALLOWED, "The path has no route for the method (see Allow).";
    BODY_TOO_LARGE = "body-too-large", PAYLOAD_TOO_LARGE, "The request body is over the route's limit.";
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type", UNSUPPORTED_MEDIA_TYPE, "A JSON body was required but the content type is not JSON.";
    INVALID_BODY = "invalid-body", UNPROCESSABLE_CONTENT, "Valid JSON of the wrong shape (naming the field).";
    RATE_LIMITED = "rate-limited", TOO_MANY_REQUESTS, "Over the route's rate limit; retry after Retry-After (RateLimit-Policy says the limit).";
    QUOTA_EXCEEDED = "quota-exceeded", TOO_MANY_REQUESTS, "The caller's quota for the day or minute is used up; retry after Retry-After.";
    INTERNAL = "internal", INTERNAL_SERVER_ERROR, "The gateway or a handler failed; the cause is logged under the request id.";
    MISCONFIGURED = "misconfigured", INTERNAL_SERVER_ERROR, "The gateway's settings are invalid; it refuses every request.";
    CREDENTIALS_UNVERIFIABLE = "token-keys-unavailable", SERVICE_UNAVAILABLE, "A token provider's keys cannot be fetched now; retry after Retry-After.";
    UPSTREAM_UNREACHABLE = "upstream-unreachable", BAD_GATEWAY, "The route's upstream could not be reached (the cause is logged).";
    UPSTREAM_UNAVAILABLE = "upstream-unavailable", SERVICE_UNAVAILABLE, "Every target of the route's upstream is failing and ejected; retry after Retry-After.";
    UPSTREAM_TIMEOUT = "upstream-timeout", GATEWAY_TIMEOUT, "The route's upstream did not answer within the route's timeout.";
    UPSTREAM_INVALID_ANSWER = "upstream-invalid-answer", BAD_GATEWAY, "The route's function answered with no valid response object (the reason is logged).";
    TRAFFIC_CONTROL_UNAVAILABLE = "traffic-control-unavailable", SERVICE_UNAVAILABLE, "A fail-closed limiter or quota cannot count now; retry after Retry-After.";
    UNAVAILABLE = "unavailable", SERVICE_UNAVAILABLE, "A dependency (a database) failed; retry after Retry-After.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_lowercase_words_and_statuses_are_errors() {
        for (i, kind) in CATALOGUE.iter().enumerate() {
            assert!(
                kind.slug.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                kind.slug
            );
            assert!(
                CATALOGUE[..i].iter().all(|k| k.slug != kind.slug),
                "{} twice",
                kind.slug
            );
            assert!(kind.status.0 >= 400, "{}", kind.slug);
        }
    }
}
