// examples/platform under `wrangler dev`, with a queue consumer beside it:
// handlers that await the Workers platform through the `worker` crate's own
// async APIs, several at once — what a team using workers-rs or Hono
// writes, working unchanged behind the gateway.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import { after, before, test } from "node:test";
import { freePort, problem, sleep, startWorker } from "./harness.mjs";

const KEY = "platform-key";
const SIGNING_KEY = "partner-a-signing-secret-0123456789";
let worker, origin;

before(async () => {
  // Two origin paths that answer after a delay each: joined, they take the longer, not the sum.
  const server = http.createServer((request, response) => {
    const delay = request.url === "/a" ? 400 : 300;
    setTimeout(() => response.end(`origin ${request.url}`), delay);
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  origin = server;
  worker = await startWorker({
    config: "examples/platform/wrangler.toml",
    alongside: ["consumer/wrangler.toml"],
    vars: {
      API_KEYS: JSON.stringify({ [KEY]: "team-a" }),
      SIGNATURE_KEYS: JSON.stringify({ "partner-a": SIGNING_KEY }),
      ORIGIN_A: `http://127.0.0.1:${port}/a`,
      ORIGIN_B: `http://127.0.0.1:${port}/b`,
    },
    readyPath: "/two-promises",
  });
});
after(async () => {
  await worker?.stop();
  await new Promise((resolve) => origin?.close(resolve));
});

const keyed = (init = {}) => ({ ...init, headers: { "content-type": "application/json", "x-api-key": KEY, ...init.headers } });

test("KV and R2 written at once, then read at once (futures::join! of the worker crate's futures)", async () => {
  const empty = await fetch(`${worker.url}/kv-r2/nothing-here`);
  assert.equal(empty.status, 200, await empty.clone().text());
  assert.deepEqual(await empty.json(), { kv: null, r2: null });
  const put = await fetch(`${worker.url}/kv-r2/greeting`, keyed({ method: "PUT", body: JSON.stringify({ text: "héllo ✓" }) }));
  assert.equal(put.status, 204, await put.clone().text());
  const read = await fetch(`${worker.url}/kv-r2/greeting`);
  assert.equal(read.status, 200, await read.clone().text());
  assert.deepEqual(await read.json(), { kv: "héllo ✓", r2: "héllo ✓" });
  // The gateway's rules still hold around it: a write needs a key.
  await problem(assert, await fetch(`${worker.url}/kv-r2/greeting`, { method: "PUT", body: "{}" }), 401, "unauthorized");
});

test("a route policy awaits KV as a handler does: maintenance on, 503; off, the route answers", async () => {
  assert.equal(await (await fetch(`${worker.url}/guarded`)).text(), "open");
  const flag = (text) => fetch(`${worker.url}/kv-r2/maintenance`, keyed({ method: "PUT", body: JSON.stringify({ text }) }));
  assert.equal((await flag("on")).status, 204);
  await problem(assert, await fetch(`${worker.url}/guarded`), 503, "unavailable");
  assert.equal((await flag("off")).status, 204);
  assert.equal(await (await fetch(`${worker.url}/guarded`)).text(), "open");
});

test("an RPC call on a Durable Object stub, awaited: the object counts each call", async () => {
  const name = `object-${Date.now()}`;
  const counts = [];
  for (let i = 0; i < 3; i++) {
    const counted = await fetch(`${worker.url}/object/${name}`);
    assert.equal(counted.status, 200, await counted.clone().text());
    counts.push(await counted.text());
  }
  assert.deepEqual(counts, ["1", "2", "3"]);
});

test("a D1 query through the worker crate (prepare, bind, all)", async () => {
  const sum = await fetch(`${worker.url}/d1/41`);
  assert.equal(sum.status, 200, await sum.clone().text());
  assert.deepEqual(await sum.json(), { sum: 42 });
});

test("a message sent to a Queue reaches its consumer", async () => {
  const id = `m${Date.now()}`;
  const sent = await fetch(`${worker.url}/queue`, keyed({ method: "POST", body: JSON.stringify({ id, text: "queued" }) }));
  assert.equal(sent.status, 202, await sent.clone().text());
  // The consumer stores what it got in KV; read it back through the example's route.
  const deadline = Date.now() + 30_000;
  let stored = null;
  while (Date.now() < deadline) {
    stored = (await (await fetch(`${worker.url}/kv-r2/queued:${id}`)).json()).kv;
    if (stored !== null) break;
    await sleep(250);
  }
  assert.deepEqual(JSON.parse(stored), { id, text: "queued" });
});

test("two upstream fetches joined take the longer of the two, not the sum", async () => {
  const started = Date.now();
  const joined = await fetch(`${worker.url}/join`);
  const took = Date.now() - started;
  assert.equal(joined.status, 200, await joined.clone().text());
  assert.deepEqual(await joined.json(), { a: "origin /a", b: "origin /b" });
  assert.ok(took < 650, `took ${took} ms: the fetches ran one after the other`);
});

test("select: the fast promise answers without waiting for the slow one", async () => {
  const started = Date.now();
  const raced = await fetch(`${worker.url}/race`);
  assert.equal(await raced.text(), "fast");
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test("two raw promises awaited at once through edgegate_worker::settle", async () => {
  const both = await fetch(`${worker.url}/two-promises`);
  assert.equal(both.status, 200);
  assert.equal(await both.text(), "first second");
});

test("a promise that never settles ends as the runtime's 500 at once, not a hang; the worker goes on", async () => {
  // Nothing is left for the runtime to wait on, so it ends the request
  // itself (and logs it); a future that can never be woken is the
  // gateway's own logged 500 (tests/e2e/routes.test.mjs, /debug/stuck).
  const started = Date.now();
  const never = await fetch(`${worker.url}/never`, { signal: AbortSignal.timeout(20_000) });
  assert.equal(never.status, 500);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  const deadline = Date.now() + 5000;
  const said = (line) => line.includes("GET /never 500");
  while (!worker.output.some(said) && Date.now() < deadline) await sleep(50);
  assert.ok(worker.output.some(said), worker.output.slice(-20).join("\n"));
  const next = await fetch(`${worker.url}/two-promises`);
  assert.equal(await next.text(), "first second");
});

test("a policy from outside the core: a signed body passes once, on its own setting and KV binding", async () => {
  const body = JSON.stringify({ order: Date.now() });
  const sign = (text, key = SIGNING_KEY) => `sha256=${createHmac("sha256", key).update(text).digest("hex")}`;
  const post = (signature, text = body) =>
    fetch(`${worker.url}/signed`, { method: "POST", body: text, headers: { "content-type": "application/json", ...(signature && { "x-signature": signature }) } });
  await problem(assert, await post(null), 401, "invalid-signature");
  await problem(assert, await post(sign(body, "another-key-that-nobody-was-given-0123")), 401, "invalid-signature");
  await problem(assert, await post(sign(`${body} `)), 401, "invalid-signature");
  const accepted = await post(sign(body));
  assert.equal(accepted.status, 200, await accepted.clone().text());
  assert.equal(await accepted.text(), `${Buffer.byteLength(body)} bytes signed by partner-a`);
  // Remembered in KV: the same signed request again is a replay.
  await problem(assert, await post(sign(body)), 409, "replayed-signature");
});
