//! Request ids: the client's own when it is a sane token, otherwise one we make.

/// The header a request id travels in, both ways.
pub const HEADER: &str = "x-request-id";

/// A client-supplied id is kept when it is 1 to 128 visible ASCII characters,
/// so it is safe to echo into headers, problem bodies and logs.
pub fn is_acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// 32 lowercase hex digits from 128 random bits (on every request: no
/// formatting machinery).
pub fn generate(high: u64, low: u64) -> String {
    let mut bits = [0u8; 16];
    bits[..8].copy_from_slice(&high.to_be_bytes());
    bits[8..].copy_from_slice(&low.to_be_bytes());
    crate::http::hex_encode(&bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_visible_ascii_tokens_up_to_128() {
        assert!(is_acceptable("abc-123_XYZ:./"));
        assert!(is_acceptable(&"a".repeat(128)));
        assert!(!is_acceptable(&"a".repeat(129)));
        assert!(!is_acceptable(""));
        assert!(!is_acceptable("has space"));
        assert!(!is_acceptable("tab\there"));
        assert!(!is_acceptable("ünïcode"));
    }

    #[test]
    fn generated_ids_are_32_hex_digits() {
        let id = generate(1, u64::MAX);
        assert_eq!(id, "0000000000000001ffffffffffffffff");
        assert!(is_acceptable(&id));
    }
}
