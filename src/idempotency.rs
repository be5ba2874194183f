//! The `Idempotency-Key` header, as the items and events APIs read it: 1 to
//! 255 visible ASCII characters, scoped to the caller, with a fingerprint of
//! the request it first came with.

use crate::items::kinds as item_kinds;
use crate::items::IdempotencyKey;
use edgegate::digest::sha256;
use edgegate::http::{hex_encode, Headers};
use edgegate::problem::ApiError;

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The request's key, if it sent one, for `consumer`, fingerprinting
/// `canonical` (the validated request, serialized); a malformed key is a 400.
pub fn key(headers: &Headers, consumer: String, canonical: &[u8]) -> Result<Option<IdempotencyKey>, ApiError> {
    match headers.get(IDEMPOTENCY_HEADER) {
        None => Ok(None),
        Some(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(IdempotencyKey {
                consumer,
                key: key.to_owned(),
                fingerprint: hex_encode(&sha256(canonical)),
            }))
        }
        Some(_) => Err(ApiError::of(
            item_kinds::INVALID_IDEMPOTENCY_KEY,
            "the Idempotency-Key header must be 1 to 255 visible ASCII characters",
        )),
    }
}
