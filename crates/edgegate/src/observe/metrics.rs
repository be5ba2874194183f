//! One data point per request on Workers Analytics Engine, when a dataset
//! is bound (`[[analytics_engine_datasets]]`) and named by
//! `METRICS_DATASET`. Writing is the runtime's fire-and-forget
//! `writeDataPoint`: a failing write is logged, never the request's failure.
//!
//! The point's layout, for SQL (the README has the queries):
//!
//! | column | value |
//! |---|---|
//! | `index1` | the route template (`/users/{id}`), or `unmatched` |
//! | `blob1` | the route template, or `unmatched` |
//! | `blob2` | the method |
//! | `blob3` | the status class (`2xx` … `5xx`) |
//! | `blob4` | the scheme (`api_key`, `jwt`), or empty |
//! | `blob5` | the principal: 16 hex digits of a hash, keyed with `METRICS_PRINCIPAL_KEY` when set (default), or the id |
//! | `blob6` | the limit that refused (`rate_limit:PER_CLIENT`), or empty |
//! | `blob7` | the upstream's name, or empty |
//! | `blob8` | the problem's kind (`not-found`), or empty |
//! | `double1` | the status |
//! | `double2` | the gateway's duration, ms |
//! | `double3` | the upstream's status, or 0 |
//! | `double4` | the upstream's duration, ms, or 0 |

use super::PrincipalInMetrics;
use crate::digest::{sha256, HmacKey};
use crate::http::hex_encode;
use crate::platform::{Binding, BindingKind};
use crate::policy::Principal;

/// A Workers Analytics Engine dataset (`[[analytics_engine_datasets]]`).
pub const ANALYTICS_ENGINE_DATASET: BindingKind = BindingKind {
    section: "[[analytics_engine_datasets]]",
    noun: "Analytics Engine dataset",
    method: "writeDataPoint",
};

/// A dataset, as the gateway writes to it.
pub trait AnalyticsDataset {
    /// Writes one point (the runtime sends it in the background); an error
    /// when the binding throws.
    fn write_data_point(&self, point: &DataPoint) -> Result<(), String>;
}

impl Binding for dyn AnalyticsDataset {
    const KIND: BindingKind = ANALYTICS_ENGINE_DATASET;
}

/// One data point: an index, blobs and doubles, as `writeDataPoint` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// The sampling key (at most 96 bytes).
    pub index: String,
    /// Text columns, in the layout above.
    pub blobs: Vec<String>,
    /// Numbers, in the layout above.
    pub doubles: Vec<f64>,
}

/// What a request's point is made of.
pub struct Observed<'a> {
    /// The matched route template.
    pub route: Option<&'a str>,
    /// The method.
    pub method: &'a str,
    /// The status answered.
    pub status: u16,
    /// Who the request authenticated as.
    pub principal: Option<&'a Principal>,
    /// The limit that refused it.
    pub limit: Option<&'a str>,
    /// The upstream called: name, status, duration.
    pub upstream: Option<(&'a str, Option<u16>, f64)>,
    /// The problem's kind.
    pub problem: Option<&'a str>,
    /// The gateway's duration, ms.
    pub duration_ms: f64,
}

/// `2xx` for 200..=299, and so on; a status outside 100..=599 as `other`
/// (the gateway sends 200..=599 only). No formatter for three bytes.
fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        5 => "5xx",
        _ => "other",
    }
}

impl Observed<'_> {
    /// The data point, naming the principal as `principal_as` says (a hash
    /// keyed with `key` when there is one).
    pub fn point(&self, principal_as: PrincipalInMetrics, key: Option<&HmacKey>) -> DataPoint {
        let route = self.route.unwrap_or("unmatched");
        let principal = self.principal.map_or(String::new(), |p| match principal_as {
            PrincipalInMetrics::Id => p.id.to_string(),
            PrincipalInMetrics::Hash => {
                let qualified = p.qualified();
                let digest = key.map_or_else(|| sha256(qualified.as_bytes()), |key| key.mac(qualified.as_bytes()));
                hex_encode(&digest[..8])
            }
        });
        let (upstream, upstream_status, upstream_ms) = match self.upstream {
            Some((name, status, ms)) => (name, status.unwrap_or(0), ms),
            None => ("", 0, 0.0),
        };
        // Analytics Engine indexes at most 96 bytes; a template is code, but a long one is cut.
        let mut index = route.to_owned();
        while index.len() > 96 {
            index.pop();
        }
        DataPoint {
            index,
            blobs: vec![
                route.to_owned(),
                self.method.to_owned(),
                status_class(self.status).to_owned(),
                self.principal.map_or("", |p| p.scheme.as_str()).to_owned(),
                principal,
                self.limit.unwrap_or("").to_owned(),
                upstream.to_owned(),
                self.problem.unwrap_or("").to_owned(),
            ],
            doubles: vec![
                self.status as f64,
                self.duration_ms,
                upstream_status as f64,
                upstream_ms,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::status_class;

    #[test]
    fn a_status_class_per_hundred() {
        assert_eq!(status_class(101), "1xx");
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(499), "4xx");
        assert_eq!(status_class(599), "5xx");
        assert_eq!(status_class(600), "other");
        assert_eq!(status_class(0), "other");
    }
}
