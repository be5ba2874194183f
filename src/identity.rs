//! `GET /api/me`: who the caller authenticated as — a key's consumer or a
//! token's subject — as the gateway's principal says.

use serde::Serialize;
use serde_json::Value;

use edgegate::extract::Json;
use edgegate::policy::Principal;

#[derive(Debug, Serialize)]
pub struct Me {
    id: String,
    scheme: &'static str,
    provider: Option<String>,
    /// The token's whole payload; none for an API key.
    claims: Option<Value>,
}

pub async fn me(principal: Principal) -> Json<Me> {
    Json(Me {
        id: principal.id.to_string(),
        scheme: principal.scheme.as_str(),
        provider: principal.provider.as_deref().map(str::to_owned),
        claims: principal.claims.as_deref().cloned(),
    })
}
