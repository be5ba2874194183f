//! The handlers, on the `worker` crate's own async APIs.

use edgegate::extract::{Json, Path, State};
use edgegate::http::{Response, Status};
use edgegate::problem::ApiError;
use futures::future::{select, Either};
use futures::join;
use js_sys::Promise;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// The worker's `env` as the `worker` crate types it, and the settings the
/// handlers read.
#[derive(Clone)]
pub struct Platform {
    env: worker::Env,
    origins: (String, String),
}

impl Platform {
    pub fn new(env: &edgegate_worker::Env) -> Platform {
        let origin = |name: &str| env.setting(name).unwrap_or_default();
        Platform {
            env: env.raw().clone().unchecked_into(),
            origins: (origin("ORIGIN_A"), origin("ORIGIN_B")),
        }
    }
}

/// A platform failure is the gateway's 502: the client did nothing wrong.
fn failed(what: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::of(
        edgegate::problem::kinds::UPSTREAM_UNREACHABLE,
        format!("{what} failed."),
    )
    .with_internal(format!("{what}: {error}"))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Stored {
    kv: Option<String>,
    r2: Option<String>,
}

/// `GET /kv-r2/{key}`: the KV value and the R2 object, read at once.
pub async fn kv_r2_get(State(platform): State<Platform>, Path(key): Path<String>) -> Result<Json<Stored>, ApiError> {
    let kv = platform.env.kv("CACHE").map_err(|e| failed("KV", e))?;
    let bucket = platform.env.bucket("FILES").map_err(|e| failed("R2", e))?;
    let (kv, object) = join!(kv.get(&key).text(), bucket.get(key.clone()).execute());
    let kv = kv.map_err(|e| failed("KV get", e))?;
    let r2 = match object.map_err(|e| failed("R2 get", e))? {
        Some(object) => match object.body() {
            Some(body) => Some(body.text().await.map_err(|e| failed("R2 body", e))?),
            None => None,
        },
        None => None,
    };
    Ok(Json(Stored { kv, r2 }))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Value {
    text: String,
}

/// `PUT /kv-r2/{key}` with `{"text": ...}`: written to KV and R2 at once.
pub async fn kv_r2_put(
    State(platform): State<Platform>,
    Path(key): Path<String>,
    Json(value): Json<Value>,
) -> Result<Response, ApiError> {
    let kv = platform.env.kv("CACHE").map_err(|e| failed("KV", e))?;
    let bucket = platform.env.bucket("FILES").map_err(|e| failed("R2", e))?;
    let put = kv.put(&key, value.text.as_str()).map_err(|e| failed("KV put", e))?;
    let (written, stored) = join!(put.execute(), bucket.put(key.clone(), value.text.clone()).execute());
    written.map_err(|e| failed("KV put", e))?;
    stored.map_err(|e| failed("R2 put", e))?;
    Ok(Response::new(Status::NO_CONTENT))
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
pub struct Event {
    id: String,
    text: String,
}

/// `POST /queue` with `{"id", "text"}`: sent to the Queue (the consumer stores it in KV).
pub async fn queue_send(State(platform): State<Platform>, Json(event): Json<Event>) -> Result<Response, ApiError> {
    let queue = platform.env.queue("EVENTS").map_err(|e| failed("Queue", e))?;
    queue.send(&event).await.map_err(|e| failed("Queue send", e))?;
    Ok(Response::new(Status(202)))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Joined {
    a: String,
    b: String,
}

/// `GET /join`: `ORIGIN_A` and `ORIGIN_B` fetched at once with `worker::Fetch`.
pub async fn join_fetches(State(platform): State<Platform>) -> Result<Json<Joined>, ApiError> {
    let url = |text: &str| worker::Url::parse(text).map_err(|e| failed("an origin's URL", e));
    let (a, b) = (url(&platform.origins.0)?, url(&platform.origins.1)?);
    let (fetch_a, fetch_b) = (worker::Fetch::Url(a), worker::Fetch::Url(b));
    let (a, b) = join!(fetch_a.send(), fetch_b.send());
    let (mut a, mut b) = (
        a.map_err(|e| failed("fetch A", e))?,
        b.map_err(|e| failed("fetch B", e))?,
    );
    let (a, b) = join!(a.text(), b.text());
    Ok(Json(Joined {
        a: a.map_err(|e| failed("body A", e))?,
        b: b.map_err(|e| failed("body B", e))?,
    }))
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
pub struct Sum {
    sum: i64,
}

/// `GET /d1/{n}`: D1 through the worker crate (`prepare(..).bind(..)?.all()`), computing `n + 1`.
pub async fn d1_sum(State(platform): State<Platform>, Path(n): Path<i64>) -> Result<Json<Sum>, ApiError> {
    let db = platform.env.d1("DB").map_err(|e| failed("D1", e))?;
    let statement = db
        .prepare("SELECT ?1 + 1 AS sum")
        .bind(&[JsValue::from_f64(n as f64)])
        .map_err(|e| failed("D1 bind", e))?;
    let result = statement.all().await.map_err(|e| failed("D1 query", e))?;
    let mut rows: Vec<Sum> = result.results().map_err(|e| failed("D1 rows", e))?;
    rows.pop().map(Json).ok_or_else(|| failed("D1 query", "no row"))
}

/// `GET /object/{name}`: one RPC call on the Durable Object named `name`
/// through its stub (the `QuotaCounter` every edgegate worker exports,
/// counting in a window of a day): how many calls it has counted.
pub async fn object_count(State(platform): State<Platform>, Path(name): Path<String>) -> Result<String, ApiError> {
    let namespace = platform
        .env
        .durable_object("QUOTA")
        .map_err(|e| failed("Durable Object", e))?;
    let stub = namespace
        .id_from_name(&name)
        .and_then(|id| id.get_stub())
        .map_err(|e| failed("Durable Object stub", e))?;
    let rpc: JsValue = stub.into_rpc();
    let count: js_sys::Function = js_sys::Reflect::get(&rpc, &"count".into())
        .map_err(|e| failed("Durable Object RPC", format!("{e:?}")))?
        .unchecked_into();
    let windows = js_sys::Array::of2(&JsValue::from(86_400), &JsValue::from(1000));
    // `Reflect.apply`, not `count.call(..)`: an RPC stub reads `call` as a method of the object.
    let call: Promise = js_sys::Reflect::apply(&count, &rpc, &js_sys::Array::of1(&windows))
        .map_err(|e| failed("Durable Object RPC", format!("{e:?}")))?
        .unchecked_into();
    let answer = call.await.map_err(|e| failed("Durable Object RPC", format!("{e:?}")))?;
    // An f64 printed: apps that format floats keep Rust's float printing
    // (only an app that says it never does has it stubbed: build.sh).
    let counted = js_sys::Array::from(&answer).get(1).as_f64().unwrap_or(-1.0);
    Ok(format!("{counted}"))
}

/// `GET /guarded`: answers when the maintenance policy lets it.
pub async fn guarded() -> &'static str {
    "open"
}

/// A route policy that awaits the platform as a handler does: while KV's
/// `maintenance` key says `on`, its routes answer 503.
pub struct Maintenance(worker::Env);

impl Maintenance {
    pub fn new(platform: &Platform) -> Maintenance {
        Maintenance(platform.env.clone())
    }
}

impl edgegate::policy::RoutePolicy for Maintenance {
    fn check<'a>(
        &'a self,
        _request: &'a mut edgegate::http::Request,
        _platform: &'a dyn edgegate::platform::Platform,
    ) -> edgegate::policy::PolicyFuture<'a> {
        Box::pin(async move {
            let kv = self.0.kv("CACHE").map_err(|e| failed("KV", e).into_response())?;
            let flag = kv
                .get("maintenance")
                .text()
                .await
                .map_err(|e| failed("KV get", e).into_response())?;
            match flag.as_deref() {
                Some("on") => Err(
                    ApiError::of(edgegate::problem::kinds::UNAVAILABLE, "Down for maintenance.")
                        .with_header("retry-after", "60")
                        .into_response(),
                ),
                _ => Ok(()),
            }
        })
    }
}

/// A promise that resolves after `ms` with `value` (a runtime timer).
fn after(ms: i32, value: &str) -> Promise {
    let value = JsValue::from_str(value);
    Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into()).expect("setTimeout");
        let set_timeout: js_sys::Function = set_timeout.unchecked_into();
        let _ = set_timeout.call3(&JsValue::NULL, &resolve, &JsValue::from(ms), &value);
    })
}

/// `GET /race`: a slow timer against a fast one (`select`): the fast one answers.
pub async fn race() -> String {
    let slow = edgegate_worker::settle(after(3000, "slow"));
    let fast = std::pin::pin!(async { after(50, "fast").await });
    match select(slow, fast).await {
        Either::Left((value, _)) | Either::Right((value, _)) => {
            value.ok().and_then(|v| v.as_string()).unwrap_or_default()
        }
    }
}

/// `GET /two-promises`: two raw promises through `edgegate_worker::settle`, at once.
pub async fn two_promises() -> String {
    let (first, second) = join!(
        edgegate_worker::settle(after(20, "first")),
        edgegate_worker::settle(after(10, "second"))
    );
    let text = |outcome: Result<JsValue, JsValue>| outcome.ok().and_then(|v| v.as_string()).unwrap_or_default();
    format!("{} {}", text(first), text(second))
}

/// `GET /never`: a promise that never settles. The runtime sees nothing left
/// to wait for and ends the request with its own 500.
pub async fn never() -> String {
    let _ = Promise::new(&mut |_, _| {}).await;
    "never".to_owned()
}

/// The signature policy's memory, on the `worker` crate's `KvStore`: a
/// signature is kept a day (KV's eventual consistency lets a replay through
/// within seconds at another location; a Durable Object would not).
pub struct KvSeen(Result<worker::kv::KvStore, String>);

impl KvSeen {
    pub fn from_env(env: &JsValue, name: &str) -> std::rc::Rc<dyn crate::signature::SeenSignatures> {
        std::rc::Rc::new(KvSeen(
            worker::kv::KvStore::from_this(env, name).map_err(|e| e.to_string()),
        ))
    }
}

impl crate::signature::SeenSignatures for KvSeen {
    fn first_time<'a>(&'a self, signature: &'a str) -> edgegate::platform::PlatformFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let kv = self.0.as_ref().map_err(Clone::clone)?;
            let key = format!("signature:{signature}");
            if kv.get(&key).text().await.map_err(|e| e.to_string())?.is_some() {
                return Ok(false);
            }
            kv.put(&key, "1")
                .map_err(|e| e.to_string())?
                .expiration_ttl(86_400)
                .execute()
                .await
                .map_err(|e| e.to_string())?;
            Ok(true)
        })
    }
}
