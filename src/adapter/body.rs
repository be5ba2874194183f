//! Reading the request body from the runtime within a size limit.

use std::future::Future;
use std::pin::Pin;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::http::{BodyReadError, BodySource};

/// The body of a runtime request, not read yet.
pub struct JsBody {
    request: web_sys::Request,
    stream: web_sys::ReadableStream,
}

impl JsBody {
    pub fn new(request: web_sys::Request, stream: web_sys::ReadableStream) -> JsBody {
        JsBody { request, stream }
    }
}

impl BodySource for JsBody {
    fn read(self: Box<Self>, limit: usize) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, BodyReadError>>>> {
        Box::pin(async move {
            let declared = self
                .request
                .headers()
                .get("content-length")
                .ok()
                .flatten()
                .and_then(|v| v.trim().parse::<usize>().ok());
            match declared {
                // The runtime enforces a declared length, so the body can be taken in one copy.
                Some(length) if length <= limit => read_whole(&self.request).await,
                _ => read_chunks(&self.stream, limit).await,
            }
        })
    }
}

async fn read_whole(request: &web_sys::Request) -> Result<Vec<u8>, BodyReadError> {
    let promise = request.array_buffer().map_err(failed)?;
    let buffer = JsFuture::from(promise).await.map_err(failed)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Reads chunk by chunk and cancels the stream as soon as the limit is passed,
/// so an oversized body is never buffered whole.
async fn read_chunks(stream: &web_sys::ReadableStream, limit: usize) -> Result<Vec<u8>, BodyReadError> {
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
        if bytes.len() + value.length() as usize > limit {
            let _ = reader.cancel();
            return Err(BodyReadError::TooLarge);
        }
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
    }
}

fn failed(error: JsValue) -> BodyReadError {
    BodyReadError::Failed(format!("{error:?}"))
}
