//! The worker's `env`, as an app's build function sees it.

use edgegate::platform::BindingKind;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// Settings, secrets and bindings, looked up by name.
pub struct Env(JsValue);

impl Env {
    pub(crate) fn new(env: JsValue) -> Env {
        Env(env)
    }

    /// A `[vars]` entry or secret as text: strings as they are, and structured
    /// `[vars]` values (TOML tables and arrays) as their JSON.
    pub fn setting(&self, name: &str) -> Option<String> {
        let value = Reflect::get(&self.0, &JsValue::from_str(name)).ok()?;
        if value.is_undefined() || value.is_null() {
            return None;
        }
        if let Some(text) = value.as_string() {
            return Some(text);
        }
        js_sys::JSON::stringify(&value).ok().and_then(|json| json.as_string())
    }

    /// Whether `name` is bound as `kind`: it has the kind's method (`fetch`,
    /// `limit`, `idFromName`, ...).
    pub fn has_binding(&self, name: &str, kind: BindingKind) -> bool {
        let method = kind.method;
        Reflect::get(&self.0, &JsValue::from_str(name))
            .and_then(|binding| Reflect::get(&binding, &JsValue::from_str(method)))
            .is_ok_and(|method| method.is_function())
    }

    /// The JS `env` object itself, for bindings (D1, services) an app uses directly.
    pub fn raw(&self) -> &JsValue {
        &self.0
    }
}
