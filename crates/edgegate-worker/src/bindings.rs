//! Bindings by typed interface: how each interface a policy or handler asks
//! for (`dyn RateLimiter`, an app's own) is made from the runtime's binding.
//! The core's traffic policies' interfaces are here; an app adds its own
//! with [`crate::Worker::binding`].

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::rc::Rc;

use edgegate::observe::metrics::{AnalyticsDataset, DataPoint};
use edgegate::platform::{AnyBinding, Binding, PlatformFuture};
use edgegate::policy::traffic::{QuotaCount, QuotaCounter, QuotaWindow, RateLimiter};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::settle::settle;

#[wasm_bindgen(module = "/js/platform.js")]
extern "C" {
    #[wasm_bindgen(js_name = rateLimit)]
    fn js_rate_limit(binding: &str, key: &str) -> Promise;
    #[wasm_bindgen(js_name = countQuota)]
    fn js_count_quota(binding: &str, key: &str, windows: &[f64]) -> Promise;
    #[wasm_bindgen(js_name = writeDataPoint)]
    fn js_write_data_point(lines: &str, doubles: &[f64]) -> JsValue;
    /// The `env` of the request being served.
    #[wasm_bindgen(js_name = currentEnv)]
    fn js_current_env() -> JsValue;
}

/// How to make an interface from a binding's name.
type Make = Rc<dyn Fn(&str) -> AnyBinding>;

/// Another handle on an interface made before (a `Box<Rc<T>>`'s `Rc` cloned).
type Reissue = fn(&dyn Any) -> AnyBinding;

/// The interfaces this worker can hand out, each with how it is made, and
/// those made so far: each binding's interface is made once per isolate,
/// then handed out again.
pub struct Bindings {
    makers: Vec<(TypeId, Make, Reissue)>,
    made: RefCell<Vec<(String, TypeId, AnyBinding)>>,
}

impl Default for Bindings {
    /// The core's own: the rate limiter, the quota object, the metrics dataset.
    fn default() -> Bindings {
        let mut bindings = Bindings {
            makers: Vec::new(),
            made: RefCell::new(Vec::new()),
        };
        bindings.add::<dyn RateLimiter>(Rc::new(|name: &str| {
            Box::new(Rc::new(JsRateLimiter(name.to_owned())) as Rc<dyn RateLimiter>)
        }));
        bindings.add::<dyn QuotaCounter>(Rc::new(|name: &str| {
            Box::new(Rc::new(JsQuotaCounter(name.to_owned())) as Rc<dyn QuotaCounter>)
        }));
        bindings.add::<dyn AnalyticsDataset>(Rc::new(|name: &str| {
            Box::new(Rc::new(JsDataset(name.to_owned())) as Rc<dyn AnalyticsDataset>)
        }));
        bindings
    }
}

impl Bindings {
    fn add<T: Binding + ?Sized>(&mut self, make: Make) {
        fn copy<T: ?Sized + 'static>(made: &dyn Any) -> AnyBinding {
            Box::new(made.downcast_ref::<Rc<T>>().expect("made as T").clone())
        }
        self.makers.retain(|(interface, _, _)| *interface != TypeId::of::<T>());
        self.makers.push((TypeId::of::<T>(), make, copy::<T>));
    }

    /// Adds the interface `T`, made by `make` from the worker's `env` and
    /// the binding's name (as workers-rs's `KvStore::from_this(env, name)`).
    pub fn with<T: Binding + ?Sized>(&mut self, make: impl Fn(&JsValue, &str) -> Rc<T> + 'static) {
        self.add::<T>(Rc::new(move |name: &str| Box::new(make(&js_current_env(), name))));
    }

    /// The binding `name` as the interface `interface`, if this worker makes it.
    pub fn make(&self, name: &str, interface: TypeId) -> Option<AnyBinding> {
        let (_, make, copy) = self.makers.iter().find(|(made, _, _)| *made == interface)?;
        let mut made = self.made.borrow_mut();
        if let Some((_, _, binding)) = made.iter().find(|(n, i, _)| n == name && *i == interface) {
            return Some(copy(binding.as_ref()));
        }
        let binding = make(name);
        let handed_out = copy(binding.as_ref());
        made.push((name.to_owned(), interface, binding));
        Some(handed_out)
    }
}

/// The rate-limit binding `.0`, called through `js/platform.js` (which
/// bounds the wait).
struct JsRateLimiter(String);

impl RateLimiter for JsRateLimiter {
    fn limit<'a>(&'a self, key: &'a str) -> PlatformFuture<'a, Result<bool, String>> {
        let promise = js_rate_limit(&self.0, key);
        Box::pin(async move {
            let answer = settle(promise).await.map_err(|e| crate::js_error::text(&e))?;
            match answer.as_f64() {
                Some(within) => Ok(within == 1.0),
                None => Err(answer.as_string().unwrap_or_else(|| "the rate limiter failed".into())),
            }
        })
    }
}

/// The quota Durable Object namespace `.0`, called through `js/platform.js`.
struct JsQuotaCounter(String);

impl QuotaCounter for JsQuotaCounter {
    fn count<'a>(&'a self, key: &'a str, windows: &'a [QuotaWindow]) -> PlatformFuture<'a, Result<QuotaCount, String>> {
        let flat: Vec<f64> = windows
            .iter()
            .flat_map(|w| [w.seconds as f64, w.limit as f64])
            .collect();
        let promise = js_count_quota(&self.0, key, &flat);
        Box::pin(async move {
            let answer = settle(promise).await.map_err(|e| crate::js_error::text(&e))?;
            if let Some(reason) = answer.as_string() {
                return Err(reason);
            }
            let numbers = js_sys::Float64Array::new(&answer).to_vec();
            let Some((admitted, counts)) = numbers.split_first().filter(|(_, c)| c.len() == 2 * windows.len()) else {
                return Err("the quota object answered another number of counts".into());
            };
            Ok(QuotaCount {
                admitted: *admitted == 1.0,
                windows: counts.chunks(2).map(|pair| (pair[0] as u64, pair[1] as u32)).collect(),
            })
        })
    }
}

/// The Analytics Engine dataset `.0`: `writeDataPoint`, which the runtime
/// sends in the background.
struct JsDataset(String);

impl AnalyticsDataset for JsDataset {
    fn write_data_point(&self, point: &DataPoint) -> Result<(), String> {
        // One string across the boundary, not one per field (each is a
        // decode in JS): the binding's name, the index, then the blobs, as
        // lines; a line break inside one (a principal id may hold one) reads
        // as a space.
        let fields = [self.0.as_str(), point.index.as_str()];
        let fields = fields.into_iter().chain(point.blobs.iter().map(String::as_str));
        let mut lines = String::with_capacity(
            self.0.len() + point.index.len() + point.blobs.iter().map(|b| b.len() + 1).sum::<usize>() + 2,
        );
        for (i, field) in fields.enumerate() {
            if i > 0 {
                lines.push('\n');
            }
            // Copied whole: char by char profiled at a third of the point's Rust.
            if field.contains('\n') {
                lines.push_str(&field.replace('\n', " "));
            } else {
                lines.push_str(field);
            }
        }
        let failed = js_write_data_point(&lines, &point.doubles);
        match failed.as_string() {
            Some(cause) => Err(cause),
            None => Ok(()),
        }
    }
}
