//! An in-memory [`ItemStore`] with the same semantics as the D1 one: for host
//! tests, and for running the core without a database.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::model::{Item, ItemPatch, NewItem};
use super::store::{CreateOutcome, IdempotencyKey, ItemStore, StoreError, StoreFuture};
use edgegate::time::rfc3339;

/// What the in-memory fakes share: a clock that moves a millisecond per
/// write, from 2026-01-01, and an outage that, when set, fails every call.
#[derive(Default)]
pub struct FakeBackend {
    clock_ms: Cell<u64>,
    failure: RefCell<Option<String>>,
}

/// The fake clock's start, 2026-01-01, in ms since the epoch.
const EPOCH_MS: f64 = 1_767_225_600_000.0;

impl FakeBackend {
    /// One whose every call fails with `cause`.
    pub fn failing(cause: &str) -> FakeBackend {
        FakeBackend {
            failure: RefCell::new(Some(cause.to_owned())),
            ..FakeBackend::default()
        }
    }

    /// The outage, if there is one.
    pub fn check(&self) -> Result<(), StoreError> {
        match &*self.failure.borrow() {
            Some(cause) => Err(StoreError(cause.clone())),
            None => Ok(()),
        }
    }

    /// Ends the outage: every call succeeds from now on.
    pub fn recover(&self) {
        self.failure.replace(None);
    }

    /// The clock's next time.
    pub fn now(&self) -> String {
        rfc3339(EPOCH_MS + self.tick() as f64)
    }

    /// The time `ms` before the clock's now (the clock does not move).
    pub fn ago(&self, ms: u64) -> String {
        rfc3339(EPOCH_MS + self.clock_ms.get() as f64 - ms as f64)
    }

    /// The clock's next time, in milliseconds since it began.
    pub fn tick(&self) -> u64 {
        self.clock_ms.set(self.clock_ms.get() + 1);
        self.clock_ms.get()
    }

    /// Moves the clock on by `ms` (a test's wait).
    pub fn advance_ms(&self, ms: u64) {
        self.clock_ms.set(self.clock_ms.get() + ms);
    }
}

#[derive(Default)]
pub struct MemoryItems {
    items: RefCell<Vec<Item>>,
    next_id: Cell<i64>,
    keys: RefCell<HashMap<(String, String), (String, Item)>>,
    backend: FakeBackend,
}

impl MemoryItems {
    pub fn new() -> MemoryItems {
        MemoryItems::default()
    }

    /// A store whose every call fails with `cause`, as a database outage would.
    pub fn failing(cause: &str) -> MemoryItems {
        MemoryItems {
            backend: FakeBackend::failing(cause),
            ..MemoryItems::default()
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        self.backend.check()
    }

    fn now(&self) -> String {
        self.backend.now()
    }
}

impl ItemStore for MemoryItems {
    fn list(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<Item>> {
        Box::pin(async move {
            self.check()?;
            Ok(self
                .items
                .borrow()
                .iter()
                .filter(|i| i.id > after)
                .take(limit as usize)
                .cloned()
                .collect())
        })
    }

    fn get(&self, id: i64) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            self.check()?;
            Ok(self.items.borrow().iter().find(|i| i.id == id).cloned())
        })
    }

    fn create(&self, item: NewItem, idempotency: Option<IdempotencyKey>) -> StoreFuture<'_, CreateOutcome> {
        Box::pin(async move {
            self.check()?;
            if let Some(key) = &idempotency {
                if let Some((fingerprint, first)) = self.keys.borrow().get(&(key.consumer.clone(), key.key.clone())) {
                    return Ok(if *fingerprint == key.fingerprint {
                        CreateOutcome::Replayed(first.clone())
                    } else {
                        CreateOutcome::KeyReused
                    });
                }
            }
            self.next_id.set(self.next_id.get() + 1);
            let now = self.now();
            let created = Item {
                id: self.next_id.get(),
                name: item.name,
                description: item.description,
                created_at: now.clone(),
                updated_at: now,
            };
            self.items.borrow_mut().push(created.clone());
            if let Some(key) = idempotency {
                self.keys
                    .borrow_mut()
                    .insert((key.consumer, key.key), (key.fingerprint, created.clone()));
            }
            Ok(CreateOutcome::Created(created))
        })
    }

    fn update(&self, id: i64, patch: ItemPatch) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            self.check()?;
            let now = self.now();
            let mut items = self.items.borrow_mut();
            let Some(item) = items.iter_mut().find(|i| i.id == id) else {
                return Ok(None);
            };
            if let Some(name) = patch.name {
                item.name = name;
            }
            if let Some(description) = patch.description {
                item.description = description;
            }
            item.updated_at = now;
            Ok(Some(item.clone()))
        })
    }

    fn delete(&self, id: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            self.check()?;
            let mut items = self.items.borrow_mut();
            let before = items.len();
            items.retain(|i| i.id != id);
            Ok(items.len() < before)
        })
    }
}
