//! Request bodies, read only once the gateway asks: after the route, IP
//! rules, method, access and the declared length have all passed, so an
//! unauthenticated or oversized request is answered without waiting for a
//! byte of its body. Reading it is one more runtime promise the request
//! awaits (see `settle`); an upstream route passes its stream on unread.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use edgegate::http::{BodyReadError, BodySource};
use wasm_bindgen::JsValue;

/// The body of the runtime request the entry handed over with the head.
pub struct RequestBodySource {
    /// The runtime `Request`, until its body is read or passed on.
    request: RefCell<Option<JsValue>>,
    /// The head declared the body's length (`Request::declares_length`): the
    /// runtime reads it whole.
    declared: bool,
}

impl RequestBodySource {
    pub fn new(request: JsValue, declared: bool) -> RequestBodySource {
        RequestBodySource {
            request: RefCell::new(Some(request)),
            declared,
        }
    }

    /// The body's runtime stream, to pass on unread (once).
    pub fn take_stream(&self) -> Option<JsValue> {
        let request = self.request.borrow_mut().take()?;
        js_sys::Reflect::get(&request, &JsValue::from_str("body")).ok()
    }
}

impl BodySource for RequestBodySource {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }

    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        match self.request.borrow_mut().take() {
            Some(request) => Box::pin(crate::platform::read_request_body(request, limit, self.declared)),
            // Passed on already (to an upstream): nobody will bring it.
            None => {
                let cause = "the body was wanted after its stream was passed on";
                Box::pin(std::future::ready(Err(BodyReadError::Internal(cause.into()))))
            }
        }
    }
}
