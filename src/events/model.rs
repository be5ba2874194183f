//! Events as partners send them, as they travel on the Queue, and as the
//! API shows them; the validation of what partners send.

use serde_json::Value;

use super::kinds as event_kinds;
use edgegate::problem::{kinds, ApiError};

/// An event's `type`: 1 to 100 characters.
pub const TYPE_MAX_CHARS: usize = 100;
/// An event's `type` has no control character (`char::is_control`: C0, DEL, C1).
pub const TYPE_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$";
/// An event's `data`: at most 64 KiB as compact JSON.
pub const DATA_MAX_BYTES: usize = 64 * 1024;

/// `POST /partners/events`' body, for the OpenAPI document: what
/// [`NewEvent::from_json`] reads.
#[derive(Debug, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EventBody {
    /// What happened: 1 to 100 characters, none of them a control character.
    #[serde(rename = "type")]
    #[schemars(length(min = 1, max = TYPE_MAX_CHARS), regex(pattern = TYPE_PATTERN))]
    pub kind: String,
    /// The event's payload: a JSON object, at most 64 KiB as compact JSON.
    pub data: serde_json::Map<String, Value>,
}

/// A validated event: its type, and its data as the partner wrote it,
/// without the whitespace between tokens (numbers keep every digit: a
/// parsed `Value` would round an integer beyond 64 bits or a decimal beyond
/// an `f64`'s precision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: String,
    pub data: String,
}

/// A body of the wrong shape (the framework's kind, naming the field).
fn shape(field: &str, detail: String) -> ApiError {
    ApiError::of(kinds::INVALID_BODY, detail).with_extension("field", field.to_owned())
}

fn invalid(field: &'static str, detail: String) -> ApiError {
    ApiError::of(event_kinds::INVALID_EVENT, detail).with_extension("field", field)
}

impl NewEvent {
    /// Reads `{"type", "data"}` from a body (`json`) and its parsed `body`:
    /// its shape (an object with exactly those fields, a string and an
    /// object: else 422 `invalid-body` naming the field), then its rules
    /// (422 `invalid-event`); `data` is taken from the text itself. Read by
    /// hand rather than derived: the parser the gateway carries for D1 rows
    /// serves, and the wasm file stays small.
    pub fn from_json(json: &[u8], body: &Value) -> Result<NewEvent, ApiError> {
        let Value::Object(fields) = body else {
            return Err(shape(".", "the request body must be a JSON object".into()));
        };
        if let Some(unknown) = fields.keys().find(|name| *name != "type" && *name != "data") {
            // Named in both places, or in neither (a name past 64 characters).
            return Err(match unknown.chars().count() <= 64 {
                true => shape(unknown, format!("unknown field `{unknown}`, expected `type` or `data`")),
                false => shape(".", "an unknown field, expected `type` or `data`".into()),
            });
        }
        // A name given twice is refused, not read as its last value (as a
        // parsed object would): what else reads the text may take the first.
        for name in ["type", "data"] {
            if member(json, name).is_some_and(|(_, count)| count > 1) {
                return Err(shape(name, format!("duplicate field `{name}`")));
            }
        }
        let kind = match fields.get("type") {
            Some(Value::String(kind)) => kind,
            Some(_) => return Err(shape("type", "body field `type` must be a string".into())),
            None => return Err(shape("type", "missing field `type`".into())),
        };
        match fields.get("data") {
            Some(Value::Object(_)) => {}
            Some(_) => return Err(shape("data", "body field `data` must be a JSON object".into())),
            None => return Err(shape("data", "missing field `data`".into())),
        }
        let chars = kind.chars().count();
        if chars == 0 || chars > TYPE_MAX_CHARS {
            return Err(invalid(
                "type",
                format!("body field `type` is {chars} characters; it must be 1 to {TYPE_MAX_CHARS}"),
            ));
        }
        if kind.chars().any(char::is_control) {
            return Err(invalid(
                "type",
                "body field `type` must not hold control characters".into(),
            ));
        }
        let data = exact_member(json, "data").ok_or_else(|| ApiError::internal("a parsed body lost its `data`"))?;
        if data.len() > DATA_MAX_BYTES {
            let size = data.len();
            return Err(invalid(
                "data",
                format!("body field `data` is {size} bytes as compact JSON; at most {DATA_MAX_BYTES} are allowed"),
            ));
        }
        Ok(NewEvent {
            kind: kind.clone(),
            data,
        })
    }

    /// What an `Idempotency-Key`'s fingerprint is taken of: the type (which
    /// holds no line break) and the data.
    pub fn canonical(&self) -> Vec<u8> {
        [self.kind.as_bytes(), b"\n", self.data.as_bytes()].concat()
    }
}

/// The member `name` of the JSON object `json` as its text, without the
/// whitespace between tokens; the last one if the name repeats (as a parsed
/// `Value` keeps it). `None` if `json` is not an object with that member.
/// Only for text that parsed as JSON: it finds token boundaries, it does not
/// check them. (serde_json's `RawValue` would do it, but its feature makes
/// every JSON parse in the wasm larger: +6 KiB gzip.)
pub(crate) fn exact_member(json: &[u8], name: &str) -> Option<String> {
    member(json, name)?.0
}

/// [`exact_member`], and how many times the name is given.
fn member(json: &[u8], name: &str) -> Option<(Option<String>, usize)> {
    let mut at = skip_space(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    let (mut found, mut count) = (None, 0);
    loop {
        at = skip_space(json, at + 1);
        if json.get(at) != Some(&b'"') {
            return Some((found, count)); // `}`: the end of an empty object.
        }
        let key_end = token_end(json, at)?;
        let key = &json[at..key_end];
        let is_name = match key.contains(&b'\\') {
            false => &key[1..key.len() - 1] == name.as_bytes(),
            true => serde_json::from_slice::<String>(key).ok()? == name,
        };
        at = skip_space(json, key_end) + 1; // past `:`
        let start = skip_space(json, at);
        let end = token_end(json, start)?;
        if is_name {
            found = Some(compact(std::str::from_utf8(&json[start..end]).ok()?));
            count += 1;
        }
        at = skip_space(json, end);
        if json.get(at) != Some(&b',') {
            return Some((found, count));
        }
    }
}

fn skip_space(json: &[u8], mut at: usize) -> usize {
    while matches!(json.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Where the JSON value starting at `at` ends (a string, an object or array
/// with all it holds, or a literal or number).
fn token_end(json: &[u8], mut at: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    loop {
        let byte = *json.get(at)?;
        at += 1;
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return Some(at);
                    }
                }
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            // A literal or number ends at the first byte that is not of it.
            b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return Some(at - 1),
            _ => {}
        }
        if depth == 0 && at == json.len() {
            return Some(at);
        }
    }
}

/// Valid JSON text without the whitespace between its tokens; strings,
/// escapes and numbers stay as written. The runs between whitespace are
/// copied whole.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped, mut run) = (false, false, 0);
    for (at, byte) in json.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            // An ASCII byte's index: a character boundary.
            out.push_str(&json[run..at]);
            run = at + 1;
        } else {
            in_string = byte == b'"';
        }
    }
    out.push_str(&json[run..]);
    out
}

/// What travels on the Queue (as JSON text): everything the consumer
/// records, so it never needs the request's own write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    /// Who sent it (`Principal::qualified`): the only one who may read it.
    pub consumer: String,
    pub kind: String,
    /// The event's data: a JSON object, as text.
    pub data: String,
    pub received_at: String,
}

/// A JSON string literal.
pub(crate) fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// A JSON object from its members' names and JSON texts, in order (one
/// loop for every object the events API writes, rather than a `format!` each).
pub(crate) fn json_object(members: &[(&str, &str)]) -> String {
    let mut json = String::from("{");
    for (name, value) in members {
        if json.len() > 1 {
            json.push(',');
        }
        json.push('"');
        json.push_str(name);
        json.push_str("\":");
        json.push_str(value);
    }
    json.push('}');
    json
}

/// The string member `name` of a JSON object.
fn text(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

impl Message {
    /// `{"id", "consumer", "type", "received_at", "data"}`, with `data` as it is.
    pub fn to_json(&self) -> String {
        json_object(&[
            ("id", &quoted(&self.id)),
            ("consumer", &quoted(&self.consumer)),
            ("type", &quoted(&self.kind)),
            ("received_at", &quoted(&self.received_at)),
            ("data", &self.data),
        ])
    }

    /// A message [`Message::to_json`] wrote; `None` for anything else.
    /// `data` is kept as its text, every digit of it.
    pub fn from_json(text: &str) -> Option<Message> {
        let value: Value = serde_json::from_slice(text.as_bytes()).ok()?;
        value.get("data").filter(|data| data.is_object())?;
        Some(Message {
            id: self::text(&value, "id")?,
            consumer: self::text(&value, "consumer")?,
            kind: self::text(&value, "type")?,
            data: exact_member(text.as_bytes(), "data")?,
            received_at: self::text(&value, "received_at")?,
        })
    }
}

/// Where an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Accepted and waiting for the consumer (or for another try).
    Queued,
    /// Recorded by the consumer.
    Processed,
    /// Rejected on every try, and recorded from the dead-letter queue.
    Dead,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Queued => "queued",
            EventStatus::Processed => "processed",
            EventStatus::Dead => "dead",
        }
    }

    /// The status a stored text names.
    pub fn parse(text: &str) -> Option<EventStatus> {
        [EventStatus::Queued, EventStatus::Processed, EventStatus::Dead]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// An event as its sender sees it (`GET /partners/events/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, schemars::JsonSchema)]
pub struct EventView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: EventStatus,
    /// How many times the consumer tried to process it.
    pub attempts: u32,
    pub received_at: String,
    /// When it reached its last status (`processed` or `dead`); null while queued.
    pub processed_at: Option<String>,
}

/// An event as stored: its view's fields, who sent it, and the consumer's notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: String,
    /// Who sent it (`Principal::qualified`).
    pub consumer: String,
    pub kind: String,
    pub status: EventStatus,
    pub attempts: u32,
    /// How many deliveries of it the consumer saw (redeliveries included).
    pub deliveries: u32,
    pub received_at: String,
    pub processed_at: Option<String>,
    /// Why the last try failed, if one did.
    pub last_error: Option<String>,
}

impl EventRecord {
    /// A stored row, as JSON (`partner_events`' columns); `None` if it is not one.
    pub fn from_row(row: &Value) -> Option<EventRecord> {
        let count = |name: &str| {
            row.get(name)
                .and_then(Value::as_u64)
                .map(|n| n.min(u32::MAX as u64) as u32)
        };
        Some(EventRecord {
            id: text(row, "id")?,
            consumer: text(row, "consumer")?,
            kind: text(row, "type")?,
            status: EventStatus::parse(row.get("status")?.as_str()?)?,
            attempts: count("attempts")?,
            deliveries: count("deliveries")?,
            received_at: text(row, "received_at")?,
            processed_at: text(row, "processed_at"),
            last_error: text(row, "last_error"),
        })
    }

    /// What its sender sees.
    pub fn view(&self) -> EventView {
        EventView {
            id: self.id.clone(),
            kind: self.kind.clone(),
            status: self.status,
            attempts: self.attempts,
            received_at: self.received_at.clone(),
            processed_at: self.processed_at.clone(),
        }
    }
}

impl EventView {
    /// Its JSON, written out (no serializer derived for one type's sake).
    pub fn to_json(&self) -> String {
        let processed_at = self.processed_at.as_deref().map_or(String::from("null"), quoted);
        json_object(&[
            ("id", &quoted(&self.id)),
            ("type", &quoted(&self.kind)),
            ("status", &quoted(self.status.as_str())),
            ("attempts", &self.attempts.to_string()),
            ("received_at", &quoted(&self.received_at)),
            ("processed_at", &processed_at),
        ])
    }
}

/// The 202's body: the event's id, queued.
#[derive(Debug, Clone, PartialEq, Eq, schemars::JsonSchema)]
pub struct Accepted {
    pub id: String,
    pub status: EventStatus,
}
