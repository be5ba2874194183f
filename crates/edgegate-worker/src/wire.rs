//! The byte layouts requests and responses cross the JS↔wasm boundary in.
//! Plain functions over bytes, so they are tested on the host.
//!
//! Request head (written by `js/entry.js`): fields, each a little-endian
//! u32 byte length and then the field's UTF-8 bytes — the method, the URL,
//! a u32 header count, then each header's name and value. The entry encodes
//! the runtime's strings exactly (`TextEncoder` for anything not ASCII), so
//! a field's bytes are what the runtime decoded, and no value can hold a
//! separator that splits it: there is none. Every field is checked here
//! ([`field`]); one that fails marks the request for a 400 ([`InvalidHead`]).
//! The headers are either all of the request's or only those in
//! the gateway's selection (`Gateway::read_headers`); the caller says which. The body never crosses with the
//! head: the gateway asks for it once the request has passed every check.
//!
//! Response (written here): three little-endian u32 — the total length, the
//! offset of the body, the offset of the log line — then `status\n`,
//! `name\nvalue\n` per header and an empty line, then the body bytes, then the
//! access log line (for the entry to `console.log`). The gateway has checked
//! every header name and value ([`field`]), so none holds a newline.

use edgegate::http::{field, BodySource, Headers, InvalidHead, Method, Request, Response, ResponseBody};

/// The bytes before a response's status line: its three little-endian u32s.
pub const RESPONSE_PREFIX: usize = 12;

/// Reads the length-prefixed fields of a request head in turn.
struct Fields<'a> {
    bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    fn count(&mut self) -> Option<usize> {
        let (word, rest) = self.bytes.split_first_chunk::<4>()?;
        self.bytes = rest;
        Some(u32::from_le_bytes(*word) as usize)
    }

    fn next(&mut self) -> Option<&'a [u8]> {
        let length = self.count()?;
        if length > self.bytes.len() {
            return None;
        }
        let (field, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Some(field)
    }
}

/// Parses a request head whose headers are all the request's (`selection`
/// `None`) or only those the gateway reads (`Some`). A field that is not what the client could validly
/// have sent is left out and the request marked for refusal.
pub fn read_request(bytes: &[u8], selection: Option<&'static [&'static str]>) -> Request {
    let mut fields = Fields { bytes };
    let method = fields.next().and_then(|m| std::str::from_utf8(m).ok());
    let url = fields.next().and_then(|u| std::str::from_utf8(u).ok());
    let target = url.map(target_of).filter(|t| t.bytes().all(|b| b.is_ascii_graphic()));
    let https = url.is_some_and(|u| u.starts_with("https:"));
    let mut request = match (method.filter(|m| field::is_token(m)), target) {
        (Some(method), Some(target)) => Request::new(Method::parse(method), target),
        _ => {
            let mut request = Request::new(Method::Get, "/");
            request.refuse_head(if url.is_none() {
                layout("method or URL")
            } else {
                InvalidHead::Target
            });
            return request;
        }
    };
    let Some(count) = fields.count() else {
        request.refuse_head(layout("header count"));
        return request;
    };
    let mut headers = Headers::new();
    for _ in 0..count {
        let (Some(name), Some(value)) = (fields.next(), fields.next()) else {
            request.refuse_head(layout("header fields"));
            break;
        };
        match (std::str::from_utf8(name), std::str::from_utf8(value)) {
            (Ok(name), Ok(value)) if field::is_token(name) && field::is_value(value) => headers.append(name, value),
            // Trace context that cannot be read is left out, never an
            // error: W3C Trace Context's rule (a new trace is started).
            (Ok(name), _) if is_trace_context(name) => {}
            (Ok(name), _) if field::is_token(name) => request.refuse_head(InvalidHead::Header {
                name: Some(name.to_ascii_lowercase()),
            }),
            _ => request.refuse_head(InvalidHead::Header { name: None }),
        }
    }
    if !fields.bytes.is_empty() {
        request.refuse_head(layout("bytes after the last header"));
    }
    request.headers = match selection {
        None => headers,
        Some(names) => headers.selected(names),
    };
    request.set_https(https);
    request
}

fn is_trace_context(name: &str) -> bool {
    name.eq_ignore_ascii_case("traceparent") || name.eq_ignore_ascii_case("tracestate")
}

fn layout(what: &str) -> InvalidHead {
    InvalidHead::Layout(format!("{what} missing or cut short"))
}

/// `https://host/path?query#fragment` → `/path?query`.
pub fn target_of(url: &str) -> &str {
    // A byte search: `find("://")` sets up a substring searcher per request.
    let after_scheme = url.as_bytes().windows(3).position(|w| w == b"://").map_or(0, |i| i + 3);
    let target = url[after_scheme..].find('/').map_or("/", |i| &url[after_scheme + i..]);
    target.split_once('#').map_or(target, |(before, _)| before)
}

/// Writes a response (and its log line) into `out`, replacing what was there.
pub fn write_response(out: &mut Vec<u8>, response: Response, log: &str) -> Option<Box<dyn BodySource>> {
    out.clear();
    out.extend_from_slice(&[0; RESPONSE_PREFIX]);
    // A body the platform streams is not written here: `*` before the status
    // says the entry takes it separately.
    let stream = match &response.body {
        ResponseBody::Stream(stream) => stream.take(),
        _ => None,
    };
    if stream.is_some() {
        out.push(b'*');
    }
    out.extend_from_slice(edgegate::http::decimal(u64::from(response.status.0)).as_bytes());
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
        ResponseBody::Stream(_) => {}
    }
    let log_offset = out.len();
    out.extend_from_slice(log.as_bytes());
    let total = out.len();
    for (slot, value) in [total, body_offset, log_offset].into_iter().enumerate() {
        out[slot * 4..slot * 4 + 4].copy_from_slice(&(value as u32).to_le_bytes());
    }
    stream
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgegate::http::{RequestBody, Status};

    /// A head in the entry's layout, from strings as the runtime has them.
    pub(crate) fn head(method: &str, url: &str, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        };
        field(method.as_bytes());
        field(url.as_bytes());
        let mut rest = (headers.len() as u32).to_le_bytes().to_vec();
        for (name, value) in headers {
            rest.extend_from_slice(&(name.len() as u32).to_le_bytes());
            rest.extend_from_slice(name.as_bytes());
            rest.extend_from_slice(&(value.len() as u32).to_le_bytes());
            rest.extend_from_slice(value.as_bytes());
        }
        out.extend_from_slice(&rest);
        out
    }

    #[test]
    fn heads_parse_with_their_exact_text() {
        let wire = head(
            "POST",
            "https://example.com/api/greet/Al%20ice?lang=es#top",
            &[
                ("Content-Type", "application/json"),
                ("x-name", "Jürgen"),
                ("x-uni", "a\u{10a}b"),
                ("x-empty", ""),
            ],
        );
        let request = read_request(&wire, None);
        assert_eq!(request.invalid_head(), None);
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.path, "/api/greet/Al%20ice");
        assert_eq!(request.query.as_deref(), Some("lang=es"));
        assert_eq!(request.headers.get("content-type"), Some("application/json"));
        assert_eq!(request.headers.get("x-name"), Some("Jürgen"));
        // U+010A stays U+010A: its low byte is a newline, which once split it into two headers.
        assert_eq!(request.headers.get("x-uni"), Some("a\u{10a}b"));
        assert_eq!(request.headers.get("x-empty"), Some(""));
        assert!(matches!(request.body, RequestBody::Empty));

        let get = read_request(&head("GET", "http://localhost:8787", &[]), None);
        assert_eq!((get.path.as_str(), get.query.as_deref()), ("/", None));
    }

    #[test]
    fn a_request_with_the_gateway_headers_only_is_marked_a_selection() {
        let wire = head("GET", "http://h/hello", &[("origin", "http://a"), ("x-extra", "1")]);
        let selection = read_request(&wire, Some(edgegate::gateway::READ_HEADERS));
        assert!(!selection.headers.is_complete());
        assert_eq!(selection.headers.get("origin"), Some("http://a"));
        assert!(read_request(&wire, None).headers.is_complete());
    }

    #[test]
    fn hostile_fields_mark_the_request_and_are_left_out() {
        for (name, value) in [
            ("x-request-id", "a\ncf-connecting-ip\n203.0.113.5"),
            ("x-api-key", "dev\r\nx: y"),
            ("x-api-key", "nul\0"),
            ("x-a", "bad bytes \u{FFFD}"),
            ("x-a", "del\x7f"),
        ] {
            let request = read_request(
                &head("GET", "http://h/", &[(name, value), ("origin", "http://a")]),
                None,
            );
            assert_eq!(
                request.invalid_head(),
                Some(&InvalidHead::Header {
                    name: Some(name.into())
                }),
                "{value:?}"
            );
            assert_eq!(request.headers.get(name), None);
            assert_eq!(request.headers.get("origin"), Some("http://a"));
        }
        // Trace context that cannot be read is left out, and the request stands.
        for (name, value) in [("traceparent", "00-\u{FFFD}-1"), ("TraceState", "a=b\x7f")] {
            let request = read_request(
                &head("GET", "http://h/", &[(name, value), ("origin", "http://a")]),
                None,
            );
            assert_eq!(request.invalid_head(), None, "{name}");
            assert_eq!(request.headers.get(name), None);
            assert_eq!(request.headers.get("origin"), Some("http://a"));
        }
        for name in ["x a", "x\ny", "é", ""] {
            let request = read_request(&head("GET", "http://h/", &[(name, "v")]), None);
            assert_eq!(
                request.invalid_head(),
                Some(&InvalidHead::Header { name: None }),
                "{name:?}"
            );
        }
        for (method, url) in [
            ("G T", "http://h/"),
            ("GET", "http://h/a b"),
            ("GET", "http://h/\u{e9}"),
            ("", "http://h/"),
        ] {
            assert_eq!(
                read_request(&head(method, url, &[]), None).invalid_head(),
                Some(&InvalidHead::Target)
            );
        }
    }

    #[test]
    fn a_broken_layout_is_the_gateways_fault() {
        let wire = head("GET", "http://h/", &[("a", "1")]);
        for cut in [0, 3, 5, wire.len() - 1] {
            let request = read_request(&wire[..cut], None);
            assert!(
                matches!(request.invalid_head(), Some(&InvalidHead::Layout(_))),
                "cut at {cut}"
            );
        }
        let mut extra = wire.clone();
        extra.push(0);
        assert!(matches!(
            read_request(&extra, None).invalid_head(),
            Some(&InvalidHead::Layout(_))
        ));
    }

    /// A small xorshift generator: the property tests are reproducible.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// A string of every kind of character a header could decode to:
        /// all 256 code points below U+0100, some above, and separators.
        fn text(&mut self) -> String {
            let length = self.next() % 12;
            (0..length)
                .map(|_| match self.next() % 4 {
                    0 => char::from_u32((self.next() % 256) as u32).unwrap(),
                    1 => ['\n', '\r', '\0', ':', '\u{10a}', '\u{10d}', '\u{FFFD}', '\u{1F600}']
                        [(self.next() % 8) as usize],
                    2 => char::from_u32(0x100 + (self.next() % 0xD000) as u32).unwrap_or('x'),
                    _ => (b'a' + (self.next() % 26) as u8) as char,
                })
                .collect()
        }
    }

    /// For arbitrary header names and values the gateway sees exactly the
    /// headers that were sent, or the request is refused: never another header.
    #[test]
    fn property_every_header_arrives_exactly_or_the_request_is_refused() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5000 {
            let sent: Vec<(String, String)> = (0..rng.next() % 5)
                .map(|_| {
                    let name = if rng.next().is_multiple_of(3) {
                        rng.text()
                    } else {
                        format!("x-{}", rng.next() % 1000)
                    };
                    (name, rng.text())
                })
                .collect();
            let pairs: Vec<(&str, &str)> = sent.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let request = read_request(&head("GET", "http://h/", &pairs), None);
            let valid = sent
                .iter()
                .all(|(n, v)| (field::is_token(n) && field::is_value(v)) || is_trace_context(n));
            let seen: Vec<(String, String)> = request
                .headers
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            let expected: Vec<(String, String)> = sent
                .iter()
                .filter(|(n, v)| field::is_token(n) && field::is_value(v))
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect();
            assert_eq!(seen, expected, "sent {sent:?}");
            assert_eq!(request.invalid_head().is_none(), valid, "sent {sent:?}");
        }
    }

    /// Arbitrary bytes never panic the reader and never produce a header
    /// that breaks the field rules.
    #[test]
    fn property_arbitrary_bytes_are_parsed_or_refused_without_panics() {
        let mut rng = Rng(42);
        for _ in 0..20000 {
            let mut bytes: Vec<u8> = (0..rng.next() % 64).map(|_| rng.next() as u8).collect();
            if rng.next().is_multiple_of(2) {
                let mut valid = head("GET", "http://h/", &[("a", "b")]);
                let at = (rng.next() as usize) % valid.len();
                valid[at] = rng.next() as u8;
                bytes = valid;
            }
            let request = read_request(&bytes, None);
            assert!(request
                .headers
                .iter()
                .all(|(n, v)| field::is_token(n) && field::is_value(v)));
        }
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
