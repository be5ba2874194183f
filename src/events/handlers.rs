//! The partner event routes: accept (`POST`) and status (`GET`), for
//! callers with an API key (see the route table).

use super::body::PartnerEvent;
use super::kinds as event_kinds;
use super::model::{json_object, quoted, Message};
use super::store::Reservation;
use crate::items::kinds as item_kinds;
use crate::items::IdempotencyKey;
use crate::AppState;
use edgegate::extract::{Log, Path, State};
use edgegate::http::{Response, Status};
use edgegate::policy::Principal;
use edgegate::problem::ApiError;

/// The 202 for the event `id` (also what a replay answers): `Accepted`.
fn accepted(id: String) -> Response {
    let body = json_object(&[("id", &quoted(&id)), ("status", r#""queued""#)]);
    Response::json_text(Status(202), body).with_header("location", String::from("/partners/events/") + &id)
}

/// `POST /partners/events`: 202 with `Location` once the Queue has the
/// event, never before. With `Idempotency-Key`, a repeat of the same
/// request answers the first 202 and sends nothing.
pub async fn accept(
    State(state): State<AppState>,
    log: Log,
    PartnerEvent {
        consumer,
        event,
        idempotency,
    }: PartnerEvent,
) -> Result<Response, ApiError> {
    let request_id = state.queue.new_id();
    let mut id = request_id.clone();
    if let Some(key) = &idempotency {
        let reservation = match state.events.reserve(key, &request_id).await {
            Ok(reservation) => reservation,
            // The claim may have been made before its answer was lost (a
            // connection dropped after D1 committed): given up, so the
            // retry the 503 asks for takes it over at once, not a 409 for
            // the ten minutes an abandoned claim is held.
            Err(cause) => return Err(given_up(&state, key, &request_id, cause.to_string()).await),
        };
        match reservation {
            // Its own id, or the first request's (whose send failed or
            // whose request went away): sent under that id again.
            Reservation::Reserved(event_id) => id = event_id,
            Reservation::Replay(first) => {
                return Ok(accepted(first).with_header("idempotent-replayed", "true"));
            }
            Reservation::KeyReused => {
                return Err(ApiError::of(
                    item_kinds::IDEMPOTENCY_KEY_REUSED,
                    "this Idempotency-Key was already used with a different request body",
                ))
            }
            Reservation::InProgress => {
                return Err(ApiError::of(
                    event_kinds::IDEMPOTENCY_KEY_IN_USE,
                    "a request with this Idempotency-Key is still being handled; retry after it",
                )
                .with_header("retry-after", "1"))
            }
        }
    }
    let message = Message {
        id,
        consumer,
        kind: event.kind,
        data: event.data,
        received_at: state.queue.now(),
    };
    if let Err(cause) = state.queue.send(message.to_json()).await {
        // Not accepted (or not known to be): the client's retry with the
        // key takes the claim over at once and sends the same event again.
        let text = String::from("queue send: ") + &cause;
        return Err(match &idempotency {
            Some(key) => given_up(&state, key, &request_id, text).await,
            None => ApiError::unavailable(text),
        });
    }
    // The Queue has it: the 202 stands even if this write fails, since the
    // consumer records the event from the message itself; until it does,
    // the event's `Location` answers 404, which the log line explains.
    if let Err(cause) = state.events.record_queued(&message).await {
        log.warn(
            "event sent but not recorded as queued",
            &[("event_id", &message.id), ("error", &cause.0)],
        );
    }
    Ok(accepted(message.id))
}

/// The 503 for a request that failed holding (or perhaps holding) the
/// claim on `key`, which it gives up first; `cause` (and the release's own
/// failure, if any) goes to the log only.
async fn given_up(state: &AppState, key: &IdempotencyKey, request_id: &str, mut cause: String) -> ApiError {
    if let Err(also) = state.events.release(key, request_id).await {
        cause.push_str("; releasing the idempotency key: item store: ");
        cause.push_str(&also.0);
    }
    ApiError::unavailable(cause)
}

/// Whether `id` is a UUID as the API makes them (lower-case hex, hyphens at 8, 13, 18, 23).
fn is_event_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// `GET /partners/events/{id}`: only to the consumer that sent it; anyone
/// else gets the same 404 as for an id that does not exist.
pub async fn status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("There is no such event.");
    if !is_event_id(&id) {
        return Err(missing());
    }
    match state.events.get(&id).await? {
        Some(record) if record.consumer == principal.qualified() => {
            Ok(Response::json_text(Status::OK, record.view().to_json()))
        }
        _ => Err(missing()),
    }
}
