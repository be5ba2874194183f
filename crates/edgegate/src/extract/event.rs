//! The request as a function receives it: the gateway event of API Gateway
//! and Function Compute (and of the project's seed documents' "Request &
//! Response" functions, where the name "seed" came from), with the
//! API-gateway event's field names beside it, for handlers ported from there.

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::Value;

use super::body::{is_json_content_type, parse_json_value, EventBody};
use super::{query_pairs, FromRequest};
use crate::http::{percent_decode, Request};
use crate::problem::ApiError;

/// The whole request as a seed function receives it: `method` uppercase,
/// `path` without the query, `params`, `query` and `headers` as string maps
/// (query values always strings, the last of a repeated name wins; header
/// names lowercase), and `body` parsed as JSON when it is JSON, as text when it
/// is text, base64 when binary, and null when absent.
///
/// ```
/// use edgegate::extract::{FunctionEvent, Json};
/// use edgegate::routing::{Route, RouteTable};
///
/// // `ANY /echo`: the request as a function sees it.
/// async fn echo(event: FunctionEvent) -> Json<FunctionEvent> {
///     Json(event)
/// }
///
/// let table = RouteTable::<()>::new([Route::any("/echo", echo).public()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionEvent {
    /// The method, uppercase.
    pub method: String,
    /// The path, percent-decoded (as received when it does not decode), without the query.
    pub path: String,
    /// The matched route's path parameters, decoded.
    pub params: StringMap,
    /// The query parameters, decoded; the last of a repeated name wins.
    pub query: StringMap,
    /// The headers, by lowercase name.
    pub headers: StringMap,
    /// JSON when the body is JSON, text when text, base64 when binary, null when absent.
    pub body: Value,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

impl<S> FromRequest<S> for FunctionEvent {
    const READS_ALL_HEADERS: bool = true;

    /// Any body, any query: the function reads what it likes.
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        FunctionEvent::of(request, |_| true, |_| true)
    }
}

impl FunctionEvent {
    /// The event of `request`, with the query parameters and headers (lower-case
    /// names) that `keep_query` and `keep_header` admit: a function upstream
    /// leaves out the credentials the gateway consumed. One body for every
    /// state type: it is not generic.
    pub fn of(
        request: &Request,
        keep_query: impl Fn(&str) -> bool,
        keep_header: impl Fn(&str) -> bool,
    ) -> Result<FunctionEvent, ApiError> {
        FunctionEvent::filtered(request, &keep_query, &keep_header)
    }

    fn filtered(
        request: &Request,
        keep_query: &dyn Fn(&str) -> bool,
        keep_header: &dyn Fn(&str) -> bool,
    ) -> Result<FunctionEvent, ApiError> {
        let query = query_pairs(request)?;
        let (body, is_base64_encoded) = if request.body_bytes().is_empty() {
            (Value::Null, false)
        } else if is_json_content_type(request) {
            (parse_json_value(request.body_bytes())?, false)
        } else {
            let event = EventBody::of(request);
            (
                event.body.map(Value::String).unwrap_or(Value::Null),
                event.is_base64_encoded,
            )
        };
        Ok(FunctionEvent {
            method: request.method.as_str().to_owned(),
            path: percent_decode(&request.path)
                .map(|p| p.into_owned())
                .unwrap_or_else(|_| request.path.clone()),
            params: StringMap::of(request.params().map(|(n, v)| (n.to_owned(), v.to_owned()))),
            query: StringMap::of(query.into_iter().filter(|(name, _)| keep_query(name))),
            headers: StringMap::of(
                request
                    .headers
                    .iter()
                    .filter(|(name, _)| keep_header(name))
                    .map(|(n, v)| (n.to_owned(), v.to_owned())),
            ),
            body,
            is_base64_encoded,
        })
    }
}

/// Names to string values, sorted by name, each name once (the last value
/// given wins): the event's params, query and headers. A sorted vector, not
/// a `BTreeMap`: these maps hold a few dozen entries at most, and the tree's
/// code would cost the wasm 2 KiB gzip for nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringMap(Vec<(String, String)>);

impl StringMap {
    /// A map of `pairs`; a name given twice keeps its last value.
    pub fn of(pairs: impl IntoIterator<Item = (String, String)>) -> StringMap {
        let mut map = StringMap(Vec::new());
        for (name, value) in pairs {
            map.insert(name, value);
        }
        map
    }

    /// Sets `name` to `value`, replacing an earlier value.
    pub fn insert(&mut self, name: String, value: String) {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(&name)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (name, value)),
        }
    }

    /// The value of `name` (names are compared exactly).
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self.0.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok()?;
        Some(&self.0[at].1)
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds no name.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for StringMap {
    /// A JSON object, in name order.
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut out = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            out.serialize_entry(name, value)?;
        }
        out.end()
    }
}

impl Serialize for FunctionEvent {
    /// Both vocabularies at once: the seed's (`method`, `params`, `query`) and
    /// the gateway event's (`httpMethod`, `pathParameters`, `queryParameters`).
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut out = serializer.serialize_struct("FunctionEvent", 11)?;
        out.serialize_field("method", &self.method)?;
        out.serialize_field("path", &self.path)?;
        out.serialize_field("params", &self.params)?;
        out.serialize_field("query", &self.query)?;
        out.serialize_field("headers", &self.headers)?;
        out.serialize_field("body", &self.body)?;
        out.serialize_field("httpMethod", &self.method)?;
        out.serialize_field("pathParameters", &self.params)?;
        out.serialize_field("queryParameters", &self.query)?;
        out.serialize_field("isBase64Encoded", &self.is_base64_encoded)?;
        out.end()
    }
}

/// The event as its `Serialize` writes it, for the OpenAPI document.
impl schemars::JsonSchema for FunctionEvent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FunctionEvent".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let strings = serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}});
        schemars::json_schema!({
            "type": "object",
            "description": "The request as a seed function receives it, in the seeds' and API Gateway's names.",
            "required": ["method", "path", "params", "query", "headers", "body",
                         "httpMethod", "pathParameters", "queryParameters", "isBase64Encoded"],
            "properties": {
                "method": {"type": "string"},
                "path": {"type": "string"},
                "params": strings,
                "query": strings,
                "headers": strings,
                "body": {"description": "JSON when the body is JSON, text when text, base64 when binary (see `isBase64Encoded`), null when absent."},
                "httpMethod": {"type": "string"},
                "pathParameters": strings,
                "queryParameters": strings,
                "isBase64Encoded": {"type": "boolean"},
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::StringMap;

    #[test]
    fn a_string_map_keeps_names_sorted_and_the_last_value() {
        let pairs = [("b", "1"), ("a", "2"), ("b", "3"), ("", "4")];
        let map = StringMap::of(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        assert_eq!(map.iter().collect::<Vec<_>>(), [("", "4"), ("a", "2"), ("b", "3")]);
        assert_eq!((map.get("b"), map.get("c"), map.len()), (Some("3"), None, 3));
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"":"4","a":"2","b":"3"}"#);
    }
}
