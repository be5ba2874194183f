//! Platform-neutral HTTP types: what the adapter builds from a fetch event and
//! what it turns back into a runtime response. Nothing here knows about JS.

mod encoding;
mod extensions;
pub mod field;
mod headers;
mod into_response;
mod method;
pub mod path;
pub mod problem;
mod request;
mod response;
mod trace;

pub(crate) use encoding::compact_json;
pub(crate) use encoding::prefix;
pub use encoding::{
    base64_decode, base64_encode, base64url_decode, base64url_encode, decimal, form_decode, hex_decode, hex_encode,
    parse_query, percent_decode, percent_decode_bytes, percent_encode, push_decimal, Alphabet, Base64Error,
    QueryDecodeError, TrailingBits,
};
pub use extensions::Extensions;
pub use headers::Headers;
pub use into_response::{Created, IntoResponse};
pub use method::{Method, MethodSet};
pub use request::{BodyReadError, BodySource, InvalidHead, Request, RequestBody, CLIENT_IP_HEADER};
pub use response::{HeaderValue, Response, ResponseBody, Status, StreamBody};
pub use trace::{TraceContext, TRACEPARENT, TRACESTATE};
