//! The items API: list, create, get, update and delete, with validation,
//! keyset pagination and idempotent creates. The rules live here, over a small
//! [`ItemStore`] interface, so they are host-tested with the in-memory store;
//! the D1 store (in the wasm adapter) is tested end to end.

mod cursor;
mod handlers;
pub mod kinds;
mod memory;
mod model;
mod store;

pub use cursor::Cursor;
pub use handlers::{create, delete, get, list, update};
pub use memory::{FakeBackend, MemoryItems};
pub use model::{Item, ItemPage, ItemPatch, NewItem, DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
pub use store::{CreateOutcome, IdempotencyKey, ItemStore, StoreError, StoreFuture};
