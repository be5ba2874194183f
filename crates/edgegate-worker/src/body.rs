//! Request bodies, read by the entry only once the gateway asks: after the
//! route, IP rules, method, access and the declared length have all passed.
//! Until then the request is parked (see `exports`), and an unauthenticated
//! or oversized request is answered without waiting for a byte of its body.
//!
//! The adapter polls every request itself, also after it awaited a promise
//! (a token's signature check, a rate-limit count), so a body is always
//! brought this way. The slot also holds the body's runtime stream, handed
//! over with the head, for an upstream route to pass on unread.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use edgegate::http::{BodyReadError, BodySource};

/// What the entry hands a parked request: its body, or why there is none.
pub enum Delivery {
    Bytes(Vec<u8>),
    TooLarge,
    Failed,
    /// The entry's own length was out of range: the gateway's fault.
    Broken,
}

impl Delivery {
    /// The entry read more than the limit (a body without `Content-Length`).
    pub const TOO_LARGE: i32 = -1;
    /// The body stream failed (the client went away).
    pub const FAILED: i32 = -2;

    /// From `edgegate_resume`'s length: the body's bytes at the start of `input`, or a code.
    pub fn from_entry(length: i32, input: &[u8]) -> Delivery {
        match length {
            Delivery::TOO_LARGE => Delivery::TooLarge,
            Delivery::FAILED => Delivery::Failed,
            n if n < 0 || n as usize > input.len() => Delivery::Broken,
            n => Delivery::Bytes(input[..n as usize].to_vec()),
        }
    }
}

/// Where a parked request's body arrives, shared by the request (which waits
/// on it) and the adapter (which fills it).
#[derive(Default)]
pub struct BodySlot {
    /// The limit the gateway asked to read within, once it asks.
    wanted: Cell<Option<usize>>,
    arrived: RefCell<Option<Delivery>>,
    /// The body's runtime stream, to pass on unread.
    stream: RefCell<Option<wasm_bindgen::JsValue>>,
}

impl BodySlot {
    /// The limit, if the gateway has asked for the body and it has not arrived.
    pub fn wanted(&self) -> Option<usize> {
        self.wanted.get()
    }

    /// A slot for a body whose runtime stream is `stream`.
    pub fn for_stream(stream: wasm_bindgen::JsValue) -> BodySlot {
        let slot = BodySlot::default();
        *slot.stream.borrow_mut() = Some(stream);
        slot
    }

    /// The body's runtime stream, once (to pass it on).
    pub fn take_stream(&self) -> Option<wasm_bindgen::JsValue> {
        self.stream.borrow_mut().take()
    }

    /// Hands over the body; the slot is not wanted again.
    pub fn deliver(&self, delivery: Delivery) {
        self.wanted.set(None);
        *self.arrived.borrow_mut() = Some(delivery);
    }
}

/// The request's body as the gateway sees it: asking for it parks the request.
pub struct ParkedBody {
    slot: Rc<BodySlot>,
}

impl ParkedBody {
    pub fn new(slot: Rc<BodySlot>) -> ParkedBody {
        ParkedBody { slot }
    }

    /// The body's runtime stream, to pass on unread.
    pub fn take_stream(&self) -> Option<wasm_bindgen::JsValue> {
        self.slot.take_stream()
    }
}

impl BodySource for ParkedBody {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }

    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        // Passed on already (an upstream's): nobody will bring it.
        if self.slot.stream.borrow().is_none() {
            let cause = "the body was wanted after its stream was passed on";
            return Box::pin(std::future::ready(Err(BodyReadError::Internal(cause.into()))));
        }
        self.slot.wanted.set(Some(limit));
        Box::pin(poll_fn(move |_| match self.slot.arrived.borrow_mut().take() {
            None => Poll::Pending,
            Some(Delivery::Bytes(bytes)) => Poll::Ready(Ok(bytes)),
            Some(Delivery::TooLarge) => Poll::Ready(Err(BodyReadError::TooLarge)),
            Some(Delivery::Failed) => Poll::Ready(Err(BodyReadError::Failed("the request body stream failed".into()))),
            Some(Delivery::Broken) => Poll::Ready(Err(BodyReadError::Internal(
                "the entry's body length was out of range".into(),
            ))),
        }))
    }
}
