//! Body extractors: JSON into a serde type, raw bytes, and the gateway event's
//! text-or-base64 view.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::FromRequest;
use crate::http::{base64_encode, IntoResponse, Request, Response, Status};
use crate::problem::kinds;
use crate::problem::ApiError;

/// A JSON body parsed into `T` (as an extractor), or a JSON response (as a
/// return value).
///
/// As an extractor: a body is required (`Option<Json<T>>` turns a missing
/// body into `None`); its content type must be JSON (else 415); malformed JSON
/// is a 400 with line and column; valid JSON of the wrong shape is a 422
/// naming the field.
///
/// ```
/// use edgegate::extract::Json;
/// use edgegate::routing::{Route, RouteTable};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Note {
///     text: String,
/// }
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Saved {
///     chars: usize,
/// }
///
/// // `POST /notes` with `{"text": "..."}` → `{"chars": 3}`
/// async fn save(Json(note): Json<Note>) -> Json<Saved> {
///     Json(Saved {
///         chars: note.text.chars().count(),
///     })
/// }
///
/// let table = RouteTable::<()>::new([Route::post("/notes", save).api_key()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Json<T> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        if request.body_bytes().is_empty() {
            return Err(ApiError::of(
                kinds::MISSING_BODY,
                "this route requires a JSON request body",
            ));
        }
        parse_json(request).map(Json)
    }
}

impl<S, T: DeserializeOwned> FromRequest<S> for Option<Json<T>> {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        if request.body_bytes().is_empty() {
            return Ok(None);
        }
        parse_json(request).map(|value| Some(Json(value)))
    }
}

/// What reading a JSON body can answer: the wrong content type, JSON that
/// does not parse, JSON of the wrong shape, a body cut short.
/// A content type without its parameters, lowercase: `text/plain; charset=x` → `text/plain`.
fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Whether the request says its body is JSON, as sent (not encoded).
pub(crate) fn is_json_content_type(request: &Request) -> bool {
    !is_encoded(request) && says_json(request)
}

/// Whether its type is `application/json` or any `application/*+json`,
/// parameters such as `charset` allowed.
fn says_json(request: &Request) -> bool {
    let Some(value) = request.headers.get("content-type") else {
        return false;
    };
    let essence = essence(value);
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether the body is encoded (`Content-Encoding` other than `identity`).
fn is_encoded(request: &Request) -> bool {
    request
        .headers
        .get("content-encoding")
        .map(str::trim)
        .is_some_and(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"))
}

fn parse_json<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    check_json_content_type(request)?;
    parse_json_bytes(request.body_bytes())
}

/// A 415 unless the body says it is JSON. Not generic, like the error
/// mapping below: one copy for every body type.
#[inline(never)]
fn check_json_content_type(request: &Request) -> Result<(), ApiError> {
    unencoded(request)?;
    if says_json(request) {
        return Ok(());
    }
    let got = request.headers.get("content-type").unwrap_or("none");
    Err(ApiError::of(
        kinds::UNSUPPORTED_MEDIA_TYPE,
        format!("the request body must be `application/json`, got content type `{got}`"),
    ))
}

/// A 415 with `Accept-Encoding: identity` when the body is encoded
/// (`Content-Encoding` other than `identity`): the gateway reads bodies as
/// sent (RFC 9110 §15.5.16), and a compressed one would be mistaken for
/// malformed JSON.
pub fn unencoded(request: &Request) -> Result<(), ApiError> {
    match is_encoded(request) {
        false => Ok(()),
        true => Err(ApiError::of(
            kinds::UNSUPPORTED_MEDIA_TYPE,
            "the request body must not be encoded: send it without Content-Encoding",
        )
        .with_header("accept-encoding", "identity")),
    }
}

/// Parses JSON with the gateway's error rules; pure, so handlers and tests can
/// use it on bytes they already have.
pub fn parse_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(invalid_body)?;
    deserializer.end().map_err(|trailing| malformed(&trailing))?;
    Ok(value)
}

/// JSON read into a `Value`, with the errors [`parse_json_bytes`] gives: a
/// `Value` takes any JSON, so only its syntax can be wrong, and no field path
/// is tracked (that tracking's `Value` instance cost the wasm about 4 KB).
pub(crate) fn parse_json_value(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde::Deserialize::deserialize(&mut deserializer).map_err(|error| malformed(&error))?;
    deserializer.end().map_err(|trailing| malformed(&trailing))?;
    Ok(value)
}

/// The problem JSON that does not parse, or does not fit the body type,
/// answers with. Not generic: one copy for every body type.
#[inline(never)]
fn invalid_body(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.classify() != serde_json::error::Category::Data {
        return malformed(&inner);
    }
    let message = strip_position(&inner.to_string());
    // A missing field is reported on its parent; name the field itself.
    let field = match missing_field_name(&message) {
        Some(name) if path == "." => name.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None => path,
    };
    // The client's text (an unknown name, a value of the wrong type) is
    // echoed at most so long: a megabyte's key is not three in the answer.
    let (field, message) = (cut(field), cut(message));
    ApiError::of(kinds::INVALID_BODY, format!("body field `{field}`: {message}")).with_extension("field", field)
}

/// `text` cut to at most 200 bytes (at a character boundary), marked `…`.
fn cut(mut text: String) -> String {
    const MAX: usize = 200;
    if text.len() > MAX {
        text.truncate(crate::http::prefix(&text, MAX).len());
        text.push('…');
    }
    text
}

/// The 400 for JSON that does not parse, naming line and column.
#[inline(never)]
fn malformed(error: &serde_json::Error) -> ApiError {
    let message = strip_position(&error.to_string());
    ApiError::of(
        kinds::MALFORMED_JSON,
        format!(
            "the body is not valid JSON: {message} at line {} column {}",
            error.line(),
            error.column()
        ),
    )
    .with_extension("line", error.line())
    .with_extension("column", error.column())
}

/// serde_json appends " at line L column C" to its messages; the position is
/// reported separately here.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn missing_field_name(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_string(&self.0) {
            Ok(text) => Response::json_text(Status::OK, text),
            Err(error) => unserializable(error),
        }
    }
}

/// The 500 a `Json` return value that does not serialize answers with; not
/// generic, one copy for every body type.
#[inline(never)]
fn unserializable(error: serde_json::Error) -> Response {
    ApiError::internal(format!("response did not serialize to JSON: {error}")).into_response()
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        Response::bytes(Status::OK, self.0)
    }
}

/// The raw body bytes, whatever the content type (empty when there is none).
///
/// ```
/// use edgegate::extract::Bytes;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn upload(Bytes(body): Bytes) -> String {
///     format!("{} bytes", body.len())
/// }
///
/// // As a return value: `application/octet-stream`.
/// async fn download() -> Bytes {
///     Bytes(vec![0, 1, 2])
/// }
///
/// let table = RouteTable::<()>::new([
///     Route::put("/blob", upload).api_key(),
///     Route::get("/blob", download).api_key(),
/// ]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl<S> FromRequest<S> for Bytes {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(Bytes(request.body_bytes().to_vec()))
    }
}

/// The body as a gateway event carries it: text when it is UTF-8 and the
/// content type is textual, otherwise base64 with `is_base64_encoded` set.
///
/// ```
/// use edgegate::extract::EventBody;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn store(event: EventBody) -> String {
///     match (event.body, event.is_base64_encoded) {
///         (None, _) => "no body".to_owned(),
///         (Some(text), false) => format!("text: {text}"),
///         (Some(base64), true) => format!("base64: {base64}"),
///     }
/// }
///
/// let table = RouteTable::<()>::new([Route::post("/store", store).api_key()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBody {
    /// `None` when the request had no body.
    pub body: Option<String>,
    /// Whether `body` is base64: the bytes were not UTF-8, or not of a textual type.
    pub is_base64_encoded: bool,
}

impl EventBody {
    /// The body of `request` (read by the gateway) as an event carries it.
    pub fn of(request: &Request) -> EventBody {
        let bytes = request.body_bytes();
        if bytes.is_empty() {
            return EventBody {
                body: None,
                is_base64_encoded: false,
            };
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if is_textual(request.headers.get("content-type")) => EventBody {
                body: Some(text.to_owned()),
                is_base64_encoded: false,
            },
            _ => EventBody {
                body: Some(base64_encode(bytes)),
                is_base64_encoded: true,
            },
        }
    }
}

/// Content types whose bodies are text; a missing type counts as text when the
/// bytes are UTF-8 (curl and forms often send none that says otherwise).
fn is_textual(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else { return true };
    let essence = essence(value);
    essence.starts_with("text/")
        || essence.ends_with("json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/xml"
                | "application/x-www-form-urlencoded"
                | "application/javascript"
                | "application/graphql"
                | ""
        )
}

impl<S> FromRequest<S> for EventBody {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(EventBody::of(request))
    }
}

/// A JSON object deserialized into `T`. serde lets a struct be written as an
/// array of its fields (`["name"]`); a JSON API should refuse that, so wrap
/// body types in `Object` (`Json<Object<NewItem>>`) and an array is a 422.
///
/// ```
/// use edgegate::extract::{Json, Object};
/// use edgegate::routing::{Route, RouteTable};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct NewItem {
///     name: String,
/// }
///
/// async fn create(Json(Object(item)): Json<Object<NewItem>>) -> String {
///     item.name
/// }
///
/// let table = RouteTable::<()>::new([Route::post("/items", create).api_key()]);
/// assert!(table.is_ok());
///
/// // An object is read as `T` is; the same fields as an array are refused.
/// assert!(serde_json::from_str::<Object<NewItem>>(r#"{"name": "pen"}"#).is_ok());
/// assert!(serde_json::from_str::<Object<NewItem>>(r#"["pen"]"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T>(pub T);

/// Described as `T` is (an object, since it is a struct).
impl<T: schemars::JsonSchema> schemars::JsonSchema for Object<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}
