//! The items API's own kinds of problem, beside the core's catalogue.

use edgegate::http::Status;
use edgegate::problem::ProblemKind;

pub const INVALID_ITEM: ProblemKind = ProblemKind::new(
    "invalid-item",
    Status::UNPROCESSABLE_CONTENT,
    "An item's name or description breaks its rules (naming the field).",
);
pub const INVALID_CURSOR: ProblemKind = ProblemKind::new(
    "invalid-cursor",
    Status::BAD_REQUEST,
    "The cursor is not in the API's format.",
);
pub const INVALID_IDEMPOTENCY_KEY: ProblemKind = ProblemKind::new(
    "invalid-idempotency-key",
    Status::BAD_REQUEST,
    "The Idempotency-Key header is not 1 to 255 visible ASCII characters.",
);
pub const IDEMPOTENCY_KEY_REUSED: ProblemKind = ProblemKind::new(
    "idempotency-key-reused",
    Status::UNPROCESSABLE_CONTENT,
    "The Idempotency-Key was used before with a different request body.",
);

/// The app's kinds, for documentation and tests.
pub const CATALOGUE: &[ProblemKind] = &[
    INVALID_ITEM,
    INVALID_CURSOR,
    INVALID_IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_REUSED,
];
