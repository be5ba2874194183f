//! The request as a function receives it: the gateway event of API Gateway
//! and Function Compute (and of the project's seed documents' "Request &
//! Response" functions, where the name "seed" came from), with the
//! API-gateway event's field names beside it, for handlers ported from there.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

use super::body::{is_json_content_type, parse_json_bytes, EventBody};
use super::{query_pairs, FromRequest};
use crate::http::{percent_decode, Request};
use crate::problem::ApiError;

/// The whole request as a seed function receives it: `method` uppercase,
/// `path` without the query, `params`, `query` and `headers` as string maps
/// (query values always strings, the last of a repeated name wins; header
/// names lowercase), and `body` parsed as JSON when it is JSON, as text when it
/// is text, base64 when binary, and null when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionEvent {
    pub method: String,
    pub path: String,
    pub params: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    pub is_base64_encoded: bool,
}

impl<S> FromRequest<S> for FunctionEvent {
    const READS_ALL_HEADERS: bool = true;

    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        let query = query_pairs(request)?;
        let (body, is_base64_encoded) = if request.body_bytes().is_empty() {
            (Value::Null, false)
        } else if is_json_content_type(request) {
            (parse_json_bytes::<Value>(request.body_bytes())?, false)
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
            params: request.params().map(|(n, v)| (n.to_owned(), v.to_owned())).collect(),
            query: query.into_iter().collect(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            body,
            is_base64_encoded,
        })
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
