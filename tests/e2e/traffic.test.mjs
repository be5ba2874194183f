// Traffic control against the real worker under `wrangler dev`, which
// simulates the rate-limit bindings and runs the quota Durable Object with
// SQLite storage: bursts past a limit, buckets per key and per address,
// free preflights, exact quotas under concurrency, a quota that survives a
// restart, and a per-minute quota that resets.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, FRONTEND, problem, sleep, startWorker } from "./harness.mjs";

// wrangler.toml: PER_PRINCIPAL 100 per 60 s, PER_CLIENT 600 per 60 s.
const PER_PRINCIPAL = 100;
const PER_CLIENT = 600;
const KEYS = { [DEV_KEY]: "dev", "other-key": "other", "concurrent-key": "concurrent", "restart-key": "restarted", "minute-key": "minutely" };
const QUOTAS = {
  default: { per_day: 10000 },
  "api_key:concurrent": { per_day: 50 },
  "api_key:restarted": { per_day: 5 },
  "api_key:minutely": { per_minute: 2 },
};
const vars = { API_KEYS: JSON.stringify(KEYS), QUOTAS: JSON.stringify(QUOTAS) };

/** Waits until at least `seconds` are left in the current minute: the limiter's windows are aligned to it. */
async function roomInMinute(seconds) {
  const left = 60 - ((Date.now() / 1000) % 60);
  if (left < seconds) await sleep(left * 1000 + 200);
  return Math.floor(Date.now() / 60000);
}

/** Sends `count` requests with at most `parallel` in flight; answers their statuses and headers. */
async function burst(url, init, count, parallel = 16) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        const response = await fetch(url, init);
        await response.arrayBuffer();
        results.push({ status: response.status, headers: response.headers });
      }
    }),
  );
  return results;
}

describe("traffic control", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars });
  });
  after(async () => worker?.stop());

  test("a burst past the per-principal limit gets exactly the limit's 2xx, then 429s a client can act on; preflights are free", async () => {
    const minute = await roomInMinute(25);
    // Preflights first: had they counted, the burst would get fewer than the limit.
    const preflights = await burst(
      `${worker.url}/api/hello`,
      { method: "OPTIONS", headers: { origin: FRONTEND, "access-control-request-method": "GET", "access-control-request-headers": "x-api-key" } },
      150,
    );
    assert.ok(preflights.every((r) => r.status === 204));
    const results = await burst(`${worker.url}/api/hello`, { headers: { "x-api-key": DEV_KEY } }, PER_PRINCIPAL + 20);
    assert.equal(Math.floor(Date.now() / 60000), minute, "the burst stayed within one window");
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, PER_PRINCIPAL);
    assert.equal(results.filter((r) => r.status === 429).length, 20);
    for (const r of results) assert.match(r.headers.get("ratelimit-policy"), /^"per_principal";q=100;w=60, "quota-day";q=10000;w=86400$/);

    // From the browser's allowed origin: the 429 with CORS headers that expose the limits.
    const refused = await fetch(`${worker.url}/api/hello`, { headers: { "x-api-key": DEV_KEY, origin: FRONTEND } });
    const body = await problem(assert, refused, 429, "rate-limited");
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(body.retry_after, retryAfter);
    assert.equal(refused.headers.get("access-control-allow-origin"), FRONTEND);
    assert.deepEqual(refused.headers.get("access-control-expose-headers").split(", ").slice(1), ["ratelimit", "ratelimit-policy", "retry-after", "location", "idempotent-replayed", "server-timing"]);
    const log = await worker.logFor(refused.headers.get("x-request-id"));
    assert.deepEqual([log.status, log.limit, log.principal, log.problem], [429, "rate_limit:PER_PRINCIPAL", "dev", "rate-limited"]);

    // Still refused, a preflight is answered as ever.
    const preflight = await fetch(`${worker.url}/api/hello`, {
      method: "OPTIONS",
      headers: { origin: FRONTEND, "access-control-request-method": "GET" },
    });
    assert.equal(preflight.status, 204);
    // Another key has its own bucket; public routes are not this limit's.
    assert.equal((await fetch(`${worker.url}/api/hello`, { headers: { "x-api-key": "other-key" } })).status, 200);
    assert.equal((await fetch(`${worker.url}/hello`)).status, 200);
  });

  test("public reads are counted per CF-Connecting-IP", async () => {
    const minute = await roomInMinute(30);
    const from = (ip) => ({ headers: { "cf-connecting-ip": ip } });
    const results = await burst(`${worker.url}/items`, from("203.0.113.50"), PER_CLIENT + 5, 24);
    assert.equal(Math.floor(Date.now() / 60000), minute, "the burst stayed within one window");
    assert.equal(results.filter((r) => r.status === 200).length, PER_CLIENT);
    assert.equal(results.filter((r) => r.status === 429).length, 5);
    assert.equal(results[0].headers.get("ratelimit-policy"), '"per_client";q=600;w=60');
    await problem(assert, await fetch(`${worker.url}/items/1`, from("203.0.113.50")), 429, "rate-limited");
    // Another address, and the same address's writes (counted per principal), go on.
    assert.equal((await fetch(`${worker.url}/items`, from("203.0.113.51"))).status, 200);
  });

  test("a quota of N under 64 concurrent connections admits exactly N", async () => {
    const objects = () => quotaObjects(worker.persist);
    const before = new Set(objects());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const { port } = new URL(worker.url);
    const one = () =>
      new Promise((resolve, reject) => {
        const request = http.get({ host: "127.0.0.1", port, path: "/api/hello", agent, headers: { "x-api-key": "concurrent-key" } }, (response) => {
          response.resume();
          response.on("end", () => resolve({ status: response.statusCode, ratelimit: response.headers["ratelimit"] }));
        });
        request.on("error", reject);
      });
    const results = await Promise.all(Array.from({ length: 90 }, one));
    agent.destroy();
    const admitted = results.filter((r) => r.status === 200);
    assert.equal(admitted.length, 50);
    assert.equal(results.filter((r) => r.status === 429).length, 40);
    // Each admitted request saw its own count: 49 left, 48, ..., 0, each once.
    const left = admitted.map((r) => Number(/^"quota-day";r=(\d+);t=\d+$/.exec(r.ratelimit)[1])).sort((a, b) => a - b);
    assert.deepEqual(left, Array.from({ length: 50 }, (_, i) => i));
    // The object's own count, in its SQLite storage.
    const created = objects().filter((file) => !before.has(file));
    assert.equal(created.length, 1, `one new quota object: ${created}`);
    assert.equal(countIn(created[0], 86400), 50);
  });

  test("a quota survives a restart of the worker (Durable Object storage)", async () => {
    const call = (w) => fetch(`${w.url}/api/hello`, { headers: { "x-api-key": "restart-key" } });
    for (let i = 0; i < 3; i++) assert.equal((await call(worker)).status, 200);
    await worker.stop();
    worker = await startWorker({ vars, persist: worker.persist, migrate: false });
    assert.equal((await call(worker)).status, 200);
    const last = await call(worker);
    assert.equal(last.status, 200);
    assert.match(last.headers.get("ratelimit"), /^"quota-day";r=0;t=\d+$/);
    const refused = await call(worker);
    await problem(assert, refused, 429, "quota-exceeded");
    const log = await worker.logFor(refused.headers.get("x-request-id"));
    assert.equal(log.limit, "quota:day");
  });

  test("a per-minute quota resets after its window", async () => {
    await roomInMinute(5);
    const call = () => fetch(`${worker.url}/api/hello`, { headers: { "x-api-key": "minute-key" } });
    assert.equal((await call()).status, 200);
    assert.equal((await call()).status, 200);
    const refused = await call();
    await problem(assert, refused, 429, "quota-exceeded");
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.match(refused.headers.get("ratelimit"), new RegExp(`^"quota-minute";r=0;t=${retryAfter}$`));
    await sleep(retryAfter * 1000 + 500);
    const again = await call();
    assert.equal(again.status, 200);
    assert.match(again.headers.get("ratelimit"), /^"quota-minute";r=1;t=\d+$/);
  });
});

describe("misconfigured traffic control", () => {
  test("a malformed QUOTAS (a bare name, which could be a consumer or a subject) fails closed at start with the misconfiguration 500", async () => {
    const worker = await startWorker({ vars: { QUOTAS: JSON.stringify({ dev: { per_day: 5 } }) } });
    try {
      await problem(assert, await fetch(`${worker.url}/hello`), 500, "misconfigured");
      const deadline = Date.now() + 5000;
      const logged = () => worker.output.some((line) => line.includes("QUOTAS: `dev`: an entry names `api_key:<consumer>` or `jwt:<provider>:<subject>`"));
      while (!logged() && Date.now() < deadline) await sleep(100);
      assert.ok(logged(), worker.output.join("\n"));
    } finally {
      await worker.stop();
    }
  });
});

/** The quota objects' SQLite files under a wrangler persist directory. */
function quotaObjects(persist) {
  const root = path.join(persist, "v3", "do");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((dir) => dir.endsWith("QuotaCounter"))
    .flatMap((dir) => readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".sqlite")).map((f) => path.join(root, dir, f)));
}

/** What a quota object has counted in its window of `seconds`. */
function countIn(file, seconds) {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare("SELECT count FROM windows WHERE seconds = ?").get(seconds)?.count;
  } finally {
    db.close();
  }
}
