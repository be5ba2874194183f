//! HTTP methods and sets of them, as the route table and `Allow` headers need them.

use std::fmt;

/// A request method. The seven a route can name get their own variant; anything
/// else a client sends is kept as written so an `ANY` route can still see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: a GET route answers it (without the body) unless a route names it.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`: answered by the gateway unless a route names it.
    Options,
    /// Any other method, uppercase as [`Method::parse`] keeps it.
    Other(Box<str>),
}

impl Method {
    /// The method as sent, uppercased (as the seeds' request object has it):
    /// the seven a route can name get their own variant, any other is kept.
    pub fn parse(raw: &str) -> Method {
        fn standard(name: &str) -> Option<Method> {
            Some(match name {
                "GET" => Method::Get,
                "HEAD" => Method::Head,
                "POST" => Method::Post,
                "PUT" => Method::Put,
                "PATCH" => Method::Patch,
                "DELETE" => Method::Delete,
                "OPTIONS" => Method::Options,
                _ => return None,
            })
        }
        standard(raw).unwrap_or_else(|| {
            let upper = raw.to_ascii_uppercase();
            standard(&upper).unwrap_or_else(|| Method::Other(upper.into()))
        })
    }

    /// The method's name, as `Allow` headers and the access log write it.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other(name) => name,
        }
    }

    /// The bit this method occupies in a [`MethodSet`], if it is one a route can name.
    fn bit(&self) -> Option<u8> {
        Some(match self {
            Method::Get => 1 << 0,
            Method::Head => 1 << 1,
            Method::Post => 1 << 2,
            Method::Put => 1 << 3,
            Method::Patch => 1 << 4,
            Method::Delete => 1 << 5,
            Method::Options => 1 << 6,
            Method::Other(_) => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The methods in the order `Allow` and `Access-Control-Allow-Methods` list them.
const ORDER: [Method; 7] = [
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
    Method::Options,
];

/// A small set of the standard methods, kept as bits so a path's methods are
/// one byte and membership is one AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MethodSet(u8);

impl MethodSet {
    /// No method.
    pub const EMPTY: MethodSet = MethodSet(0);
    /// The seven standard methods: what an `ANY` route allows.
    pub const ALL: MethodSet = MethodSet(0b0111_1111);

    /// Adds `method`; an extension method is not kept (the set holds the seven only).
    pub fn insert(&mut self, method: &Method) {
        if let Some(bit) = method.bit() {
            self.0 |= bit;
        }
    }

    /// Whether `method` is in the set (never, for an extension method).
    pub fn contains(&self, method: &Method) -> bool {
        method.bit().is_some_and(|bit| self.0 & bit != 0)
    }

    /// Whether the set holds no method.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// `GET, HEAD, POST`: the form `Allow` and CORS headers use.
    pub fn header_value(&self) -> String {
        let mut out = String::new();
        for method in ORDER.iter().filter(|m| self.contains(m)) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(method.as_str());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_standard_and_extension_methods() {
        assert_eq!(Method::parse("GET"), Method::Get);
        assert_eq!(Method::parse("patch"), Method::Patch);
        assert_eq!(Method::parse("PROPFIND"), Method::Other("PROPFIND".into()));
        assert_eq!(Method::parse("purge").as_str(), "PURGE");
    }

    #[test]
    fn header_value_lists_in_a_stable_order() {
        let mut set = MethodSet::EMPTY;
        for m in [Method::Delete, Method::Get, Method::Options, Method::Other("X".into())] {
            set.insert(&m);
        }
        assert_eq!(set.header_value(), "GET, DELETE, OPTIONS");
        assert_eq!(
            MethodSet::ALL.header_value(),
            "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
        );
    }
}
