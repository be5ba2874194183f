//! The partner events API's own kinds of problem, beside the core's and the items API's.

use edgegate::http::Status;
use edgegate::problem::ProblemKind;

pub const INVALID_EVENT: ProblemKind = ProblemKind::new(
    "invalid-event",
    Status::UNPROCESSABLE_CONTENT,
    "An event's type or data breaks its rules (naming the field).",
);
pub const IDEMPOTENCY_KEY_IN_USE: ProblemKind = ProblemKind::new(
    "idempotency-key-in-use",
    Status::CONFLICT,
    "A request with this Idempotency-Key is still being handled: retry after it.",
);
