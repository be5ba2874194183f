//! The item routes. Reads are public; writes need an API key (see the route table).

use serde::Deserialize;

use super::cursor::Cursor;
use super::model::{Item, ItemPage, ItemPatchBody, NewItemBody};
use super::store::CreateOutcome;
use crate::items::kinds as item_kinds;
use crate::AppState;
use edgegate::extract::{Json, Object, Path, Query, State};
use edgegate::http::{Created, Headers};
use edgegate::policy::Principal;
use edgegate::problem::kinds;
use edgegate::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    /// Items per page (default 20).
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    limit: Option<u32>,
    /// `next_cursor` of the page before, as it came.
    #[schemars(regex(pattern = super::cursor::PATTERN))]
    cursor: Option<String>,
}

/// `GET /items?limit=&cursor=`: oldest first, keyset-paginated by id.
pub async fn list(State(state): State<AppState>, Query(query): Query<ListQuery>) -> Result<Json<ItemPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::of(
            kinds::INVALID_QUERY,
            format!("query parameter `limit` must be between 1 and {MAX_LIMIT}, got {limit}"),
        )
        .with_extension("param", "limit"));
    }
    let after = match query.cursor.as_deref() {
        Some(text) => Cursor::decode(text)?.after,
        None => 0,
    };
    // One more than asked tells whether there is a next page.
    let mut items = state.items.list(after, limit + 1).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| Cursor { after: last.id }.encode())
    } else {
        None
    };
    Ok(Json(ItemPage { items, next_cursor }))
}

/// `POST /items`: 201 with `Location`. With `Idempotency-Key`, a repeat of
/// the same request returns the first result and creates nothing.
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    headers: Headers,
    Json(Object(body)): Json<Object<NewItemBody>>,
) -> Result<Created<Json<Item>>, ApiError> {
    let item = body.validate()?;
    let canonical = serde_json::to_vec(&item).map_err(ApiError::internal)?;
    let idempotency = crate::idempotency::key(&headers, idempotency_scope(&principal), &canonical)?;
    let (item, replayed) = match state.items.create(item, idempotency).await? {
        CreateOutcome::Created(item) => (item, false),
        CreateOutcome::Replayed(item) => (item, true),
        CreateOutcome::KeyReused => {
            return Err(ApiError::of(
                item_kinds::IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was already used with a different request body",
            ))
        }
    };
    let created = Created::at(format!("/items/{}", item.id), Json(item));
    Ok(match replayed {
        true => created.with_header("idempotent-replayed", "true"),
        false => created,
    })
}

fn missing(id: i64) -> ApiError {
    ApiError::not_found(format!("There is no item {id}.")).with_extension("id", id)
}

/// `GET /items/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Item>, ApiError> {
    state.items.get(id).await?.map(Json).ok_or_else(|| missing(id))
}

/// `PATCH /items/{id}`: the fields sent, with the create rules.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(Object(body)): Json<Object<ItemPatchBody>>,
) -> Result<Json<Item>, ApiError> {
    let patch = body.validate()?;
    state
        .items
        .update(id, patch)
        .await?
        .map(Json)
        .ok_or_else(|| missing(id))
}

/// `DELETE /items/{id}`: 204.
pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> Result<(), ApiError> {
    if state.items.delete(id).await? {
        Ok(())
    } else {
        Err(missing(id))
    }
}

/// Whose keys an `Idempotency-Key` is looked up among: the scheme, the
/// provider and the id, so a token whose subject is `dev` and the API-key
/// consumer `dev` never share keys.
fn idempotency_scope(principal: &Principal) -> String {
    let parts = [
        principal.scheme.as_str(),
        principal.provider.as_deref().unwrap_or(""),
        &principal.id,
    ];
    serde_json::to_string(&parts).unwrap_or_default()
}
