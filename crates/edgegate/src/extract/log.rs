//! A handler's own log lines ([`Log`]): what a handler knows went wrong
//! without it being the client's answer — a write it could do without, a
//! fallback it took — written as the gateway's own lines are, under the
//! request's id and trace, so the line is found beside the request's
//! access log line.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use super::FromRequest;
use crate::http::push_decimal;
use crate::http::Request;
use crate::policy::access_log::{log_line, push_json_string};
use crate::problem::ApiError;

/// The line that takes the place of those over [`Log::REQUEST_MAX_BYTES`].
const DROPPED: &str = "further handler log lines dropped: this request's are over 64 KiB";

/// The names every line has: a handler's field of the same name is written
/// as `handler.<name>`, so a line never has a name twice and no field of a
/// handler's passes for the gateway's.
const RESERVED: [&str; 5] = ["level", "message", "request_id", "trace_id", "route"];

/// A handler's log: lines written as JSON, one per call, each with the
/// request's `request_id`, `trace_id` and `route` besides the handler's
/// fields, when the request has been answered (with its access log line,
/// and whether or not the access log is on). Names are the handler's own
/// (`&'static str`); values are escaped, so any text a request brought is
/// safe in them. A line is written even when the handler then returns an
/// error (not when it panics: the instance ends, and the request with it).
///
/// ```
/// use edgegate::extract::Log;
/// use edgegate::routing::{Route, RouteTable};
///
/// async fn order(log: Log) -> &'static str {
///     log.warn("stock not reserved", &[("sku", "A-1"), ("error", "D1 is down")]);
///     "ordered"
/// }
///
/// let table = RouteTable::<()>::new([Route::post("/orders", order).public()]);
/// assert!(table.is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Log {
    /// The request's lines, which the gateway writes once it has answered.
    lines: Rc<RefCell<Vec<String>>>,
    /// The request's own fields, as every line names them.
    request_id: String,
    trace_id: String,
    route: String,
}

impl Log {
    /// A message or value longer than this is cut, at a character
    /// boundary, and says how much was cut: a handler that logs a client's
    /// text whole (a body) writes a line of bounded size.
    pub const VALUE_MAX_BYTES: usize = 4096;

    /// What one request's lines may hold together. The runtime keeps 256 KB
    /// of an invocation's log and drops what comes after; the request's
    /// access log line comes after these, and must fit.
    pub const REQUEST_MAX_BYTES: usize = 64 * 1024;

    /// A line at `info`: what happened, for the record.
    pub fn info(&self, message: &str, fields: &[(&'static str, &str)]) {
        self.write("info", message, fields);
    }

    /// A line at `warn`: something went wrong that the answer does not show.
    pub fn warn(&self, message: &str, fields: &[(&'static str, &str)]) {
        self.write("warn", message, fields);
    }

    /// A line at `error`: something failed that an operator must look at.
    pub fn error(&self, message: &str, fields: &[(&'static str, &str)]) {
        self.write("error", message, fields);
    }

    fn write(&self, level: &str, message: &str, fields: &[(&'static str, &str)]) {
        let own = [
            ("request_id", self.request_id.as_str()),
            ("trace_id", self.trace_id.as_str()),
            ("route", self.route.as_str()),
        ];
        let mut lines = self.lines.borrow_mut();
        // Once the notice is written, nothing more is. The notice whole,
        // not its sentence: a value a client brought may hold that.
        let notice = || log_line("warn", DROPPED, &own);
        if lines.last().is_some_and(|last| *last == notice()) {
            return;
        }
        // The request's fields, then the handler's before the closing brace.
        let mut line = log_line(level, &capped(message), &own);
        line.pop();
        for (name, value) in fields {
            line.push(',');
            match RESERVED.contains(name) {
                true => push_json_string(&mut line, &["handler.", name].concat()),
                false => push_json_string(&mut line, name),
            }
            line.push(':');
            push_json_string(&mut line, &capped(value));
        }
        line.push('}');
        let used: usize = lines.iter().map(String::len).sum();
        if used + line.len() > Log::REQUEST_MAX_BYTES {
            line = notice();
        }
        lines.push(line);
    }
}

/// `text`, or its first [`Log::VALUE_MAX_BYTES`] (at a character boundary) and
/// how many bytes were cut.
fn capped(text: &str) -> Cow<'_, str> {
    if text.len() <= Log::VALUE_MAX_BYTES {
        return Cow::Borrowed(text);
    }
    let kept = crate::http::prefix(text, Log::VALUE_MAX_BYTES);
    let mut cut = String::with_capacity(kept.len() + 32);
    cut.push_str(kept);
    cut.push_str("… (");
    push_decimal(&mut cut, (text.len() - kept.len()) as u64);
    cut.push_str(" bytes cut)");
    Cow::Owned(cut)
}

impl<S> FromRequest<S> for Log {
    fn from_request(request: &Request, _state: &S) -> Result<Self, ApiError> {
        Ok(Log {
            lines: request.handler_log.get_or_init(Rc::default).clone(),
            request_id: request.request_id.clone(),
            trace_id: request.trace.trace_id_hex(),
            route: request.route().unwrap_or("").to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    const VALUE_MAX_BYTES: usize = Log::VALUE_MAX_BYTES;
    const REQUEST_MAX_BYTES: usize = Log::REQUEST_MAX_BYTES;

    fn lines_of(request: &Request) -> Vec<serde_json::Value> {
        let lines = request.handler_log.get().unwrap().borrow().clone();
        lines.iter().map(|line| serde_json::from_str(line).unwrap()).collect()
    }

    #[test]
    fn a_huge_value_is_cut_at_a_character_boundary_and_says_how_much() {
        let request = Request::new(Method::Post, "/orders");
        let log = <Log as FromRequest<()>>::from_request(&request, &()).unwrap();
        // A body logged whole: 10 000 bytes, a two-byte character across the cut.
        let body = ["a".repeat(VALUE_MAX_BYTES - 1), "é".repeat(3000)].concat();
        log.warn(&"m".repeat(VALUE_MAX_BYTES + 5), &[("body", &body), ("short", "kept")]);
        let line = &lines_of(&request)[0];
        let kept = line["body"].as_str().unwrap();
        let (prefix, note) = kept.split_once("… (").unwrap();
        assert_eq!(
            prefix,
            "a".repeat(VALUE_MAX_BYTES - 1),
            "cut before the character, not in it"
        );
        assert_eq!(note, format!("{} bytes cut)", body.len() - (VALUE_MAX_BYTES - 1)));
        assert_eq!(
            line["message"],
            ["m".repeat(VALUE_MAX_BYTES), "… (5 bytes cut)".into()].concat()
        );
        assert_eq!(line["short"], "kept");
    }

    #[test]
    fn a_requests_lines_stop_at_their_budget_with_one_line_that_says_so() {
        let mut request = Request::new(Method::Post, "/orders");
        request.request_id = String::from("req-9");
        let log = <Log as FromRequest<()>>::from_request(&request, &()).unwrap();
        let value = "v".repeat(VALUE_MAX_BYTES);
        for _ in 0..100 {
            log.info("row", &[("value", &value)]);
        }
        let raw = request.handler_log.get().unwrap().borrow().clone();
        assert!(
            raw.iter().map(String::len).sum::<usize>() <= REQUEST_MAX_BYTES + 256,
            "{}",
            raw.len()
        );
        let lines = lines_of(&request);
        let last = lines.last().unwrap();
        assert_eq!(last["message"], DROPPED);
        assert_eq!(last["level"], "warn");
        assert_eq!(last["request_id"], "req-9");
        assert!(lines[..lines.len() - 1].iter().all(|line| line["message"] == "row"));
        assert!((12..=16).contains(&lines.len()), "{}", lines.len());
    }

    #[test]
    fn each_line_names_the_request_and_keeps_the_gateways_names_its_own() {
        let mut request = Request::new(Method::Get, "/orders");
        request.request_id = String::from("req-1");
        let log = <Log as FromRequest<()>>::from_request(&request, &()).unwrap();
        log.warn(
            "not stored",
            &[("request_id", "spoofed"), ("error", "a \"quote\"\nnew line")],
        );
        log.info("second", &[]);
        let lines = request.handler_log.get().unwrap().borrow().clone();
        assert_eq!(lines.len(), 2);
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["level"], "warn");
        assert_eq!(first["message"], "not stored");
        assert_eq!(first["request_id"], "req-1");
        assert_eq!(first["handler.request_id"], "spoofed");
        assert_eq!(first["error"], "a \"quote\"\nnew line");
        assert!(!lines[0].contains('\n'), "one line each: {}", lines[0]);
        assert_eq!(
            first["trace_id"].as_str().unwrap().len(),
            32,
            "the trace id as the access log has it"
        );
        let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(second["level"], "info");
    }
}
