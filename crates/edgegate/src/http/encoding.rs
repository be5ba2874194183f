//! The few text encodings a gateway needs: percent-encoding in paths and query
//! strings, and base64 for binary bodies (the gateway event's `isBase64Encoded`).

use std::borrow::Cow;

/// Decodes `%xx` escapes in a path segment. `+` stays a plus sign: only query
/// strings use it for a space. Fails when the result is not UTF-8.
pub fn percent_decode(raw: &str) -> Result<Cow<'_, str>, std::string::FromUtf8Error> {
    decode(raw, false)
}

/// Decodes one `application/x-www-form-urlencoded` name or value: `+` is a
/// space and `%xx` a byte. A `%` without two hex digits after it is kept as is,
/// as browsers do.
pub fn form_decode(raw: &str) -> Result<Cow<'_, str>, std::string::FromUtf8Error> {
    decode(raw, true)
}

fn decode(raw: &str, plus_is_space: bool) -> Result<Cow<'_, str>, std::string::FromUtf8Error> {
    if !raw.bytes().any(|b| b == b'%' || (plus_is_space && b == b'+')) {
        return Ok(Cow::Borrowed(raw));
    }
    String::from_utf8(decode_bytes(raw.as_bytes(), plus_is_space)).map(Cow::Owned)
}

/// Decodes `%xx` escapes into bytes, whatever they are (not necessarily
/// UTF-8): for checks that must see what a lenient server would decode.
pub fn percent_decode_bytes(raw: &[u8]) -> Vec<u8> {
    decode_bytes(raw, false)
}

fn decode_bytes(bytes: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    out
}

fn hex_value(byte: Option<&u8>) -> Option<u8> {
    match byte? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a raw query string into decoded `(name, value)` pairs, in order.
/// Empty pieces (`a=1&&b=2`) are skipped; a name without `=` has an empty value.
pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, QueryDecodeError> {
    let mut pairs = Vec::new();
    for piece in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = form_decode(name).map_err(|_| QueryDecodeError {
            piece: piece.to_owned(),
        })?;
        let value = form_decode(value).map_err(|_| QueryDecodeError {
            piece: name.clone().into_owned(),
        })?;
        pairs.push((name.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// A query string piece whose escapes do not decode to UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDecodeError {
    /// The parameter name when it decoded, else the raw piece.
    pub piece: String,
}

/// Lowercase hex, two digits per byte (digests in logs and fingerprints).
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 15) as usize] as char);
    }
    out
}

const BASE64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard base64 with padding (RFC 4648 §4), as gateway events carry binary bodies.
pub fn base64_encode(bytes: &[u8]) -> String {
    encode_base64(bytes, BASE64_ALPHABET, true)
}

/// base64url without padding (RFC 4648 §5), as JWTs and the forwarded principal use it.
pub fn base64url_encode(bytes: &[u8]) -> String {
    encode_base64(bytes, BASE64URL_ALPHABET, false)
}

fn encode_base64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(alphabet[(n >> shift & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; padding is optional, whitespace and anything
/// outside the alphabet is an error.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let trimmed = text.trim_end_matches('=');
    if text.len() - trimmed.len() > 2 || trimmed.len() % 4 == 1 {
        return Err(Base64Error);
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in trimmed.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(Base64Error),
        };
        acc = acc << 6 | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Text that is not valid base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base64Error;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_and_keeps_plus() {
        assert_eq!(percent_decode("a%20b+c").unwrap(), "a b+c");
        assert_eq!(percent_decode("J%C3%BCrgen").unwrap(), "Jürgen");
        assert_eq!(percent_decode("100%").unwrap(), "100%");
        assert_eq!(percent_decode("%zz").unwrap(), "%zz");
        assert_eq!(percent_decode("%4").unwrap(), "%4");
        assert!(percent_decode("%FF").is_err());
    }

    #[test]
    fn query_parsing_decodes_plus_and_escapes() {
        let pairs = parse_query("q=hello+world&page=2&&flag&x=%26%3D").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("q".into(), "hello world".into()),
                ("page".into(), "2".into()),
                ("flag".into(), "".into()),
                ("x".into(), "&=".into()),
            ]
        );
        assert_eq!(parse_query("bad=%C3").unwrap_err().piece, "bad");
    }

    #[test]
    fn base64_round_trips_every_length() {
        let data: Vec<u8> = (0..=255).collect();
        for len in 0..20 {
            let encoded = base64_encode(&data[..len]);
            assert_eq!(encoded.len() % 4, 0);
            assert_eq!(base64_decode(&encoded).unwrap(), &data[..len]);
        }
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("aGV$bG8="), Err(Base64Error));
        assert_eq!(base64_decode("a"), Err(Base64Error));
    }
}
