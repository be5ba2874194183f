//! `Server-Timing` (<https://www.w3.org/TR/server-timing/>): where the
//! gateway's time went, as the runtime's clock tells it (inside workerd it
//! moves only on I/O, so the stages that wait — keys, counters, the body,
//! the upstream — are what it shows).

/// The header's name.
pub const HEADER: &str = "server-timing";

/// `name;dur=ms` for each stage measured, then `total`; milliseconds with
/// one decimal.
pub fn header_value(stages: &[(&'static str, f64)], total_ms: f64) -> String {
    let mut value = String::with_capacity(16 * (stages.len() + 1));
    for (name, ms) in stages.iter().chain([&("total", total_ms)]) {
        if !value.is_empty() {
            value.push_str(", ");
        }
        value.push_str(name);
        value.push_str(";dur=");
        push_ms(&mut value, *ms);
    }
    value
}

/// `ms` with one decimal, without the float formatter (which a release
/// build may leave out).
pub(crate) fn push_ms(out: &mut String, ms: f64) {
    let tenths = (ms.max(0.0) * 10.0).round();
    let tenths = if tenths.is_finite() && tenths < 1e15 {
        tenths as u64
    } else {
        0
    };
    crate::http::push_decimal(out, tenths / 10);
    out.push('.');
    out.push(char::from(b'0' + (tenths % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_then_the_total_in_tenths_of_a_millisecond() {
        assert_eq!(
            header_value(&[("auth", 1.24), ("upstream", 23.06)], 25.0),
            "auth;dur=1.2, upstream;dur=23.1, total;dur=25.0"
        );
        assert_eq!(header_value(&[], 0.0), "total;dur=0.0");
        assert_eq!(header_value(&[("body", -3.0)], f64::NAN), "body;dur=0.0, total;dur=0.0");
        assert_eq!(header_value(&[], 1e300), "total;dur=0.0");
    }
}
