//! The OpenAPI document: generated from the route table and the deployment's
//! settings, committed as `assets/openapi.json` (served at `/openapi.json`),
//! and checked here so it can never drift from what the gateway enforces.
//! `make openapi` rewrites the file.

mod support;

use std::path::PathBuf;

use edgegate::http::Method;
use edgegate_app::{openapi, routes, RouteOptions};
use serde_json::Value;
use support::deployment_vars;

fn generated() -> Value {
    let vars = deployment_vars(None);
    openapi(|name| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())).expect("the document builds")
}

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/openapi.json")
}

#[test]
fn the_committed_document_is_what_the_route_table_makes() {
    let text = serde_json::to_string_pretty(&generated()).unwrap() + "\n";
    if std::env::var_os("EDGEGATE_WRITE_OPENAPI").is_some() {
        std::fs::write(committed_path(), &text).expect("write assets/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == text,
        "assets/openapi.json is not what the route table makes: run `make openapi` and commit it"
    );
}

#[test]
fn every_route_and_method_is_an_operation() {
    let document = generated();
    let table = routes(RouteOptions::default()).unwrap();
    let mut count = 0;
    for routes in table.paths() {
        let path = routes.template.replace("{*", "{");
        let item = &document["paths"][&path];
        assert!(item.is_object(), "{path} is missing");
        for (method, endpoint) in routes.endpoints() {
            let methods: Vec<String> = match method {
                Some(method) => vec![method.as_str().to_ascii_lowercase()],
                None => ["get", "put", "post", "delete", "patch"].map(String::from).to_vec(),
            };
            for method in methods {
                let operation = &item[&method];
                assert!(operation.is_object(), "{method} {path} is missing");
                count += 1;
                let responses = operation["responses"].as_object().unwrap();
                assert!(responses.contains_key("500"), "{method} {path}: no 500");
                assert!(
                    responses.keys().any(|s| s.starts_with('2') || s == "default"),
                    "{method} {path}: no success"
                );
                let public = endpoint.access == edgegate::policy::Access::Public;
                assert_eq!(operation.get("security").is_none(), public, "{method} {path}");
                assert_eq!(responses.contains_key("401"), !public, "{method} {path}");
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert!(
                            response["content"]["application/problem+json"].is_object(),
                            "{method} {path} {status} is not a problem"
                        );
                    }
                }
            }
        }
    }
    assert!(count >= 20, "{count} operations");
    // Debug routes are off in every deployment's settings.
    assert!(document["paths"].get("/debug/panic").is_none());
    let _ = Method::Get;
}

#[test]
fn schemas_state_the_rules_the_handlers_enforce() {
    let document = generated();
    let schemas = &document["components"]["schemas"];
    let new_item = &schemas["NewItemBody"];
    assert_eq!(new_item["additionalProperties"], false, "deny_unknown_fields");
    assert_eq!(new_item["required"], serde_json::json!(["name"]));
    assert_eq!(new_item["properties"]["name"]["maxLength"], 200);
    assert_eq!(new_item["properties"]["description"]["maxLength"], 2000);
    let patch = &schemas["ItemPatchBody"];
    assert_eq!(patch["minProperties"], 1);
    assert_eq!(patch["properties"]["name"]["type"], "string", "a name cannot be null");

    let list = &document["paths"]["/items"]["get"];
    let limit = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (limit["schema"]["minimum"].as_u64(), limit["schema"]["maximum"].as_u64()),
        (Some(1), Some(100))
    );
    assert_eq!(limit["required"], false);

    let create = &document["paths"]["/items"]["post"];
    assert!(create["responses"]["201"]["headers"]["Location"].is_object());
    assert!(create["responses"]["413"].is_object() && create["responses"]["422"].is_object());
    assert!(create["responses"]["429"]["headers"]["Retry-After"].is_object());
    // Every answer that says when to come back documents `Retry-After`: a
    // dependency down (503), an upstream whose targets are all ejected, and
    // the app's own 409 (declared on the route); the 202 its `Location`.
    assert!(create["responses"]["503"]["headers"]["Retry-After"].is_object());
    let events = &document["paths"]["/partners/events"]["post"]["responses"];
    assert_eq!(events["202"]["headers"]["Location"]["required"], true);
    assert_eq!(events["409"]["headers"]["Retry-After"]["required"], true);
    assert!(events["503"]["headers"]["Retry-After"].is_object());
    assert!(document["paths"]["/origin/{rest}"]["get"]["responses"]["503"]["headers"]["Retry-After"].is_object());
    assert_eq!(
        events["422"]["headers"]["Retry-After"],
        Value::Null,
        "a header declared for one status stays there"
    );
    // Every answer of every operation has the gateway's request id, and may
    // have Server-Timing; every answer of a limited route says its limits.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let header = |name: &str| {
                    let reference = response["headers"][name]["$ref"].as_str()?;
                    let name = reference.strip_prefix("#/components/headers/")?;
                    document["components"]["headers"].get(name).cloned()
                };
                let id = header("X-Request-Id").unwrap_or_else(|| panic!("{method} {path} {status}"));
                assert_eq!(id["required"], true);
                assert!(header("Server-Timing").is_some(), "{method} {path} {status}");
                let limited = operation["responses"].get("429").is_some();
                assert_eq!(
                    header("RateLimit-Policy").is_some(),
                    limited,
                    "{method} {path} {status}"
                );
                assert_eq!(header("RateLimit").is_some(), limited, "{method} {path} {status}");
                // Every 503 says when to come back (README, "OpenAPI").
                if status == "503" {
                    assert!(response["headers"]["Retry-After"].is_object(), "{method} {path} 503");
                }
            }
        }
    }
    assert!(events["202"]["headers"]["RateLimit-Policy"]["$ref"].is_string());
    assert_eq!(
        document["paths"]["/items/{id}"]["delete"]["responses"]["204"]["content"],
        Value::Null
    );

    // The Cloud Endpoints seed's `security: [api_key, firebase_auth]`: a key
    // (header or query) or a token from the provider, as alternatives.
    let hello = &document["paths"]["/api/hello"]["get"];
    assert_eq!(
        hello["security"],
        serde_json::json!([{"ApiKeyHeader": []}, {"ApiKeyQuery": []}, {"firebase": []}])
    );
    let writes = &create["security"];
    assert_eq!(writes[2], serde_json::json!({"firebase": ["items:write"]}));
    assert!(create["responses"]["403"].is_object(), "a token without the scope");
    let firebase = &document["components"]["securitySchemes"]["firebase"];
    assert_eq!(firebase["scheme"], "bearer");
    assert!(firebase["description"]
        .as_str()
        .unwrap()
        .contains("https://securetoken.google.com/edgegate-demo"));
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn the_creates_state_their_idempotency_key_and_replay_header() {
    let document = generated();
    for (path, status) in [("/items", "201"), ("/partners/events", "202")] {
        let op = &document["paths"][path]["post"];
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let key = params
            .iter()
            .find(|p| p["in"] == "header" && p["name"] == "Idempotency-Key")
            .unwrap_or_else(|| panic!("{path}: no Idempotency-Key in {params:?}"));
        assert_eq!(key["required"], false);
        assert_eq!(key["schema"]["maxLength"], 255);
        assert!(
            op["responses"][status]["headers"]["idempotent-replayed"].is_object(),
            "{path}"
        );
    }
}

#[test]
fn an_upstreams_routes_say_any_status_may_be_its_own_answer() {
    let document = generated();
    let origin = &document["paths"]["/origin/{rest}"]["get"]["responses"];
    for status in ["400", "401", "502", "504"] {
        let content = &origin[status]["content"];
        assert!(content["application/problem+json"].is_object(), "{status}");
        assert!(content["*/*"].is_object(), "{status}: the origin's own answer");
    }
    assert_eq!(origin["401"]["headers"]["WWW-Authenticate"]["required"], false);
    // A handler's route answers only the gateway's problems.
    let items = &document["paths"]["/items"]["post"]["responses"];
    assert!(items["401"]["content"]["*/*"].is_null());
    assert_eq!(items["401"]["headers"]["WWW-Authenticate"]["required"], true);
}

#[test]
fn what_a_route_answers_or_takes_is_in_the_document() {
    let document = generated();
    // A function parses a JSON body: /docs' "Try it out" can send one.
    let greet = &document["paths"]["/fn/greet/{rest}"]["post"]["requestBody"]["content"];
    assert!(greet["application/json"].is_object(), "{greet}");
    assert!(greet["application/octet-stream"].is_object(), "{greet}");
    // A missing scope's 403 carries its challenge (the route's only 403).
    let items = &document["paths"]["/items"]["post"]["responses"]["403"]["headers"]["WWW-Authenticate"];
    assert_eq!(items["required"], true, "{items}");
    // The purge states what its handler refuses: no list, an empty one, a
    // key outside the entries, a tag with a space.
    let purge =
        &document["paths"]["/cache/origin/purge"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(purge["anyOf"][0]["required"][0], "keys", "{purge}");
    assert_eq!(purge["anyOf"][1]["properties"]["tags"]["minItems"], 1, "{purge}");
    assert_eq!(purge["properties"]["keys"]["items"]["pattern"], "^/\\.edgegate-cache/");
    assert_eq!(
        purge["properties"]["tags"]["items"]["pattern"],
        "^[A-Za-z0-9._:/-]{1,128}$"
    );
}

/// The successes whose body the document leaves open: those answered by
/// someone else (an upstream, a function Worker), or `/echo`, which answers
/// the request it got.
fn answered_by_someone_else(path: &str) -> bool {
    ["/origin/", "/fn/", "/echo"]
        .iter()
        .any(|start| path.starts_with(start))
}

#[test]
fn every_json_success_of_a_handler_states_its_body() {
    let document = generated();
    let mut open = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2') && *schema == Value::Bool(true) && !answered_by_someone_else(path) {
                    open.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(open.is_empty(), "a success any JSON may be: {open:?}");

    let resolve = |schema: &Value| {
        let name = schema["$ref"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        document["components"]["schemas"][name].clone()
    };
    let user =
        resolve(&document["paths"]["/users/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]);
    assert_eq!(user["required"], serde_json::json!(["userId"]));
    assert_eq!(user["properties"]["userId"]["type"], "string", "the id stays a string");
    let greeting = resolve(
        &document["paths"]["/api/greet/{name}"]["post"]["responses"]["200"]["content"]["application/json"]["schema"],
    );
    assert_eq!(greeting["required"], serde_json::json!(["message"]));
    assert_eq!(greeting["properties"]["message"]["type"], "string");
}
