// The seed routes and every routing and extraction rule, against the real
// wasm worker under wrangler dev.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DEV_KEY, problem, startWorker } from "./harness.mjs";

let worker;
before(async () => {
  worker = await startWorker({ vars: { DEBUG_ROUTES: "true" } });
});
after(async () => worker?.stop());

const get = (path, init) => fetch(worker.url + path, init);
const greet = (path, body, headers = {}) =>
  fetch(worker.url + path, {
    method: "POST",
    headers: { "x-api-key": DEV_KEY, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body,
  });

test("GET /hello and /goodbye answer the seed texts", async () => {
  const hello = await get("/hello");
  assert.equal(hello.status, 200);
  assert.equal(hello.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await hello.text(), "Hello, World!");
  assert.equal(await (await get("/goodbye")).text(), "Goodbye, World!");
});

test("GET /users/{id} returns the id, percent-decoded", async () => {
  assert.deepEqual(await (await get("/users/123")).json(), { userId: "123" });
  assert.deepEqual(await (await get("/users/J%C3%BCrgen%20M")).json(), { userId: "Jürgen M" });
});

test("GET /search parses the query", async () => {
  assert.deepEqual(await (await get("/search?q=hello&page=2")).json(), { searchTerm: "hello", page: 2 });
  assert.deepEqual(await (await get("/search?q=hello+world%21")).json(), { searchTerm: "hello world!", page: null });
  const badPage = await problem(assert, await get("/search?q=x&page=two"), 400, "invalid-query");
  assert.equal(badPage.param, "page");
  const missing = await problem(assert, await get("/search?page=2"), 400, "invalid-query");
  assert.equal(missing.param, "q");
});

test("POST /api/greet/{name} greets in the asked language, title optional", async () => {
  assert.deepEqual(await (await greet("/api/greet/Alice?lang=es", '{"title":"Dr."}')).json(), { message: "Hola, Dr. Alice!" });
  assert.deepEqual(await (await greet("/api/greet/Alice?lang=fr")).json(), { message: "Bonjour, Alice!" });
  assert.deepEqual(await (await greet("/api/greet/Alice?lang=xx")).json(), { message: "Hello, Alice!" });
});

test("JSON body errors: malformed 400 with position, wrong shape 422, wrong type 415", async () => {
  const malformed = await problem(assert, await greet("/api/greet/A", '{"title": "Dr.",\n oops}'), 400, "malformed-json");
  assert.equal(malformed.line, 2);
  assert.equal(malformed.column, 2);
  const shape = await problem(assert, await greet("/api/greet/A", '{"title": 5}'), 422, "invalid-body");
  assert.equal(shape.field, "title");
  // A float where a string belongs: serde_json prints the float itself (the
  // release build stubs Rust's float Display as unreachable: crates/edgegate-worker/build.sh).
  const float = await problem(assert, await greet("/api/greet/A", '{"title": 1.5}'), 422, "invalid-body");
  assert.equal(float.field, "title");
  assert.match(float.detail, /floating point `1\.5`/);
  const huge = await problem(assert, await greet("/api/greet/A", '{"title": 1e300}'), 422, "invalid-body");
  assert.match(huge.detail, /floating point `1e\+300`/);
  const text = await greet("/api/greet/A", "title=Dr.", { "content-type": "text/plain" });
  await problem(assert, text, 415, "unsupported-media-type");
});

test("ANY /echo shows the request in both vocabularies", async () => {
  const response = await get("/echo/a/b%20c?x=1&y=two+words", {
    method: "PATCH",
    headers: { "content-type": "application/json", "X-Custom": "Yes" },
    body: '{"n":[1,2]}',
  });
  const echo = await response.json();
  assert.equal(echo.method, "PATCH");
  assert.equal(echo.httpMethod, "PATCH");
  assert.equal(echo.path, "/echo/a/b c");
  assert.deepEqual(echo.params, { rest: "a/b c" });
  assert.deepEqual(echo.pathParameters, { rest: "a/b c" });
  assert.deepEqual(echo.query, { x: "1", y: "two words" });
  assert.deepEqual(echo.queryParameters, echo.query);
  assert.equal(echo.headers["x-custom"], "Yes");
  assert.deepEqual(echo.body, { n: [1, 2] });
  assert.equal(echo.isBase64Encoded, false);

  const root = await (await get("/echo")).json();
  assert.equal(root.body, null);
  assert.deepEqual(root.params, {});
});

test("binary bodies arrive base64-encoded", async () => {
  const response = await get("/echo", {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: new Uint8Array([0, 1, 2, 253, 254, 255]),
  });
  const echo = await response.json();
  assert.equal(echo.isBase64Encoded, true);
  assert.equal(echo.body, Buffer.from([0, 1, 2, 253, 254, 255]).toString("base64"));
});

test("unknown path is 404, wrong method 405 with Allow", async () => {
  await problem(assert, await get("/nowhere"), 404, "not-found");
  const wrong = await get("/hello", { method: "DELETE" });
  assert.equal(wrong.headers.get("allow"), "GET, HEAD, OPTIONS");
  await problem(assert, wrong, 405, "method-not-allowed");
  const postOnly = await get("/api/greet/x");
  assert.equal(postOnly.headers.get("allow"), "POST, OPTIONS");
  await problem(assert, postOnly, 405, "method-not-allowed");
});

test("HEAD on a GET route: GET's status and headers, no body", async () => {
  const head = await get("/users/7", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-type"), "application/json");
  assert.equal((await head.arrayBuffer()).byteLength, 0);
});

test("a plain OPTIONS is 204 with Allow", async () => {
  const options = await get("/users/7", { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get("allow"), "GET, HEAD, OPTIONS");
  const any = await get("/echo", { method: "OPTIONS" });
  assert.equal(any.headers.get("allow"), "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
});

test("a typed path param that does not parse is a 400 naming it", async () => {
  const invalid = await problem(assert, await get("/users/%FF"), 400, "invalid-path-param");
  assert.equal(invalid.param, "id");
});

test("a handler error is a 500 that leaks nothing; the log has the cause", async () => {
  const response = await get("/debug/error");
  const body = await problem(assert, response, 500, "internal");
  assert.doesNotMatch(JSON.stringify(body), /s3cret|postgres/);
  const log = await worker.logFor(body.request_id);
  assert.equal(log.status, 500);
  assert.match(log.error, /s3cret/);
});

test("a panic is a 500 problem, logged, and the next request still works", async () => {
  // From an allowed origin: the gateway's policies died with the instance,
  // so the answer has no CORS headers (a handler's error has them).
  const origin = "http://localhost:5173";
  const response = await get("/debug/panic", { headers: { "x-request-id": "panic-test-1", origin } });
  const body = await problem(assert, response, 500, "internal");
  assert.equal(body.request_id, "panic-test-1");
  assert.deepEqual([...response.headers.keys()].filter((name) => name.startsWith("access-control-")), []);
  const failed = await get("/debug/error", { headers: { origin } });
  assert.equal(failed.headers.get("access-control-allow-origin"), origin);
  await failed.arrayBuffer();
  const deadline = Date.now() + 5000;
  while (!worker.output.some((line) => line.includes("deliberate panic from /debug/panic")) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(worker.output.some((line) => line.includes("deliberate panic from /debug/panic")), "the panic message is logged");
  assert.ok(worker.output.some((line) => /src\/debug\.rs:\d+:\d+/.test(line)), "and where it happened");
  for (let i = 0; i < 3; i++) {
    const next = await get("/users/after-panic");
    assert.equal(next.status, 200);
    assert.deepEqual(await next.json(), { userId: "after-panic" });
  }
});

test("a handler waiting on what the adapter cannot bring is a logged 500, not a hang", async () => {
  const response = await get("/debug/stuck", { headers: { "x-request-id": "stuck-test-1" }, signal: AbortSignal.timeout(10_000) });
  const body = await problem(assert, response, 500, "internal");
  assert.equal(body.request_id, "stuck-test-1");
  const deadline = Date.now() + 5000;
  const said = (line) => line.includes("a request waits on something that can never wake it");
  while (!worker.output.some(said) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(worker.output.some(said), "the reason is logged");
  const next = await get("/users/after-stuck");
  assert.equal(next.status, 200);
});

test("repeated response headers reach the client as they were set: two Set-Cookie stay two", async () => {
  const response = await get("/debug/cookies");
  assert.equal(response.status, 200);
  assert.deepEqual(response.headers.getSetCookie(), ["first=1; Path=/; HttpOnly", "second=2; Path=/; Secure"]);
  assert.equal(response.headers.get("__proto__"), "kept as a header");
  // Header values are byte strings to fetch: the UTF-8 bytes the gateway made, read as Latin-1.
  assert.equal(Buffer.from(response.headers.get("x-unicode"), "latin1").toString("utf8"), "ünïcode ✓");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(await response.text(), "two cookies");
});
