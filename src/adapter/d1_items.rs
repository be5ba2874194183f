//! The item store on Cloudflare D1, through a few direct bindings to the D1
//! API. Every query is parameterised; rows come back as JSON (one
//! `JSON.stringify` per query) and D1's own error text goes to the log only
//! (the handlers answer 503).

use std::cell::OnceCell;

use js_sys::{Array, Promise, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js_error;
use crate::items::{CreateOutcome, IdempotencyKey, Item, ItemPatch, ItemStore, NewItem, StoreError, StoreFuture};

#[wasm_bindgen]
extern "C" {
    /// The `DB` binding.
    type Database;
    #[wasm_bindgen(method, catch)]
    fn prepare(this: &Database, sql: &str) -> Result<Statement, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn batch(this: &Database, statements: Array) -> Result<Promise, JsValue>;

    /// A prepared statement.
    type Statement;
    #[wasm_bindgen(method, catch, variadic)]
    fn bind(this: &Statement, values: &Array) -> Result<Statement, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn all(this: &Statement) -> Result<Promise, JsValue>;
}

const COLUMNS: &str = "id, name, description, created_at, updated_at";
/// RFC 3339 UTC with milliseconds, from the database's clock.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The store over the `DB` binding, looked up once, when a query first needs
/// it. A missing binding is a store failure (503).
pub struct D1Items {
    env: JsValue,
    db: OnceCell<Result<Database, String>>,
}

impl D1Items {
    pub fn new(env: JsValue) -> D1Items {
        D1Items {
            env,
            db: OnceCell::new(),
        }
    }

    fn db(&self) -> Result<&Database, StoreError> {
        self.db
            .get_or_init(|| match Reflect::get(&self.env, &JsValue::from_str("DB")) {
                Ok(db) if db.is_object() => Ok(db.unchecked_into()),
                _ => Err("D1 binding `DB` is not configured".into()),
            })
            .as_ref()
            .map_err(|e| StoreError(e.clone()))
    }

    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<Statement, StoreError> {
        let statement = self.db()?.prepare(sql).map_err(failed)?;
        statement.bind(&args.iter().collect::<Array>()).map_err(failed)
    }
}

fn failed(error: JsValue) -> StoreError {
    StoreError(js_error::text(&error))
}

fn id(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

fn text_or_null(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// The rows of one D1 result object, parsed from their JSON.
fn rows<T: DeserializeOwned>(result: &JsValue) -> Result<Vec<T>, StoreError> {
    let results = Reflect::get(result, &JsValue::from_str("results")).map_err(failed)?;
    let json = js_sys::JSON::stringify(&results).map_err(failed)?;
    serde_json::from_str(&String::from(json)).map_err(|e| StoreError(format!("unexpected D1 rows: {e}")))
}

async fn query<T: DeserializeOwned>(statement: Statement) -> Result<Vec<T>, StoreError> {
    let result = JsFuture::from(statement.all().map_err(failed)?).await.map_err(failed)?;
    rows(&result)
}

async fn first<T: DeserializeOwned>(statement: Statement) -> Result<Option<T>, StoreError> {
    Ok(query(statement).await?.into_iter().next())
}

impl ItemStore for D1Items {
    fn list(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<Item>> {
        Box::pin(async move {
            let sql = format!("SELECT {COLUMNS} FROM items WHERE id > ?1 ORDER BY id ASC LIMIT ?2");
            query(self.statement(&sql, &[id(after), JsValue::from(limit)])?).await
        })
    }

    fn get(&self, item_id: i64) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            let sql = format!("SELECT {COLUMNS} FROM items WHERE id = ?1");
            first(self.statement(&sql, &[id(item_id)])?).await
        })
    }

    fn create(&self, item: NewItem, idempotency: Option<IdempotencyKey>) -> StoreFuture<'_, CreateOutcome> {
        Box::pin(async move {
            let insert = self.statement(
                &format!(
                    "INSERT INTO items (name, description, created_at, updated_at) VALUES (?1, ?2, {NOW}, {NOW}) RETURNING {COLUMNS}"
                ),
                &[JsValue::from_str(&item.name), text_or_null(item.description.as_deref())],
            )?;
            let Some(key) = idempotency else {
                let created = first(insert)
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
                &format!(
                    "INSERT INTO idempotency_keys (consumer, key, fingerprint, response, created_at) \
                     SELECT ?1, ?2, ?3, json_object('id', id, 'name', name, 'description', description, \
                     'created_at', created_at, 'updated_at', updated_at), {NOW} FROM items WHERE id = last_insert_rowid()"
                ),
                &[JsValue::from_str(&key.consumer), JsValue::from_str(&key.key), JsValue::from_str(&key.fingerprint)],
            )?;
            let statements: Array = [expire, insert, record].into_iter().map(JsValue::from).collect();
            let batch = self.db()?.batch(statements).map_err(failed)?;
            match JsFuture::from(batch).await {
                Ok(results) => {
                    let inserted = Reflect::get(&results, &JsValue::from_f64(1.0)).map_err(failed)?;
                    let created = rows::<Item>(&inserted)?.into_iter().next();
                    created
                        .map(CreateOutcome::Created)
                        .ok_or_else(|| StoreError("INSERT returned no row".into()))
                }
                Err(error) if js_error::text(&error).contains("UNIQUE constraint failed") => {
                    #[derive(serde::Deserialize)]
                    struct Seen {
                        fingerprint: String,
                        response: String,
                    }
                    let seen = self.statement(
                        "SELECT fingerprint, response FROM idempotency_keys WHERE consumer = ?1 AND key = ?2",
                        &[JsValue::from_str(&key.consumer), JsValue::from_str(&key.key)],
                    )?;
                    let seen: Seen = first(seen).await?.ok_or_else(|| failed(error))?;
                    if seen.fingerprint != key.fingerprint {
                        return Ok(CreateOutcome::KeyReused);
                    }
                    serde_json::from_str(&seen.response)
                        .map(CreateOutcome::Replayed)
                        .map_err(|e| StoreError(format!("stored idempotent response is not an item: {e}")))
                }
                Err(error) => Err(failed(error)),
            }
        })
    }

    fn update(&self, item_id: i64, patch: ItemPatch) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            let sql = format!(
                "UPDATE items SET name = COALESCE(?2, name), \
                 description = CASE WHEN ?3 THEN ?4 ELSE description END, updated_at = {NOW} \
                 WHERE id = ?1 RETURNING {COLUMNS}"
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
            first(self.statement(&sql, &args)?).await
        })
    }

    fn delete(&self, item_id: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let deleted: Vec<serde_json::Value> =
                query(self.statement("DELETE FROM items WHERE id = ?1 RETURNING id", &[id(item_id)])?).await?;
            Ok(!deleted.is_empty())
        })
    }
}
