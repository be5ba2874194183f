//! Which request paths stay where they point once something parses them as
//! part of a URL. An upstream route appends the path to its base as
//! received, and the edge cache puts it in a key the runtime's Cache API
//! parses; whoever parses the result next (the runtime, by WHATWG rules;
//! then an origin, by its own) may resolve `..`, `%2e%2e` or a backslash
//! and leave the base path or the caller's own keys. Instead of guessing
//! each parser, the gateway treats as a step out a dot segment in any
//! spelling (encoded once or more, any case, with `;` parameters), or a
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

/// One decoding layer: no backslash, and no segment that is `.` or `..`
/// once its `;` parameters and the tabs and line breaks a URL parser strips
/// are taken away.
fn layer_stays_put(layer: &[u8]) -> bool {
    if layer.contains(&b'\\') {
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
        ] {
            assert!(!stays_put(path), "{path}");
        }
    }
}
