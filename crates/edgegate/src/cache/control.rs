//! `Cache-Control` as a shared cache reads an answer's (RFC 9111 §5.2.2,
//! and `stale-if-error` from RFC 5861). Unknown directives are ignored; a
//! number that does not parse counts as 0 (stale at once), and a qualified
//! `no-cache="…"` or `private="…"` as the unqualified one: when in doubt,
//! nothing is kept.

/// The directives that decide whether and how long an answer is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    /// `no-store`.
    pub no_store: bool,
    /// `no-cache`: every use must be revalidated, which this cache does not do.
    pub no_cache: bool,
    /// `private`: for one user's cache only.
    pub private: bool,
    /// `public`: shareable even for an authenticated request.
    pub public: bool,
    /// `must-revalidate`: never served stale, not even on an error.
    pub must_revalidate: bool,
    /// `max-age`, seconds.
    pub max_age: Option<u32>,
    /// `s-maxage`, seconds (shared caches; wins over `max-age`).
    pub s_maxage: Option<u32>,
    /// `stale-if-error`, seconds.
    pub stale_if_error: Option<u32>,
}

impl Directives {
    /// The directives of every `Cache-Control` value given.
    pub fn parse<'a>(mut values: impl Iterator<Item = &'a str>) -> Directives {
        Directives::parse_each(&mut values)
    }

    /// [`Directives::parse`], once in the wasm whatever the values' iterator.
    fn parse_each(values: &mut dyn Iterator<Item = &str>) -> Directives {
        let mut directives = Directives::default();
        for directive in values.flat_map(|value| value.split(',')) {
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            let seconds = || Some(argument.map_or(0, delta_seconds));
            match name.to_ascii_lowercase().as_str() {
                "no-store" => directives.no_store = true,
                "no-cache" => directives.no_cache = true,
                "private" => directives.private = true,
                "public" => directives.public = true,
                "must-revalidate" | "proxy-revalidate" => directives.must_revalidate = true,
                "max-age" => directives.max_age = seconds(),
                "s-maxage" => directives.s_maxage = seconds(),
                "stale-if-error" => directives.stale_if_error = seconds(),
                _ => {}
            }
        }
        directives
    }
}

/// RFC 9111 §1.2.2: digits only, or 0; past what fits, 2^31.
fn delta_seconds(text: &str) -> u32 {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    text.parse::<u32>().map_or(1 << 31, |n| n.min(1 << 31))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_read_whatever_their_case_spacing_and_quotes() {
        let d = Directives::parse(["Public, MAX-AGE=60", " s-maxage=\"120\" ,stale-if-error=30"].into_iter());
        assert!(d.public && !d.private && !d.no_store);
        assert_eq!(
            (d.max_age, d.s_maxage, d.stale_if_error),
            (Some(60), Some(120), Some(30))
        );
        let d = Directives::parse(["private=\"set-cookie\", no-cache=\"x\", max-age=abc, max-age=-1"].into_iter());
        assert!(d.private && d.no_cache);
        assert_eq!(d.max_age, Some(0), "a number that does not parse is 0");
        assert_eq!(Directives::parse(std::iter::empty()), Directives::default());
        assert_eq!(
            Directives::parse(["max-age=99999999999999"].into_iter()).max_age,
            Some(1 << 31)
        );
        assert_eq!(
            Directives::parse(["max-age=+5, s-maxage=0x10"].into_iter()).max_age,
            Some(0)
        );
    }
}
