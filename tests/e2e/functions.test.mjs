// Function upstreams against the real workers under multi-config `wrangler
// dev`, as `make dev` serves them: the gateway calls the function Worker
// behind its `GREETER` service binding with the gateway event, and maps the
// response object it answers. First the greeter of functions/greeter/, then
// a probe in its place that echoes the event and answers every variant.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, FRONTEND, problem, startWorker } from "./harness.mjs";

const KEYS = JSON.stringify({ [DEV_KEY]: "dev" });
const keyed = { "x-api-key": DEV_KEY };

describe("the greeter function behind /fn/greet", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { API_KEYS: KEYS } });
  });
  after(() => worker?.stop());

  test("greets as /api/greet does, through the service binding", async () => {
    const response = await fetch(`${worker.url}/fn/greet/Ada?lang=es`, {
      method: "POST",
      headers: { ...keyed, "content-type": "application/json", origin: FRONTEND },
      body: JSON.stringify({ title: "Dr." }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("access-control-allow-origin"), FRONTEND);
    assert.deepEqual(await response.json(), { message: "Hola, Dr. Ada!" });
    const log = await worker.logFor(response.headers.get("x-request-id"));
    assert.equal(log.upstream, "GREETER");
    assert.equal(log.upstream_status, 200);

    const plain = await fetch(`${worker.url}/fn/greet`, { headers: keyed });
    assert.deepEqual(await plain.json(), { message: "Hello, world!" });
    // A language it does not have is English, whatever the name: never an Object's own property.
    for (const lang of ["constructor", "__proto__", "toString"]) {
      const other = await fetch(`${worker.url}/fn/greet/Ada?lang=${lang}`, { headers: keyed });
      assert.deepEqual(await other.json(), { message: "Hello, Ada!" }, lang);
    }
    // HEAD is the GET without its body: the function answers it as a GET.
    const head = await fetch(`${worker.url}/fn/greet/Ada`, { method: "HEAD", headers: keyed });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  test("methods the function does not serve are the gateway's 405, and it is never called", async () => {
    const response = await fetch(`${worker.url}/fn/greet/Ada`, { method: "DELETE", headers: keyed });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
    assert.equal((await response.json()).type, "urn:edgegate:problem:method-not-allowed");
  });

  test("without credentials the function is never called", async () => {
    // The greeter logs `METHOD path` for every call it gets (wrangler's own
    // request lines add the status after the path).
    const greeterLogged = (path) => worker.output.some((line) => line.trimEnd().endsWith(`POST ${path}`));
    const refused = await fetch(`${worker.url}/fn/greet/Mallory`, { method: "POST" });
    await problem(assert, refused, 401, "unauthorized");
    assert.equal((await worker.logFor(refused.headers.get("x-request-id"))).upstream, undefined);
    // A call that does reach it, to see its line printed before looking for the other's.
    const admitted = await fetch(`${worker.url}/fn/greet/Trent`, { method: "POST", headers: keyed });
    assert.equal(admitted.status, 200);
    const deadline = Date.now() + 5000;
    while (!greeterLogged("/fn/greet/Trent") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(greeterLogged("/fn/greet/Trent"), "the greeter's log line for an admitted call");
    assert.ok(!greeterLogged("/fn/greet/Mallory"), "the greeter was called without credentials");
  });
});

describe("a function's event and answers, through a probe in the greeter's place", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { API_KEYS: KEYS }, functionConfig: "tests/e2e/fixtures/function-probe/wrangler.toml" });
  });
  after(() => worker?.stop());

  const call = (target, init = {}) => fetch(`${worker.url}${target}`, { ...init, headers: { ...keyed, ...init.headers } });

  test("the event has the seeds' shape, the gateway's context and no consumed credentials", async () => {
    const response = await call("/fn/greet/Ada%20L?lang=es&key=dev-local-key&n=1&n=2", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-custom": "kept",
        "x-edgegate-principal": "forged",
        authorization: "Bearer not-for-the-function",
        "x-request-id": "fn-e2e-1",
      },
      body: JSON.stringify({ title: "Dr.", requestContext: { principal: { id: "root" } } }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const { event, method, contentType } = await response.json();
    assert.equal(method, "POST");
    assert.equal(contentType, "application/json");
    assert.equal(event.method, "POST");
    assert.equal(event.httpMethod, "POST");
    assert.equal(event.path, "/fn/greet/Ada L");
    assert.deepEqual(event.params, { rest: "Ada L" });
    assert.deepEqual(event.pathParameters, event.params);
    assert.deepEqual(event.query, { lang: "es", n: "2" });
    assert.deepEqual(event.queryParameters, event.query);
    assert.deepEqual(event.body, { title: "Dr.", requestContext: { principal: { id: "root" } } });
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.headers["x-custom"], "kept");
    for (const gone of ["x-api-key", "authorization", "x-edgegate-principal"]) assert.equal(event.headers[gone], undefined, gone);
    assert.match(event.requestContext.traceId, /^[0-9a-f]{32}$/);
    assert.deepEqual(event.requestContext, {
      requestId: "fn-e2e-1",
      traceId: event.requestContext.traceId,
      principal: { id: "dev", scheme: "api_key", provider: null, claims: null },
    });
  });

  test("a binary body arrives as base64", async () => {
    const response = await call("/fn/greet", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array([0, 1, 2, 255]) });
    const { event } = await response.json();
    assert.equal(event.body, "AAEC/w==");
    assert.equal(event.isBase64Encoded, true);
  });

  test("each variant of the response object maps to HTTP", async () => {
    const compute = await call("/fn/greet/x?variant=compute");
    assert.equal(compute.status, 201);
    assert.equal(compute.headers.get("x-custom-header"), "header value");
    assert.equal(compute.headers.get("content-type"), "application/json");
    assert.deepEqual(await compute.json(), { path: "/fn/greet/x" });

    const binary = await call("/fn/greet?variant=binary");
    assert.equal(binary.status, 200);
    assert.deepEqual([...new Uint8Array(await binary.arrayBuffer())], [0, 1, 2, 255]);

    const scalars = await call("/fn/greet?variant=scalars", { headers: { origin: FRONTEND } });
    assert.equal(scalars.headers.get("x-n"), "3");
    assert.equal(scalars.headers.get("x-yes"), "true");
    assert.equal(scalars.headers.get("x-none"), null);
    // The gateway's CORS, not the function's `*`.
    assert.equal(scalars.headers.get("access-control-allow-origin"), FRONTEND);
    assert.equal(await scalars.text(), "ok");

    const missing = await call("/fn/greet?variant=missing");
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), "");
  });

  test("a malformed answer, a failing function and an injected header are 502s, the reason logged", async () => {
    for (const [variant, reason] of [
      ["malformed", "`statusCode`"],
      ["not-json", "the answer is not JSON"],
      ["throw", "the function Worker answered HTTP 500"],
      ["injection", "control characters"],
    ]) {
      const response = await call(`/fn/greet?variant=${variant}`);
      const body = await problem(assert, response, 502, "upstream-invalid-answer");
      assert.equal(body.detail, "The function `GREETER` did not answer with a response object.");
      assert.equal(response.headers.get("set-cookie"), null);
      const log = await worker.logFor(response.headers.get("x-request-id"));
      assert.ok(log.error.startsWith("function GREETER: ") && log.error.includes(reason), `${variant}: ${log.error}`);
    }
  });
});
