//! The storage interface the item handlers use, so their rules are tested
//! without a database.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::model::{Item, ItemPatch, NewItem};
use edgegate::problem::ApiError;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + 'a>>;

/// Where items live. Ids increase with every create, so listing by id is
/// listing by creation, and a keyset cursor never skips or repeats an item.
pub trait ItemStore {
    /// Up to `limit` items with ids greater than `after`, ascending.
    fn list(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<Item>>;
    fn get(&self, id: i64) -> StoreFuture<'_, Option<Item>>;
    /// Creates an item; with an idempotency key, a repeat returns the first
    /// result, and the creation and the key are recorded atomically.
    fn create(&self, item: NewItem, idempotency: Option<IdempotencyKey>) -> StoreFuture<'_, CreateOutcome>;
    fn update(&self, id: i64, patch: ItemPatch) -> StoreFuture<'_, Option<Item>>;
    fn delete(&self, id: i64) -> StoreFuture<'_, bool>;
}

/// An `Idempotency-Key`, scoped to the consumer that sent it, with a
/// fingerprint of the request it first came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub consumer: String,
    pub key: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(Item),
    /// The key was seen before with the same request: the first result.
    Replayed(Item),
    /// The key was seen before with a different request.
    KeyReused,
}

/// The database failed. The text is for the log; clients get a 503.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item store: {}", self.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::unavailable(error)
    }
}
