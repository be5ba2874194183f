// A real browser: a page on http://localhost:5173 calls the worker with fetch
// (a public GET, a keyed JSON POST that needs a preflight, a 401 it can read,
// a bearer token), and a page on a disallowed origin finds its call blocked
// by the browser.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { signJwt } from "../../tools/jwt.mjs";
import { DEV_KEY, ROOT, freePort, startWorker } from "./harness.mjs";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>edgegate browser test</title>
<script type="module">
  const api = new URLSearchParams(location.search).get("api");
  const results = {};
  try {
    const hello = await fetch(api + "/hello");
    results.publicGet = { status: hello.status, body: await hello.text(), requestId: hello.headers.get("x-request-id") };
    const greet = await fetch(api + "/api/greet/Alice?lang=es", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "${DEV_KEY}", "x-request-id": "browser-greet-1" },
      body: JSON.stringify({ title: "Dr." }),
    });
    results.keyedPost = { status: greet.status, body: await greet.json() };
    const refused = await fetch(api + "/api/hello");
    results.unauthorized = { status: refused.status, body: await refused.json() };
    // A create with an idempotency key, twice: the key and the answer's
    // Location and replay mark cross CORS.
    const key = "browser-create-" + Math.random().toString(36).slice(2);
    const createWith = () =>
      fetch(api + "/items", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "${DEV_KEY}", "idempotency-key": key },
        body: JSON.stringify({ name: "from a page" }),
      });
    const created = await createWith();
    const replayed = await createWith();
    results.created = {
      status: created.status,
      location: created.headers.get("location"),
      replayStatus: replayed.status,
      replayLocation: replayed.headers.get("location"),
      replayed: replayed.headers.get("idempotent-replayed"),
    };
  } catch (error) {
    results.error = String(error);
  }
  window.__results = results;
</script>`;

// Reads Server-Timing from a keyed call (CORS exposes it while it is on).
const TIMING_PAGE = `<!doctype html>
<script type="module">
  const params = new URLSearchParams(location.search);
  try {
    const keyed = await fetch(params.get("api") + "/api/hello", { headers: { "x-api-key": params.get("key") } });
    const open = await fetch(params.get("api") + "/hello");
    window.__results = { status: keyed.status, timing: keyed.headers.get("server-timing"), open: open.headers.get("server-timing") };
  } catch (error) {
    window.__results = { error: String(error) };
  }
</script>`;

// Calls /api/me with the token it is given: Authorization makes the browser preflight.
const BEARER_PAGE = `<!doctype html>
<script type="module">
  const params = new URLSearchParams(location.search);
  try {
    const me = await fetch(params.get("api") + "/api/me", {
      headers: { authorization: "Bearer " + params.get("token"), "x-request-id": "browser-me-1" },
    });
    window.__results = { status: me.status, body: await me.json() };
  } catch (error) {
    window.__results = { error: String(error) };
  }
</script>`;

const DISALLOWED_PAGE = `<!doctype html>
<script type="module">
  const api = new URLSearchParams(location.search).get("api");
  try {
    const response = await fetch(api + "/hello");
    window.__results = { blocked: false, status: response.status };
  } catch (error) {
    window.__results = { blocked: true, error: String(error) };
  }
</script>`;

// The page calls an upstream route cross-origin: the origin behind it sends
// its own `Access-Control-Allow-Origin: *`, which the gateway replaces.
const ORIGIN_PAGE = `<!doctype html>
<script type="module">
  const api = new URLSearchParams(location.search).get("api");
  try {
    const response = await fetch(api + "/origin/greeting?x=1", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "${DEV_KEY}", "x-request-id": "browser-origin-1" },
      body: JSON.stringify({ hello: "origin" }),
    });
    window.__results = { status: response.status, body: await response.json(), requestId: response.headers.get("x-request-id") };
  } catch (error) {
    window.__results = { error: String(error) };
  }
</script>`;

/** Serves `pages` (path → HTML) on localhost:`port`. */
function serve(port, pages) {
  const server = http.createServer((request, response) => {
    const html = pages[new URL(request.url, "http://localhost").pathname];
    if (html === undefined) return response.writeHead(404).end();
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, () => resolve(server));
  });
}

let worker, frontend, stranger, strangerPort, browser, origin;
const originSeen = [];

/** A token the dev provider accepts: signed with the committed dev key (tools/dev-token). */
function devToken(sub) {
  const key = JSON.parse(readFileSync(path.join(ROOT, "tools", "dev-token", "private.jwk"), "utf8"));
  const iat = Math.floor(Date.now() / 1000);
  const payload = { iss: "edgegate-dev", aud: "edgegate-dev", sub, iat, exp: iat + 600 };
  return signJwt({ header: { alg: "RS256", typ: "JWT", kid: key.kid }, payload, privateKey: key });
}

before(async () => {
  // The committed example, not a local .dev.vars that may predate its dev token provider.
  // An origin for /origin/*: it answers with what it received, and a CORS header of its own.
  origin = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      originSeen.push({ method: request.method, url: request.url, headers: request.headers, body });
      response.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" });
      response.end(JSON.stringify({ method: request.method, url: request.url, body }));
    });
  });
  const originPort = await freePort();
  await new Promise((resolve) => origin.listen(originPort, "127.0.0.1", resolve));
  worker = await startWorker({
    envFile: path.join(ROOT, ".dev.vars.example"),
    vars: { UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${originPort}/app` }) },
  });
  frontend = await serve(5173, { "/": PAGE, "/bearer": BEARER_PAGE, "/origin": ORIGIN_PAGE, "/timing": TIMING_PAGE });
  strangerPort = await freePort();
  stranger = await serve(strangerPort, { "/": DISALLOWED_PAGE });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  frontend?.close();
  stranger?.close();
  origin?.close();
  await worker?.stop();
});

async function resultsOf(url) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 30_000 });
    return await page.evaluate(() => window.__results);
  } finally {
    await page.close();
  }
}

test("a page on an allowed origin calls public and keyed routes", async () => {
  const results = await resultsOf(`http://localhost:5173/?api=${encodeURIComponent(worker.url)}`);
  assert.equal(results.error, undefined, results.error);
  assert.deepEqual(results.publicGet.status, 200);
  assert.equal(results.publicGet.body, "Hello, World!");
  assert.match(results.publicGet.requestId, /^[0-9a-f]{32}$/, "x-request-id is exposed to the page");
  assert.deepEqual(results.keyedPost, { status: 200, body: { message: "Hola, Dr. Alice!" } });
  assert.equal(results.unauthorized.status, 401);
  assert.equal(results.unauthorized.body.type, "urn:edgegate:problem:unauthorized");
  // The Idempotency-Key passed the preflight; Location and the replay mark are readable.
  assert.equal(results.created.status, 201);
  assert.match(results.created.location, /^\/items\/\d+$/);
  assert.equal(results.created.replayStatus, 201);
  assert.equal(results.created.replayLocation, results.created.location);
  assert.equal(results.created.replayed, "true");

  // The keyed JSON POST was preflighted by the browser, and the preflight passed without a key.
  const post = await worker.logFor("browser-greet-1");
  assert.equal(post.principal, "dev");
  assert.equal(post.scheme, "api_key");
  const preflights = worker.accessLogs().filter((e) => e.method === "OPTIONS" && e.route === "/api/greet/{name}");
  assert.ok(preflights.length >= 1, "the browser sent a preflight");
  assert.ok(preflights.every((e) => e.status === 204 && !("principal" in e)));
});

test("a page on an allowed origin calls /api/me with a dev bearer token", async () => {
  const token = devToken("browser-alice");
  const results = await resultsOf(`http://localhost:5173/bearer?api=${encodeURIComponent(worker.url)}&token=${token}`);
  assert.equal(results.error, undefined, results.error);
  assert.equal(results.status, 200, JSON.stringify(results.body));
  assert.equal(results.body.id, "browser-alice");
  assert.equal(results.body.scheme, "jwt");
  assert.equal(results.body.provider, "firebase");

  const call = await worker.logFor("browser-me-1");
  assert.equal(call.principal, "browser-alice");
  assert.equal(call.scheme, "jwt");
  const preflights = worker.accessLogs().filter((e) => e.method === "OPTIONS" && e.route === "/api/me");
  assert.ok(preflights.length >= 1, "the browser sent a preflight");
  assert.ok(preflights.every((e) => e.status === 204 && !("principal" in e)));
});

test("a page on an allowed origin calls an upstream route, preflighted, with the gateway's CORS", async () => {
  const results = await resultsOf(`http://localhost:5173/origin?api=${encodeURIComponent(worker.url)}`);
  assert.equal(results.error, undefined, results.error);
  assert.equal(results.status, 200);
  assert.deepEqual(results.body, { method: "POST", url: "/app/greeting?x=1", body: '{"hello":"origin"}' });
  assert.equal(results.requestId, "browser-origin-1");
  // The origin got the call, without the key, with the principal header.
  const received = originSeen.find((r) => r.headers["x-request-id"] === "browser-origin-1");
  assert.equal(received.headers["x-api-key"], undefined);
  assert.ok(received.headers["x-edgegate-principal"]);
  // The preflight was the gateway's: it never reached the origin.
  assert.ok(originSeen.every((r) => r.method !== "OPTIONS"));
  const preflights = worker.accessLogs().filter((e) => e.method === "OPTIONS" && e.route === "/origin/{*rest}");
  assert.ok(preflights.length >= 1, "the browser sent a preflight");
});

test("a page on an allowed origin reads Server-Timing of its authenticated calls", async () => {
  const results = await resultsOf(`http://localhost:5173/timing?api=${encodeURIComponent(worker.url)}&key=${DEV_KEY}`);
  assert.equal(results.error, undefined, results.error);
  assert.equal(results.status, 200);
  assert.match(results.timing, /^auth;dur=\d+\.\d, (policy;dur=\d+\.\d, )?app;dur=\d+\.\d, total;dur=\d+\.\d$/);
  assert.equal(results.open, null, "an anonymous call is told nothing");
});

test("a page on a disallowed origin is blocked by the browser", async () => {
  const results = await resultsOf(`http://localhost:${strangerPort}/?api=${encodeURIComponent(worker.url)}`);
  assert.equal(results.blocked, true, JSON.stringify(results));
  assert.match(results.error, /TypeError|Failed to fetch/);
});
