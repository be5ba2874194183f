//! The thin wasm adapter: turns a fetch event into a core [`Request`], runs
//! the gateway, and turns the core [`Response`] back into a runtime response.
//! It is the only code that touches JS types.
//!
//! The gateway (route table and validated settings) is built on the first
//! request an isolate serves and kept for its lifetime: settings and secrets
//! are fixed per deployed version, so they cannot change underneath it.

mod body;
mod d1_items;

use std::cell::Cell;

use js_sys::{Math, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use worker::{event, Context, Env};

use crate::app::{self, AppState};
use crate::gateway::{Gateway, Platform};
use crate::http::{Headers, Method, Request, RequestBody, Response, ResponseBody};

thread_local! {
    /// One gateway per isolate. Leaked on purpose: it lives as long as the isolate.
    static GATEWAY: Cell<Option<&'static Gateway<AppState>>> = const { Cell::new(None) };
}

/// Panics are logged (message and location) through console_error_panic_hook.
/// The build uses `panic = "abort"`: the instance traps, the JS entry
/// (`worker/entry.js`) answers that request with a problem+json 500, and the
/// worker-build shim swaps in a fresh instance for the next request.
#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(raw: web_sys::Request, env: Env, _ctx: Context) -> worker::Result<web_sys::Response> {
    let gateway = gateway(&env);
    let request = request_from(&raw)?;
    let state = AppState::with_items(d1_items::D1Items::new(env.d1("DB")));
    let response = gateway.handle(request, &state, &WorkerPlatform).await;
    Ok(response_into(response)?)
}

fn gateway(env: &Env) -> &'static Gateway<AppState> {
    GATEWAY.with(|cell| match cell.get() {
        Some(gateway) => gateway,
        None => {
            let gateway: &'static Gateway<AppState> = Box::leak(Box::new(app::gateway(|name| setting(env, name))));
            if let Some(reasons) = gateway.misconfiguration() {
                let line =
                    serde_json::json!({ "level": "error", "message": "gateway misconfigured", "errors": reasons });
                web_sys::console::error_1(&JsValue::from_str(&line.to_string()));
            }
            cell.set(Some(gateway));
            gateway
        }
    })
}

/// A `[vars]` entry or secret as text: strings as they are, and structured
/// `[vars]` values (TOML tables and arrays) as their JSON.
fn setting(env: &Env, name: &str) -> Option<String> {
    let value = Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    js_sys::JSON::stringify(&value).ok().and_then(|json| json.as_string())
}

fn request_from(raw: &web_sys::Request) -> worker::Result<Request> {
    let url = raw.url();
    // The URL is absolute (`https://host/path?query`): keep from the path on.
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let target = url[after_scheme..].find('/').map_or("/", |i| &url[after_scheme + i..]);
    let target = target.split_once('#').map_or(target, |(before, _)| before);
    let mut request = Request::new(Method::parse(&raw.method()), target);
    request.headers = headers_from(&raw.headers())?;
    if let Some(stream) = raw.body() {
        request.body = RequestBody::Stream(Box::new(body::JsBody::new(
            <web_sys::Request as Clone>::clone(raw),
            stream,
        )));
    }
    Ok(request)
}

fn headers_from(raw: &web_sys::Headers) -> worker::Result<Headers> {
    let mut headers = Headers::new();
    let entries =
        js_sys::try_iter(raw)?.ok_or_else(|| worker::Error::RustError("request headers are not iterable".into()))?;
    for entry in entries {
        let pair: js_sys::Array = entry?.unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            headers.append(&name, value);
        }
    }
    Ok(headers)
}

fn response_into(response: Response) -> Result<web_sys::Response, JsValue> {
    let headers = web_sys::Headers::new()?;
    for (name, value) in response.headers() {
        headers.append(name, value)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(response.status.0);
    init.set_headers_headers(&headers);
    match response.body {
        ResponseBody::Empty => web_sys::Response::new_with_opt_str_and_init(None, &init),
        ResponseBody::Text(text) => web_sys::Response::new_with_opt_str_and_init(Some(&text), &init),
        ResponseBody::Bytes(mut bytes) => web_sys::Response::new_with_opt_u8_array_and_init(Some(&mut bytes), &init),
        ResponseBody::Problem(problem) => {
            web_sys::Response::new_with_opt_str_and_init(Some(&problem.to_json("")), &init)
        }
    }
}

/// `Date.now()`, `Math.random()` and `console.log`.
struct WorkerPlatform;

impl Platform for WorkerPlatform {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random_u64(&self) -> u64 {
        // Two draws: Math.random() carries about 52 random bits each.
        let high = (Math::random() * 4_294_967_296.0) as u64;
        let low = (Math::random() * 4_294_967_296.0) as u64;
        high << 32 | low
    }

    fn log(&self, line: &str) {
        web_sys::console::log_1(&JsValue::from_str(line));
    }
}
