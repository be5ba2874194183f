//! Typed extraction and responses, through the gateway's entry point.

mod support;

/// A kind of problem an app declares for itself.
const CONFLICT: edgegate::problem::ProblemKind = edgegate::problem::ProblemKind::new(
    "conflict",
    edgegate::http::Status::CONFLICT,
    "The thing exists already.",
);

use edgegate::extract::{Bytes, EventBody, Json, Path, Query};
use edgegate::gateway::Gateway;
use edgegate::http::{Headers, Method, Request, Status};
use edgegate::problem::ApiError;
use edgegate::routing::Route;
use edgegate::upstream::function::FunctionResponse;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use support::*;

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
struct Paging {
    limit: u32,
    cursor: Option<String>,
    desc: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewItem {
    name: String,
    tags: Vec<String>,
    owner: Owner,
}

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
struct Owner {
    id: u64,
}

fn gateway() -> Gateway<()> {
    test_gateway(
        vec![
            Route::get(
                "/n/{id}",
                |Path(id): Path<u32>| async move { Json(json!({ "id": id })) },
            )
            .public(),
            Route::get("/pair/{a}/{b}", |Path((a, b)): Path<(String, i64)>| async move {
                Json(json!([a, b]))
            })
            .public(),
            Route::get("/page", |Query(p): Query<Paging>| async move { Json(p) }).public(),
            Route::get("/header", |headers: Headers| async move {
                headers.get("X-Custom").unwrap_or("none").to_owned()
            })
            .public(),
            Route::post("/items", |Json(item): Json<NewItem>| async move {
                (Status::CREATED, Json(item))
            })
            .public(),
            Route::post("/maybe", |body: Option<Json<Owner>>| async move {
                Json(json!({ "present": body.is_some() }))
            })
            .public(),
            Route::post("/raw", |Bytes(bytes): Bytes| async move {
                Json(json!({ "len": bytes.len(), "first": bytes.first() }))
            })
            .public(),
            Route::post("/event", |event: EventBody| async move {
                Json(json!({ "body": event.body, "isBase64Encoded": event.is_base64_encoded }))
            })
            .public(),
            Route::get("/fail", || async {
                Err::<&str, _>(ApiError::internal("db password=hunter2 refused"))
            })
            .public(),
            Route::get("/conflict", || async {
                Err::<&str, _>(ApiError::of(CONFLICT, "already exists").with_extension("id", 7))
            })
            .public(),
            Route::get("/function", || async {
                serde_json::from_value::<FunctionResponse>(json!({
                    "statusCode": 202,
                    "headers": { "x-count": 2, "x-ok": true, "x-null": null },
                    "body": "accepted"
                }))
                .unwrap()
            })
            .public(),
            Route::get("/bytes", || async { Bytes(vec![0, 159, 146, 150]) }).public(),
        ],
        &[],
    )
}

#[test]
fn typed_path_params_parse_or_name_the_param() {
    let gateway = gateway();
    assert_eq!(send(&gateway, get("/n/42")).json(), json!({ "id": 42 }));
    let bad = send(&gateway, get("/n/forty-two"));
    let body = bad.problem(400, "invalid-path-param");
    assert_eq!(body["param"], "id");
    assert!(body["detail"].as_str().unwrap().contains("`id`"), "{body}");
    send(&gateway, get("/n/-1")).problem(400, "invalid-path-param");
    assert_eq!(send(&gateway, get("/pair/a%2Fb/-3")).json(), json!(["a/b", -3]));
    let invalid_utf8 = send(&gateway, get("/pair/%FF/1")).problem(400, "invalid-path-param");
    assert_eq!(invalid_utf8["param"], "a");
}

#[test]
fn a_path_extractor_that_does_not_fit_its_template_is_the_gateways_500() {
    // `{user_id}` in the template, `id` in the extractor: no request can
    // fix that, so the client is not blamed (400); it is the route's 500.
    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Wrong {
        id: u64,
    }
    async fn wrong(Path(_): Path<Wrong>) -> &'static str {
        "never"
    }
    let gateway = test_gateway::<()>(vec![Route::get("/users/{user_id}", wrong).public()], &test_vars());
    let answer = send(&gateway, get("/users/7"));
    answer.problem(500, "internal");
    assert!(
        answer.logs.iter().any(|l| l.contains("user_id") || l.contains("`id`")),
        "{:?}",
        answer.logs
    );
}

#[test]
fn a_path_extractor_of_another_arity_than_its_template_is_the_gateways_500() {
    // One value for two parameters, a tuple one too long or one too short
    // (which would drop a parameter unread): the route's 500, never a 400.
    async fn one(Path(_): Path<String>) -> &'static str {
        "never"
    }
    async fn three(Path(_): Path<(String, String, String)>) -> &'static str {
        "never"
    }
    async fn single(Path(_): Path<(String,)>) -> &'static str {
        "never"
    }
    let gateway = test_gateway::<()>(
        vec![
            Route::get("/a/{owner}/{name}", one).public(),
            Route::get("/b/{owner}/{name}", three).public(),
            Route::get("/c/{owner}/{name}", single).public(),
        ],
        &test_vars(),
    );
    for target in ["/a/x/y", "/b/x/y", "/c/x/y"] {
        let answer = send(&gateway, get(target));
        answer.problem(500, "internal");
        assert!(
            answer.logs.iter().any(|l| l.contains("Path extractor")),
            "{target}: {:?}",
            answer.logs
        );
    }
}

#[test]
fn query_strings_deserialize_with_decoding_and_named_errors() {
    let gateway = gateway();
    let page = send(&gateway, get("/page?limit=5&cursor=a+b%2Bc&desc=true&unknown=1")).json();
    assert_eq!(page, json!({ "limit": 5, "cursor": "a b+c", "desc": true }));
    let missing = send(&gateway, get("/page?cursor=x")).problem(400, "invalid-query");
    assert_eq!(missing["param"], "limit");
    assert_eq!(missing["detail"], "query parameter `limit` is required");
    let unparsable = send(&gateway, get("/page?limit=lots")).problem(400, "invalid-query");
    assert_eq!(unparsable["param"], "limit");
    let not_bool = send(&gateway, get("/page?limit=1&desc=maybe")).problem(400, "invalid-query");
    assert_eq!(not_bool["param"], "desc");
    send(&gateway, get("/page?limit=%FF")).problem(400, "invalid-query");
}

/// A value its type checks after reading it as a string.
#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
struct Slug(String);

impl TryFrom<String> for Slug {
    type Error = &'static str;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.bytes().all(|b| b.is_ascii_lowercase()) {
            true => Ok(Slug(text)),
            false => Err("lower-case letters only"),
        }
    }
}

#[test]
fn a_value_its_type_refuses_after_reading_is_the_clients_400() {
    let gateway = test_gateway::<()>(
        vec![
            Route::get("/tags/{slug}", |Path(slug): Path<Slug>| async move { slug.0 }).public(),
            Route::get("/big/{n}", |Path(n): Path<u128>| async move { n.to_string() }).public(),
            Route::get("/signed/{n}", |Path(n): Path<i128>| async move { n.to_string() }).public(),
        ],
        &test_vars(),
    );
    assert_eq!(send(&gateway, get("/tags/abc")).text(), "abc");
    let refused = send(&gateway, get("/tags/ABC")).problem(400, "invalid-path-param");
    assert_eq!(refused["param"], "slug");
    assert!(
        refused["detail"].as_str().unwrap().contains("lower-case letters only"),
        "{refused}"
    );
    let huge = "340282366920938463463374607431768211455";
    assert_eq!(send(&gateway, get(&format!("/big/{huge}"))).text(), huge);
    assert_eq!(send(&gateway, get("/signed/-42")).text(), "-42");
    let over = send(&gateway, get("/big/340282366920938463463374607431768211456")).problem(400, "invalid-path-param");
    assert_eq!(over["param"], "n");
}

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
struct Filter {
    tag: Vec<String>,
    #[serde(default)]
    page: u32,
    q: Option<String>,
    #[serde(default)]
    label: String,
}

#[test]
fn a_query_is_taken_as_the_document_states_it() {
    let routes = || vec![Route::get("/filter", |Query(f): Query<Filter>| async move { Json(f) }).public()];
    let gateway = test_gateway::<()>(routes(), &test_vars());
    // A list is its name repeated (OpenAPI's form style, exploded).
    let answer = send(&gateway, get("/filter?tag=a&q=x&tag=b")).json();
    assert_eq!(answer, json!({ "tag": ["a", "b"], "page": 0, "q": "x", "label": "" }));
    assert_eq!(send(&gateway, get("/filter?tag=a")).json()["tag"], json!(["a"]));
    assert_eq!(send(&gateway, get("/filter?tag=a&q=")).json()["q"], Value::Null);
    let refused = send(&gateway, get("/filter?tag=a&page=")).problem(400, "invalid-query");
    assert_eq!(refused["param"], "page");
    // What the document says of the same parameters.
    let table = edgegate::routing::RouteTable::new(routes()).unwrap();
    let settings = edgegate::config::Settings::load(|_| None).unwrap();
    let info = edgegate::openapi::Info {
        title: "t",
        version: "1",
        description: "d",
    };
    let document = edgegate::openapi::document(&table, &settings, &info);
    let params = document["paths"]["/filter"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap().clone();
    assert_eq!(param("tag")["schema"]["type"], "array");
    assert_eq!(param("tag")["required"], true);
    // `?page=` is refused, so the document does not allow it; `?q=` is no `q`.
    assert_eq!(param("page").get("allowEmptyValue"), None, "{params:?}");
    assert_eq!(param("q")["allowEmptyValue"], true);
    // `?label=` is the empty string, and the document allows it.
    assert_eq!(send(&gateway, get("/filter?tag=a&label=")).json()["label"], "");
    assert_eq!(param("label")["allowEmptyValue"], true);
}

#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Strict {
    q: Option<String>,
}

#[test]
fn a_query_key_the_gateway_consumed_is_not_the_handlers() {
    use std::collections::BTreeMap;
    type Everything = Query<BTreeMap<String, String>>;
    let gateway = test_gateway::<()>(
        vec![
            Route::get("/strict", |Query(s): Query<Strict>| async move { Json(s) }).api_key(),
            Route::get("/all", |Query(all): Everything| async move { Json(all) }).api_key(),
            Route::get("/open", |Query(all): Everything| async move { Json(all) }).public(),
        ],
        &test_vars(),
    );
    let strict = send(&gateway, get("/strict?q=a&key=dev-local-key"));
    assert_eq!(strict.status(), 200, "{}", strict.text());
    assert_eq!(strict.json(), json!({ "q": "a" }));
    for target in ["/all?q=a&key=dev-local-key", "/all?q=a&k%65y=dev-local-key"] {
        assert_eq!(send(&gateway, get(target)).json(), json!({ "q": "a" }), "{target}");
    }
    // Admitted by the header's key: `key` left out all the same, as an
    // upstream's query leaves it out.
    let beside = send(&gateway, get("/all?key=mine").with_header("x-api-key", "dev-local-key"));
    assert_eq!(beside.json(), json!({}));
    // No key admitted the request: the parameter is not the gateway's.
    assert_eq!(send(&gateway, get("/open?key=mine")).json(), json!({ "key": "mine" }));
}

#[test]
fn headers_are_case_insensitive() {
    let gateway = gateway();
    assert_eq!(
        send(&gateway, get("/header").with_header("x-CUSTOM", "yes")).text(),
        "yes"
    );
}

#[test]
fn json_bodies_parse_into_types() {
    let gateway = gateway();
    let created = send(
        &gateway,
        post_json("/items", r#"{"name":"a","tags":["x"],"owner":{"id":1}}"#),
    );
    assert_eq!(created.status(), 201);
    assert_eq!(created.header("content-type"), Some("application/json"));
    assert_eq!(created.json()["owner"]["id"], 1);
    let vendor_type = Request::new(Method::Post, "/maybe")
        .with_header("content-type", "application/vnd.api+json; charset=utf-8")
        .with_body(r#"{"id": 3}"#);
    assert_eq!(send(&gateway, vendor_type).json(), json!({ "present": true }));
}

#[test]
fn malformed_json_is_400_with_line_and_column() {
    let gateway = gateway();
    let body = send(&gateway, post_json("/items", "{\n  \"name\": \"a\",\n  oops\n}")).problem(400, "malformed-json");
    assert_eq!(body["line"], 3);
    assert_eq!(body["column"], 3);
    assert!(body["detail"].as_str().unwrap().contains("line 3 column 3"), "{body}");
    send(
        &gateway,
        post_json("/items", r#"{"name":"a","tags":[],"owner":{"id":1}} trailing"#),
    )
    .problem(400, "malformed-json");
    send(&gateway, post_json("/items", r#"{"name":"#)).problem(400, "malformed-json");
}

#[test]
fn json_of_the_wrong_shape_is_422_naming_the_field() {
    let gateway = gateway();
    let wrong_type = send(
        &gateway,
        post_json("/items", r#"{"name":"a","tags":["x", 5],"owner":{"id":1}}"#),
    );
    assert_eq!(wrong_type.problem(422, "invalid-body")["field"], "tags[1]");
    let nested_missing = send(&gateway, post_json("/items", r#"{"name":"a","tags":[],"owner":{}}"#));
    assert_eq!(nested_missing.problem(422, "invalid-body")["field"], "owner.id");
    let missing = send(&gateway, post_json("/items", r#"{"tags":[],"owner":{"id":1}}"#));
    assert_eq!(missing.problem(422, "invalid-body")["field"], "name");
    let unknown = send(
        &gateway,
        post_json("/items", r#"{"name":"a","tags":[],"owner":{"id":1},"extra":1}"#),
    );
    assert!(unknown.problem(422, "invalid-body")["detail"]
        .as_str()
        .unwrap()
        .contains("extra"));
    send(&gateway, post_json("/items", "[1,2]")).problem(422, "invalid-body");
    // The client's text is echoed cut short, however long it was.
    for body in [
        format!(
            r#"{{"name":"a","tags":[],"owner":{{"id":1}},"{}é":1}}"#,
            "k".repeat(100_000)
        ),
        format!(r#"{{"name":"a","tags":[],"owner":{{"id":"{}"}}}}"#, "v".repeat(100_000)),
    ] {
        let refused = send(&gateway, post_json("/items", &body));
        let problem = refused.problem(422, "invalid-body");
        assert!(refused.text().len() < 1200, "{} bytes", refused.text().len());
        assert!(problem["field"].as_str().unwrap().len() <= 203, "{problem}");
    }
}

#[test]
fn json_needs_a_json_content_type_and_a_body() {
    let gateway = gateway();
    let text = Request::new(Method::Post, "/items")
        .with_header("content-type", "text/plain")
        .with_body("{}");
    send(&gateway, text).problem(415, "unsupported-media-type");
    let untyped = Request::new(Method::Post, "/items").with_body("{}");
    send(&gateway, untyped).problem(415, "unsupported-media-type");
    send(&gateway, Request::new(Method::Post, "/items")).problem(400, "missing-body");
    // A compressed body is not mistaken for malformed JSON: a 415 that says
    // to send it as it is (RFC 9110 §15.5.16), whatever bytes it holds.
    for coding in ["gzip", "br", "GZIP", "x-custom"] {
        let encoded =
            post_json("/items", r#"{"name":"a","tags":[],"owner":{"id":1}}"#).with_header("content-encoding", coding);
        let refused = send(&gateway, encoded);
        assert!(refused.problem(415, "unsupported-media-type")["detail"]
            .as_str()
            .unwrap()
            .contains("Content-Encoding"));
        assert_eq!(refused.header("accept-encoding"), Some("identity"), "{coding}");
    }
    let identity =
        post_json("/items", r#"{"name":"a","tags":[],"owner":{"id":1}}"#).with_header("content-encoding", "identity");
    assert_eq!(send(&gateway, identity).status(), 201);
}

#[test]
fn an_optional_json_body_is_none_only_when_absent() {
    let gateway = gateway();
    assert_eq!(
        send(&gateway, Request::new(Method::Post, "/maybe")).json(),
        json!({ "present": false })
    );
    assert_eq!(
        send(&gateway, post_json("/maybe", r#"{"id":1}"#)).json(),
        json!({ "present": true })
    );
    send(&gateway, post_json("/maybe", "{bad")).problem(400, "malformed-json");
    send(&gateway, post_json("/maybe", r#"{"id":"one"}"#)).problem(422, "invalid-body");
}

#[test]
fn raw_and_base64_bodies() {
    let gateway = gateway();
    let binary = Request::new(Method::Post, "/raw").with_body(vec![255u8, 0, 1]);
    assert_eq!(send(&gateway, binary).json(), json!({ "len": 3, "first": 255 }));

    let png = Request::new(Method::Post, "/event")
        .with_header("content-type", "image/png")
        .with_body(vec![137u8, 80, 78, 71]);
    assert_eq!(
        send(&gateway, png).json(),
        json!({ "body": "iVBORw==", "isBase64Encoded": true })
    );
    let text = Request::new(Method::Post, "/event")
        .with_header("content-type", "text/plain")
        .with_body("héllo");
    assert_eq!(
        send(&gateway, text).json(),
        json!({ "body": "héllo", "isBase64Encoded": false })
    );
    let invalid_utf8 = Request::new(Method::Post, "/event")
        .with_header("content-type", "text/plain")
        .with_body(vec![0xC3u8]);
    assert_eq!(
        send(&gateway, invalid_utf8).json(),
        json!({ "body": "ww==", "isBase64Encoded": true })
    );
    assert_eq!(
        send(&gateway, Request::new(Method::Post, "/event")).json(),
        json!({ "body": null, "isBase64Encoded": false })
    );
}

#[test]
fn handler_errors_are_500_problems_that_leak_nothing() {
    let gateway = gateway();
    let exchange = send(&gateway, get("/fail"));
    let body = exchange.problem(500, "internal");
    assert!(!exchange.text().contains("hunter2"));
    assert_eq!(body["title"], "Internal Server Error");
    let log = exchange.access_log();
    assert_eq!(log["error"], "db password=hunter2 refused");
    assert_eq!(log["status"], 500);
}

#[test]
fn handler_problems_keep_their_status_and_extensions() {
    let body = send(&gateway(), get("/conflict")).problem(409, "conflict");
    assert_eq!(body["id"], 7);
    assert_eq!(body["detail"], "already exists");
}

#[test]
fn seed_style_response_objects_and_bytes() {
    let gateway = gateway();
    let function = send(&gateway, get("/function"));
    assert_eq!(function.status(), 202);
    assert_eq!(function.header("x-count"), Some("2"));
    assert_eq!(function.header("x-ok"), Some("true"));
    assert_eq!(function.header("x-null"), None);
    assert_eq!(function.text(), "accepted");
    let bytes = send(&gateway, get("/bytes"));
    assert_eq!(bytes.header("content-type"), Some("application/octet-stream"));
    assert_eq!(bytes.response.body.as_bytes(), &[0, 159, 146, 150]);
}

#[test]
fn every_value_json_round_trip_is_stable() {
    let value: Value = send(&gateway(), get("/pair/x/9")).json();
    assert_eq!(value, json!(["x", 9]));
}
