//! A handler's own log lines ([`Log`]): what a handler knows went wrong
//! without it being the client's answer — a write it could do without, a
//! fallback it took — written as the gateway's own lines are, under the
//! request's id and trace, so the line is found beside the request's
//! access log line.

use std::cell::RefCell;
use std::rc::Rc;

use super::FromRequest;
use crate::http::Request;
use crate::policy::access_log::{log_line, push_json_string};
use crate::problem::ApiError;

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
        // The request's fields, then the handler's before the closing brace.
        let mut line = log_line(level, message, &own);
        line.pop();
        for (name, value) in fields {
            line.push(',');
            match RESERVED.contains(name) {
                true => push_json_string(&mut line, &["handler.", name].concat()),
                false => push_json_string(&mut line, name),
            }
            line.push(':');
            push_json_string(&mut line, value);
        }
        line.push('}');
        self.lines.borrow_mut().push(line);
    }
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
