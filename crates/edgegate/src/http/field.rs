//! RFC 9110 field syntax: what may stand as a header name or value. The
//! gateway checks every request header it is given and every response header
//! it sends, so no value can carry a line break into a log, a header, or the
//! runtime (which throws on one).

/// A `token` (RFC 9110 §5.6.2): header names and methods.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value as the gateway accepts and emits it: no control characters
/// but horizontal tab (RFC 9110 §5.5 — so never CR, LF or NUL), and no
/// U+FFFD, which the runtime puts where a client's bytes were not UTF-8: the
/// gateway could not see what was sent, so it does not guess.
pub fn is_value(text: &str) -> bool {
    // U+FFFD is the bytes EF BF BD; only a value with a non-ASCII byte can
    // hold it (`contains('\u{FFFD}')` would set up a substring search for
    // every header of every request).
    let bytes = text.as_bytes();
    bytes.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        && (text.is_ascii() || !bytes.windows(3).any(|w| w == "\u{FFFD}".as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_visible_ascii_without_separators() {
        assert!(is_token("x-api-key"));
        assert!(is_token("PROPFIND"));
        for bad in ["", "a b", "a:b", "a\nb", "é", "a\"b", "a(b", "a/b"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn values_refuse_every_control_but_tab_and_the_replacement_character() {
        assert!(is_value("text/plain; charset=utf-8"));
        assert!(is_value("a\tb"));
        assert!(is_value("Jürgen ünïcode"));
        assert!(is_value(""));
        for byte in (0u8..0x20).filter(|b| *b != b'\t').chain([0x7f]) {
            let value = format!("a{}b", byte as char);
            assert!(!is_value(&value), "{byte:#x}");
        }
        for bad in ["bad\u{FFFD}bytes", "\u{FFFD}", "é\u{FFFD}", "end\u{FFFD}"] {
            assert!(!is_value(bad), "{bad:?}");
        }
        // Its neighbours (EF BF BC, EF BE BD) are text like any other.
        assert!(is_value("a\u{FFFC}b\u{FFBD}"));
    }
}
