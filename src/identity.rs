//! `GET /api/me`: who the caller authenticated as — a key's consumer or a
//! token's subject — as the gateway's principal says:
//! `{"id", "scheme", "provider", "claims"}` (claims: the token's whole
//! payload; null for an API key).

use edgegate::http::{Response, Status};
use edgegate::policy::Principal;

pub async fn me(principal: Principal) -> Response {
    Response::json_text(Status::OK, principal.to_json())
}
