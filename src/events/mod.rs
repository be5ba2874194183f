//! Partner events: `POST /partners/events` accepts an event and hands it to
//! a Queue (202 once the Queue has it), the worker's queue consumer records
//! each one in D1 exactly once, and `GET /partners/events/{id}` tells its
//! sender where it is. The rules live here, over two small interfaces
//! ([`EventStore`], [`EventQueue`]), so they are host-tested with the
//! in-memory fakes; the D1 store and the Queue are tested end to end.

mod body;
mod consumer;
mod handlers;
pub mod kinds;
mod memory;
mod model;
mod store;

pub use body::PartnerEvent;
pub use consumer::{consume, Delivery, QueueRole, Verdict, EVENT_TRIES, MAX_RETRY_DELAY_SECONDS};
pub use handlers::{accept, status};
pub use memory::{MemoryEvents, MemoryQueue};
pub use model::{
    Accepted, EventBody, EventRecord, EventStatus, EventView, Message, NewEvent, DATA_MAX_BYTES, TYPE_MAX_CHARS,
};
pub use store::{EventQueue, EventStore, QueueFuture, Reservation, ABANDONED_CLAIM_S};
