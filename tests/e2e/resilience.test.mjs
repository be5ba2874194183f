// Upstream resilience against the real worker under `wrangler dev`: the
// app's `origin` upstream given two recording origins on free ports through
// UPSTREAMS. One stops mid-test and GETs go on without a client-visible
// error; a POST that reached a failing target is not sent again; both
// stopped is a quick 503; a restarted origin is used again after its
// back-off. Then a canary's share over 1000 requests.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, freePort, problem, sleep, startWorker } from "./harness.mjs";

const KEYS = JSON.stringify({ [DEV_KEY]: "dev" });
const keyed = (init = {}) => ({ ...init, headers: { "x-api-key": DEV_KEY, ...init.headers } });

/** An origin on a port of its own that records what it got; `/base/busy` answers 503 when `busy`. */
async function startOrigin(name, port) {
  port ??= await freePort();
  const origin = { name, port, seen: [], busy: false, server: null };
  origin.start = async () => {
    origin.server = http.createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        origin.seen.push({ method: request.method, url: request.url });
        if (request.url.startsWith("/base/busy") && origin.busy) {
          response.writeHead(503, { "content-type": "text/plain" });
          return response.end(`${name} busy`);
        }
        response.writeHead(200, { "content-type": "text/plain" });
        response.end(name);
      });
    });
    await new Promise((resolve) => origin.server.listen(port, "127.0.0.1", resolve));
  };
  origin.stop = () =>
    new Promise((resolve) => {
      origin.server.close(resolve);
      origin.server.closeAllConnections();
    });
  await origin.start();
  return origin;
}

/** `n` requests, `concurrency` at a time; their statuses and bodies. */
async function many(url, n, init, concurrency = 16) {
  const results = [];
  for (let sent = 0; sent < n; sent += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - sent) }, async () => {
      const response = await fetch(url, init);
      return { status: response.status, body: await response.text(), id: response.headers.get("x-request-id") };
    });
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

describe("an upstream with two targets", () => {
  let a, b, worker;
  before(async () => {
    [a, b] = [await startOrigin("a"), await startOrigin("b")];
    const origin = {
      targets: [`http://127.0.0.1:${a.port}/base`, `http://127.0.0.1:${b.port}/base`],
      eject_after: 2,
      eject_ms: 2000,
      max_eject_ms: 2000,
    };
    worker = await startWorker({ vars: { API_KEYS: KEYS, UPSTREAMS: JSON.stringify({ origin }) } });
  });
  after(async () => {
    await worker?.stop();
    for (const origin of [a, b]) if (origin?.server.listening) await origin.stop();
  });

  test("both share the requests", async () => {
    const results = await many(`${worker.url}/origin/items`, 60, keyed());
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    const fromA = results.filter((r) => r.body === "a").length;
    assert.ok(fromA > 10 && fromA < 50, `a answered ${fromA} of 60 (weights 1:1)`);
  });

  test("a POST that reached a failing target is never sent again; a GET fails over", async () => {
    a.busy = true;
    const before = { a: a.seen.length, b: b.seen.length };
    const posts = await many(`${worker.url}/origin/busy`, 20, keyed({ method: "POST", body: "{}", headers: { "content-type": "application/json" } }), 1);
    const refused = posts.filter((r) => r.status === 503);
    assert.ok(refused.length >= 1 && refused.length <= 2, `a answered ${refused.length} POSTs before it was ejected`);
    assert.ok(refused.every((r) => r.body === "a busy"), "the target's own answer, passed through");
    const postsTo = (origin, since) => origin.seen.slice(since).filter((s) => s.method === "POST").length;
    assert.equal(postsTo(a, before.a), refused.length);
    assert.equal(postsTo(b, before.b), 20 - refused.length, "no POST reached both");
    await sleep(2100);
    const gets = await many(`${worker.url}/origin/busy`, 20, keyed(), 1);
    assert.ok(gets.every((r) => r.status === 200 && r.body === "b"), JSON.stringify(gets));
    a.busy = false;
    await sleep(2100);
  });

  test("with one origin stopped, GETs go on without an error", async () => {
    await a.stop();
    const results = await many(`${worker.url}/origin/items`, 40, keyed(), 4);
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => 200),
      JSON.stringify(results.filter((r) => r.status !== 200)),
    );
    assert.ok(results.every((r) => r.body === "b"));
    const logs = await Promise.all(results.map((r) => worker.logFor(r.id)));
    const failedOver = logs.filter((log) => log.upstream_tries === 2);
    assert.ok(failedOver.length >= 1, "at least one request met the stopped origin");
    for (const log of failedOver) {
      assert.equal(log.upstream_target, `http://127.0.0.1:${b.port}/base`);
      assert.match(log.upstream_skipped, new RegExp(`127\\.0\\.0\\.1:${a.port}/base: unreachable`));
    }
  });

  test("with both stopped the answer is a 503 at once, and a restarted origin comes back after its back-off", async () => {
    await b.stop();
    // Until each target has failed twice (502s), then 503s without a call.
    let response, elapsed;
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      response = await fetch(`${worker.url}/origin/items`, keyed());
      elapsed = Date.now() - started;
      if (response.status === 503) break;
      assert.equal(response.status, 502, await response.text());
    }
    await problem(assert, response, 503, "upstream-unavailable");
    assert.ok(Number(response.headers.get("retry-after")) >= 1);
    assert.ok(elapsed < 1000, `answered in ${elapsed} ms`);

    await a.start();
    const seen = a.seen.length;
    await sleep(2100);
    const back = await fetch(`${worker.url}/origin/items`, keyed());
    assert.equal(back.status, 200);
    assert.equal(await back.text(), "a");
    assert.equal(a.seen.length, seen + 1, "the half-open trial reached it");
    const results = await many(`${worker.url}/origin/items`, 10, keyed());
    assert.ok(results.every((r) => r.status === 200 && r.body === "a"), "b is still down and ejected");
  });
});

describe("a canary", () => {
  let stable, canary, worker;
  before(async () => {
    [stable, canary] = [await startOrigin("stable"), await startOrigin("canary")];
    const upstreams = {
      origin: {
        targets: [`http://127.0.0.1:${stable.port}/base`],
        canary: { upstream: "origin_next", percent: 20, header: "x-canary: always" },
      },
      origin_next: `http://127.0.0.1:${canary.port}/base`,
    };
    worker = await startWorker({ vars: { API_KEYS: KEYS, UPSTREAMS: JSON.stringify(upstreams) } });
  });
  after(async () => {
    await worker?.stop();
    await stable?.stop();
    await canary?.stop();
  });

  test("takes its share of 1000 requests within binomial tolerance, and every request its rule names", async () => {
    const n = 1000;
    const results = await many(`${worker.url}/origin/items`, n, keyed(), 20);
    assert.ok(results.every((r) => r.status === 200));
    const share = results.filter((r) => r.body === "canary").length;
    // p = 0.2: four standard deviations (≈ 12.6 each) either side of 200.
    const sd = Math.sqrt(n * 0.2 * 0.8);
    assert.ok(Math.abs(share - 200) < 4 * sd, `the canary took ${share} of ${n}`);
    const ruled = await many(`${worker.url}/origin/items`, 20, keyed({ headers: { "x-canary": "always" } }));
    assert.ok(ruled.every((r) => r.body === "canary"));
    const log = await worker.logFor(ruled[0].id);
    assert.equal(log.upstream, "origin_next");
    assert.equal(log.upstream_target, `http://127.0.0.1:${canary.port}/base`);
  });
});
