//! The app's `/echo` route: the seed event, through the gateway's entry
//! point. Typed extraction itself is tested with the framework
//! (crates/edgegate/tests/extraction.rs).

mod support;

use edgegate::http::{Method, Request};
use serde_json::json;
use support::*;

#[test]
fn echo_parses_json_bodies_and_base64_encodes_binary_ones() {
    let gateway = app_gateway(&dev_vars());
    let json_body = send(
        &gateway,
        post_json("/echo", r#"{"a":[1,2]}"#).with_header("X-Trace", "t1"),
    )
    .json();
    assert_eq!(json_body["body"], json!({ "a": [1, 2] }));
    assert_eq!(json_body["headers"]["x-trace"], "t1");
    assert_eq!(json_body["isBase64Encoded"], false);
    let binary = Request::new(Method::Put, "/echo")
        .with_header("content-type", "application/octet-stream")
        .with_body(vec![1u8, 2, 3]);
    let binary = send(&gateway, binary).json();
    assert_eq!(
        (binary["body"].clone(), binary["isBase64Encoded"].clone()),
        (json!("AQID"), json!(true))
    );
    send(&gateway, post_json("/echo", "{nope")).problem(400, "malformed-json");
}
