//! The items API's rules through the gateway, on the in-memory store.

mod support;

use edgegate::gateway::Gateway;
use edgegate::http::{Method, Request};
use edgegate::testing::{as_the_adapter_passes, block_on};
use edgegate_app::items::MemoryItems;
use edgegate_app::AppState;
use serde_json::{json, Value};
use support::*;

/// The application gateway and one store shared by all its requests.
struct Api {
    gateway: Gateway<AppState>,
    state: AppState,
}

impl Api {
    fn new() -> Api {
        Api::with_store(MemoryItems::new())
    }

    fn with_store(store: MemoryItems) -> Api {
        Api {
            gateway: app_gateway(&dev_vars()),
            state: AppState::with_items(store),
        }
    }

    fn send(&self, request: Request) -> Exchange {
        let platform = platform();
        let request = as_the_adapter_passes(&self.gateway, request);
        let response = block_on(self.gateway.handle(request, &self.state, &platform));
        Exchange {
            response,
            logs: platform.log_lines(),
        }
    }

    fn write(&self, method: Method, target: &str, body: &str) -> Exchange {
        self.send(
            Request::new(method, target)
                .with_header("x-api-key", DEV_KEY)
                .with_header("content-type", "application/json")
                .with_body(body),
        )
    }

    fn create(&self, body: &str) -> Exchange {
        self.write(Method::Post, "/items", body)
    }
}

#[test]
fn create_get_list_update_delete() {
    let api = Api::new();
    let created = api.create(r#"{"name": "  Widget  ", "description": "A small one"}"#);
    assert_eq!(created.status(), 201, "{}", created.text());
    let item = created.json();
    assert_eq!(item["name"], "Widget");
    assert_eq!(item["description"], "A small one");
    assert_eq!(
        created.header("location"),
        Some(format!("/items/{}", item["id"]).as_str())
    );
    assert_eq!(item["created_at"], item["updated_at"]);

    assert_eq!(api.send(get(&format!("/items/{}", item["id"]))).json(), item);
    let listed = api.send(get("/items")).json();
    assert_eq!(listed, json!({ "items": [item.clone()], "next_cursor": null }));

    let patched = api.write(
        Method::Patch,
        &format!("/items/{}", item["id"]),
        r#"{"description": null}"#,
    );
    assert_eq!(patched.status(), 200);
    let patched = patched.json();
    assert_eq!(
        (patched["name"].clone(), patched["description"].clone()),
        (json!("Widget"), Value::Null)
    );
    assert_ne!(patched["updated_at"], item["updated_at"]);
    let renamed = api
        .write(
            Method::Patch,
            &format!("/items/{}", item["id"]),
            r#"{"name": "Gadget"}"#,
        )
        .json();
    assert_eq!(renamed["name"], "Gadget");

    let deleted =
        api.send(Request::new(Method::Delete, &format!("/items/{}", item["id"])).with_header("x-api-key", DEV_KEY));
    assert_eq!((deleted.status(), deleted.text().as_str()), (204, ""));
    api.send(get(&format!("/items/{}", item["id"])))
        .problem(404, "not-found");
    let again =
        api.send(Request::new(Method::Delete, &format!("/items/{}", item["id"])).with_header("x-api-key", DEV_KEY));
    again.problem(404, "not-found");
}

#[test]
fn writes_need_a_key_and_reads_do_not() {
    let api = Api::new();
    api.send(post_json("/items", r#"{"name":"x"}"#))
        .problem(401, "unauthorized");
    api.send(Request::new(Method::Delete, "/items/1"))
        .problem(401, "unauthorized");
    api.send(Request::new(Method::Patch, "/items/1"))
        .problem(401, "unauthorized");
    assert_eq!(api.send(get("/items")).status(), 200);
    assert_eq!(api.send(get("/items")).json()["items"], json!([]));
}

#[test]
fn bad_input_is_a_named_4xx_and_writes_nothing() {
    let api = Api::new();
    let long_name = format!(r#"{{"name": "{}"}}"#, "n".repeat(201));
    let long_description = format!(r#"{{"name": "ok", "description": "{}"}}"#, "d".repeat(2001));
    let cases: Vec<(&str, u16, &str, Option<&str>)> = vec![
        ("{not json", 400, "malformed-json", None),
        (r#"{"name": 5}"#, 422, "invalid-body", Some("name")),
        (r#"{"name": "   "}"#, 422, "invalid-item", Some("name")),
        (r#"{"name": ""}"#, 422, "invalid-item", Some("name")),
        (&long_name, 422, "invalid-item", Some("name")),
        (&long_description, 422, "invalid-item", Some("description")),
        (
            r#"{"name": "ok", "colour": "red"}"#,
            422,
            "invalid-body",
            Some("colour"),
        ),
        (r#"{"description": "no name"}"#, 422, "invalid-body", Some("name")),
        (r#"["name"]"#, 422, "invalid-body", None),
    ];
    for (body, status, kind, field) in cases {
        let problem = api.create(body).problem(status, kind);
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{body}");
        }
    }
    let exactly_200 = format!(
        r#"{{"name": "{}", "description": "{}"}}"#,
        "é".repeat(200),
        "d".repeat(2000)
    );
    assert_eq!(api.create(&exactly_200).status(), 201);
    assert_eq!(
        api.send(get("/items")).json()["items"].as_array().unwrap().len(),
        1,
        "only the valid create was stored"
    );

    let text = Request::new(Method::Post, "/items")
        .with_header("x-api-key", DEV_KEY)
        .with_body(r#"{"name":"x"}"#);
    api.send(text).problem(415, "unsupported-media-type");
    api.write(Method::Patch, "/items/1", "{}").problem(422, "invalid-item");
    api.write(Method::Patch, "/items/1", r#"{"name": null}"#)
        .problem(422, "invalid-item");
    api.write(Method::Patch, "/items/1", r#"{"name": " "}"#)
        .problem(422, "invalid-item");
    let unknown = api.write(Method::Patch, "/items/1", r#"{"colour": 1}"#);
    assert_eq!(unknown.problem(422, "invalid-body")["field"], "colour");
    api.write(Method::Patch, "/items/99", r#"{"name": "x"}"#)
        .problem(404, "not-found");
    // None of the refused updates wrote anything.
    let item = api.send(get("/items/1")).json();
    assert_eq!(item["name"], "é".repeat(200), "{item}");
}

#[test]
fn bad_ids_limits_and_cursors_are_400_or_404() {
    let api = Api::new();
    assert_eq!(
        api.send(get("/items/abc")).problem(400, "invalid-path-param")["param"],
        "id"
    );
    api.send(get("/items/99999999999999999999"))
        .problem(400, "invalid-path-param");
    api.send(get("/items/12")).problem(404, "not-found");
    api.send(get("/items/-1")).problem(404, "not-found");
    // A write's bad id, however bad, is judged after its access: without a
    // key, the 401 (as for `abc`); with one, the 400.
    for id in ["abc", "%FF"] {
        let delete = || Request::new(Method::Delete, &format!("/items/{id}"));
        api.send(delete()).problem(401, "unauthorized");
        let keyed = api.send(delete().with_header("x-api-key", DEV_KEY));
        assert_eq!(keyed.problem(400, "invalid-path-param")["param"], "id", "{id}");
    }
    for limit in ["0", "101", "-1", "ten"] {
        let problem = api
            .send(get(&format!("/items?limit={limit}")))
            .problem(400, "invalid-query");
        assert_eq!(problem["param"], "limit");
    }
    for cursor in ["garbage", "aTE6eA", "%FF"] {
        let exchange = api.send(get(&format!("/items?cursor={cursor}")));
        assert_eq!(exchange.status(), 400, "{cursor}: {}", exchange.text());
    }
}

#[test]
fn pages_walk_every_item_once_even_while_items_are_added() {
    let api = Api::new();
    for i in 0..25 {
        assert_eq!(api.create(&format!(r#"{{"name": "item {i}"}}"#)).status(), 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 0;
    loop {
        let target = match &cursor {
            Some(c) => format!("/items?limit=7&cursor={c}"),
            None => "/items?limit=7".to_owned(),
        };
        let page = api.send(get(&target)).json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        if added < 3 {
            api.create(&format!(r#"{{"name": "late {added}"}}"#));
            added += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (1..=28).collect::<Vec<i64>>(),
        "every item once, in creation order"
    );
    assert_eq!(
        api.send(get("/items")).json()["items"].as_array().unwrap().len(),
        20,
        "default limit"
    );
    assert_eq!(api.send(get("/items?limit=100")).json()["next_cursor"], Value::Null);
}

#[test]
fn idempotent_creates_replay_the_first_result() {
    let api = Api::new();
    let keyed = |body: &str, key: &str| {
        api.send(
            post_json("/items", body)
                .with_header("x-api-key", DEV_KEY)
                .with_header("idempotency-key", key),
        )
    };
    let first = keyed(r#"{"name": "once"}"#, "k-1");
    assert_eq!(first.status(), 201);
    let repeat = keyed(r#"{ "name" : "once" }"#, "k-1");
    assert_eq!(repeat.status(), 201);
    assert_eq!(repeat.json(), first.json());
    assert_eq!(repeat.header("location"), first.header("location"));
    assert_eq!(repeat.header("idempotent-replayed"), Some("true"));
    keyed(r#"{"name": "different"}"#, "k-1").problem(422, "idempotency-key-reused");
    assert_eq!(keyed(r#"{"name": "once"}"#, "k-2").json()["id"], 2);
    assert_eq!(api.send(get("/items")).json()["items"].as_array().unwrap().len(), 2);
    keyed(r#"{"name": "x"}"#, &"k".repeat(256)).problem(400, "invalid-idempotency-key");
}

#[test]
fn database_failures_are_503_without_driver_text() {
    let api = Api::with_store(MemoryItems::failing(
        "D1_ERROR: disk I/O error at /var/db/secret.sqlite",
    ));
    for exchange in [
        api.send(get("/items")),
        api.send(get("/items/1")),
        api.create(r#"{"name":"x"}"#),
    ] {
        exchange.problem(503, "unavailable");
        assert_eq!(exchange.header("retry-after"), Some("1"));
        assert!(!exchange.text().contains("D1_ERROR"));
        assert!(exchange.access_log()["error"]
            .as_str()
            .unwrap()
            .contains("disk I/O error"));
    }
}

#[test]
fn item_bodies_have_their_own_limit() {
    let api = Api::new();
    let big = format!(r#"{{"name": "x", "description": "{}"}}"#, "d".repeat(40_000));
    api.create(&big).problem(413, "body-too-large");
    // The largest valid item with every character escaped as a surrogate
    // pair (as Python's json.dumps writes emoji) fits.
    let emoji = |n: usize| "\\ud83d\\ude00".repeat(n);
    let escaped = format!(r#"{{"name": "{}", "description": "{}"}}"#, emoji(200), emoji(2000));
    assert!(escaped.len() > 26_000, "{}", escaped.len());
    let created = api.create(&escaped);
    assert_eq!(created.status(), 201, "{}", created.text());
    assert_eq!(
        created.json()["description"].as_str().map(|d| d.chars().count()),
        Some(2000)
    );
}
