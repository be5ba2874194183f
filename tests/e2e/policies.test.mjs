// Gateway policies against the real worker: CORS, API keys, IP rules, body
// limits, request ids, the access log, and configuration failures.
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { spawnSync } from "node:child_process";
import { DEV_KEY, FRONTEND, ROOT, problem, startWorker } from "./harness.mjs";

// Values for the policies the route table names: `/users/{id}`'s IP rules.
const IP_RULES = JSON.stringify({ partners: { deny: ["198.51.100.0/24"] } });

function corsHeaders(response) {
  return [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

describe("with the development settings", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { IP_RULES, MAX_BODY_BYTES: "1024" } });
  });
  after(async () => worker?.stop());
  const call = (path, init) => fetch(worker.url + path, init);

  test("`make token` prints a token the development provider accepts", async () => {
    const made = spawnSync("make", ["--no-print-directory", "token", "SUB=alice", "SCOPE=items:write"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    const response = await call("/api/me", { headers: { authorization: `Bearer ${token}` } });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual([body.id, body.scheme, body.provider, body.claims.scope], ["alice", "jwt", "firebase", "items:write"]);
  });

  test("a preflight on a key-protected route passes without a key", async () => {
    const response = await call("/api/greet/Alice", {
      method: "OPTIONS",
      headers: {
        origin: FRONTEND,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-api-key",
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), FRONTEND);
    assert.equal(response.headers.get("access-control-allow-methods"), "POST, OPTIONS");
    assert.equal(response.headers.get("access-control-allow-headers"), "content-type, authorization, x-api-key, x-request-id, idempotency-key, traceparent, tracestate");
    assert.equal(response.headers.get("access-control-max-age"), "3600");
    assert.equal(response.headers.get("vary"), "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  });

  test("a preflight from a disallowed origin gets no CORS headers", async () => {
    const response = await call("/api/greet/Alice", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("allow"), "POST, OPTIONS");
    assert.deepEqual(corsHeaders(response), []);
  });

  test("CORS headers ride on errors too: 401, 404, 405, 413, 415", async () => {
    const cases = [
      [call("/api/hello", { headers: { origin: FRONTEND } }), 401],
      [call("/nowhere", { headers: { origin: FRONTEND } }), 404],
      [call("/hello", { method: "PUT", headers: { origin: FRONTEND } }), 405],
      [call("/echo", { method: "POST", headers: { origin: FRONTEND }, body: "x".repeat(2048) }), 413],
      [
        call("/api/greet/a", {
          method: "POST",
          headers: { origin: FRONTEND, "x-api-key": DEV_KEY, "content-type": "text/plain" },
          body: "hi",
        }),
        415,
      ],
    ];
    for (const [pending, status] of cases) {
      const response = await pending;
      assert.equal(response.status, status);
      assert.equal(response.headers.get("access-control-allow-origin"), FRONTEND, `status ${status}`);
      assert.equal(response.headers.get("access-control-expose-headers"), "x-request-id, ratelimit, ratelimit-policy, retry-after, location, idempotent-replayed, server-timing");
      assert.match(response.headers.get("vary"), /Origin/);
      assert.equal(response.headers.get("content-type"), "application/problem+json");
    }
  });

  test("a disallowed origin gets the plain answer and no CORS headers", async () => {
    const response = await call("/hello", { headers: { origin: "https://evil.example" } });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "Hello, World!");
    assert.deepEqual(corsHeaders(response), []);
  });

  test("API keys: header or query; missing and wrong get the same 401", async () => {
    assert.equal(await (await call("/api/hello", { headers: { "x-api-key": DEV_KEY } })).text(), "Hello, World!");
    assert.equal(await (await call(`/api/goodbye?key=${DEV_KEY}`)).text(), "Goodbye, World!");
    const missing = await call("/api/hello");
    const wrong = await call("/api/hello", { headers: { "x-api-key": "dev-local-kez" } });
    assert.equal(missing.headers.get("www-authenticate"), 'ApiKey header="x-api-key", query="key", Bearer realm="firebase"');
    assert.equal(wrong.headers.get("www-authenticate"), missing.headers.get("www-authenticate"));
    const a = await problem(assert, missing, 401, "unauthorized");
    const b = await problem(assert, wrong, 401, "unauthorized");
    delete a.request_id;
    delete b.request_id;
    assert.deepEqual(a, b);
  });

  test("a key in the query never reaches the log; the principal does", async () => {
    const response = await call(`/api/hello?key=${DEV_KEY}`, { headers: { "x-request-id": "redaction-1" } });
    assert.equal(response.status, 200);
    const log = await worker.logFor("redaction-1");
    assert.equal(log.principal, "dev");
    assert.equal(log.route, "/api/hello");
    assert.ok(worker.output.every((line) => !line.includes(DEV_KEY)), "no output line carries the key");
  });

  test("route IP rules: a denied range gets 403, others pass", async () => {
    const denied = await call("/users/1", { headers: { "cf-connecting-ip": "198.51.100.7", origin: FRONTEND } });
    assert.equal(denied.headers.get("access-control-allow-origin"), FRONTEND);
    await problem(assert, denied, 403, "ip-refused");
    const mapped = await call("/users/1", { headers: { "cf-connecting-ip": "::ffff:198.51.100.7" } });
    await problem(assert, mapped, 403, "ip-refused");
    assert.equal((await call("/users/1", { headers: { "cf-connecting-ip": "203.0.113.1" } })).status, 200);
    assert.equal((await call("/hello", { headers: { "cf-connecting-ip": "198.51.100.7" } })).status, 200);
  });

  test("the body limit counts bytes read, streamed bodies included", async () => {
    assert.equal((await call("/echo", { method: "POST", body: "x".repeat(1024) })).status, 200);
    const declared = await problem(assert, await call("/echo", { method: "POST", body: "x".repeat(1025) }), 413, "body-too-large");
    assert.equal(declared.max_body_bytes, 1024);
    // A chunked body (no Content-Length): the limit is enforced while reading.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode("y".repeat(256)));
        controller.close();
      },
    });
    const streamed = await call("/echo", { method: "POST", body: chunks, duplex: "half" });
    await problem(assert, streamed, 413, "body-too-large");
    const smallChunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("small "));
        controller.enqueue(new TextEncoder().encode("chunks"));
        controller.close();
      },
    });
    const small = await call("/echo", { method: "POST", headers: { "content-type": "text/plain" }, body: smallChunks, duplex: "half" });
    assert.equal((await small.json()).body, "small chunks");
  });

  test("request ids: sane ones are kept, others replaced; every response has one", async () => {
    const kept = await call("/hello", { headers: { "x-request-id": "client-id-42" } });
    assert.equal(kept.headers.get("x-request-id"), "client-id-42");
    const replaced = await call("/hello", { headers: { "x-request-id": "x".repeat(200) } });
    assert.match(replaced.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
    const generated = await call("/nowhere");
    const body = await problem(assert, generated, 404, "not-found");
    assert.match(body.request_id, /^[0-9a-f]{32}$/);
  });

  test("one structured access log line per request, by route template", async () => {
    await call("/users/someone?secret=1", { headers: { "x-request-id": "access-log-1", "cf-connecting-ip": "203.0.113.5" } });
    const log = await worker.logFor("access-log-1");
    assert.equal(log.method, "GET");
    assert.equal(log.route, "/users/{id}");
    assert.equal(log.status, 200);
    assert.equal(log.client_ip, "203.0.113.5");
    assert.ok(!("principal" in log), "no principal: the field is left out");
    assert.equal(typeof log.duration_ms, "number");
    assert.match(log.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(worker.accessLogs().filter((e) => e.request_id === "access-log-1").length, 1);
    assert.ok(worker.output.every((line) => !line.includes("someone")), "the raw path is not logged");
  });
});

describe("without API keys configured", () => {
  let worker;
  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "edgegate-"));
    const envFile = path.join(dir, "no-keys.env");
    writeFileSync(envFile, "# no API_KEYS\n");
    worker = await startWorker({ envFile });
  });
  after(async () => worker?.stop());

  test("protected routes refuse even the development key", async () => {
    const response = await fetch(`${worker.url}/api/hello`, { headers: { "x-api-key": DEV_KEY } });
    await problem(assert, response, 401, "unauthorized");
    assert.equal((await fetch(`${worker.url}/hello`)).status, 200);
  });
});

describe("with a misconfiguration", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { CORS_ALLOWED_ORIGINS: "*", CORS_ALLOW_CREDENTIALS: "true" } });
  });
  after(async () => worker?.stop());

  test("every request is a 500 problem, no CORS, and the log says what is wrong", async () => {
    for (const init of [{}, { headers: { origin: "https://evil.example" } }, { headers: { "x-api-key": DEV_KEY } }]) {
      const response = await fetch(`${worker.url}/api/hello`, init);
      const body = await problem(assert, response, 500, "misconfigured");
      assert.deepEqual(corsHeaders(response), []);
      const log = await worker.logFor(body.request_id);
      assert.match(log.error, /`\*` cannot be combined with allow-credentials/);
    }
  });
});
