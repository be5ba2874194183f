//! Request bodies, read only once the gateway asks: after the route, IP
//! rules, method, access and the declared length have all passed, so an
//! unauthenticated or oversized request is answered without waiting for a
//! byte of its body. Reading it is one more runtime promise the request
//! awaits (see `settle`); an upstream route passes its stream on unread.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use edgegate::http::{BodyReadError, BodySource};
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::settle::settle;

#[wasm_bindgen(module = "/js/platform.js")]
extern "C" {
    #[wasm_bindgen(js_name = readBody)]
    fn js_read_body(stream: &JsValue, limit: f64) -> Promise;
    #[wasm_bindgen(js_name = readRequestBody)]
    fn js_read_request_body(request: &JsValue, limit: f64, declared: bool) -> Promise;
}

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
            Some(request) => Box::pin(read_request_body(request, limit, self.declared)),
            // Passed on already (to an upstream): nobody will bring it.
            None => {
                let cause = "the body was wanted after its stream was passed on";
                Box::pin(std::future::ready(Err(BodyReadError::Internal(cause.into()))))
            }
        }
    }
}

/// Reads a runtime stream within `limit` bytes.
pub async fn read_stream(stream: JsValue, limit: usize) -> Result<Vec<u8>, BodyReadError> {
    bytes_within(js_read_body(&stream, limit as f64), limit).await
}

/// Reads a runtime request's body within `limit` bytes; `declared`: its head
/// has a Content-Length.
pub async fn read_request_body(request: JsValue, limit: usize, declared: bool) -> Result<Vec<u8>, BodyReadError> {
    bytes_within(js_read_request_body(&request, limit as f64, declared), limit).await
}

/// The bytes a read resolves to (an `ArrayBuffer`); null when a counted
/// read passed the limit. A whole read is checked here.
async fn bytes_within(read: Promise, limit: usize) -> Result<Vec<u8>, BodyReadError> {
    match settle(read).await {
        Ok(buffer) if buffer.is_null() => Err(BodyReadError::TooLarge),
        Ok(buffer) => {
            let bytes = Uint8Array::new(&buffer);
            if bytes.length() as usize > limit {
                return Err(BodyReadError::TooLarge);
            }
            Ok(bytes.to_vec())
        }
        Err(error) => Err(BodyReadError::Failed(crate::js_error::text(&error))),
    }
}
