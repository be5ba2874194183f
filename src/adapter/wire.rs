//! The byte layouts requests and responses cross the JS↔wasm boundary in.
//! Plain functions over bytes, so they are tested on the host.
//!
//! Request (written by `worker/entry.js`): `method\nurl\n`, then
//! `name\nvalue\n` per header, an empty line, then the body bytes. Header
//! names and values are the runtime's byte strings, one byte per character,
//! and never contain a newline. The headers are either all of the request's
//! or only those in [`READ_HEADERS`]; the caller says which.
//!
//! Response (written here): three little-endian u32 — the total length, the
//! offset of the body, the offset of the log line — then `status\n`,
//! `name\nvalue\n` per header and an empty line, then the body bytes, then the
//! access log line (for the entry to `console.log`).

use crate::gateway::READ_HEADERS;
use crate::http::{Headers, Method, Request, RequestBody, Response, ResponseBody};

pub const RESPONSE_PREFIX: usize = 12;

/// Parses a request; `body_length` is how many trailing bytes are the body
/// (-1: none). Without `all_headers`, the headers are a selection of [`READ_HEADERS`].
pub fn read_request(bytes: &[u8], body_length: i32, all_headers: bool) -> Request {
    let head_end = if body_length >= 0 {
        bytes.len().saturating_sub(body_length as usize)
    } else {
        bytes.len()
    };
    let mut lines = bytes[..head_end].split(|b| *b == b'\n');
    let method = lines.next().map(latin1).unwrap_or_default();
    let url = lines.next().map(latin1).unwrap_or_default();
    let mut request = Request::new(Method::parse(&method), target_of(&url));
    let mut headers = Headers::new();
    while let Some(name) = lines.next() {
        if name.is_empty() {
            break;
        }
        let value = lines.next().unwrap_or_default();
        headers.append(latin1(name), byte_string(value));
    }
    request.headers = if all_headers {
        headers
    } else {
        headers.selected(READ_HEADERS)
    };
    if body_length >= 0 {
        request.body = RequestBody::Bytes(bytes[head_end..].to_vec());
    }
    request
}

/// A header value: the bytes a client sent, read as UTF-8 when they are
/// (browsers send UTF-8), else one character per byte.
fn byte_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => latin1(bytes),
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// `https://host/path?query#fragment` → `/path?query`.
pub fn target_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let target = url[after_scheme..].find('/').map_or("/", |i| &url[after_scheme + i..]);
    target.split_once('#').map_or(target, |(before, _)| before)
}

/// Writes a response (and its log line) into `out`, replacing what was there.
pub fn write_response(out: &mut Vec<u8>, response: Response, log: &str) {
    out.clear();
    out.extend_from_slice(&[0; RESPONSE_PREFIX]);
    out.extend_from_slice(response.status.0.to_string().as_bytes());
    out.push(b'\n');
    for (name, value) in response.headers() {
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    let body_offset = out.len();
    match &response.body {
        ResponseBody::Empty => {}
        ResponseBody::Text(text) => out.extend_from_slice(text.as_bytes()),
        ResponseBody::Bytes(bytes) => out.extend_from_slice(bytes),
        ResponseBody::Problem(problem) => out.extend_from_slice(problem.to_json("").as_bytes()),
    }
    let log_offset = out.len();
    out.extend_from_slice(log.as_bytes());
    let total = out.len();
    for (slot, value) in [total, body_offset, log_offset].into_iter().enumerate() {
        out[slot * 4..slot * 4 + 4].copy_from_slice(&(value as u32).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Status;

    #[test]
    fn requests_parse_with_and_without_bodies() {
        let wire = b"POST\nhttps://example.com/api/greet/Al%20ice?lang=es#top\ncontent-type\napplication/json\nx-name\nJ\xc3\xbcrgen\nx-latin\n\xe9t\xe9\n\n{\"a\":1}";
        let request = read_request(wire, 7, true);
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.path, "/api/greet/Al%20ice");
        assert_eq!(request.query.as_deref(), Some("lang=es"));
        assert_eq!(request.headers.get("content-type"), Some("application/json"));
        assert_eq!(request.headers.get("x-name"), Some("Jürgen"));
        assert_eq!(request.headers.get("x-latin"), Some("été"));
        assert_eq!(request.body_bytes(), b"{\"a\":1}");

        let get = read_request(b"GET\nhttp://localhost:8787\n\n", -1, true);
        assert_eq!((get.path.as_str(), get.query.as_deref()), ("/", None));
        assert!(matches!(get.body, RequestBody::Empty));
        let empty_body = read_request(b"PUT\nhttp://h/x\n\n", 0, true);
        assert!(matches!(empty_body.body, RequestBody::Bytes(ref b) if b.is_empty()));
    }

    #[test]
    fn a_request_with_the_gateway_headers_only_is_marked_a_selection() {
        let wire = b"GET\nhttp://h/hello\norigin\nhttp://a\nx-extra\n1\n\n";
        let selection = read_request(wire, -1, false);
        assert!(!selection.headers.is_complete());
        assert_eq!(selection.headers.get("origin"), Some("http://a"));
        assert!(read_request(wire, -1, true).headers.is_complete());
    }

    #[test]
    fn responses_carry_offsets_headers_body_and_log() {
        let response = Response::text(Status::CREATED, "héllo").with_header("x-a", "1");
        let mut out = vec![9, 9, 9];
        write_response(&mut out, response, "{\"log\":1}");
        let word = |i: usize| u32::from_le_bytes(out[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let (total, body, log) = (word(0), word(1), word(2));
        assert_eq!(total, out.len());
        assert_eq!(
            &out[RESPONSE_PREFIX..body],
            b"201\ncontent-type\ntext/plain; charset=utf-8\nx-a\n1\n\n"
        );
        assert_eq!(std::str::from_utf8(&out[body..log]).unwrap(), "héllo");
        assert_eq!(&out[log..], b"{\"log\":1}");
    }
}
