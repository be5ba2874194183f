//! Request headers: names are compared case-insensitively, so they are stored lowercase.

/// The request's headers as `(lowercase name, value)` pairs, in arrival order.
/// A request has few headers, so a vector beats a map for both building and lookup.
///
/// The adapter may pass only a selection: the headers the gateway itself reads
/// ([`crate::gateway::READ_HEADERS`]), which is all most requests need. A
/// route whose handler takes every header gets them all (see
/// [`crate::gateway::Gateway::needs_all_headers`]). Debug builds check that
/// nothing asks a selection for a header it left out, or iterates it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
    /// The names this is limited to, when it is a selection.
    only: Option<&'static [&'static str]>,
}

impl Headers {
    /// No headers, and not a selection.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Adds a header; the name is lowercased here (in place, when it is
    /// already an owned string) so every lookup can be exact.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let mut name = name.into();
        name.make_ascii_lowercase();
        self.entries.push((name, value.into()));
    }

    /// These headers limited to `names` (lowercase): what the adapter passes
    /// when the route needs no others.
    pub fn selected(self, names: &'static [&'static str]) -> Headers {
        let mut entries = self.entries;
        entries.retain(|(name, _)| names.contains(&name.as_str()));
        Headers {
            entries,
            only: Some(names),
        }
    }

    /// Whether these are all the request's headers, not a selection.
    pub fn is_complete(&self) -> bool {
        self.only.is_none()
    }

    /// The first value of `name`, whatever the case it is asked for in.
    pub fn get(&self, name: &str) -> Option<&str> {
        debug_assert!(
            self.only
                .is_none_or(|only| only.iter().any(|n| n.eq_ignore_ascii_case(name))),
            "header `{name}` was read from a selection without it: add it to the gateway's selection (gateway::READ_HEADERS), \
             or declare the extractor reading it with READS_ALL_HEADERS"
        );
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present, whatever the case it is asked for in.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every header in arrival order, names lowercase. Not for a selection
    /// (debug builds check): an extractor that needs them all says so.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        debug_assert!(
            self.is_complete(),
            "a selection of headers was iterated: declare the extractor with READS_ALL_HEADERS"
        );
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in iter {
            headers.append(name, value);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case() {
        let headers: Headers = [("Content-Type", "text/plain"), ("X-Api-Key", "k")]
            .into_iter()
            .collect();
        assert_eq!(headers.get("content-type"), Some("text/plain"));
        assert_eq!(headers.get("X-API-KEY"), Some("k"));
        assert_eq!(headers.get("accept"), None);
        assert_eq!(headers.iter().next(), Some(("content-type", "text/plain")));
    }

    #[test]
    fn a_selection_keeps_only_the_named_headers() {
        let headers: Headers = [("Origin", "http://a"), ("Accept", "*/*"), ("X-Api-Key", "k")]
            .into_iter()
            .collect();
        let selected = headers.selected(&["origin", "x-api-key", "x-request-id"]);
        assert!(!selected.is_complete());
        assert_eq!(selected.get("origin"), Some("http://a"));
        assert_eq!(selected.get("X-API-Key"), Some("k"));
        assert_eq!(selected.get("x-request-id"), None);
        assert_eq!(selected.entries.len(), 2);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "header `accept` was read from a selection without it")]
    fn reading_a_header_a_selection_left_out_is_caught_in_tests() {
        let headers: Headers = [("Accept", "*/*")].into_iter().collect();
        headers.selected(&["origin"]).get("accept");
    }
}
