// The JS↔wasm boundary is a trust boundary. Each attack below once worked
// against the worker; it is sent here as a client would send it, in raw
// bytes on a socket (client libraries refuse most of these), to the release
// bundle under `workerd serve`: `wrangler dev`'s proxy reads whole bodies
// before the worker sees a request, which would hide the body cases.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, connect, raw, serveBundle, sleep } from "./harness.mjs";

const KEYS = JSON.stringify({ [DEV_KEY]: "dev" });
/** `x-request-id: a<U+010A>cf-connecting-ip<U+010A>203.0.113.5` as UTF-8: the low byte of U+010A is a newline. */
const SMUGGLED = Buffer.from("a\u010acf-connecting-ip\u010a203.0.113.5", "utf8");

/** A raw HTTP/1.1 request: `headers` as [name, value] with values as strings or exact bytes. */
function request(method, path, headers = [], body = "") {
  const parts = [Buffer.from(`${method} ${path} HTTP/1.1\r\nhost: edgegate.test\r\n`)];
  for (const [name, value] of headers) parts.push(Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value), Buffer.from("\r\n")]));
  parts.push(Buffer.from("\r\n"), Buffer.from(body));
  return Buffer.concat(parts);
}

async function send(worker, bytes, options) {
  const response = await raw(worker.url, bytes, options);
  assert.ok(response, "no answer");
  return response;
}

function assertProblem(response, status, kind) {
  assert.equal(response.status, status, response.body);
  assert.equal(response.headers["content-type"], "application/problem+json");
  const body = JSON.parse(response.body);
  assert.equal(body.type, `urn:edgegate:problem:${kind}`);
  assert.equal(body.request_id, response.headers["x-request-id"]);
  return body;
}

describe("header injection cannot forge the client address", () => {
  let allow, deny;
  before(async () => {
    allow = await serveBundle({ vars: { API_KEYS: KEYS, IP_ALLOW: "203.0.113.0/24" } });
    deny = await serveBundle({ vars: { API_KEYS: KEYS, IP_DENY: "198.51.100.0/24" } });
  });
  after(async () => {
    await allow?.stop();
    await deny?.stop();
  });

  test("IP_ALLOW: a header smuggled inside x-request-id is not a header", async () => {
    const outside = ["cf-connecting-ip", "198.51.100.7"];
    assertProblem(await send(allow, request("GET", "/hello", [outside])), 403, "ip-refused");
    const forged = await send(allow, request("GET", "/hello", [outside, ["x-request-id", SMUGGLED]]));
    assertProblem(forged, 403, "ip-refused");
    const log = await allow.logFor(forged.headers["x-request-id"]);
    assert.equal(log.client_ip, "198.51.100.7");
    const inside = await send(allow, request("GET", "/hello", [["cf-connecting-ip", "203.0.113.5"]]));
    assert.equal(inside.status, 200);
  });

  test("IP_DENY: the same smuggling does not get a denied client in", async () => {
    const forged = await send(deny, request("GET", "/hello", [["cf-connecting-ip", "198.51.100.7"], ["x-request-id", SMUGGLED]]));
    assertProblem(forged, 403, "ip-refused");
    assert.equal((await deny.logFor(forged.headers["x-request-id"])).client_ip, "198.51.100.7");
  });

  test("on a route that takes every header, any header name carries it no further", async () => {
    const headers = [["cf-connecting-ip", "198.51.100.7"], ["x-anything", SMUGGLED]];
    assertProblem(await send(allow, request("GET", "/echo", headers)), 403, "ip-refused");
    const echoed = await send(deny, request("GET", "/echo", [["cf-connecting-ip", "192.0.2.1"], ["x-anything", SMUGGLED]]));
    assert.equal(echoed.status, 200);
    const seen = JSON.parse(echoed.body).headers;
    assert.equal(seen["x-anything"], SMUGGLED.toString("utf8"));
    assert.equal(seen["cf-connecting-ip"], "192.0.2.1");
  });
});

describe("keys, origins and header values are taken exactly as sent", () => {
  let worker;
  before(async () => {
    worker = await serveBundle({ vars: { API_KEYS: KEYS, CORS_ALLOWED_ORIGINS: "https://*.example.com", DEBUG_ROUTES: "true" } });
  });
  after(async () => worker?.stop());

  test("a HEAD says the length its GET's body has, and sends none (RFC 9110 §9.3.2)", async () => {
    for (const path of ["/hello", "/users/7", "/nowhere"]) {
      const got = await send(worker, request("GET", path));
      const head = await send(worker, request("HEAD", path), { head: true });
      assert.equal(head.status, got.status, path);
      assert.equal(head.headers["content-type"], got.headers["content-type"], path);
      assert.equal(head.headers["content-length"], String(Buffer.byteLength(got.body)), path);
      assert.equal(head.body, "", path);
    }
  });

  test("an encoded JSON body is a 415 that says to send it as it is, in any spelling of the coding", async () => {
    const body = '{"name":"x"}';
    const post = (coding) =>
      send(worker, request("POST", "/items", [["x-api-key", DEV_KEY], ["content-type", "application/json"], ["content-encoding", Buffer.from(coding, "latin1")], ["content-length", String(body.length)]], body));
    for (const coding of ["gzip", "GZip", " br ", "identity, gzip"]) {
      const refused = await post(coding);
      assertProblem(refused, 415, "unsupported-media-type");
      assert.equal(refused.headers["accept-encoding"], "identity", coding);
    }
    // A byte outside ASCII in the value (not UTF-8): the header's own 400, before any body rule.
    assertProblem(await post("x-\u00e9"), 400, "invalid-header");
  });

  test("a key that differs in bytes is refused", async () => {
    for (const near of [Buffer.from("dev-local-ke\xc5\xb9", "latin1"), Buffer.from("dev-local-ke\u0179", "utf8"), "dev-local-key\u0100"]) {
      assertProblem(await send(worker, request("GET", "/api/hello", [["x-api-key", near]])), 401, "unauthorized");
    }
    assert.equal((await send(worker, request("GET", "/api/hello", [["x-api-key", DEV_KEY]]))).status, 200);
  });

  test("an origin that would smuggle a CR is not echoed, and the answer is the gateway's own", async () => {
    const hostile = Buffer.from("https://a\u010db.example.com", "utf8");
    const response = await send(worker, request("GET", "/hello", [["origin", hostile], ["x-request-id", "cors-cr-1"]]));
    assert.equal(response.status, 200);
    assert.equal(response.headers["access-control-allow-origin"], undefined);
    const log = await worker.logFor("cors-cr-1");
    assert.equal(log.status, 200);
    for (const control of ["\x01", "\x7f", "\t"]) {
      const refused = await send(worker, request("GET", "/hello", [["origin", `https://a${control}b.example.com`]]));
      assert.equal(refused.headers["access-control-allow-origin"], undefined, JSON.stringify(control));
    }
    const allowed = await send(worker, request("GET", "/hello", [["origin", "https://app.example.com"]]));
    assert.equal(allowed.headers["access-control-allow-origin"], "https://app.example.com");
  });

  test("values with control characters or bytes that are not UTF-8 are a 400 naming the header", async () => {
    for (const value of [Buffer.from("\xe9t\xe9", "latin1"), Buffer.from("a\x01b"), Buffer.from("a\x7fb"), Buffer.from([0xc3])]) {
      const body = assertProblem(await send(worker, request("GET", "/echo", [["x-q", value]])), 400, "invalid-header");
      assert.equal(body.header, "x-q");
    }
    // The gateway's own headers are checked even on routes that read only them.
    assertProblem(await send(worker, request("GET", "/hello", [["x-api-key", Buffer.from("k\x01")]])), 400, "invalid-header");
  });

  test("a traceparent with a character beyond ASCII starts a new trace: no panic, the instance serves on", async () => {
    // Each character's bytes straddle a field boundary of the header; once,
    // slicing there panicked and trapped the instance for every request on it.
    const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    for (const at of [1, 2, 34, 35, 51, 52, 54]) {
      const traceparent = Buffer.from(`${valid.slice(0, at)}\u00e9${valid.slice(at + 1)}`, "utf8");
      const response = await send(worker, request("GET", "/hello", [["traceparent", traceparent], ["tracestate", "a=b"]]));
      assert.equal(response.status, 200, `at ${at}: ${response.body}`);
      const log = await worker.logFor(response.headers["x-request-id"]);
      assert.match(log.trace_id, /^[0-9a-f]{32}$/);
      assert.notEqual(log.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", `at ${at}`);
    }
  });

  test("every response says nosniff: 200, 401, 404, 400 and a panic's 500", async () => {
    const cases = [
      [request("GET", "/hello"), 200],
      [request("GET", "/api/hello"), 401],
      [request("GET", "/nope"), 404],
      [request("GET", "/echo", [["x-q", Buffer.from([0xff])]]), 400],
      [request("GET", "/debug/panic"), 500],
    ];
    for (const [bytes, status] of cases) {
      const response = await send(worker, bytes);
      assert.equal(response.status, status);
      assert.equal(response.headers["x-content-type-options"], "nosniff", `status ${status}`);
    }
  });

  test("property: every byte value in a header arrives exactly, or the request is a 400", async () => {
    const outcomes = { exact: 0, refused: 0, runtime: 0 };
    for (let byte = 0; byte < 256; byte++) {
      // A bare CR or LF ends the line on the wire: that is the HTTP framing, not a value.
      if (byte === 0x0a || byte === 0x0d) continue;
      const value = Buffer.from([0x61, byte, 0x62]);
      const response = await raw(worker.url, request("GET", "/echo", [["x-prop", value], ["x-request-id", `prop-${byte}`]]), { timeoutMs: 5000 });
      assert.ok(response, `byte ${byte}: no answer`);
      if (response.status === 400 && response.headers["content-type"] !== "application/problem+json") {
        outcomes.runtime++; // the runtime refused the request itself (its own plain 400)
        continue;
      }
      if (response.status === 400) {
        assertProblem(response, 400, "invalid-header");
        outcomes.refused++;
        continue;
      }
      assert.equal(response.status, 200, `byte ${byte}: ${response.body}`);
      const seen = JSON.parse(response.body).headers;
      assert.equal(seen["x-prop"], value.toString("utf8").trim(), `byte ${byte}`);
      assert.ok(byte === 0x09 || byte === 0x20 || (byte > 0x20 && byte < 0x7f), `byte ${byte} was passed on`);
      assert.deepEqual(Object.keys(seen).filter((n) => !["host", "x-prop", "x-request-id"].includes(n)), [], `byte ${byte}`);
      outcomes.exact++;
    }
    // Passed on exactly: tab, space and the 94 visible ASCII characters. Refused
    // by the gateway: the other controls, DEL and every lone byte over 0x7F.
    assert.equal(outcomes.exact, 96, JSON.stringify(outcomes));
    assert.ok(outcomes.refused >= 128, JSON.stringify(outcomes));
  });

  test("property: strings with characters above U+00FF arrive exactly", async () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const alphabet = ["\u010a", "\u010d", "\u0100", "\u0120", "\u0a0d", "\u4e0a", "\ud83d\ude00", ":", " ", "é", "x", "\u00ff"];
    for (let round = 0; round < 100; round++) {
      const text = "v" + Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join("") + "v";
      const response = await send(worker, request("GET", "/echo", [["x-prop", Buffer.from(text, "utf8")]]));
      assert.equal(response.status, 200, response.body);
      const seen = JSON.parse(response.body).headers;
      assert.equal(seen["x-prop"], text);
      assert.deepEqual(Object.keys(seen).sort(), ["host", "x-prop"]);
    }
  });
});

describe("the body is read only after every check before it passed", () => {
  let worker;
  before(async () => {
    worker = await serveBundle({ vars: { API_KEYS: KEYS } });
  });
  after(async () => worker?.stop());

  /** Sends only the head of a request declaring a body, and expects an answer at once. */
  async function atOnce(method, path, headers) {
    const response = await raw(worker.url, request(method, path, headers), { timeoutMs: 2000 });
    assert.ok(response, `${method} ${path}: no answer within 2 s without the body`);
    return response;
  }

  test("no key: 401 without waiting for the declared body", async () => {
    assertProblem(await atOnce("POST", "/api/greet/x", [["content-length", "1000"]]), 401, "unauthorized");
  });

  test("over the route's limit by Content-Length: 413 at once", async () => {
    const headers = [["content-length", "40000"], ["x-api-key", DEV_KEY], ["content-type", "application/json"]];
    assertProblem(await atOnce("POST", "/items", headers), 413, "body-too-large");
  });

  test("an unknown path and a wrong method: 404 and 405 at once", async () => {
    assertProblem(await atOnce("POST", "/nope", [["content-length", "1000"]]), 404, "not-found");
    assertProblem(await atOnce("POST", "/hello", [["content-length", "1000"]]), 405, "method-not-allowed");
  });

  test("an authorized request waits for its body, then is answered", async () => {
    const body = JSON.stringify({ title: "Dr." });
    const connection = await connect(worker.url);
    connection.write(request("POST", "/api/greet/Ada", [["x-api-key", DEV_KEY], ["content-type", "application/json"], ["content-length", String(body.length)]]));
    await sleep(500);
    assert.equal(connection.received(), 0, "answered before the body came");
    connection.write(body);
    const answered = await connection.response();
    connection.close();
    assert.equal(answered.status, 200);
    assert.deepEqual(JSON.parse(answered.body), { message: "Hello, Dr. Ada!" });
  });

  test("a body that ends before its declared length is a 400, not a wait or a 500", async () => {
    const connection = await connect(worker.url);
    connection.write(request("POST", "/api/greet/Ada", [["x-api-key", DEV_KEY], ["content-type", "application/json"], ["content-length", "100"]]));
    connection.write('{"title":');
    connection.end();
    const answered = await connection.response(5000);
    connection.close();
    assert.ok(answered, "no answer for a body cut short");
    assertProblem(answered, 400, "body-unreadable");
  });

  test("a chunked body is cut off as soon as it passes the route's limit", async () => {
    const connection = await connect(worker.url);
    connection.write(request("POST", "/items", [["x-api-key", DEV_KEY], ["content-type", "application/json"], ["transfer-encoding", "chunked"]]));
    const chunk = "x".repeat(4096);
    for (let i = 0; i < 10; i++) connection.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    // 40 KiB sent, the limit is 32 KiB, and the body has not ended: the answer comes anyway.
    const answered = await connection.response(3000);
    connection.close();
    assert.ok(answered, "no answer for an over-limit chunked body");
    assertProblem(answered, 413, "body-too-large");
  });

  test("a small Content-Length beside a chunked body past the limit never reaches a handler", async () => {
    // A request smuggling shape. The gateway reads a declared length whole
    // (arrayBuffer(), no count), so a runtime that framed this body as
    // chunked but still showed the 10 would have it buffered without limit.
    // The runtime frames it as chunked (RFC 9112 §6.3) and drops the length,
    // so the read is the counted one: the answer comes while the body is
    // still open, which a whole read could not give.
    const connection = await connect(worker.url);
    connection.write(
      request("POST", "/items", [["x-api-key", DEV_KEY], ["content-type", "application/json"], ["content-length", "10"], ["transfer-encoding", "chunked"]]),
    );
    const chunk = `{"name":"${"x".repeat(4084)}"}`.slice(0, 4096);
    for (let i = 0; i < 10; i++) connection.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    // 40 KiB sent (the limit is 32 KiB) and the body has not ended: only a counted read answers now.
    const answered = await connection.response(3000);
    connection.close();
    assert.ok(answered, "no answer for a body framed two ways");
    assertProblem(answered, 413, "body-too-large");
  });
});
