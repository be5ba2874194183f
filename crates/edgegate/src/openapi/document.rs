//! The whole document: one operation per route and method, the security
//! schemes the gateway enforces, and the one problem schema every error
//! answer shares.

use std::collections::BTreeMap;

use schemars::generate::Contract;
use serde_json::{json, Map, Value};

use crate::config::Settings;
use crate::describe::{bound_integers, generator, Operation};
use crate::http::Method;
use crate::policy::Access;
use crate::problem::{kinds, ProblemKind};
use crate::routing::{Endpoint, RouteTable};
use crate::upstream::UpstreamKind;

/// The document's `info`: the app's name, version and what it is.
pub struct Info<'a> {
    /// The API's name (`info.title`).
    pub title: &'a str,
    /// The API's version (`info.version`).
    pub version: &'a str,
    /// What the API is (`info.description`).
    pub description: &'a str,
}

/// The methods an `ANY` route is documented with: the ones it answers but
/// HEAD and OPTIONS, the gateway's own (HEAD answers as GET without a body,
/// OPTIONS with `Allow`).
fn any_methods() -> [Method; 5] {
    [Method::Get, Method::Put, Method::Post, Method::Delete, Method::Patch]
}

/// The names the security schemes have in the document.
const API_KEY_HEADER: &str = "ApiKeyHeader";
const API_KEY_QUERY: &str = "ApiKeyQuery";

/// The OpenAPI 3.1 document of `table` under `settings` (a deployment's
/// values: token providers' issuers and audiences, IP rules).
pub fn document<S>(table: &RouteTable<S>, settings: &Settings, info: &Info) -> Value {
    let mut requests = generator(Contract::Deserialize);
    let mut responses = generator(Contract::Serialize);
    let global_ip_rules = !settings.ip_allow.is_empty() || !settings.ip_deny.is_empty();
    let mut paths = Map::new();
    let mut schemes_used = Vec::new();
    for routes in table.paths() {
        let template = openapi_template(&routes.template);
        let params = template_params(&routes.template);
        let mut operations = Map::new();
        for (method, endpoint) in routes.endpoints() {
            let methods = match method {
                Some(method) => vec![method.clone()],
                None => any_methods()
                    .into_iter()
                    .filter(|m| routes.endpoints().all(|(declared, _)| declared != Some(m)))
                    .collect(),
            };
            for method in methods {
                let mut op = Operation::new(&mut requests, &mut responses, params.clone());
                describe_endpoint(&mut op, endpoint, routes.catch_all);
                if routes.ip_rules.is_some() || global_ip_rules {
                    op.problem(kinds::IP_REFUSED);
                }
                let security = security(&endpoint.access, &mut op, &mut schemes_used);
                let summary = endpoint
                    .doc
                    .summary
                    .map_or_else(|| format!("{} {}", method.as_str(), routes.template), str::to_owned);
                let mut object = json!({
                    "operationId": operation_id(&method, &routes.template),
                    "summary": summary,
                    "tags": [tag(&routes.template)],
                });
                if !op.params.is_empty() {
                    object["parameters"] = Value::Array(std::mem::take(&mut op.params));
                }
                // GET and DELETE carry no body a client should rely on.
                if let Some(body) = op
                    .body
                    .take()
                    .filter(|_| !matches!(method, Method::Get | Method::Delete | Method::Other(_)))
                {
                    object["requestBody"] = body;
                }
                object["responses"] = responses_of(&op);
                if let Some(security) = security {
                    object["security"] = security;
                }
                operations.insert(method.as_str().to_ascii_lowercase(), object);
            }
        }
        paths.insert(template, Value::Object(operations));
    }

    let mut schemas = Map::new();
    schemas.insert("Problem".into(), problem_schema());
    for (name, mut schema) in requests
        .take_definitions(true)
        .into_iter()
        .chain(responses.take_definitions(true))
    {
        drop_null_defaults(&mut schema);
        bound_integers(&mut schema);
        if let Some(earlier) = schemas.get(&name) {
            assert_eq!(
                earlier, &schema,
                "`{name}` is described differently as sent and as answered: give one of them another name"
            );
        }
        schemas.insert(name, schema);
    }
    json!({
        "openapi": "3.1.1",
        "info": {"title": info.title, "version": info.version, "description": info.description},
        "servers": [{"url": "/", "description": "The gateway that serves this document"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": security_schemes(&schemes_used, settings),
            "headers": shared_headers(),
        },
    })
}

/// What the endpoint's handler types, declaration, upstream and policies say,
/// and the problems any request can meet.
fn describe_endpoint<S>(op: &mut Operation, endpoint: &Endpoint<S>, catch_all: bool) {
    if let Some(upstream) = &endpoint.upstream {
        op.any_body();
        op.passes_through = true;
        op.response(
            "default",
            "The upstream's answer, passed through unchanged (less hop-by-hop headers; CORS is the gateway's).",
            Some(("*/*", json!({}))),
        );
        op.problem(kinds::INVALID_PATH);
        op.problem(kinds::UPSTREAM_UNREACHABLE);
        op.problem(kinds::UPSTREAM_TIMEOUT);
        op.problem(kinds::UPSTREAM_UNAVAILABLE);
        if upstream.kind() == UpstreamKind::Function {
            op.problem(kinds::UPSTREAM_INVALID_ANSWER);
            op.problem(kinds::MALFORMED_JSON);
            op.problem(kinds::INVALID_QUERY);
        }
    } else if endpoint.purges.is_some() {
        describe_purge(op);
    } else {
        (endpoint.doc.describe)(op);
    }
    if endpoint.cache.is_some() {
        for status in op.responses.keys().cloned().collect::<Vec<_>>() {
            op.response_header(&status, "Cache-Status", "RFC 9211: whether the edge cache answered (`hit`) or forwarded (`fwd=miss`, `fwd=stale`, `fwd=bypass`, `fwd=method`), and the entry's key.", false);
            op.response_header(
                &status,
                "Age",
                "Seconds since a cached answer was fetched (on a hit).",
                false,
            );
        }
    }
    for (status, schema) in &endpoint.doc.returns {
        op.response_with(*status, *schema);
    }
    for kind in &endpoint.doc.problems {
        op.problem(*kind);
    }
    for (status, name, description, required) in &endpoint.doc.headers {
        op.response_header(&status.0.to_string(), name, description, *required);
    }
    for (name, description, required, schema) in &endpoint.doc.request_headers {
        let schema = serde_json::from_str(schema).expect("a request header's schema is JSON");
        op.param("header", name, *required, schema, Some((*description).to_owned()));
    }
    op.untyped_path_params(catch_all);
    for policy in &endpoint.policies {
        for kind in policy.problems() {
            op.problem(kind);
        }
    }
    // Any request: a malformed target or framing, a header the gateway
    // cannot pass on, a path parameter that is not UTF-8, a body over the
    // limit, a failure inside.
    op.problem(kinds::INVALID_REQUEST);
    op.problem(kinds::INVALID_HEADER);
    if op.params.iter().any(|p| p["in"] == "path") {
        op.problem(kinds::INVALID_PATH_PARAM);
    }
    op.problem(kinds::BODY_TOO_LARGE);
    op.problem(kinds::INTERNAL);
}

/// A purge route's body and answer (see [`crate::cache::purge`]).
fn describe_purge(op: &mut Operation) {
    let list = |what: &str, item: Value| json!({"type": "array", "maxItems": crate::cache::purge::MAX_PER_PURGE, "items": item, "description": what});
    let key = json!({"type": "string", "pattern": "^/\\.edgegate-cache/", "maxLength": 8192});
    let tag = json!({"type": "string", "pattern": "^[A-Za-z0-9._:/-]{1,128}$"});
    let non_empty = |name: &str| json!({"required": [name], "properties": {name: {"minItems": 1}}});
    op.json_body_schema(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "keys": list("Exact entry keys of this policy's routes, as `Cache-Status` names them (`/.edgegate-cache/...`, never under `tag/`, no dot segment).", key),
            "tags": list("Tags (`Cache-Tag` from the upstream, or the policy's own): every entry of each.", tag),
        },
        "anyOf": [non_empty("keys"), non_empty("tags")],
    }));
    op.response(
        "200",
        "Purged at this location.",
        Some((
            "application/json",
            json!({
                "type": "object",
                "required": ["keys_removed", "keys_named", "tags_purged"],
                "properties": {
                    "keys_removed": {"type": "integer", "minimum": 0},
                    "keys_named": {"type": "integer", "minimum": 0},
                    "tags_purged": {"type": "array", "items": {"type": "string"}},
                },
            }),
        )),
    );
    op.problem(kinds::MALFORMED_JSON);
    op.problem(kinds::INVALID_BODY);
    op.problem(kinds::UNAVAILABLE);
}

/// The operation's `security` (alternatives, any one of which admits), with
/// the problems of refusing; `None` for a public route.
fn security(access: &Access, op: &mut Operation, used: &mut Vec<String>) -> Option<Value> {
    // An alternative that admits everyone makes the route public: the
    // gateway runs no authentication for it, so no credential is asked.
    if admits_everyone(access) {
        return None;
    }
    let mut alternatives = Vec::new();
    requirements(access, &mut alternatives, op);
    if alternatives.is_empty() {
        return None;
    }
    op.problem(kinds::UNAUTHORIZED);
    for requirement in &alternatives {
        for name in requirement.keys() {
            if !used.contains(name) {
                used.push(name.clone());
            }
        }
    }
    Some(Value::Array(alternatives.into_iter().map(Value::Object).collect()))
}

fn admits_everyone(access: &Access) -> bool {
    match access {
        Access::Public => true,
        Access::AnyOf(alternatives) => alternatives.iter().any(admits_everyone),
        _ => false,
    }
}

fn requirements(access: &Access, into: &mut Vec<Map<String, Value>>, op: &mut Operation) {
    match access {
        Access::Public => {}
        Access::ApiKey => {
            for scheme in [API_KEY_HEADER, API_KEY_QUERY] {
                let mut requirement = Map::new();
                requirement.insert(scheme.into(), json!([]));
                into.push(requirement);
            }
        }
        Access::Jwt { provider, scopes } => {
            let mut requirement = Map::new();
            requirement.insert(provider.clone(), json!(scopes));
            into.push(requirement);
            op.problem(kinds::CREDENTIALS_UNVERIFIABLE);
            if !scopes.is_empty() {
                op.problem(kinds::INSUFFICIENT_SCOPE);
            }
        }
        Access::AnyOf(alternatives) => {
            for alternative in alternatives {
                requirements(alternative, into, op);
            }
        }
    }
}

fn security_schemes(used: &[String], settings: &Settings) -> Value {
    let mut schemes = Map::new();
    for name in used {
        let scheme = match name.as_str() {
            API_KEY_HEADER => json!({"type": "apiKey", "in": "header", "name": "x-api-key",
                "description": "An API key (`API_KEYS`), in the `x-api-key` header."}),
            API_KEY_QUERY => json!({"type": "apiKey", "in": "query", "name": "key",
                "description": "An API key (`API_KEYS`), as the `key` query parameter (Cloud Endpoints' `api_key`)."}),
            provider => {
                let description = match settings.jwt_providers.get(provider) {
                    Some(config) => format!(
                        "A bearer JWT from the provider `{provider}`: issuer `{}`, audiences {}. \
                         Signatures are checked against the provider's keys; `exp`, `nbf` and `iat` are enforced.",
                        config.issuer,
                        config
                            .audiences
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => format!("A bearer JWT from the provider `{provider}` (`JWT_PROVIDERS`)."),
                };
                json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": description})
            }
        };
        schemes.insert(name.clone(), scheme);
    }
    Value::Object(schemes)
}

/// The headers answers share, described once (`components.headers`) and
/// referred to by name from each answer.
fn shared_headers() -> Value {
    json!({
        "X-Request-Id": {"description": "The request's id: the caller's own when it is 1 to 128 visible ASCII characters, else one the gateway made. Its log line and a problem's `request_id` carry it.", "required": true, "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,128}$"}},
        "Server-Timing": {"description": "Where the time went (`auth`, `policy`, `body`, `app` or `upstream`, `total`; ms), to the callers `SERVER_TIMING` names: by default authenticated ones.", "schema": {"type": "string"}},
        "RateLimit-Policy": {"description": "The route's limits (draft-ietf-httpapi-ratelimit-headers), on every answer of a limited route.", "schema": {"type": "string"}},
        "RateLimit": {"description": "What is left of the caller's quotas and when each resets (`\"quota-day\";r=…;t=…`), on a route with quotas.", "schema": {"type": "string"}},
    })
}

/// A reference to one of [`shared_headers`].
fn shared(name: &str) -> Value {
    json!({ "$ref": format!("#/components/headers/{name}") })
}

/// The headers the gateway puts on every answer of an operation, whoever
/// made it: its request id and timings, and on a `limited` route its limits.
fn gateway_headers(limited: bool) -> Map<String, Value> {
    let names: &[&str] = match limited {
        true => &["X-Request-Id", "Server-Timing", "RateLimit-Policy", "RateLimit"],
        false => &["X-Request-Id", "Server-Timing"],
    };
    names.iter().map(|name| (String::from(*name), shared(name))).collect()
}

/// Successes as described, then every problem grouped by status: one
/// response per status listing each kind that answers with it. Every
/// answer has the gateway's headers; on a limited route every answer says
/// its limits.
fn responses_of(op: &Operation) -> Value {
    let limited = op
        .problems
        .iter()
        .any(|kind| *kind == kinds::RATE_LIMITED || *kind == kinds::QUOTA_EXCEEDED);
    let common = gateway_headers(limited);
    let mut responses = Map::new();
    for (status, response) in &op.responses {
        let mut object = json!({"description": response.description});
        if let Some((media, schema)) = &response.content {
            object["content"] = json!({ media.as_str(): {"schema": schema} });
        }
        let mut headers = common.clone();
        for (name, header) in &response.headers {
            headers.insert(name.clone(), header.clone());
        }
        object["headers"] = Value::Object(headers);
        responses.insert(status.clone(), object);
    }
    let mut by_status: BTreeMap<u16, Vec<ProblemKind>> = BTreeMap::new();
    for kind in &op.problems {
        by_status.entry(kind.status.0).or_default().push(*kind);
    }
    for (status, kinds) in by_status {
        let description = kinds
            .iter()
            .map(|k| format!("`{}`: {}", k.slug, k.meaning))
            .collect::<Vec<_>>()
            .join("\n\n");
        let mut object = json!({
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        });
        // On an upstream's route the status may be the upstream's own
        // answer, passed through as it came: any type, any body.
        if op.passes_through {
            object["description"] = json!(format!(
                "The gateway's problem:\n\n{description}\n\nor the upstream's own answer with this status, passed through."
            ));
            object["content"]["*/*"] = json!({"schema": {}});
        }
        let mut headers = common.clone();
        if status == 401 {
            headers.insert(
                "WWW-Authenticate".into(),
                json!({"description": "The challenge of each scheme the route accepts.", "required": !op.passes_through, "schema": {"type": "string"}}),
            );
        }
        // A missing scope says which (RFC 6750 §3.1); another 403 (IP
        // rules) has no challenge.
        if status == 403 && kinds.contains(&kinds::INSUFFICIENT_SCOPE) {
            let only = kinds.iter().all(|k| *k == kinds::INSUFFICIENT_SCOPE) && !op.passes_through;
            headers.insert(
                "WWW-Authenticate".into(),
                json!({"description": "With a missing scope: `Bearer` with `error=\"insufficient_scope\"` and the scope required.", "required": only, "schema": {"type": "string"}}),
            );
        }
        // The framework's kinds that always say when to come back.
        let retry = [
            kinds::RATE_LIMITED,
            kinds::QUOTA_EXCEEDED,
            kinds::TRAFFIC_CONTROL_UNAVAILABLE,
            kinds::UNAVAILABLE,
            kinds::CREDENTIALS_UNVERIFIABLE,
            kinds::UPSTREAM_UNAVAILABLE,
        ];
        if kinds.iter().any(|k| retry.contains(k)) {
            headers.insert(
                "Retry-After".into(),
                json!({"description": "Seconds until a retry can succeed.", "schema": {"type": "string"}}),
            );
        }
        for (_, name, header) in op.problem_headers.iter().filter(|(code, ..)| *code == status) {
            headers.insert(name.clone(), header.clone());
        }
        object["headers"] = Value::Object(headers);
        responses.insert(status.to_string(), object);
    }
    Value::Object(responses)
}

/// `#[serde(default)]` fields get `"default": null` from schemars, which
/// says nothing a client can use and contradicts a non-null type.
fn drop_null_defaults(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.get("default") == Some(&Value::Null) {
                object.remove("default");
            }
            object.values_mut().for_each(drop_null_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_defaults),
        _ => {}
    }
}

/// RFC 9457 problem details as the gateway writes them.
fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "An RFC 9457 problem: `type` names the kind (stable: switch on it), `request_id` is what to quote. Some kinds add members (`param`, `field`, `retry_after`).",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": "`urn:edgegate:problem:<kind>` (or the deployment's `PROBLEM_TYPE_PREFIX`)."},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
        },
        "additionalProperties": true,
    })
}

/// `/echo/{*rest}` → `/echo/{rest}`.
fn openapi_template(template: &str) -> String {
    template.replace("{*", "{")
}

fn template_params(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}'))
        .map(|(name, _)| name.trim_start_matches('*').to_owned())
        .collect()
}

/// `get /items/{id}` → `get_items_id`.
fn operation_id(method: &Method, template: &str) -> String {
    let mut id = method.as_str().to_ascii_lowercase();
    for part in template.split(['/', '{', '}', '*', '-']).filter(|p| !p.is_empty()) {
        id.push('_');
        id.push_str(part);
    }
    id
}

/// The first segment of the path groups its operations (`items`, `api`).
fn tag(template: &str) -> String {
    template
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .unwrap_or("root")
        .to_owned()
}
