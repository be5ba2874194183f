//! The list cursor: the id of the last item a page returned, versioned
//! (`i1.42`). Clients pass it back unchanged; anything else is a 400. Its
//! form is exactly [`PATTERN`], so the OpenAPI document states the rule the
//! API enforces, and a fuzzer's valid cursor is one the API accepts.

use crate::items::kinds as item_kinds;
use edgegate::problem::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// List items with ids greater than this.
    pub after: i64,
}

const VERSION: &str = "i1.";

/// Every cursor and nothing else: the version, then an id without leading
/// zeros, of at most 19 digits (any id an `i64` holds: D1's rowid is one;
/// a 19-digit number above `i64::MAX` is refused as it is read).
/// Empty is allowed: `?cursor=` is read as no cursor (the first page).
pub const PATTERN: &str = "^(i1\\.(0|[1-9][0-9]{0,18}))?$";

impl Cursor {
    pub fn encode(self) -> String {
        format!("{VERSION}{}", self.after)
    }

    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let invalid = || {
            ApiError::of(
                item_kinds::INVALID_CURSOR,
                "query parameter `cursor` is not a cursor this API returned",
            )
            .with_extension("param", "cursor")
        };
        let digits = text.strip_prefix(VERSION).ok_or_else(invalid)?;
        let canonical = digits == "0"
            || (!digits.is_empty()
                && digits.len() <= 19
                && !digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit()));
        if !canonical {
            return Err(invalid());
        }
        let after = digits.parse::<i64>().map_err(|_| invalid())?;
        Ok(Cursor { after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_anything_else() {
        for after in [
            0,
            1,
            99,
            1 << 40,
            999_999_999_999_999_999,
            1_000_000_000_000_000_000,
            i64::MAX,
        ] {
            let text = Cursor { after }.encode();
            assert_eq!(Cursor::decode(&text).unwrap().after, after);
        }
        for garbage in [
            "",
            "abc",
            "i1.",
            "i1.-1",
            "i1.+1",
            "i1.01",
            "i1. 1",
            "i1.1x",
            "i2.1",
            "I1.1",
            "i1.9223372036854775808",
            "i1.10000000000000000000",
            "i1.٣",
            "aTE6MQ",
        ] {
            assert!(Cursor::decode(garbage).is_err(), "{garbage}");
        }
    }
}
