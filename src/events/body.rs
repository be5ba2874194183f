//! The extractor for `POST /partners/events`: who sends (the route's
//! principal), the body with the framework's JSON rules (content type, a
//! body, JSON that parses) and the event's own ([`NewEvent::from_json`]),
//! and the `Idempotency-Key`. One extractor rather than four: each
//! handler argument costs the wasm file its own glue.

use serde_json::Value;

use super::kinds as event_kinds;
use super::model::{EventBody, NewEvent};
use crate::items::IdempotencyKey;
use edgegate::describe::{Describe, Operation};
use edgegate::extract::FromRequest;
use edgegate::http::Request;
use edgegate::policy::Principal;
use edgegate::problem::{kinds, ApiError};

/// A validated event, who sent it, and its `Idempotency-Key` if it has one.
pub struct PartnerEvent {
    /// `Principal::qualified`: whose event it is, and whose keys the key is among.
    pub consumer: String,
    pub event: NewEvent,
    pub idempotency: Option<IdempotencyKey>,
}

/// `application/json` or `application/*+json`, any case, with or without parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split_once(';')
        .map_or(content_type, |(essence, _)| essence)
        .trim();
    let (kind, subtype) = essence.split_once('/').unwrap_or(("", ""));
    let subtype = subtype.as_bytes();
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case(b"json")
            || (subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case(b"+json")))
}

impl<S> FromRequest<S> for PartnerEvent {
    /// The `Idempotency-Key` is not among the headers the gateway reads.
    const READS_ALL_HEADERS: bool = true;

    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        let consumer = Principal::of(request)
            .map(Principal::qualified)
            .ok_or_else(|| ApiError::internal("POST /partners/events must be a route with access control"))?;
        let bytes = request.body_bytes();
        if bytes.is_empty() {
            return Err(ApiError::of(
                kinds::MISSING_BODY,
                "this route requires a JSON request body",
            ));
        }
        edgegate::extract::unencoded(request)?;
        let content_type = request.headers.get("content-type").unwrap_or("none");
        if !is_json(content_type) {
            return Err(ApiError::of(
                kinds::UNSUPPORTED_MEDIA_TYPE,
                format!("the request body must be `application/json`, got content type `{content_type}`"),
            ));
        }
        let body: Value = serde_json::from_slice(bytes).map_err(|error| {
            ApiError::of(
                kinds::MALFORMED_JSON,
                format!("the request body is not valid JSON: {error}"),
            )
        })?;
        let event = NewEvent::from_json(bytes, &body)?;
        let idempotency = crate::idempotency::key(&request.headers, consumer.clone(), &event.canonical())?;
        Ok(PartnerEvent {
            consumer,
            event,
            idempotency,
        })
    }
}

impl Describe for PartnerEvent {
    fn describe(op: &mut Operation) {
        op.json_body::<EventBody>(true);
        for kind in [
            kinds::UNSUPPORTED_MEDIA_TYPE,
            kinds::MALFORMED_JSON,
            kinds::INVALID_BODY,
            kinds::BODY_UNREADABLE,
            kinds::MISSING_BODY,
            event_kinds::INVALID_EVENT,
        ] {
            op.problem(kind);
        }
    }
}
