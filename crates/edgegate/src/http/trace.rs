//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): a request
//! joins the trace its valid `traceparent` names, or starts one; the gateway
//! is one span of it, and every upstream, service and function call carries
//! the child `traceparent` (the gateway's span as its parent). A malformed
//! header starts a new trace, as the specification says: never an error.

use super::{hex_decode, hex_encode};

/// The header naming the trace and the caller's span.
pub const TRACEPARENT: &str = "traceparent";
/// The header carrying vendors' trace state, passed on with a valid `traceparent`.
pub const TRACESTATE: &str = "tracestate";

/// The most `tracestate` the gateway passes on (the specification's 32
/// members of up to 256 characters allow more; 512 is what it says a
/// system must propagate).
const MAX_TRACESTATE: usize = 512;

/// The `trace-flags` bits a child `traceparent` (version 00) may carry:
/// sampled (0x01) and, from Level 2, random trace id (0x02; the trace id
/// stays the caller's). The others are reserved, and a vendor sets them to
/// zero — whatever a caller, or a later version's header, put there.
const KNOWN_FLAGS: u8 = 0x03;

/// This request's place in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceContext {
    /// The trace's id: the caller's, or a new random one.
    pub trace_id: [u8; 16],
    /// The gateway's own span, random per request.
    pub span_id: [u8; 8],
    /// The caller's span, when it sent a valid `traceparent`.
    pub parent_id: Option<[u8; 8]>,
    /// `trace-flags` (bit 0: sampled), the caller's known ones or 0.
    pub flags: u8,
    /// The caller's `tracestate`, passed on as it is when it is sane.
    pub state: Option<String>,
}

impl TraceContext {
    /// Joins the trace `traceparent` names when it is valid (then
    /// `tracestate` goes with it), else starts a new trace with `random`'s
    /// bits. The gateway's span id is random either way.
    pub fn continue_or_start(
        traceparent: Option<&str>,
        tracestate: Option<&str>,
        mut random: impl FnMut() -> u64,
    ) -> TraceContext {
        let span_id = nonzero(&mut random).to_be_bytes();
        match traceparent.and_then(parse_traceparent) {
            Some((trace_id, parent_id, flags)) => TraceContext {
                trace_id,
                span_id,
                parent_id: Some(parent_id),
                flags,
                state: tracestate.and_then(sane_state),
            },
            None => {
                let mut trace_id = [0u8; 16];
                trace_id[..8].copy_from_slice(&nonzero(&mut random).to_be_bytes());
                trace_id[8..].copy_from_slice(&random().to_be_bytes());
                TraceContext {
                    trace_id,
                    span_id,
                    parent_id: None,
                    flags: 0,
                    state: None,
                }
            }
        }
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        hex_encode(&self.trace_id)
    }

    /// The gateway's span id as 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        hex_encode(&self.span_id)
    }

    /// The `traceparent` an upstream call carries: this trace, the gateway's
    /// span as the parent, the caller's flags.
    pub fn child_traceparent(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id_hex(),
            self.span_id_hex(),
            hex_encode(&[self.flags])
        )
    }
}

/// A caller's `tracestate` as it is passed on: visible ASCII, spaces and
/// tabs only (else none); past 512 characters, cut by whole members as the
/// specification says — those over 128 characters first, then from the end.
fn sane_state(state: &str) -> Option<String> {
    let ows = [' ', '\t'];
    let state = state.trim_matches(ows);
    if state.is_empty() || !state.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        return None;
    }
    if state.len() <= MAX_TRACESTATE {
        return Some(state.to_owned());
    }
    let mut members: Vec<&str> = state
        .split(',')
        .map(|m| m.trim_matches(ows))
        .filter(|m| !m.is_empty())
        .collect();
    let length = |members: &[&str]| members.iter().map(|m| m.len() + 1).sum::<usize>().saturating_sub(1);
    while length(&members) > MAX_TRACESTATE {
        match members.iter().rposition(|m| m.len() > 128) {
            Some(at) => members.remove(at),
            None => members.pop().unwrap_or_default(),
        };
    }
    (!members.is_empty()).then(|| members.join(","))
}

/// Random bits that are not all zero (an all-zero id is invalid).
fn nonzero(random: &mut impl FnMut() -> u64) -> u64 {
    match random() {
        0 => 1,
        bits => bits,
    }
}

/// `version-traceid-parentid-flags`, as the specification parses it:
/// lowercase hex, version `ff` invalid, version 00 exactly 55 characters, a
/// later version at least that (its extra fields after a `-` ignored); ids
/// not all zero.
fn parse_traceparent(value: &str) -> Option<([u8; 16], [u8; 8], u8)> {
    let value = value.trim_matches([' ', '\t']);
    let bytes = value.as_bytes();
    // ASCII only, before any slicing: a slice boundary inside a character
    // would panic.
    if bytes.len() < 55 || !value.is_ascii() {
        return None;
    }
    let version = hex_bytes::<1>(&value[..2])?[0];
    if version == 0xff || (version == 0 && bytes.len() != 55) || (bytes.len() > 55 && bytes[55] != b'-') {
        return None;
    }
    if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let trace_id = hex_bytes::<16>(&value[3..35])?;
    let parent_id = hex_bytes::<8>(&value[36..52])?;
    let flags = hex_bytes::<1>(&value[53..55])?[0] & KNOWN_FLAGS;
    if trace_id == [0; 16] || parent_id == [0; 8] {
        return None;
    }
    Some((trace_id, parent_id, flags))
}

/// `N` bytes from exactly `2N` lowercase hex digits (the specification
/// refuses upper case).
fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    match text.bytes().any(|b| b.is_ascii_uppercase()) {
        true => None,
        false => hex_decode(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn counting() -> impl FnMut() -> u64 {
        let mut n = 0x1111_2222_3333_4444u64;
        move || {
            n = n.wrapping_add(0x0101_0101_0101_0101);
            n
        }
    }

    #[test]
    fn a_valid_traceparent_is_joined_and_the_gateway_is_a_child_span() {
        let trace = TraceContext::continue_or_start(Some(VALID), Some("congo=t61rcWkgMzE"), counting());
        assert_eq!(trace.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(trace.parent_id, Some([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]));
        assert_eq!(trace.flags, 1);
        assert_eq!(trace.state.as_deref(), Some("congo=t61rcWkgMzE"));
        let child = trace.child_traceparent();
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{child}");
        assert!(child.ends_with("-01"));
        assert_ne!(
            &child[36..52],
            "00f067aa0ba902b7",
            "the gateway's own span is the parent"
        );
        // A later version is read by its version-00 fields.
        let future = format!("cc{}-what-comes-next", &VALID[2..]);
        assert_eq!(
            TraceContext::continue_or_start(Some(&future), None, counting()).trace_id,
            trace.trace_id
        );
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace_never_derived_from_it() {
        let hostile = [
            String::new(),
            "garbage".into(),
            VALID.to_uppercase(),
            VALID.replace("4bf92f3577b34da6a3ce929d0e0e4736", "00000000000000000000000000000000"),
            VALID.replace("00f067aa0ba902b7", "0000000000000000"),
            format!("ff{}", &VALID[2..]),
            format!("{VALID}-extra"),
            VALID[..54].to_owned(),
            VALID.replace('-', "_"),
            VALID.replacen('4', "g", 1),
            VALID.replacen('4', "é", 1),
            format!("{VALID}\u{0}"),
            "0".repeat(10_000),
        ];
        // A character beyond ASCII at every position: its bytes straddle
        // each field's boundary in turn (once, a panic that trapped the
        // instance for every request on it).
        let straddling = (0..VALID.len())
            .flat_map(|i| ["é", "€", "\u{10348}"].map(|c| format!("{}{c}{}", &VALID[..i], &VALID[i + 1..])));
        for value in hostile.into_iter().chain(straddling) {
            let trace = TraceContext::continue_or_start(Some(&value), Some("a=b"), counting());
            assert_eq!(trace.parent_id, None, "{value:?}");
            assert_eq!(trace.state, None, "no tracestate without a valid traceparent");
            assert_ne!(trace.trace_id, [0; 16]);
            assert_ne!(trace.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
            assert_eq!(trace.child_traceparent().len(), 55);
        }
    }

    #[test]
    fn tracestate_is_passed_on_only_when_sane() {
        for state in [
            "a=b\r\nx-injected: 1".to_owned(),
            "x".repeat(513),
            "é=1".into(),
            " ".into(),
        ] {
            let trace = TraceContext::continue_or_start(Some(VALID), Some(&state), counting());
            assert_eq!(trace.state, None, "{state:?}");
        }
        // Spaces and tabs around members are the list's own.
        let tabbed = "congo=t61rcWkgMzE,\trojo=00f067aa0ba902b7";
        let trace = TraceContext::continue_or_start(Some(VALID), Some(tabbed), counting());
        assert_eq!(trace.state.as_deref(), Some(tabbed));
    }

    #[test]
    fn a_long_tracestate_is_cut_by_whole_members_not_dropped() {
        // 20 members of 34 characters: 699 in all; the first 15 fit in 512.
        let members: Vec<String> = (0..20).map(|i| format!("vendor{i:02}={}", "a".repeat(24))).collect();
        let state = members.join(",");
        let trace = TraceContext::continue_or_start(Some(VALID), Some(&state), counting());
        assert_eq!(trace.state.as_deref(), Some(members[..15].join(",").as_str()));
        // A member over 128 characters goes first, wherever it stands.
        let long = format!("big={}", "b".repeat(200));
        let state = [members[0].clone(), long, members[1..10].join(",")].join(",");
        let trace = TraceContext::continue_or_start(Some(VALID), Some(&state), counting());
        assert_eq!(trace.state.as_deref(), Some(members[..10].join(",").as_str()));
    }

    #[test]
    fn new_traces_come_from_the_random_source() {
        let a = TraceContext::continue_or_start(None, None, counting());
        let mut other = counting();
        other();
        let b = TraceContext::continue_or_start(None, None, other);
        assert_ne!(a.trace_id, b.trace_id);
        let zeros = TraceContext::continue_or_start(None, None, || 0);
        assert_ne!(zeros.trace_id, [0; 16]);
        assert_ne!(zeros.span_id, [0; 8]);
    }
}
