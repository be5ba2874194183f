//! The item store on Cloudflare D1. Every query is parameterised; D1's own
//! error text goes to the log only (the handlers answer 503).
//!
//! The binding, statements and parameters are the `worker` crate's D1 types.
//! Statements run through their raw bindings, and rows come back as one JSON
//! text (`JSON.stringify` in the runtime) that `serde_json` decodes: the
//! parser the gateway carries anyway, instead of a second, JS-value
//! deserializer (`serde-wasm-bindgen`, and with it Rust's float formatting)
//! in the wasm file.

use std::cell::OnceCell;

use js_sys::{Array, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use worker::d1::{D1Database, D1PreparedStatement};

use crate::items::{CreateOutcome, IdempotencyKey, Item, ItemPatch, ItemStore, NewItem, StoreError, StoreFuture};

/// An item row's columns, for `concat!` (each query a literal: no `format!`).
/// The id comes back as text: D1 hands an INTEGER to JS as a Number, which
/// rounds ids above 2^53 (aliased apart from `id`, which `ORDER BY` would
/// otherwise read as the text and sort "10" before "9").
macro_rules! columns {
    () => {
        "CAST(id AS TEXT) AS id_text, name, description, created_at, updated_at"
    };
}
/// RFC 3339 UTC with milliseconds, from the database's clock (for `concat!`).
macro_rules! now {
    () => {
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    };
}
pub(crate) use now;

/// The `DB` binding, looked up only when a query needs it, so requests
/// that never touch the database pay nothing for it. A missing binding is a
/// store failure (503). Shared by the item and event stores.
pub(crate) struct D1 {
    env: JsValue,
    db: OnceCell<Result<D1Database, String>>,
}

impl D1 {
    pub(crate) fn new(env: JsValue) -> D1 {
        D1 {
            env,
            db: OnceCell::new(),
        }
    }

    pub(crate) fn db(&self) -> Result<&D1Database, StoreError> {
        self.db
            .get_or_init(|| {
                let env: &worker::Env = self.env.unchecked_ref();
                env.d1("DB")
                    .map_err(|_| String::from("D1 binding `DB` is missing or not a D1 database"))
            })
            .as_ref()
            .map_err(|e| StoreError(e.clone()))
    }

    /// `sql` with `args` bound (`?1`, `?2`, ...).
    pub(crate) fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
        let statement = self.db()?.prepare(sql);
        let bound = statement
            .inner()
            .bind(args.iter().collect::<Array>())
            .map_err(js_failed)?;
        Ok(D1PreparedStatement::from(bound))
    }
}

/// The item store over the `DB` binding.
pub struct D1Items(D1);

impl D1Items {
    pub fn new(env: JsValue) -> D1Items {
        D1Items(D1::new(env))
    }

    fn db(&self) -> Result<&D1Database, StoreError> {
        self.0.db()
    }

    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
        self.0.statement(sql, args)
    }
}

/// Runs the statements in one transaction: each one's result, in order, or
/// the error D1 threw (its text tells a constraint violation from an outage).
pub(crate) async fn batch(db: &D1Database, statements: &[D1PreparedStatement]) -> Result<Vec<JsValue>, JsValue> {
    let raw: &worker::worker_sys::D1Database = db.as_ref().unchecked_ref();
    let statements: Array = statements.iter().map(|s| JsValue::from(s.inner())).collect();
    let results = settle(raw.batch(statements)).await?;
    Ok(results.unchecked_into::<Array>().iter().collect())
}

pub(crate) fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

pub(crate) fn js_failed(error: JsValue) -> StoreError {
    StoreError(edgegate_worker::js_error::text(&error))
}

/// A D1 promise's outcome, awaited by the adapter's entry (`edgegate_worker::settle`).
async fn settle(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    edgegate_worker::settle(promise?).await
}

/// The rows of a D1 result object (`{ results: [...] }`).
pub(crate) fn decode_rows<T: DeserializeOwned>(result: &JsValue) -> Result<Vec<T>, StoreError> {
    let rows = Reflect::get(result, &JsValue::from_str("results")).map_err(js_failed)?;
    if rows.is_undefined() || rows.is_null() {
        return Ok(Vec::new());
    }
    let json = js_sys::JSON::stringify(&rows).map_err(js_failed)?;
    serde_json::from_slice(String::from(json).as_bytes()).map_err(failed)
}

/// Runs a statement for its effect: one future for every such write.
pub(crate) fn execute(statement: Result<D1PreparedStatement, StoreError>) -> StoreFuture<'static, ()> {
    Box::pin(async move { all_rows::<Value>(&statement?).await.map(drop) })
}

pub(crate) async fn all_rows<T: DeserializeOwned>(statement: &D1PreparedStatement) -> Result<Vec<T>, StoreError> {
    let result = settle(statement.inner().all()).await.map_err(js_failed)?;
    decode_rows(&result)
}

/// An id as decimal text, for `CAST(? AS INTEGER)`: a JS number would round
/// ids above 2^53 to a neighbour's.
fn id(value: i64) -> JsValue {
    JsValue::from_str(&value.to_string())
}

pub(crate) fn text_or_null(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

async fn first_item(statement: D1PreparedStatement) -> Result<Option<Item>, StoreError> {
    Ok(all_rows::<Item>(&statement).await?.into_iter().next())
}

impl ItemStore for D1Items {
    fn list(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<Item>> {
        Box::pin(async move {
            let sql = concat!(
                "SELECT ",
                columns!(),
                " FROM items WHERE id > CAST(?1 AS INTEGER) ORDER BY id ASC LIMIT ?2"
            );
            let statement = self.statement(sql, &[id(after), JsValue::from(limit)])?;
            all_rows::<Item>(&statement).await
        })
    }

    fn get(&self, item_id: i64) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            let sql = concat!("SELECT ", columns!(), " FROM items WHERE id = CAST(?1 AS INTEGER)");
            first_item(self.statement(sql, &[id(item_id)])?).await
        })
    }

    fn create(&self, item: NewItem, idempotency: Option<IdempotencyKey>) -> StoreFuture<'_, CreateOutcome> {
        Box::pin(async move {
            let insert = self.statement(
                concat!(
                    "INSERT INTO items (name, description, created_at, updated_at) VALUES (?1, ?2, ",
                    now!(),
                    ", ",
                    now!(),
                    ") RETURNING ",
                    columns!()
                ),
                &[JsValue::from_str(&item.name), text_or_null(item.description.as_deref())],
            )?;
            let Some(key) = idempotency else {
                let created = first_item(insert)
                    .await?
                    .ok_or_else(|| StoreError("INSERT returned no row".into()))?;
                return Ok(CreateOutcome::Created(created));
            };
            // One transaction: expire old keys, insert the item, record the key with
            // the response it produced. A key seen before fails the last insert, and
            // the whole batch (the item too) rolls back.
            let expire = self.statement(
                "DELETE FROM idempotency_keys WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')",
                &[],
            )?;
            let record = self.statement(
                concat!(
                    "INSERT INTO idempotency_keys (consumer, key, fingerprint, response, created_at) \
                     SELECT ?1, ?2, ?3, json_object('id', id, 'name', name, 'description', description, \
                     'created_at', created_at, 'updated_at', updated_at), ",
                    now!(),
                    " FROM items WHERE id = last_insert_rowid()"
                ),
                &[
                    JsValue::from_str(&key.consumer),
                    JsValue::from_str(&key.key),
                    JsValue::from_str(&key.fingerprint),
                ],
            )?;
            match batch(self.db()?, &[expire, insert, record]).await {
                Ok(results) => {
                    let created = results
                        .get(1)
                        .map(decode_rows::<Item>)
                        .transpose()?
                        .and_then(|rows| rows.into_iter().next())
                        .ok_or_else(|| StoreError("INSERT returned no row".into()))?;
                    Ok(CreateOutcome::Created(created))
                }
                Err(error) if edgegate_worker::js_error::text(&error).contains("UNIQUE constraint failed") => {
                    let seen = self.statement(
                        "SELECT fingerprint, response FROM idempotency_keys WHERE consumer = ?1 AND key = ?2",
                        &[JsValue::from_str(&key.consumer), JsValue::from_str(&key.key)],
                    )?;
                    // Rows as JSON values: the reader the gateway carries for
                    // tokens anyway, rather than one more derived for this row.
                    let seen = all_rows::<Value>(&seen)
                        .await?
                        .into_iter()
                        .next()
                        .ok_or_else(|| js_failed(error))?;
                    let text = |name: &str| seen.get(name).and_then(Value::as_str).unwrap_or_default();
                    if text("fingerprint") != key.fingerprint {
                        return Ok(CreateOutcome::KeyReused);
                    }
                    serde_json::from_slice(text("response").as_bytes())
                        .map(CreateOutcome::Replayed)
                        .map_err(failed)
                }
                Err(error) => Err(js_failed(error)),
            }
        })
    }

    fn update(&self, item_id: i64, patch: ItemPatch) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            let sql = concat!(
                "UPDATE items SET name = COALESCE(?2, name), \
                 description = CASE WHEN ?3 THEN ?4 ELSE description END, updated_at = ",
                now!(),
                " WHERE id = CAST(?1 AS INTEGER) RETURNING ",
                columns!()
            );
            let (set_description, description) = match &patch.description {
                Some(value) => (true, value.as_deref()),
                None => (false, None),
            };
            let args = [
                id(item_id),
                text_or_null(patch.name.as_deref()),
                JsValue::from(set_description as u8),
                text_or_null(description),
            ];
            first_item(self.statement(sql, &args)?).await
        })
    }

    fn delete(&self, item_id: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let statement = self.statement(
                "DELETE FROM items WHERE id = CAST(?1 AS INTEGER) RETURNING id",
                &[id(item_id)],
            )?;
            Ok(!all_rows::<Value>(&statement).await?.is_empty())
        })
    }
}
