// The security and reliability rules where only the real runtime shows them,
// against the release bundle under plain `workerd serve` and over raw
// sockets: `wrangler dev`'s proxy and Node's clients normalise paths, so
// neither could send what an attacker sends.
//
// - an upstream route never calls a path outside its base, however the
//   step out is spelled (the runtime's fetch resolves `..`, `%2e%2e` and
//   backslashes the WHATWG way);
// - underscore spellings of the headers the gateway sets never reach an
//   upstream;
// - a rate limiter that never answers holds a request 3 s at most;
// - a body framed two ways reaches no handler ambiguously;
// - after a panic (a request parked on a promise, others parked beside it),
//   the next requests run on a state that knows nothing of the failed one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { signJwt } from "../../tools/jwt.mjs";
import { DEV_KEY, connect, freePort, problem, raw, serveBundle, sleep } from "./harness.mjs";

const KEYS = JSON.stringify({ [DEV_KEY]: "dev" });

/** An origin that records every request's method, path and headers; `/base/hold` answers when released. */
async function startOrigin() {
  const seen = [];
  const held = [];
  const server = http.createServer((request, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    request.resume();
    request.on("end", () => {
      const answer = () => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ url: request.url, headers: request.headers }));
      };
      if (request.url.startsWith("/base/hold")) held.push(answer);
      else answer();
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    seen,
    held,
    release: () => held.splice(0).forEach((answer) => answer()),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A GET exactly as written (the target is not normalised by any client), with the dev key. */
function rawGet(worker, target, headers = []) {
  const { host } = new URL(worker.url);
  const head = [`GET ${target} HTTP/1.1`, `Host: ${host}`, `X-Api-Key: ${DEV_KEY}`, ...headers, "Connection: close", "", ""].join("\r\n");
  return raw(worker.url, Buffer.from(head, "latin1"));
}

/** Every spelling of a step out of `/base` (shared with tests/upstreams.rs). */
const ESCAPES = JSON.parse(readFileSync(new URL("../fixtures/path-escapes.json", import.meta.url), "utf8"));

for (const base of ["/base", "/base/"]) {
  describe(`an upstream's base path (${base}) cannot be escaped`, () => {
    let origin, worker;
    before(async () => {
      origin = await startOrigin();
      worker = await serveBundle({
        vars: { API_KEYS: KEYS, UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${origin.port}${base}` }) },
      });
    });
    after(async () => {
      await worker?.stop();
      await origin?.close();
    });

    test("every spelling of a dot segment or a backslash is a 400 invalid-path, and nothing reaches the origin", async () => {
      for (const escape of ESCAPES) {
        for (const prefix of ["/origin/", "/fn/greet/"]) {
          const response = await rawGet(worker, prefix + escape);
          assert.equal(response?.status, 400, `${prefix}${escape}: ${JSON.stringify(response)}`);
          const body = JSON.parse(response.body);
          assert.equal(body.type, "urn:edgegate:problem:invalid-path", `${prefix}${escape}`);
          assert.equal(response.headers["content-type"], "application/problem+json");
        }
      }
      assert.deepEqual(origin.seen, [], "no request reached the origin");
    });

    test("paths inside the base pass, segment-wise under it", async () => {
      for (const [rest, path] of [
        ["a/b", "/base/a/b"],
        [".well-known/x", "/base/.well-known/x"],
        ["...", "/base/..."],
        ["-admin", "/base/-admin"],
        ["a%2Fb", "/base/a%2Fb"],
        // Not UTF-8 once decoded (a Latin-1 name): the origin's to serve, as sent.
        ["caf%E9.txt", "/base/caf%E9.txt"],
      ]) {
        const response = await rawGet(worker, `/origin/${rest}`);
        assert.equal(response?.status, 200, `${rest}: ${JSON.stringify(response)}`);
        assert.equal(JSON.parse(response.body).url, path);
      }
      assert.ok(origin.seen.every((r) => r.url.startsWith("/base/")), JSON.stringify(origin.seen.map((r) => r.url)));
    });

    test("underscore spellings of the gateway's headers never reach the origin", async () => {
      const forged = ["x_edgegate_principal", "X-Edgegate_Principal", "x_forwarded_for", "X_Forwarded_Host", "x_forwarded_proto", "x_request_id", "cf_connecting_ip"];
      // Plain workerd sets no CF-Connecting-IP: with no client address to
      // append, the client's own X-Forwarded-For never reaches the origin.
      const response = await rawGet(worker, "/origin/headers", [...forged.map((name) => `${name}: forged`), "X_Custom: kept", "X-Forwarded-For: forged"]);
      assert.equal(response?.status, 200, JSON.stringify(response));
      const received = JSON.parse(response.body).headers;
      for (const [name, value] of Object.entries(received)) assert.notEqual(value, "forged", name);
      assert.equal(received.x_custom, "kept");
      const principal = JSON.parse(Buffer.from(received["x-edgegate-principal"], "base64url").toString());
      assert.equal(principal.id, "dev");
    });
  });
}

describe("traffic control and framing at the runtime's edge", () => {
  let worker;
  before(async () => {
    worker = await serveBundle({ vars: { API_KEYS: KEYS, DEBUG_ROUTES: "true" }, hangingLimiters: ["PER_PRINCIPAL"] });
  });
  after(() => worker?.stop());

  test("a rate limiter that never answers holds the request 3 s, then it fails open with a log line", async () => {
    const started = Date.now();
    const response = await fetch(`${worker.url}/api/hello`, { headers: { "x-api-key": DEV_KEY, "x-request-id": "hang-1" } });
    const waited = Date.now() - started;
    assert.equal(response.status, 200, await response.clone().text());
    assert.ok(waited >= 2900 && waited < 6000, `waited ${waited} ms`);
    const deadline = Date.now() + 5000;
    const logged = () => worker.output.find((line) => line.includes("traffic control failed") && line.includes("hang-1"));
    while (!logged() && Date.now() < deadline) await sleep(50);
    const line = JSON.parse(logged().slice(logged().indexOf("{")));
    assert.equal(line.limit, "rate_limit:PER_PRINCIPAL");
    assert.equal(line.request, "let through (fail open)");
    assert.match(line.error, /did not answer within 3 s/);
  });

  test("a client that goes away while its request waits is logged at once as 499, with its route and the time it waited", async () => {
    const { host } = new URL(worker.url);
    const connection = await connect(worker.url);
    const started = Date.now();
    connection.write(`GET /api/hello HTTP/1.1\r\nHost: ${host}\r\nX-Api-Key: ${DEV_KEY}\r\nX-Request-Id: gone-1\r\n\r\n`);
    await sleep(500);
    connection.reset();
    const line = await worker.logFor("gone-1", 2500);
    const loggedAfter = Date.now() - started;
    assert.equal(line.status, 499);
    assert.equal(line.route, "/api/hello");
    assert.equal(line.principal, "dev");
    assert.ok(line.duration_ms >= 400 && line.duration_ms < 2900, `waited ${line.duration_ms} ms`);
    // At once: not when the limiter's 3 s bound would have let it through.
    assert.ok(loggedAfter < 2900, `logged after ${loggedAfter} ms`);
    await sleep(3000);
    assert.equal(worker.accessLogs().filter((entry) => entry.request_id === "gone-1").length, 1, "logged once");
  });

  test("Content-Length beside chunked framing: the runtime keeps the chunked framing, and the body arrives exactly as framed", async () => {
    // workerd drops the Content-Length (RFC 9112 §6.3), so the gateway sees
    // one framing; were both to reach it, it would answer 400
    // (tests/policies.rs: a_body_framed_two_ways_is_a_400).
    const { host } = new URL(worker.url);
    const head = `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const response = await raw(worker.url, Buffer.from(`${head}5\r\nhello\r\n0\r\n\r\n`));
    assert.equal(response?.status, 200, JSON.stringify(response));
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.body, "hello");
    assert.equal(echoed.headers["content-length"], undefined);
    assert.equal(echoed.headers["transfer-encoding"], "chunked");
  });
});

describe("after a panic, the next requests run on a fresh state", () => {
  let origin, worker;
  before(async () => {
    origin = await startOrigin();
    worker = await serveBundle({
      vars: { API_KEYS: KEYS, DEBUG_ROUTES: "true", UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${origin.port}/base` }) },
    });
  });
  after(async () => {
    origin?.release();
    await worker?.stop();
    await origin?.close();
  });

  test("a panic while other requests are parked: those get the 500, every later request answers correctly, one panic is logged", async () => {
    const keyed = { "x-api-key": DEV_KEY };
    const served = async () => Number(await (await fetch(`${worker.url}/debug/instance`)).text());
    assert.deepEqual([await served(), await served()], [1, 2], "one instance so far");
    // Parked on an upstream's answer.
    const upstream = fetch(`${worker.url}/origin/hold`, { headers: { ...keyed, "x-request-id": "parked-upstream" } });
    // Parked on its body: the head says 16 bytes, none come yet.
    const { host } = new URL(worker.url);
    const body = JSON.stringify({ title: "Dr." }).padEnd(16, " ");
    const bodyless = await connect(worker.url);
    bodyless.write(
      `POST /api/greet/Ada HTTP/1.1\r\nHost: ${host}\r\nX-Api-Key: ${DEV_KEY}\r\nX-Request-Id: parked-body\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    const deadline = Date.now() + 10_000;
    while (origin.held.length === 0 && Date.now() < deadline) await sleep(20);
    assert.equal(origin.held.length, 1, "the upstream request is parked");
    await sleep(300);

    // The panic: parked once, then with a promise still out, while the others wait.
    const panicked = await fetch(`${worker.url}/debug/panic-parked`, { headers: { "x-request-id": "the-panic" } });
    const failure = await problem(assert, panicked, 500, "internal");
    assert.equal(failure.request_id, "the-panic");

    // The requests parked on the failed instance end as 500s, never hangs.
    bodyless.write(body);
    const parkedBody = await bodyless.response(10_000);
    bodyless.close();
    assert.equal(parkedBody?.status, 500, JSON.stringify(parkedBody));
    origin.release();
    await problem(assert, await upstream, 500, "internal");

    // A fresh instance: it has served nothing yet.
    assert.equal(await served(), 1, "the panic's instance was replaced");

    // Everything after it answers as ever: bodies, tokens, limits, upstreams.
    for (let round = 0; round < 3; round++) {
      const greeted = await fetch(`${worker.url}/api/greet/Ada?lang=es`, {
        method: "POST",
        headers: { ...keyed, "content-type": "application/json" },
        body: JSON.stringify({ title: "Dr." }),
      });
      assert.equal(greeted.status, 200, await greeted.clone().text());
      assert.match(await greeted.text(), /Ada/);
      assert.match(greeted.headers.get("ratelimit-policy") ?? "", /per_principal/);

      const privateKey = JSON.parse(readFileSync(new URL("../../tools/dev-token/private.jwk", import.meta.url), "utf8"));
      const iat = Math.floor(Date.now() / 1000);
      const token = signJwt({
        header: { alg: "RS256", typ: "JWT", kid: privateKey.kid },
        payload: { iss: "edgegate-dev", aud: "edgegate-dev", sub: "alice", iat, exp: iat + 600 },
        privateKey,
      });
      const me = await fetch(`${worker.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.status, 200, await me.clone().text());
      assert.equal((await me.json()).id, "alice");

      const forwarded = await fetch(`${worker.url}/origin/after-${round}`, { headers: keyed });
      assert.equal(forwarded.status, 200, await forwarded.clone().text());
      assert.equal((await forwarded.json()).url, `/base/after-${round}`);
    }
    // The panic hook's line (the worker crate's hook repeats it as "Critical Error: Rust panic: ...").
    const panics = worker.output.filter((line) => line.startsWith("panicked at"));
    assert.equal(panics.length, 1, panics.join("\n"));
    assert.equal(worker.output.filter((line) => line.startsWith("Critical Error: Rust panic")).length, 1);
    assert.ok(worker.output.some((line) => line.includes("deliberate panic from /debug/panic-parked")));
  });
});
