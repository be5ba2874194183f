//! Partner events through the gateway, on the in-memory store and Queue:
//! validation, idempotency, who may read an event, a Queue that refuses;
//! and the consumer's record-once rules over the same store.

mod support;

use std::rc::Rc;

use edgegate::gateway::Gateway;
use edgegate::http::{Method, Request};
use edgegate::testing::block_on;
use edgegate_app::events::{
    consume, Delivery, EventStatus, MemoryEvents, MemoryQueue, Message, QueueRole, Verdict, DATA_MAX_BYTES,
};
use edgegate_app::AppState;
use serde_json::{json, Value};
use support::*;

const PARTNER_B: &str = "partner-b-key";

/// The app's gateway with two partners' keys, one store and one Queue.
struct Api {
    gateway: Gateway<AppState>,
    state: AppState,
    events: Rc<MemoryEvents>,
    queue: Rc<MemoryQueue>,
}

impl Api {
    fn new() -> Api {
        Api::with(MemoryEvents::new(), MemoryQueue::new())
    }

    fn with(events: MemoryEvents, queue: MemoryQueue) -> Api {
        let keys = json!({ DEV_KEY: "dev", PARTNER_B: "partner-b" }).to_string();
        let (events, queue) = (Rc::new(events), Rc::new(queue));
        Api {
            gateway: app_gateway(&with_var(dev_vars(), "API_KEYS", &keys)),
            state: AppState::default().with_events(events.clone(), queue.clone()),
            events,
            queue,
        }
    }

    fn send(&self, request: Request) -> Exchange {
        exchange(&self.gateway, request, &self.state, &platform())
    }

    fn post_as(&self, key: &str, body: &str, headers: &[(&str, &str)]) -> Exchange {
        let mut request = Request::new(Method::Post, "/partners/events")
            .with_header("x-api-key", key)
            .with_header("content-type", "application/json")
            .with_body(body);
        for (name, value) in headers {
            request = request.with_header(name, *value);
        }
        self.send(request)
    }

    fn post(&self, body: &str) -> Exchange {
        self.post_as(DEV_KEY, body, &[])
    }

    fn read_as(&self, key: &str, id: &str) -> Exchange {
        self.send(get(&format!("/partners/events/{id}")).with_header("x-api-key", key))
    }

    fn sent(&self) -> Vec<Message> {
        self.queue
            .sent()
            .iter()
            .map(|text| Message::from_json(text).expect("a message is an event"))
            .collect()
    }
}

#[test]
fn an_accepted_event_is_sent_recorded_queued_and_readable_by_its_sender() {
    let api = Api::new();
    let accepted = api.post(r#"{"type": "order.created", "data": {"order": 42, "lines": [1, 2]}}"#);
    assert_eq!(accepted.status(), 202, "{}", accepted.text());
    let body = accepted.json();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body, json!({ "id": id, "status": "queued" }));
    assert_eq!(
        accepted.header("location"),
        Some(format!("/partners/events/{id}").as_str())
    );

    let sent = api.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id, id);
    assert_eq!(sent[0].consumer, "api_key::dev");
    assert_eq!(sent[0].kind, "order.created");
    let data: Value = serde_json::from_str(&sent[0].data).unwrap();
    assert_eq!(data, json!({"order": 42, "lines": [1, 2]}));

    let read = api.read_as(DEV_KEY, &id);
    assert_eq!(read.status(), 200, "{}", read.text());
    let view = read.json();
    assert_eq!(view["id"], id.as_str());
    assert_eq!(view["type"], "order.created");
    assert_eq!(view["status"], "queued");
    assert_eq!(view["attempts"], 0);
    assert_eq!(view["received_at"], sent[0].received_at.as_str());
    assert_eq!(view["processed_at"], Value::Null);
    let fields: Vec<&String> = view.as_object().unwrap().keys().collect();
    assert_eq!(fields.len(), 6, "exactly the documented fields: {view}");
    assert_eq!(accepted.logs.len(), 1, "the access log line alone: {:?}", accepted.logs);
}

#[test]
fn invalid_events_are_clear_problems_and_nothing_is_sent() {
    let api = Api::new();
    let big = format!(
        r#"{{"type": "t", "data": {{"blob": "{}"}}}}"#,
        "x".repeat(DATA_MAX_BYTES)
    );
    // Named in the detail, so named as the field too (30 characters, 90 bytes).
    let wide = "€".repeat(30);
    let cases: Vec<(String, u16, &str, Option<&str>)> = vec![
        ("{oops".into(), 400, "malformed-json", None),
        (r#"{"data": {}}"#.into(), 422, "invalid-body", Some("type")),
        (r#"{"type": "t"}"#.into(), 422, "invalid-body", Some("data")),
        (r#"{"type": 7, "data": {}}"#.into(), 422, "invalid-body", Some("type")),
        (
            r#"{"type": "t", "data": [1]}"#.into(),
            422,
            "invalid-body",
            Some("data"),
        ),
        (
            r#"{"type": "t", "data": "{}"}"#.into(),
            422,
            "invalid-body",
            Some("data"),
        ),
        (
            r#"{"type": "t", "data": null}"#.into(),
            422,
            "invalid-body",
            Some("data"),
        ),
        (r#"{"type": "t", "data": 1e999}"#.into(), 400, "malformed-json", None),
        (
            r#"{"type": "t", "data": {"x": [1e999]}}"#.into(),
            400,
            "malformed-json",
            None,
        ),
        (
            r#"{"type": "t", "data": {}, "extra": 1}"#.into(),
            422,
            "invalid-body",
            Some("extra"),
        ),
        (
            format!(r#"{{"type": "t", "data": {{}}, "{}": 1}}"#, "k".repeat(10_000)),
            422,
            "invalid-body",
            Some("."),
        ),
        (
            format!(r#"{{"type": "t", "data": {{}}, "{wide}": 1}}"#),
            422,
            "invalid-body",
            Some(wide.as_str()),
        ),
        (
            r#"{"type": "t", "data": {}, "ünï": 1}"#.into(),
            422,
            "invalid-body",
            Some("ünï"),
        ),
        ("\"just a string\"".into(), 422, "invalid-body", Some(".")),
        // A name given twice, in any spelling: refused, never read as one of them.
        (
            r#"{"type": "a", "data": {"x": 1}, "type": "b"}"#.into(),
            422,
            "invalid-body",
            Some("type"),
        ),
        (
            r#"{"type": "a", "data": {"x": 1}, "d\u0061ta": {}}"#.into(),
            422,
            "invalid-body",
            Some("data"),
        ),
        (
            r#"{"type": "t", "data": {"a": "\ud800"}}"#.into(),
            400,
            "malformed-json",
            None,
        ),
        (r#"[{"type": "t", "data": {}}]"#.into(), 422, "invalid-body", Some(".")),
        (r#"{"type": "", "data": {}}"#.into(), 422, "invalid-event", Some("type")),
        (
            format!(r#"{{"type": "{}", "data": {{}}}}"#, "t".repeat(101)),
            422,
            "invalid-event",
            Some("type"),
        ),
        (
            r#"{"type": "a\u0000b", "data": {}}"#.into(),
            422,
            "invalid-event",
            Some("type"),
        ),
        (
            r#"{"type": "line\nbreak", "data": {}}"#.into(),
            422,
            "invalid-event",
            Some("type"),
        ),
        (big, 422, "invalid-event", Some("data")),
    ];
    for (body, status, kind, field) in cases {
        let problem = api.post(&body).problem(status, kind);
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{body:.80}");
        }
    }
    let too_large = format!(r#"{{"type": "t", "data": {{"blob": "{}"}}}}"#, "x".repeat(80 * 1024));
    api.post(&too_large).problem(413, "body-too-large");
    assert!(api.queue.sent().is_empty(), "nothing was sent");
}

#[test]
fn a_type_of_100_characters_of_any_script_and_data_of_64_kib_are_accepted() {
    let api = Api::new();
    let kind = "é✓日".repeat(33) + "x";
    assert_eq!(kind.chars().count(), 100);
    let body = json!({ "type": kind, "data": { "nested": { "deep": [true, null, 1.5] }, "ünï": "✓" } });
    assert_eq!(api.post(&body.to_string()).status(), 202);
    // `{"b":"…"}` is 8 bytes around the string (compact JSON).
    let full = json!({ "type": "t", "data": { "b": "x".repeat(DATA_MAX_BYTES - 8) } });
    let accepted = api.post(&full.to_string());
    assert_eq!(accepted.status(), 202, "{}", accepted.text());
    let over = json!({ "type": "t", "data": { "b": "x".repeat(DATA_MAX_BYTES - 7) } });
    assert_eq!(
        api.post(&over.to_string()).problem(422, "invalid-event")["field"],
        "data"
    );
    assert_eq!(api.sent()[0].kind, kind);
    assert_eq!(api.sent().len(), 2);
}

#[test]
fn data_reaches_the_queue_as_written_every_digit_kept_only_whitespace_between_tokens_dropped() {
    let api = Api::new();
    // Numbers a parsed `Value` would round (beyond 64 bits, beyond an
    // `f64`'s digits, below its smallest), keys in the sender's order (not
    // sorted), escapes, and whitespace inside strings.
    let body = concat!(
        r#"{"type": "t", "data": { "zeta": 123456789012345678901234567890, "alpha": -98765432109876543210,"#,
        r#" "pi": 3.14159265358979323846264338327950288, "tiny": 1e-400, "exp": 1E+2,"#,
        "\n\t \"s\": \"a \\\" b \\\\ \\u00fc\\t end\", \"list\": [ 1 , [ 2 ] , {} ] } }"
    );
    assert_eq!(api.post(body).status(), 202);
    let sent = api.sent();
    assert_eq!(
        sent[0].data,
        concat!(
            r#"{"zeta":123456789012345678901234567890,"alpha":-98765432109876543210,"#,
            r#""pi":3.14159265358979323846264338327950288,"tiny":1e-400,"exp":1E+2,"#,
            r#""s":"a \" b \\ \u00fc\t end","list":[1,[2],{}]}"#
        )
    );
    // The member is found by its name as parsed (escapes included; a name
    // given twice is refused), not by a look-alike inside a string.
    for (body, data) in [
        (r#"{"type":"t","d\u0061ta":{"a":1}}"#, r#"{"a":1}"#),
        (
            r#"{"data":{"x":"}{\"data\":[]"},"type":"t"}"#,
            r#"{"x":"}{\"data\":[]"}"#,
        ),
        (
            r#"{"type":"data","data":{"data":{"in":1},"x":[true,false,null]}}"#,
            r#"{"data":{"in":1},"x":[true,false,null]}"#,
        ),
        // Characters beyond ASCII as written, around dropped whitespace.
        (
            "{\"type\":\"t\",\"data\":{ \"日本\" :\t\"ü ß\" ,\"é\":[ \"€\" ] }}",
            r#"{"日本":"ü ß","é":["€"]}"#,
        ),
        // Characters beyond ASCII, raw and escaped, and a backslash before a quote.
        (
            "{\"type\":\"t\",\"data\": { \"ünï\" : \"✓ \\u00e9 日\\\\\" } }",
            "{\"ünï\":\"✓ \\u00e9 日\\\\\"}",
        ),
    ] {
        assert_eq!(api.post(body).status(), 202, "{body}");
        assert_eq!(api.sent().last().unwrap().data, data, "{body}");
    }
    // The consumer reads it back from the Queue as it was sent.
    let message = Message::from_json(&sent[0].to_json()).unwrap();
    assert_eq!(message, sent[0]);

    // The idempotency fingerprint is of the text as sent: the same event
    // with other whitespace replays; other digits are another event.
    let key = [("idempotency-key", "exact-1")];
    let first = api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {"n": 12345678901234567890123}}"#,
        &key,
    );
    assert_eq!(first.status(), 202);
    let replay = api.post_as(
        DEV_KEY,
        r#"{"type":"t","data":{ "n" : 12345678901234567890123 }}"#,
        &key,
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {"n": 12345678901234567890124}}"#,
        &key,
    )
    .problem(422, "idempotency-key-reused");

    // 64 KiB is counted on the text as sent, escapes as written.
    let escaped = format!(
        r#"{{"type": "t", "data": {{"b": "{}"}}}}"#,
        "\\u00fc".repeat(DATA_MAX_BYTES / 6)
    );
    assert_eq!(api.post(&escaped).problem(422, "invalid-event")["field"], "data");
}

#[test]
fn only_api_keys_may_send_and_read() {
    let api = Api::new();
    let anonymous = api.send(post_json("/partners/events", r#"{"type": "t", "data": {}}"#));
    anonymous.problem(401, "unauthorized");
    // A bearer token is no key: the route takes keys only.
    let with_token = api.send(
        post_json("/partners/events", r#"{"type": "t", "data": {}}"#).with_header("authorization", "Bearer a.b.c"),
    );
    with_token.problem(401, "unauthorized");
    api.post_as("not-a-key", r#"{"type": "t", "data": {}}"#, &[])
        .problem(401, "unauthorized");
    assert!(api.queue.sent().is_empty());
}

#[test]
fn another_consumer_gets_the_same_404_as_for_an_event_that_does_not_exist() {
    let api = Api::new();
    let id = api.post(r#"{"type": "t", "data": {}}"#).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(api.read_as(DEV_KEY, &id).status(), 200);
    let theirs = api.read_as(PARTNER_B, &id).problem(404, "not-found");
    let unknown = api
        .read_as(PARTNER_B, "00000000-0000-4000-8000-00000000ffff")
        .problem(404, "not-found");
    assert_eq!(theirs["detail"], unknown["detail"]);
    for hostile in [
        "not-a-uuid",
        "00000000-0000-4000-8000-00000000000G",
        "00000000-0000-4000-8000-00000000000A",
        "00000000-0000-4000-8000-0000000000011",
        "00000000%2F0000-4000-8000-000000000001",
        "%00",
        "%C3%A9",
    ] {
        api.read_as(DEV_KEY, hostile).problem(404, "not-found");
    }
    api.send(get(&format!("/partners/events/{id}")))
        .problem(401, "unauthorized");
}

#[test]
fn an_idempotency_key_replays_the_first_answer_and_sends_nothing_more() {
    let api = Api::new();
    let body = r#"{"type": "t", "data": {"n": 1}}"#;
    let first = api.post_as(DEV_KEY, body, &[("idempotency-key", "k-1")]);
    assert_eq!(first.status(), 202);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = api.post_as(DEV_KEY, body, &[("idempotency-key", "k-1")]);
    assert_eq!(again.status(), 202);
    assert_eq!(again.json(), first.json());
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(api.queue.sent().len(), 1, "the repeat sent nothing");

    // The same key with another body is refused; another consumer's key is its own.
    api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {"n": 2}}"#,
        &[("idempotency-key", "k-1")],
    )
    .problem(422, "idempotency-key-reused");
    let theirs = api.post_as(PARTNER_B, body, &[("idempotency-key", "k-1")]);
    assert_eq!(theirs.status(), 202);
    assert_ne!(theirs.json()["id"], first.json()["id"]);
    assert_eq!(api.queue.sent().len(), 2);

    // Malformed keys.
    let long = "k".repeat(256);
    for key in ["", "has space", "ünï", long.as_str()] {
        api.post_as(DEV_KEY, body, &[("idempotency-key", key)])
            .problem(400, "invalid-idempotency-key");
    }
    assert_eq!(api.queue.sent().len(), 2);
}

#[test]
fn a_key_whose_first_request_is_still_in_flight_is_a_409_to_retry() {
    let api = Api::new();
    // Claimed, with no event recorded yet: its first request has not heard from the Queue.
    let key = edgegate_app::items::IdempotencyKey {
        consumer: "api_key::dev".into(),
        key: "k-busy".into(),
        fingerprint: edgegate::http::hex_encode(&edgegate::digest::sha256(b"t\n{}")),
    };
    use edgegate_app::events::EventStore;
    let claimed = block_on(api.events.reserve(&key, "00000000-0000-4000-8000-0000000000aa")).unwrap();
    assert_eq!(
        claimed,
        edgegate_app::events::Reservation::Reserved("00000000-0000-4000-8000-0000000000aa".into())
    );
    let busy = api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {}}"#,
        &[("idempotency-key", "k-busy")],
    );
    busy.problem(409, "idempotency-key-in-use");
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(api.queue.sent().is_empty());
    // Still in flight just short of ABANDONED_CLAIM_S on.
    api.events
        .advance_ms(edgegate_app::events::ABANDONED_CLAIM_S * 1000 - 10);
    let still = api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {}}"#,
        &[("idempotency-key", "k-busy")],
    );
    still.problem(409, "idempotency-key-in-use");
    // ABANDONED_CLAIM_S on, with no record of its event, the claim was abandoned (its
    // client left mid-claim, or its release failed): the retry takes it
    // over and sends the event, once, under the claim's own id (had the
    // first request sent it, the consumer would store it once).
    api.events.advance_ms(10);
    let taken = api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {}}"#,
        &[("idempotency-key", "k-busy")],
    );
    assert_eq!(taken.status(), 202, "{}", taken.text());
    assert_eq!(taken.json()["id"], "00000000-0000-4000-8000-0000000000aa");
    assert_eq!(api.queue.sent().len(), 1);
    assert!(api.queue.sent()[0].contains("00000000-0000-4000-8000-0000000000aa"));
    let replay = api.post_as(
        DEV_KEY,
        r#"{"type": "t", "data": {}}"#,
        &[("idempotency-key", "k-busy")],
    );
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.header("location"), taken.header("location"));
    assert_eq!(api.queue.sent().len(), 1);
    // Another body under the key is refused, abandoned claim or not.
    let other = api.post_as(
        DEV_KEY,
        r#"{"type": "u", "data": {}}"#,
        &[("idempotency-key", "k-busy")],
    );
    other.problem(422, "idempotency-key-reused");
}

#[test]
fn a_queue_that_refuses_is_a_503_to_retry_and_frees_the_key() {
    let api = Api::with(
        MemoryEvents::new(),
        MemoryQueue::refusing("Queue send failed: overloaded"),
    );
    let refused = api.post_as(DEV_KEY, r#"{"type": "t", "data": {}}"#, &[("idempotency-key", "k-2")]);
    let problem = refused.problem(503, "unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(
        !problem.to_string().contains("overloaded"),
        "the cause goes to the log only"
    );
    assert!(
        refused.logs.iter().any(|line| line.contains("overloaded")),
        "{:?}",
        refused.logs
    );
    assert!(api.events.is_empty());
    // The key's retry, once the Queue takes messages again: the same event
    // (its id kept), so had the Queue taken the first send after all, the
    // consumer would store it once.
    api.queue.accept();
    let retried = api.post_as(DEV_KEY, r#"{"type": "t", "data": {}}"#, &[("idempotency-key", "k-2")]);
    assert_eq!(retried.status(), 202, "{}", retried.text());
    // The refused request's id (the Queue's first: counting UUIDs).
    assert_eq!(retried.json()["id"], "00000000-0000-4000-8000-000000000001");
    assert_eq!(api.queue.sent().len(), 1);
    // A retry without the key is a new event.
    let fresh = api.post_as(DEV_KEY, r#"{"type": "t", "data": {}}"#, &[]);
    assert_ne!(fresh.json()["id"], retried.json()["id"]);
}

#[test]
fn a_claim_whose_answer_was_lost_is_given_up_so_the_503s_retry_is_not_a_409() {
    let api = Api::new();
    let body = r#"{"type": "t", "data": {}}"#;
    // The claim is made, then the connection drops before its answer.
    api.events.lose_next_answer();
    let lost = api.post_as(DEV_KEY, body, &[("idempotency-key", "k-lost")]);
    lost.problem(503, "unavailable");
    assert_eq!(lost.header("retry-after"), Some("1"));
    assert!(
        lost.logs.iter().any(|line| line.contains("Network connection lost")),
        "{:?}",
        lost.logs
    );
    assert!(api.queue.sent().is_empty());
    assert_eq!(api.events.key_count(), 1, "the claim was made");
    // The retry the 503 asks for, a second later: the claim was given up,
    // so it is taken over and the event sent under the claim's id.
    api.events.advance_ms(1000);
    let retried = api.post_as(DEV_KEY, body, &[("idempotency-key", "k-lost")]);
    assert_eq!(retried.status(), 202, "{}", retried.text());
    assert_eq!(api.queue.sent().len(), 1);
    assert_eq!(api.sent()[0].id, retried.json()["id"].as_str().unwrap());
}

#[test]
fn a_store_that_fails_before_the_send_is_a_503_and_nothing_is_sent() {
    let api = Api::with(MemoryEvents::failing("D1 is down"), MemoryQueue::new());
    api.post_as(DEV_KEY, r#"{"type": "t", "data": {}}"#, &[("idempotency-key", "k-3")])
        .problem(503, "unavailable");
    assert!(api.queue.sent().is_empty());
    // Without a key the Queue is all that must answer: the 202 stands, the
    // consumer records it; the write that failed is logged under the
    // request, naming the event, before its access log line.
    let sent = api.post(r#"{"type": "t", "data": {}}"#);
    assert_eq!(sent.status(), 202, "{}", sent.text());
    assert_eq!(api.queue.sent().len(), 1);
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let request_id = sent.header("x-request-id").unwrap().to_owned();
    let lines: Vec<Value> = sent
        .logs
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let warned = lines
        .iter()
        .position(|line| line["message"] == "event sent but not recorded as queued")
        .unwrap_or_else(|| panic!("no line for the failed write: {:?}", sent.logs));
    let line = &lines[warned];
    assert_eq!(line["level"], "warn");
    assert_eq!(line["event_id"], id.as_str());
    assert_eq!(line["error"], "D1 is down");
    assert_eq!(line["request_id"], request_id.as_str());
    assert_eq!(line["route"], "/partners/events");
    let access = lines
        .iter()
        .position(|line| line["status"] == 202)
        .expect("the access log line");
    assert_eq!(line["trace_id"], lines[access]["trace_id"]);
    assert!(warned < access, "{:?}", sent.logs);
    api.read_as(DEV_KEY, "00000000-0000-4000-8000-000000000002")
        .problem(503, "unavailable");
    // An id that is no UUID the API makes is a 404 without asking the
    // store: the store being down does not show.
    for id in [
        "abc",
        "00000000-0000-4000-8000-00000000000G",
        "00000000-0000-4000-8000-00000000000A",
    ] {
        api.read_as(DEV_KEY, id).problem(404, "not-found");
    }
}

// The consumer's rules ---------------------------------------------------------

fn message(id: &str, kind: &str) -> Message {
    Message {
        id: id.into(),
        consumer: "api_key::dev".into(),
        kind: kind.into(),
        data: r#"{"n":1}"#.into(),
        received_at: "2026-01-01T00:00:00.000Z".into(),
    }
}

fn delivery(message: &Message, attempts: u32) -> Delivery {
    Delivery {
        body: Some(message.to_json()),
        attempts,
    }
}

fn run(store: &MemoryEvents, role: QueueRole, deliveries: &[Delivery], debug: bool) -> Vec<Verdict> {
    block_on(consume(store, role, deliveries, debug)).0
}

#[test]
fn each_event_is_recorded_once_whatever_the_redeliveries() {
    let store = MemoryEvents::new();
    let (a, b) = (message("a", "t"), message("b", "t"));
    let batch = [delivery(&a, 1), delivery(&b, 1), delivery(&a, 1)];
    assert_eq!(run(&store, QueueRole::Events, &batch, false), vec![Verdict::Ack; 3]);
    let first = store.record("a").unwrap();
    assert_eq!(first.status, EventStatus::Processed);
    assert_eq!(first.attempts, 1);
    // Redelivered later (an acknowledgement that was lost): nothing changes but the count.
    assert_eq!(
        run(&store, QueueRole::Events, &[delivery(&a, 2)], false),
        vec![Verdict::Ack]
    );
    let after = store.record("a").unwrap();
    assert_eq!(after.processed_at, first.processed_at);
    assert_eq!(after.attempts, 1);
    assert_eq!(after.deliveries, 3);
    assert_eq!(store.len(), 2);
    // And from the dead-letter queue, a processed event stays processed.
    assert_eq!(
        run(&store, QueueRole::DeadLetters, &[delivery(&a, 1)], false),
        vec![Verdict::Ack]
    );
    assert_eq!(store.record("a").unwrap().status, EventStatus::Processed);
}

#[test]
fn a_rejected_event_is_retried_with_back_off_then_recorded_dead_with_its_last_error() {
    let store = MemoryEvents::new();
    let failing = message("f", "fail");
    for (attempts, delay) in [(1, 1), (2, 2), (3, 4), (4, 8)] {
        let verdicts = run(&store, QueueRole::Events, &[delivery(&failing, attempts)], true);
        assert_eq!(verdicts, vec![Verdict::Retry { delay_seconds: delay }]);
        let record = store.record("f").unwrap();
        assert_eq!((record.status, record.attempts), (EventStatus::Queued, attempts));
        assert!(record.last_error.as_deref().unwrap().contains("fail"));
    }
    assert_eq!(
        run(&store, QueueRole::DeadLetters, &[delivery(&failing, 1)], false),
        vec![Verdict::Ack]
    );
    let dead = store.record("f").unwrap();
    assert_eq!(dead.status, EventStatus::Dead);
    assert_eq!(dead.attempts, 4);
    assert!(dead.processed_at.is_some());
    assert!(dead.last_error.unwrap().contains("rejected event type `fail`"));
    // A dead event delivered again stays dead.
    run(&store, QueueRole::Events, &[delivery(&message("f", "t"), 1)], false);
    assert_eq!(store.record("f").unwrap().status, EventStatus::Dead);
    // One the processing rejects that reaches the dead-letter queue unseen
    // (no try could be recorded) is dead all the same, with why.
    run(
        &store,
        QueueRole::DeadLetters,
        &[delivery(&message("g", "fail"), 1)],
        true,
    );
    let unseen = store.record("g").unwrap();
    assert_eq!(unseen.status, EventStatus::Dead);
    assert_eq!(
        unseen.attempts,
        edgegate_app::events::EVENT_TRIES + 1,
        "its tries, not none"
    );
    assert!(unseen.last_error.unwrap().contains("rejected event type `fail`"));
    // The same for one the endpoint recorded queued (no try recorded since).
    use edgegate_app::events::EventStore;
    let queued = message("h", "fail");
    block_on(store.record_queued(&queued)).unwrap();
    run(&store, QueueRole::DeadLetters, &[delivery(&queued, 1)], true);
    let dead = store.record("h").unwrap();
    assert_eq!(
        (dead.status, dead.attempts),
        (EventStatus::Dead, edgegate_app::events::EVENT_TRIES + 1)
    );
}

#[test]
fn an_event_whose_every_try_failed_to_be_recorded_is_processed_from_the_dead_letter_queue() {
    // The store was down for all four tries: the Queue moves the event to
    // the dead-letter queue, whose consumer (the store back) processes it —
    // the outage loses nothing and no valid event is called dead.
    let down = MemoryEvents::failing("D1 is down");
    let event = message("o", "t");
    for attempts in 1..=edgegate_app::events::EVENT_TRIES {
        let verdicts = run(&down, QueueRole::Events, &[delivery(&event, attempts)], false);
        assert!(matches!(verdicts[..], [Verdict::Retry { .. }]));
    }
    let store = MemoryEvents::new();
    assert_eq!(
        run(&store, QueueRole::DeadLetters, &[delivery(&event, 1)], false),
        vec![Verdict::Ack]
    );
    let late = store.record("o").unwrap();
    assert_eq!(late.status, EventStatus::Processed);
    assert_eq!(late.attempts, edgegate_app::events::EVENT_TRIES + 1);
    assert!(late.processed_at.is_some() && late.last_error.is_none());
    // Its record made while it waited (queued, no error) is processed too.
    let queued = message("q", "t");
    block_on(edgegate_app::events::EventStore::record_queued(&store, &queued)).unwrap();
    run(&store, QueueRole::DeadLetters, &[delivery(&queued, 2)], false);
    assert_eq!(store.record("q").unwrap().status, EventStatus::Processed);
}

#[test]
fn the_tries_the_consumer_counts_are_the_ones_wrangler_toml_gives() {
    let config: toml::Value = toml::from_str(&std::fs::read_to_string("wrangler.toml").unwrap()).unwrap();
    let consumers = config["queues"]["consumers"].as_array().unwrap();
    let events = consumers
        .iter()
        .find(|c| c["queue"].as_str() == Some("edgegate-events"))
        .unwrap();
    assert_eq!(
        events["max_retries"].as_integer(),
        Some(i64::from(edgegate_app::events::EVENT_TRIES) - 1)
    );
}

#[test]
fn back_off_doubles_up_to_five_minutes() {
    use edgegate_app::events::MAX_RETRY_DELAY_SECONDS;
    let store = MemoryEvents::new();
    let failing = message("f", "fail");
    for (attempts, delay) in [
        (0, 1),
        (9, 256),
        (10, MAX_RETRY_DELAY_SECONDS),
        (40, MAX_RETRY_DELAY_SECONDS),
        (u32::MAX, MAX_RETRY_DELAY_SECONDS),
    ] {
        let verdicts = run(&store, QueueRole::Events, &[delivery(&failing, attempts)], true);
        assert_eq!(
            verdicts,
            vec![Verdict::Retry { delay_seconds: delay }],
            "attempt {attempts}"
        );
    }
}

#[test]
fn without_debug_routes_a_fail_event_is_processed_like_any_other() {
    // `fail` is the tests' failure hook only with DEBUG_ROUTES: a partner's
    // event of that type is not rejected in production.
    let store = MemoryEvents::new();
    let event = message("p", "fail");
    assert_eq!(
        run(&store, QueueRole::Events, &[delivery(&event, 1)], false),
        vec![Verdict::Ack]
    );
    let record = store.record("p").unwrap();
    assert_eq!(record.status, EventStatus::Processed);
    assert_eq!(record.last_error, None);
}

#[test]
fn messages_that_are_not_events_are_dropped_and_store_failures_retried() {
    let store = MemoryEvents::new();
    let junk = [
        Delivery {
            body: None,
            attempts: 1,
        },
        Delivery {
            body: Some("{oops".into()),
            attempts: 1,
        },
        Delivery {
            body: Some(r#"{"id": 1}"#.into()),
            attempts: 1,
        },
    ];
    let (verdicts, logs) = block_on(consume(&store, QueueRole::Events, &junk, false));
    assert_eq!(verdicts, vec![Verdict::Ack; 3]);
    assert_eq!(logs.len(), 3);
    assert!(store.is_empty());

    let down = MemoryEvents::failing("D1 is down");
    let (verdicts, logs) = block_on(consume(
        &down,
        QueueRole::Events,
        &[delivery(&message("a", "t"), 2)],
        false,
    ));
    assert_eq!(verdicts, vec![Verdict::Retry { delay_seconds: 2 }]);
    assert!(logs[0].contains("D1 is down"));
    let (verdicts, _) = block_on(consume(
        &down,
        QueueRole::DeadLetters,
        &[delivery(&message("a", "t"), 1)],
        false,
    ));
    assert_eq!(verdicts, vec![Verdict::Retry { delay_seconds: 1 }]);
}

#[test]
fn with_debug_routes_a_redeliver_event_is_recorded_then_delivered_again() {
    let store = MemoryEvents::new();
    let event = message("r", "debug:redeliver");
    assert_eq!(
        run(&store, QueueRole::Events, &[delivery(&event, 1)], false),
        vec![Verdict::Ack]
    );
    let store = MemoryEvents::new();
    assert_eq!(
        run(&store, QueueRole::Events, &[delivery(&event, 1)], true),
        vec![Verdict::Retry { delay_seconds: 0 }]
    );
    assert_eq!(
        run(&store, QueueRole::Events, &[delivery(&event, 2)], true),
        vec![Verdict::Ack]
    );
    let record = store.record("r").unwrap();
    assert_eq!(
        (record.status, record.attempts, record.deliveries),
        (EventStatus::Processed, 1, 2)
    );
}

#[test]
fn a_body_that_is_not_json_is_refused_as_the_framework_refuses_it() {
    let api = Api::new();
    let as_text = api.send(
        Request::new(Method::Post, "/partners/events")
            .with_header("x-api-key", DEV_KEY)
            .with_header("content-type", "text/plain")
            .with_body(r#"{"type": "t", "data": {}}"#),
    );
    as_text.problem(415, "unsupported-media-type");
    let compressed = api.send(
        Request::new(Method::Post, "/partners/events")
            .with_header("x-api-key", DEV_KEY)
            .with_header("content-type", "application/json")
            .with_header("content-encoding", "gzip")
            .with_body(r#"{"type": "t", "data": {}}"#),
    );
    compressed.problem(415, "unsupported-media-type");
    assert_eq!(compressed.header("accept-encoding"), Some("identity"));
    let empty = api.send(
        Request::new(Method::Post, "/partners/events")
            .with_header("x-api-key", DEV_KEY)
            .with_header("content-type", "application/json"),
    );
    empty.problem(400, "missing-body");
    let vendor = api.send(
        Request::new(Method::Post, "/partners/events")
            .with_header("x-api-key", DEV_KEY)
            .with_header("content-type", "Application/Vnd.Partner+JSON; charset=utf-8")
            .with_body(r#"{"type": "t", "data": {}}"#),
    );
    assert_eq!(vendor.status(), 202);
    assert_eq!(api.queue.sent().len(), 1);
}

#[test]
fn settled_events_are_kept_thirty_days_then_removed_by_a_later_batch() {
    let store = MemoryEvents::new();
    let (old, stuck) = (message("old", "t"), message("stuck", "fail"));
    run(&store, QueueRole::Events, &[delivery(&old, 1)], false);
    // A rejected event's try, still queued (not settled).
    run(&store, QueueRole::Events, &[delivery(&stuck, 1)], true);
    assert_eq!(store.record("stuck").unwrap().status, EventStatus::Queued);
    // 29 days on: a batch leaves the settled event readable.
    store.advance_ms(29 * 86_400_000);
    run(
        &store,
        QueueRole::Events,
        &[delivery(&message("recent", "t"), 1)],
        false,
    );
    assert!(store.record("old").is_some());
    // Past 30 days: the next batch removes it, not the newer one nor the unsettled one.
    store.advance_ms(2 * 86_400_000);
    run(
        &store,
        QueueRole::Events,
        &[delivery(&message("newest", "t"), 1)],
        false,
    );
    assert!(store.record("old").is_none());
    assert!(store.record("recent").is_some() && store.record("newest").is_some());
    assert_eq!(store.record("stuck").unwrap().status, EventStatus::Queued);
}

#[test]
fn the_endpoint_has_its_own_limit_the_quota_the_partners_cors_and_ip_rules_and_keys_only() {
    // README, "Partner events": PER_PARTNER (1200 a minute) and the quota,
    // the `partners` CORS profile and IP rules, API keys only.
    let partner_origin = "https://app.partner.example";
    let key = support::tokens::rsa_key("k1");
    let vars = with_var(
        with_var(
            with_var(
                dev_vars(),
                "CORS_PROFILES",
                &json!({ "partners": { "origins": [partner_origin] } }).to_string(),
            ),
            "IP_RULES",
            r#"{"partners": {"allow": [], "deny": ["198.51.100.0/24"]}}"#,
        ),
        "JWT_PROVIDERS",
        &support::tokens::providers(json!({ "keys": [key.jwk] }), json!({})),
    );
    let (events, queue) = (Rc::new(MemoryEvents::new()), Rc::new(MemoryQueue::new()));
    let gateway = app_gateway(&vars);
    let state = AppState::default().with_events(events, queue.clone());
    let platform = platform();
    let post = |origin: Option<&str>, ip: &str| {
        let mut request = Request::new(Method::Post, "/partners/events")
            .with_header("x-api-key", DEV_KEY)
            .with_header("content-type", "application/json")
            .with_header("cf-connecting-ip", ip)
            .with_body(r#"{"type": "t", "data": {}}"#);
        if let Some(origin) = origin {
            request = request.with_header("origin", origin);
        }
        exchange(&gateway, request, &state, &platform)
    };
    let accepted = post(Some(partner_origin), "203.0.113.5");
    assert_eq!(accepted.status(), 202, "{}", accepted.text());
    assert_eq!(
        accepted.header("ratelimit-policy"),
        Some(r#""per_partner";q=1200;w=60, "quota-day";q=10000;w=86400"#)
    );
    assert_eq!(accepted.header("access-control-allow-origin"), Some(partner_origin));
    let counted = platform.counted.borrow().clone();
    assert!(
        counted.contains(&("PER_PARTNER".to_owned(), "api_key::dev".to_owned())),
        "{counted:?}"
    );
    // The general frontend is not a partner's origin here.
    let frontend = post(Some(FRONTEND), "203.0.113.5");
    assert_eq!(frontend.status(), 202);
    assert_eq!(frontend.header("access-control-allow-origin"), None);
    // An address the partners' rules deny: 403, nothing sent.
    post(None, "198.51.100.7").problem(403, "ip-refused");
    assert_eq!(queue.sent().len(), 2);
    // A valid token (it opens /api/me) is no way in here: keys only.
    let token = support::tokens::token_with(&platform, |_| {}, &key);
    let me = support::tokens::bearer("/api/me", &token).with_header("cf-connecting-ip", "203.0.113.5");
    assert_eq!(exchange(&gateway, me, &state, &platform).status(), 200);
    let with_token = Request::new(Method::Post, "/partners/events")
        .with_header("cf-connecting-ip", "203.0.113.5")
        .with_header("authorization", format!("Bearer {token}"))
        .with_header("content-type", "application/json")
        .with_body(r#"{"type": "t", "data": {}}"#);
    exchange(&gateway, with_token, &state, &platform).problem(401, "unauthorized");
    assert_eq!(queue.sent().len(), 2);
}
