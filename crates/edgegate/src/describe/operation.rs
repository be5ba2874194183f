//! One operation (a method on a path) of the document, as its route's
//! pieces describe it: extractors add parameters and bodies, return types
//! add successes, policies and the gateway add the problems they answer.

use std::collections::BTreeMap;

use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::http::Status;
use crate::problem::ProblemKind;

/// Makes a type's schema (a `$ref` for named types) with a generator.
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Value;

pub(crate) fn schema_of<T: JsonSchema + ?Sized>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// A generator whose named schemas go to `components/schemas`, describing
/// what clients send (`Deserialize`) or what they get (`Serialize`).
pub(crate) fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
            settings.contract = contract;
        })
        .into_generator()
}

/// One documented response of an operation.
#[derive(Debug, Default)]
pub(crate) struct ResponseDoc {
    pub description: String,
    /// Media type and schema; none for an empty body.
    pub content: Option<(String, Value)>,
    pub headers: BTreeMap<String, Value>,
}

/// An operation being described. Handlers' extractors and return types,
/// policies and the gateway each add what they can answer.
pub struct Operation<'g> {
    requests: &'g mut SchemaGenerator,
    responses_generator: &'g mut SchemaGenerator,
    /// The path template's parameter names, in order.
    template_params: Vec<String>,
    pub(crate) params: Vec<Value>,
    pub(crate) body: Option<Value>,
    pub(crate) responses: BTreeMap<String, ResponseDoc>,
    pub(crate) problems: Vec<ProblemKind>,
    /// Headers the problems of a status carry (`Retry-After` on a 409), by status.
    pub(crate) problem_headers: Vec<(u16, String, Value)>,
    /// The handler's arguments are described: what follows is its return type.
    in_response: bool,
    /// An upstream's route: any status may be the upstream's own answer.
    pub(crate) passes_through: bool,
}

impl<'g> Operation<'g> {
    /// From now on, types describe what the handler returns (a `Json<T>`
    /// is then a response, not a body).
    pub fn start_response(&mut self) {
        self.in_response = true;
    }

    /// Whether types now describe the handler's return type.
    pub fn describing_response(&self) -> bool {
        self.in_response
    }

    pub(crate) fn new(
        requests: &'g mut SchemaGenerator,
        responses_generator: &'g mut SchemaGenerator,
        template_params: Vec<String>,
    ) -> Operation<'g> {
        Operation {
            requests,
            responses_generator,
            template_params,
            params: Vec::new(),
            body: None,
            responses: BTreeMap::new(),
            problems: Vec::new(),
            problem_headers: Vec::new(),
            in_response: false,
            passes_through: false,
        }
    }

    /// The path parameters, typed by `T`: a struct by field name, a tuple in
    /// template order, or a scalar for a template's one parameter.
    pub fn path_params<T: JsonSchema>(&mut self) {
        let schema = T::json_schema(self.requests).to_value();
        let names = self.template_params.clone();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for name in &names {
                if let Some(field) = properties.get(name) {
                    self.param("path", name, true, field.clone(), None);
                }
            }
        } else if let Some(items) = schema.get("prefixItems").and_then(Value::as_array) {
            for (name, field) in names.iter().zip(items) {
                self.param("path", name, true, field.clone(), None);
            }
        } else if let [name] = names.as_slice() {
            self.param("path", name, true, schema, None);
        }
    }

    /// The query parameters, one per field of the struct `T`; required
    /// unless the field is optional.
    pub fn query_params<T: JsonSchema>(&mut self) {
        let schema = T::json_schema(self.requests).to_value();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, field) in properties {
                let description = field.get("description").and_then(Value::as_str).map(str::to_owned);
                self.param(
                    "query",
                    name,
                    required.contains(&name.as_str()),
                    field.clone(),
                    description,
                );
            }
        }
    }

    /// A parameter, unless one of that name and place is already there.
    pub fn param(&mut self, place: &str, name: &str, required: bool, schema: Value, description: Option<String>) {
        if self.params.iter().any(|p| p["in"] == place && p["name"] == name) {
            return;
        }
        // `?page=` reads as no `page` for an `Option`, and as `""` for a
        // string; a `#[serde(default)]` number, date or UUID refuses it.
        let free_text = schema.get("type") == Some(&json!("string"))
            && schema.get("minLength").is_none_or(|n| n == 0)
            && ["format", "pattern", "enum"].iter().all(|k| schema.get(*k).is_none());
        let empty_allowed = is_nullable(&schema) || free_text;
        let mut schema = parameter_schema(schema);
        if place == "path" && schema.get("type") == Some(&json!("string")) && schema.get("minLength").is_none() {
            // An empty segment never matches the route.
            schema["minLength"] = json!(1);
        }
        let mut param = json!({"name": name, "in": place, "required": required, "schema": schema});
        if let Some(description) = description {
            param["description"] = json!(description);
        }
        if place == "query" && !required && empty_allowed {
            param["allowEmptyValue"] = json!(true);
        }
        self.params.push(param);
    }

    /// Path parameters the handler does not type (a catch-all an upstream
    /// forwards): plain non-empty strings.
    pub(crate) fn untyped_path_params(&mut self, catch_all: bool) {
        let names = self.template_params.clone();
        let last = names.len().saturating_sub(1);
        for (i, name) in names.iter().enumerate() {
            let schema = json!({"type": "string"});
            // The rest of the path: one or more segments (clients resolve
            // `.` and `..` away before sending, as for any path).
            let description = (catch_all && i == last).then(|| "The rest of the path (may contain `/`).".to_owned());
            self.param("path", name, true, schema, description);
        }
    }

    /// A JSON request body of type `T`, required or optional.
    pub fn json_body<T: JsonSchema>(&mut self, required: bool) {
        let schema = schema_of::<T>(self.requests);
        self.body = Some(json!({"required": required, "content": {"application/json": {"schema": schema}}}));
    }

    /// A JSON request body of the schema `schema`, required.
    pub(crate) fn json_body_schema(&mut self, schema: Value) {
        self.body = Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}));
    }

    /// A body of any bytes (an upstream's, a handler's that reads it raw).
    pub fn any_body(&mut self) {
        // JSON first (what a function parses, and /docs' "Try it out"
        // sends by default), then any bytes.
        self.body.get_or_insert_with(|| {
            json!({"required": false, "content": {"application/json": {"schema": {}}, "application/octet-stream": {"schema": {}}}})
        });
    }

    /// A success (or any answer) with a body of type `T` in `media_type`.
    pub fn response_of<T: JsonSchema + ?Sized>(&mut self, status: &str, description: &str, media_type: &str) {
        let schema = schema_of::<T>(self.responses_generator);
        self.response(status, description, Some((media_type, schema)));
    }

    /// A success with a body of the schema `schema` makes.
    pub(crate) fn response_with(&mut self, status: Status, schema: SchemaFn) {
        let schema = schema(self.responses_generator);
        self.response(
            &status.0.to_string(),
            status.reason(),
            Some(("application/json", schema)),
        );
    }

    /// A response of `status` (`"200"`, `"2XX"`, `"default"`).
    pub fn response(&mut self, status: &str, description: &str, content: Option<(&str, Value)>) {
        self.responses.insert(
            status.to_owned(),
            ResponseDoc {
                description: description.to_owned(),
                content: content.map(|(media, schema)| (media.to_owned(), schema)),
                headers: BTreeMap::new(),
            },
        );
    }

    /// Moves a described response to another status (`(Status, T)`, `Created<T>`).
    pub fn move_response(&mut self, from: &str, to: &str, description: &str) {
        if let Some(mut response) = self.responses.remove(from) {
            response.description = description.to_owned();
            self.responses.insert(to.to_owned(), response);
        }
    }

    /// A header a response carries: a success described so far, or the
    /// problems answered with `status` (a 4xx or 5xx).
    pub fn response_header(&mut self, status: &str, name: &str, description: &str, required: bool) {
        let header = json!({"description": description, "required": required, "schema": {"type": "string"}});
        if let Some(response) = self.responses.get_mut(status) {
            response.headers.insert(name.to_owned(), header);
        } else if let Some(code) = status.parse::<u16>().ok().filter(|code| *code >= 400) {
            self.problem_headers.push((code, name.to_owned(), header));
        }
    }

    /// A problem the operation can answer with.
    pub fn problem(&mut self, kind: ProblemKind) {
        if !self.problems.contains(&kind) {
            self.problems.push(kind);
        }
    }

    /// Whether a response of this status is described.
    pub fn has_response(&self, status: &str) -> bool {
        self.responses.contains_key(status)
    }
}

/// A parameter's schema: values arrive as strings, so `null` is never one
/// of its types (an absent optional parameter is simply not sent).
/// Whether `schema` admits null: an `Option<T>` as schemars writes it.
fn is_nullable(schema: &Value) -> bool {
    let null = json!("null");
    match (schema.get("type"), schema.get("anyOf")) {
        (Some(Value::Array(types)), _) => types.contains(&null),
        (_, Some(Value::Array(any_of))) => any_of.iter().any(|s| s.get("type") == Some(&null)),
        _ => false,
    }
}

fn parameter_schema(mut schema: Value) -> Value {
    bound_integers(&mut schema);
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema["type"] = only;
        }
    }
    if let Some(Value::Array(any_of)) = schema.get("anyOf").cloned() {
        // `Option<T>` of a named type: `anyOf: [T, null]`.
        let kept: Vec<Value> = any_of.into_iter().filter(|s| s != &json!({"type": "null"})).collect();
        if let [only] = kept.as_slice() {
            let mut object = Map::new();
            object.insert("allOf".into(), json!([only]));
            return Value::Object(object);
        }
    }
    schema
}

/// An integer's `format` (`uint32`, `int64`) as `minimum`/`maximum`: what
/// the parser refuses must be outside the schema, and schemars states only
/// the sign. Parameters and bodies alike.
pub(crate) fn bound_integers(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            let range: Option<(i128, i128)> = match object.get("format").and_then(Value::as_str) {
                Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
                Some("uint8") => Some((0, u8::MAX.into())),
                Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
                Some("uint16") => Some((0, u16::MAX.into())),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("uint32") => Some((0, u32::MAX.into())),
                Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("uint64") => Some((0, u64::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = range {
                let number = |n: i128| match i64::try_from(n) {
                    Ok(n) => json!(n),
                    Err(_) => json!(n as u64),
                };
                object.entry("minimum").or_insert_with(|| number(min));
                object.entry("maximum").or_insert_with(|| number(max));
            }
            object.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}
