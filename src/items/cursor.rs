//! The opaque list cursor: the id of the last item a page returned. Clients
//! pass it back unchanged; anything else is a 400.

use crate::items::kinds as item_kinds;
use edgegate::http::{base64_decode, base64_encode};
use edgegate::problem::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// List items with ids greater than this.
    pub after: i64,
}

const VERSION: &str = "i1:";

impl Cursor {
    /// URL-safe base64 without padding, so it survives a query string as is.
    pub fn encode(self) -> String {
        base64_encode(format!("{VERSION}{}", self.after).as_bytes())
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    }

    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let invalid = || {
            ApiError::of(
                item_kinds::INVALID_CURSOR,
                "query parameter `cursor` is not a cursor this API returned",
            )
            .with_extension("param", "cursor")
        };
        if text.contains(['+', '/', '=']) {
            return Err(invalid());
        }
        let bytes = base64_decode(&text.replace('-', "+").replace('_', "/")).map_err(|_| invalid())?;
        let decoded = String::from_utf8(bytes).map_err(|_| invalid())?;
        let after = decoded
            .strip_prefix(VERSION)
            .and_then(|id| id.parse::<i64>().ok())
            .ok_or_else(invalid)?;
        if after < 0 || (Cursor { after }).encode() != text {
            return Err(invalid());
        }
        Ok(Cursor { after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_anything_else() {
        for after in [0, 1, 99, 1 << 40] {
            let text = Cursor { after }.encode();
            assert!(!text.contains(['+', '/', '=']));
            assert_eq!(Cursor::decode(&text).unwrap().after, after);
        }
        for garbage in [
            "",
            "abc",
            "!!!",
            "aTE6LTE",
            "aTE6eA",
            "aTE6MQ==",
            &base64_encode(b"i1:01"),
        ] {
            assert!(Cursor::decode(garbage).is_err(), "{garbage}");
        }
    }
}
