//! Reading a request body the entry did not read up front (no or too large a
//! `Content-Length`): chunk by chunk, stopping as soon as the limit is passed.

use std::future::Future;
use std::pin::Pin;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::http::{BodyReadError, BodySource};

/// The body of a runtime request, not read yet.
pub struct JsBody {
    request: web_sys::Request,
}

impl JsBody {
    pub fn new(request: web_sys::Request) -> JsBody {
        JsBody { request }
    }
}

impl BodySource for JsBody {
    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        Box::pin(async move {
            let Some(stream) = self.request.body() else {
                return Ok(Vec::new());
            };
            let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
            let mut bytes = Vec::new();
            loop {
                let chunk = JsFuture::from(reader.read()).await.map_err(failed)?;
                let done = Reflect::get(&chunk, &JsValue::from_str("done")).map_err(failed)?;
                if done.as_bool().unwrap_or(true) {
                    return Ok(bytes);
                }
                let value: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
                    .map_err(failed)?
                    .unchecked_into();
                let length = value.length() as usize;
                if bytes.len() + length > limit {
                    let _ = reader.cancel();
                    return Err(BodyReadError::TooLarge);
                }
                let start = bytes.len();
                bytes.resize(start + length, 0);
                value.copy_to(&mut bytes[start..]);
            }
        })
    }
}

fn failed(error: JsValue) -> BodyReadError {
    BodyReadError::Failed(super::js_error::text(&error))
}
