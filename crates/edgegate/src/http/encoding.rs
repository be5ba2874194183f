//! The few text encodings a gateway needs, each in one place: percent-encoding
//! in paths and query strings, hex for digests, and base64 for binary bodies
//! (the gateway event's `isBase64Encoded`) and base64url for JWTs, JWKs and
//! the forwarded principal.
//!
//! Percent-encoding is the `percent-encoding` crate (rust-url's, already in
//! every app's lock file through `worker`): it costs 1.2 KiB gzip of wasm,
//! under the 2 KiB for which a well-kept crate is preferred. base64 is
//! written here: the `base64` crate's engines take 4.6 times the code
//! `percent-encoding` does (host build), about 5 KiB gzip, and none of its
//! padding modes is "optional, but exact when present".

use std::borrow::Cow;
use std::string::FromUtf8Error;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// What [`percent_encode`] escapes: every byte but RFC 3986's unreserved.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Decodes `%xx` escapes in a path segment. `+` stays a plus sign: only query
/// strings use it for a space. Fails when the result is not UTF-8.
pub fn percent_decode(raw: &str) -> Result<Cow<'_, str>, FromUtf8Error> {
    match Cow::from(percent_encoding::percent_decode(raw.as_bytes())) {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(raw)),
        Cow::Owned(bytes) => String::from_utf8(bytes).map(Cow::Owned),
    }
}

/// Decodes one `application/x-www-form-urlencoded` name or value: `+` is a
/// space and `%xx` a byte. A `%` without two hex digits after it is kept as is,
/// as browsers do.
pub fn form_decode(raw: &str) -> Result<Cow<'_, str>, FromUtf8Error> {
    if !raw.contains('+') {
        return percent_decode(raw);
    }
    String::from_utf8(percent_decode_bytes(raw.replace('+', " ").as_bytes())).map(Cow::Owned)
}

/// Decodes `%xx` escapes into bytes, whatever they are (not necessarily
/// UTF-8): for checks that must see what a lenient server would decode.
pub fn percent_decode_bytes(raw: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(raw).collect()
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

/// The longest start of `text` of at most `max` bytes that ends on a
/// character boundary: where a client's text is cut before it is echoed or logged.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `n` in decimal digits, appended to `out` without the formatting
/// machinery: statuses, lengths and ages are written on every request.
pub fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// `n` in decimal digits (see [`push_decimal`]).
pub fn decimal(n: u64) -> String {
    let mut out = String::with_capacity(4);
    push_decimal(&mut out, n);
    out
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

/// Exactly `2N` hex digits (either case) as `N` bytes; anything else
/// (a sign, a space, a digit short or over) is `None`.
pub fn hex_decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex_decode_into(text, &mut out).then_some(out)
}

/// [`hex_decode`]'s loop, once in the wasm whatever the length.
fn hex_decode_into(text: &str, out: &mut [u8]) -> bool {
    let digits = text.as_bytes();
    if digits.len() != 2 * out.len() {
        return false;
    }
    let value = |d: u8| (d as char).to_digit(16).map(|v| v as u8);
    for (byte, pair) in out.iter_mut().zip(digits.chunks(2)) {
        match (value(pair[0]), value(pair[1])) {
            (Some(high), Some(low)) => *byte = high << 4 | low,
            _ => return false,
        }
    }
    true
}

/// RFC 3986 unreserved characters (letters, digits, `-`, `.`, `_`, `~`) kept,
/// every other byte `%XX` with uppercase hex: a query name or value put
/// together for an upstream (the inverse of [`form_decode`] and
/// [`percent_decode`]).
pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, NOT_UNRESERVED).collect()
}

/// The two base64 alphabets of RFC 4648, and the padding each allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `+` and `/` (RFC 4648 §4), as gateway events carry binary bodies.
    /// Padding is optional; when present it must be exactly what the
    /// length needs (`=` after 3 characters, `==` after 2).
    Standard,
    /// `-` and `_` (RFC 4648 §5), as JWTs, JWKs and the forwarded principal
    /// use it: never padded (RFC 7515 §2), so `=` is refused.
    UrlSafe,
}

impl Alphabet {
    fn characters(self) -> &'static [u8; 64] {
        match self {
            Alphabet::Standard => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            Alphabet::UrlSafe => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        }
    }

    /// Whether `byte` is one of the alphabet's 64 characters (`=` is not).
    pub fn contains(self, byte: u8) -> bool {
        self.characters().contains(&byte)
    }
}

/// What the decoder does with the unused low bits of the last character
/// (`Zh` spells the same byte as `Zg`, with a bit set that `Zg` leaves zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailingBits {
    /// Non-zero unused bits are refused, so each byte string has exactly one
    /// spelling: for text that is compared or signed (JWTs).
    MustBeZero,
    /// Unused bits are dropped, as RFC 4648 §3.5 allows a decoder to: for
    /// text whose only use is its bytes. See [`base64_decode`].
    Discarded,
}

/// Standard base64 with padding (RFC 4648 §4), as gateway events carry binary bodies.
pub fn base64_encode(bytes: &[u8]) -> String {
    encode_base64(bytes, Alphabet::Standard)
}

/// base64url without padding (RFC 4648 §5), as JWTs and the forwarded principal use it.
pub fn base64url_encode(bytes: &[u8]) -> String {
    encode_base64(bytes, Alphabet::UrlSafe)
}

fn encode_base64(bytes: &[u8], alphabet: Alphabet) -> String {
    let characters = alphabet.characters();
    let pad = alphabet == Alphabet::Standard;
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(characters[(n >> shift & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// The one base64 decoder, strict on input: only `alphabet`'s 64
/// characters (no whitespace, no characters of the other alphabet, nothing
/// outside ASCII); `=` only at the end, only where `alphabet` allows
/// padding, and only as many as the length needs; never a length that
/// leaves a lone character (≡ 1 mod 4). `trailing_bits` says whether the
/// last character's unused bits must be zero.
///
/// A function's `isBase64Encoded` body is decoded with
/// [`Alphabet::Standard`] and [`TrailingBits::Discarded`], as it was before
/// this decoder was the one: the text comes from the gateway's own
/// function, not a client; its only use is its bytes (nothing compares or
/// signs the spelling); and the decoders an AWS-style function may have
/// been tried against (Node's `Buffer`, Java's `Base64`, Python's
/// `b64decode`) drop those bits too. Refusing them would turn a response
/// that works there into a 500 here and protect nothing.
///
/// ```
/// use edgegate::http::{base64_decode, Alphabet, TrailingBits};
///
/// let lenient = |text| base64_decode(text, Alphabet::Standard, TrailingBits::Discarded);
/// assert_eq!(lenient("aGVsbG8=").unwrap(), b"hello");
/// assert_eq!(lenient("aGVsbG8").unwrap(), b"hello");
/// assert_eq!(lenient("aGVsbG9=").unwrap(), b"hello");
/// assert!(lenient("aGVsbG8==").is_err());
/// assert!(base64_decode("aGVsbG9=", Alphabet::Standard, TrailingBits::MustBeZero).is_err());
/// ```
pub fn base64_decode(text: &str, alphabet: Alphabet, trailing_bits: TrailingBits) -> Result<Vec<u8>, Base64Error> {
    let data = match alphabet {
        Alphabet::Standard => text.trim_end_matches('='),
        Alphabet::UrlSafe => text,
    };
    // No padding, or exactly what completes the last group (never a whole group of it).
    let padding = text.len() - data.len();
    let padding_wrong = padding != 0 && (padding > 2 || !(data.len() + padding).is_multiple_of(4));
    if data.len() % 4 == 1 || padding_wrong {
        return Err(Base64Error);
    }
    let characters = alphabet.characters();
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in data.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            _ if byte == characters[62] => 62,
            _ if byte == characters[63] => 63,
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
    // `acc` holds the last character's unused bits (0, 2 or 4 of them).
    if acc != 0 && trailing_bits == TrailingBits::MustBeZero {
        return Err(Base64Error);
    }
    Ok(out)
}

/// Unpadded base64url, strictly ([`Alphabet::UrlSafe`],
/// [`TrailingBits::MustBeZero`]): one spelling per byte string, as JWTs
/// need.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    base64_decode(text, Alphabet::UrlSafe, TrailingBits::MustBeZero)
}

/// Text that is not valid base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base64Error;

/// `value` as compact JSON text: what `value.to_string()` gives, without
/// `Value`'s `Display`, which brings two more serializers into the wasm (a
/// compact and a pretty one over a formatter). A `Value` always serializes
/// (its keys are strings).
pub(crate) fn compact_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_what_display_writes() {
        for n in [
            0,
            7,
            10,
            99,
            100,
            200,
            404,
            599,
            1000,
            86_400,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            assert_eq!(decimal(n), n.to_string());
        }
        let mut out = String::from("ttl=");
        push_decimal(&mut out, 3600);
        assert_eq!(out, "ttl=3600");
    }

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
    fn percent_encoding_keeps_unreserved_and_escapes_every_other_byte() {
        assert_eq!(percent_encode(""), "");
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("a b+c&d=e/f?g#h%i"), "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i");
        assert_eq!(percent_encode("Jürgen"), "J%C3%BCrgen");
        assert_eq!(percent_encode("\0\t\r\n\x7f"), "%00%09%0D%0A%7F");
        // What it writes, both decoders read back as it was.
        let all: String = (1..=0x7f_u8).map(char::from).chain("é€😀".chars()).collect();
        assert_eq!(percent_decode(&percent_encode(&all)).unwrap(), all);
        assert_eq!(form_decode(&percent_encode(&all)).unwrap(), all);
    }

    fn standard(text: &str) -> Result<Vec<u8>, Base64Error> {
        base64_decode(text, Alphabet::Standard, TrailingBits::MustBeZero)
    }

    fn function_body(text: &str) -> Result<Vec<u8>, Base64Error> {
        base64_decode(text, Alphabet::Standard, TrailingBits::Discarded)
    }

    #[test]
    fn hex_decodes_exactly_two_digits_per_byte() {
        assert_eq!(hex_decode::<2>("00fF"), Some([0x00, 0xff]));
        for bad in ["00f", "00fff", "+0ff", "0 ff", "g0ff", "é0f", ""] {
            assert_eq!(hex_decode::<2>(bad), None, "{bad:?}");
        }
        assert_eq!(hex_decode::<32>(&hex_encode(&[7; 32])), Some([7; 32]));
    }

    #[test]
    fn base64_round_trips_every_length() {
        let data: Vec<u8> = (0..=255).collect();
        for len in 0..20 {
            let encoded = base64_encode(&data[..len]);
            assert_eq!(encoded.len() % 4, 0);
            assert_eq!(standard(&encoded).unwrap(), &data[..len]);
            assert_eq!(function_body(&encoded).unwrap(), &data[..len]);
            assert_eq!(standard(encoded.trim_end_matches('=')).unwrap(), &data[..len]);
            let url = base64url_encode(&data[..len]);
            assert_eq!(url, encoded.trim_end_matches('=').replace('+', "-").replace('/', "_"));
            assert_eq!(base64url_decode(&url).unwrap(), &data[..len]);
        }
        let high: Vec<u8> = (0..=255).rev().collect();
        assert_eq!(standard(&base64_encode(&high)).unwrap(), high);
        assert_eq!(base64url_decode(&base64url_encode(&high)).unwrap(), high);
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(standard("aGVsbG8").unwrap(), b"hello");
        assert_eq!(standard("aGV$bG8="), Err(Base64Error));
        assert_eq!(standard("a"), Err(Base64Error));
    }

    #[test]
    fn base64_empty_input_is_no_bytes_and_padding_alone_is_refused() {
        assert_eq!(standard("").unwrap(), b"");
        assert_eq!(function_body("").unwrap(), b"");
        assert_eq!(base64url_decode("").unwrap(), b"");
        for bad in ["=", "==", "===", "===="] {
            assert_eq!(function_body(bad), Err(Base64Error), "{bad}");
            assert_eq!(base64url_decode(bad), Err(Base64Error), "{bad}");
        }
    }

    #[test]
    fn base64_refuses_bytes_outside_the_alphabet() {
        type Decoder = fn(&str) -> Result<Vec<u8>, Base64Error>;
        let decoders: [(&str, Decoder); 3] = [
            ("standard", standard),
            ("function body", function_body),
            ("url", base64url_decode),
        ];
        for (name, decode) in decoders {
            // Outside ASCII: a letter, a lookalike, a byte-order mark, a NUL.
            for bad in ["Zm9vé", "Zm9\u{0432}", "\u{feff}Zm9v", "Zm9v\0", "Zm\u{ff}v"] {
                assert_eq!(decode(bad), Err(Base64Error), "{name}: {bad:?}");
            }
            // Whitespace anywhere, as MIME line breaks would put it.
            for bad in [" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\nYmFy", "\tZm9v"] {
                assert_eq!(decode(bad), Err(Base64Error), "{name}: {bad:?}");
            }
            for bad in ["Zm9v!", "Zm9v.", "Zm9v*", "Zm9v%3D", "Zm9v\\"] {
                assert_eq!(decode(bad), Err(Base64Error), "{name}: {bad:?}");
            }
        }
    }

    #[test]
    fn base64_alphabets_do_not_mix() {
        // 0xfb 0xff: "+/8=" in the standard alphabet, "-_8" in the url-safe one.
        assert_eq!(standard("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        for bad in ["-_8=", "-_8", "+_8", "-/8"] {
            assert_eq!(standard(bad), Err(Base64Error), "{bad}");
            assert_eq!(function_body(bad), Err(Base64Error), "{bad}");
        }
        for bad in ["+/8", "+_8", "-/8", "Zm+v", "Zm/v"] {
            assert_eq!(base64url_decode(bad), Err(Base64Error), "{bad}");
        }
        for (alphabet, own, other) in [(Alphabet::Standard, b"+/", b"-_"), (Alphabet::UrlSafe, b"-_", b"+/")] {
            let members: Vec<u8> = (0..=255).filter(|&b| alphabet.contains(b)).collect();
            assert_eq!(members.len(), 64);
            assert!(own.iter().all(|&b| alphabet.contains(b)));
            assert!(!other.iter().chain(b"= \n.%").any(|&b| alphabet.contains(b)));
        }
    }

    #[test]
    fn base64_padding_only_at_the_end_and_of_the_right_length() {
        // Where the standard alphabet allows it: none, or exactly enough.
        assert_eq!(standard("Zg==").unwrap(), b"f");
        assert_eq!(standard("Zg").unwrap(), b"f");
        assert_eq!(standard("Zm8=").unwrap(), b"fo");
        assert_eq!(standard("Zm8").unwrap(), b"fo");
        let wrong_length = [
            "Zg=",
            "Zg===",
            "Zm8==",
            "Zm9v=",
            "Zm9v==",
            "Zm9vYg=",
            "Zm9vYmE==",
            "Z=",
            "Z==",
            "Z===",
        ];
        // In the middle, or ending one group and starting another.
        let inside = ["Zg==Zg==", "Zm=v", "Z=9v", "=Zm9v", "Zm9v=Zm9v", "Zg==Zm8", "Zm8=Zg=="];
        for bad in wrong_length.iter().chain(&inside) {
            assert_eq!(standard(bad), Err(Base64Error), "{bad}");
            assert_eq!(function_body(bad), Err(Base64Error), "{bad}");
        }
        // The url-safe alphabet is never padded.
        for bad in ["Zg==", "Zm8=", "Zg=", "Zm9v=", "Zm=v"] {
            assert_eq!(base64url_decode(bad), Err(Base64Error), "{bad}");
        }
    }

    #[test]
    fn base64_refuses_a_lone_last_character() {
        for bad in ["Z", "Zm9vY", "Zm9vYmFyZ", "Z=", "Zm9vY==="] {
            assert_eq!(standard(bad), Err(Base64Error), "{bad}");
            assert_eq!(function_body(bad), Err(Base64Error), "{bad}");
            assert_eq!(base64url_decode(bad), Err(Base64Error), "{bad}");
        }
    }

    #[test]
    fn base64_trailing_bits_are_refused_when_strict_and_dropped_for_function_bodies() {
        // "Zg" is 0x66 with four zero bits after it; "Zh".."Zv" set some of them.
        // "Zm8" is "fo" with two zero bits after it; "Zm9".."Zm/" set some.
        for (bad, bytes) in [("Zh", &b"f"[..]), ("Zv", b"f"), ("Zm9", b"fo"), ("Zm/", b"fo")] {
            assert_eq!(standard(bad), Err(Base64Error), "{bad}");
            assert_eq!(function_body(bad).unwrap(), bytes, "{bad}");
            let padded = format!("{bad}{}", "=".repeat(4 - bad.len()));
            assert_eq!(standard(&padded), Err(Base64Error), "{padded}");
            assert_eq!(function_body(&padded).unwrap(), bytes, "{padded}");
            assert_eq!(base64url_decode(bad), Err(Base64Error), "{bad}");
        }
        assert_eq!(base64url_decode("Zm_"), Err(Base64Error));
        assert_eq!(function_body("aGVsbG9=").unwrap(), b"hello");
        // A whole group has no unused bits: nothing to refuse.
        assert_eq!(standard("////").unwrap(), [0xff; 3]);
    }
}
