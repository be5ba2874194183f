//! Which request paths stay where they point once something parses them as
//! part of a URL. An upstream route appends the path to its base as
//! received, and the edge cache puts it in a key the runtime's Cache API
//! parses; whoever parses the result next (the runtime, by WHATWG rules;
//! then an origin, by its own) may resolve `..`, `%2e%2e` or a backslash
//! and leave the base path or the caller's own keys. Instead of guessing
//! each parser, the gateway treats as a step out a dot segment in any
//! spelling (encoded once or more, any case, with `;` parameters, in an
//! overlong UTF-8 form such as `%c0%ae` or IIS's `%u002e`), or a
//! backslash, raw or encoded: an upstream route refuses it (400
//! `invalid-path`) before anything is sent, and the cache neither looks it
//! up nor keeps it.

use super::percent_decode_bytes;

/// How many layers of percent-encoding are looked through (`%252e` is `.`
/// encoded twice); a path encoded deeper is refused outright.
const DECODING_ROUNDS: usize = 4;

/// Whether `path` (as received, still percent-encoded) stays where it
/// points whoever resolves it: no `.` or `..` segment and no backslash,
/// however encoded. Paths without `.`, `%` or `\` (nearly all) are not copied.
pub fn stays_put(path: &str) -> bool {
    if !path.bytes().any(|b| matches!(b, b'.' | b'%' | b'\\')) {
        return true;
    }
    let mut layer = path.as_bytes().to_vec();
    for _ in 0..DECODING_ROUNDS {
        if !layer_stays_put(&layer) {
            return false;
        }
        if !layer.contains(&b'%') {
            return true;
        }
        let decoded = percent_decode_bytes(&layer);
        if decoded == layer {
            return true;
        }
        layer = decoded;
    }
    layer_stays_put(&layer) && !layer.contains(&b'%')
}

/// One decoding layer: no backslash; no spelling of `.`, `/` or `\` that
/// a lenient decoder reads as one (overlong UTF-8, IIS's `%uXXXX`, a
/// compatibility character that normalises to one); and no segment that
/// is `.` or `..` once its `;` parameters and the tabs and line breaks a URL
/// parser strips are taken away.
fn layer_stays_put(layer: &[u8]) -> bool {
    if layer.contains(&b'\\')
        || layer.windows(2).any(overlong)
        || layer.windows(6).any(wide_escape)
        || LOOK_ALIKES
            .iter()
            .any(|look_alike| layer.windows(look_alike.len()).any(|w| w == *look_alike))
    {
        return false;
    }
    layer.split(|&b| b == b'/').all(|segment| {
        let segment = segment.split(|&b| b == b';').next().unwrap_or(segment);
        let mut dots = 0;
        for &byte in segment {
            match byte {
                b'\t' | b'\n' | b'\r' => {}
                b'.' => dots += 1,
                _ => return true,
            }
        }
        !(1..=2).contains(&dots)
    })
}

/// Whether two bytes are an overlong UTF-8 spelling of `.`, `/` or `\`
/// as a lenient decoder reads them (`C0`/`C1` lead: the low bits of both
/// bytes, the continuation bits unchecked, as IIS's did: `%c0%ae`,
/// `%c0%2f`, `%c1%1c`), or begin a longer overlong sequence (`E0 80..9F`,
/// `F0 80..8F`), which valid UTF-8 never holds. `C0` before anything else
/// (Latin-1's `À` in `%C0la`) is an origin's to read.
fn overlong(pair: &[u8]) -> bool {
    match (pair[0], pair[1]) {
        (lead @ (0xC0 | 0xC1), next) => matches!(((lead & 1) << 6) | (next & 0x3F), b'.' | b'/' | b'\\'),
        (0xE0, 0x80..=0x9F) | (0xF0, 0x80..=0x8F) => true,
        _ => false,
    }
}

/// Whether six bytes are IIS's `%uXXXX` spelling (no percent-encoding) of
/// anything but an ASCII letter or digit.
fn wide_escape(six: &[u8]) -> bool {
    if six[0] != b'%' || !matches!(six[1], b'u' | b'U') {
        return false;
    }
    let code = std::str::from_utf8(&six[2..])
        .ok()
        .and_then(|hex| u16::from_str_radix(hex, 16).ok());
    code.is_some_and(|code| !u8::try_from(code).is_ok_and(|byte| byte.is_ascii_alphanumeric()))
}

/// The UTF-8 of characters that Unicode compatibility normalisation (NFKC)
/// or Windows' best-fit mapping turns into `.`, `..`, `/` or `\`: one dot
/// leader, two dot leader, small full stop, full-width full stop, division
/// slash, full-width solidus, small reverse solidus, full-width reverse solidus.
const LOOK_ALIKES: [&[u8]; 8] = [
    "\u{2024}".as_bytes(),
    "\u{2025}".as_bytes(),
    "\u{FE52}".as_bytes(),
    "\u{FF0E}".as_bytes(),
    "\u{2215}".as_bytes(),
    "\u{FF0F}".as_bytes(),
    "\u{FE68}".as_bytes(),
    "\u{FF3C}".as_bytes(),
];

#[cfg(test)]
mod tests {
    use super::stays_put;

    #[test]
    fn ordinary_paths_stay_put() {
        for path in [
            "/origin/a/b",
            "/origin/",
            "/origin/file.txt",
            "/origin/.well-known/x",
            "/origin/...",
            "/origin/a..b",
            "/origin/a%20b",
            "/origin/a%2Fb",
            "/origin/%",
            "/origin/100%25",
            "/origin/caf%C3%A9",
            "/origin/caf%E9",
            "/origin/%E0%A4%85",
            "/origin/%F0%9F%98%80",
            "/origin/%25u",
            "/origin/%uzzzz",
            "/origin/%C0la",
            "/origin/%C1frica.pdf",
            "/origin/%u0041",
            "/origin/%C3%A0-propos",
        ] {
            assert!(stays_put(path), "{path}");
        }
    }

    #[test]
    fn every_spelling_of_a_step_out_is_caught() {
        for path in [
            "/origin/../secret",
            "/origin/./secret",
            "/origin/..",
            "/origin/a/../../secret",
            "/origin/%2e%2e/secret",
            "/origin/%2E%2E/secret",
            "/origin/.%2e/secret",
            "/origin/%2e./secret",
            "/origin/.%2E/.%2E",
            "/origin/a/%2e%2e/%2e%2e/secret",
            "/origin/%2e%2e",
            "/origin/%2e",
            "/origin/%252e%252e/secret",
            "/origin/%25252e%25252e/secret",
            "/origin/%2e%2e%2fsecret",
            "/origin/..;x=1/secret",
            "/origin/%2e%2e;/secret",
            "/origin/..\\secret",
            "/origin/a\\..\\..\\secret",
            "/origin/%5c",
            "/origin/%5C..%5Csecret",
            "/origin/%255c",
            "/origin/.%09./secret",
            "/origin/%2525252525252e",
            "/origin/%c0%ae%c0%ae/secret",
            "/origin/%C0%AE./secret",
            "/origin/a%c0%afsecret",
            "/origin/a%c1%9csecret",
            "/origin/%e0%80%ae%e0%80%ae/secret",
            "/origin/%f0%80%80%ae/secret",
            "/origin/%u002e%u002e/secret",
            "/origin/%U002E%U002E/secret",
            "/origin/a%u002fsecret",
            "/origin/%uff0e%uff0e/secret",
            "/origin/100%25u1234",
            "/origin/..%c1%1c..",
            "/origin/..%c0%2f..",
            "/origin/%c0%2e%c0%2e/secret",
            "/origin/%C0.%C0./secret",
            "/origin/a%C0nsecret",
            "/origin/a%C0osecret",
            "/origin/%EF%BC%8E%EF%BC%8E/secret",
            "/origin/%E2%80%A5/secret",
            "/origin/a%E2%88%95secret",
            "/origin/a%EF%BC%BCsecret",
            "/origin/%25c0%25ae%25c0%25ae/secret",
        ] {
            assert!(!stays_put(path), "{path}");
        }
    }
}
