// Edge caching against the real worker under `wrangler dev` (which runs the
// Cache API locally), with a recording origin behind `/origin/*` (cached
// shared, as the origin's headers say) and `/debug/mine/*` (the same policy
// per caller, rate-limited per caller). What the origin answers depends on
// the first segment of the path; the origin counts every call it gets.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, ROOT, freePort, problem, sleep, startWorker } from "./harness.mjs";

const OTHER_KEY = "other-local-key";
const KEYS = JSON.stringify({ [DEV_KEY]: "dev", [OTHER_KEY]: "other" });
const as = (key, init = {}) => ({ ...init, headers: { "x-api-key": key, ...init.headers } });
const keyed = (init) => as(DEV_KEY, init);

/** The origin's answer per first path segment (under /base): its status and headers. */
const ANSWERS = {
  public: [200, { "cache-control": "public, max-age=60" }],
  nostore: [200, { "cache-control": "no-store" }],
  private: [200, { "cache-control": "private, max-age=60" }],
  cookie: [200, { "cache-control": "max-age=60", "set-cookie": "session=1" }],
  error: [500, { "cache-control": "max-age=60" }],
  // Kept for everyone only when it says so: the caller authenticated.
  plain: [200, { "cache-control": "max-age=60" }],
  lang: [200, { "cache-control": "public, max-age=60", vary: "Accept-Language" }],
  flaky: [200, { "cache-control": "public, max-age=1, stale-if-error=60" }],
  tagged: [200, { "cache-control": "public, max-age=60", "cache-tag": "catalog" }],
  slow: [200, { "cache-control": "public, max-age=60" }],
  // Streamed without a Content-Length: passed on as it streams, not kept.
  chunked: [200, { "cache-control": "public, max-age=60" }],
  // A status that has no body: kept and served as any 2xx.
  empty: [204, { "cache-control": "public, max-age=60" }],
};

/** The origin: counts calls per path; `down` breaks every connection it gets. */
async function startOrigin() {
  const origin = { port: await freePort(), calls: new Map(), down: false };
  origin.server = http.createServer((request, response) => {
    if (origin.down) return request.socket.destroy();
    const url = new URL(request.url, "http://origin");
    const count = (origin.calls.get(url.pathname) ?? 0) + 1;
    origin.calls.set(url.pathname, count);
    const [status, headers] = ANSWERS[url.pathname.split("/")[2]] ?? [404, {}];
    const body = `${url.pathname} #${count} ${request.headers["accept-language"] ?? ""}`.trim();
    const send = () => {
      if (status === 204) return response.writeHead(status, headers).end();
      const length = url.pathname.startsWith("/base/chunked") ? {} : { "content-length": Buffer.byteLength(body) };
      response.writeHead(status, { "content-type": "text/plain", ...length, ...headers });
      response.end(body);
    };
    if (url.pathname.startsWith("/base/slow")) setTimeout(send, 400);
    else send();
  });
  await new Promise((resolve) => origin.server.listen(origin.port, "127.0.0.1", resolve));
  origin.callsTo = (pathname) => origin.calls.get(`/base${pathname}`) ?? 0;
  return origin;
}

/** A token the development provider signs, granting `scope`. */
function token(sub, scope) {
  const made = spawnSync(process.execPath, [path.join(ROOT, "tools/dev-token/token.mjs"), "--sub", sub, "--scope", scope], {
    encoding: "utf8",
  });
  assert.equal(made.status, 0, made.stderr);
  return made.stdout.trim();
}

async function get(url, init) {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.text(), cache: response.headers.get("cache-status") ?? "", headers: response.headers };
}

describe("edge caching", () => {
  let origin, worker;
  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({
      vars: {
        API_KEYS: KEYS,
        UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${origin.port}/base` }),
        CACHE_POLICIES: JSON.stringify({ origin: { vary: ["Accept-Language"], memory: 3 } }),
        DEBUG_ROUTES: "true",
      },
    });
  });
  after(async () => {
    await worker?.stop();
    origin?.server.close();
    origin?.server.closeAllConnections();
  });

  test("a 204 reaches the runtime's cache like any other 2xx", async () => {
    // Kept, not passed on as `size` for the length it does not declare.
    // (wrangler dev's local cache then drops a body-less entry; the host
    // tests show the hit.)
    const first = await get(`${worker.url}/origin/empty/x`, keyed());
    assert.equal(first.status, 204);
    assert.equal(first.body, "");
    assert.match(first.cache, /^edgegate; fwd=miss; stored; key=/);
  });

  test("a second GET is served without an origin call and says hit, with Age", async () => {
    const first = await get(`${worker.url}/origin/public/a?b=2&a=1`, keyed());
    assert.equal(first.status, 200);
    assert.match(first.cache, /^edgegate; fwd=miss; stored; key=/);
    // Within the policy's `memory` seconds: from the isolate's memory.
    const second = await get(`${worker.url}/origin/public/a?a=1&b=2&key=${DEV_KEY}`);
    assert.equal(second.status, 200);
    assert.match(second.cache, /^edgegate; hit; ttl=\d+; detail=memory; key=/);
    assert.equal(second.body, first.body, "the same answer, by the sorted query and without the key parameter");
    assert.ok(Number(second.headers.get("age")) >= 0);
    assert.equal(second.headers.get("content-type"), first.headers.get("content-type"));
    const log = await worker.logFor(second.headers.get("x-request-id"));
    assert.equal(log.cache, "hit");
    // After it: from the runtime's Cache API, then held in memory again.
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const third = await get(`${worker.url}/origin/public/a?a=1&b=2`, keyed());
    assert.match(third.cache, /^edgegate; hit; ttl=\d+; key=/);
    assert.equal(third.body, first.body);
    const fourth = await get(`${worker.url}/origin/public/a?a=1&b=2`, keyed());
    assert.match(fourth.cache, /^edgegate; hit; ttl=\d+; detail=memory; key=/);
    assert.equal(fourth.body, first.body);
    assert.equal(origin.callsTo("/public/a"), 1);
  });

  test("no-store, private, Set-Cookie, 500, not public to a caller, or unmeasured answers are never stored", async () => {
    const cases = [["nostore", 200, "no-store"], ["private", 200, "private"], ["cookie", 200, "set-cookie"], ["error", 500, "status"], ["plain", 200, "authenticated"], ["chunked", 200, "size"]];
    for (const [name, status, why] of cases) {
      const first = await get(`${worker.url}/origin/${name}/x`, keyed());
      assert.equal(first.status, status, name);
      assert.equal(first.cache, `edgegate; fwd=miss; detail=${why}`, name);
      assert.match(first.body, new RegExp(`^/base/${name}/x #1`), "the answer itself is passed on whole");
      const second = await get(`${worker.url}/origin/${name}/x`, keyed());
      assert.doesNotMatch(second.cache, /hit/, `${name}: ${second.cache}`);
      assert.equal(origin.callsTo(`/${name}/x`), 2, name);
    }
  });

  test("Vary on a header the policy names splits the entries", async () => {
    const es = await get(`${worker.url}/origin/lang/x`, keyed({ headers: { "accept-language": "es" } }));
    const en = await get(`${worker.url}/origin/lang/x`, keyed({ headers: { "accept-language": "en" } }));
    assert.match(es.cache, /stored/);
    assert.match(en.cache, /stored/);
    const esAgain = await get(`${worker.url}/origin/lang/x`, keyed({ headers: { "accept-language": "es" } }));
    assert.match(esAgain.cache, /hit/);
    assert.equal(esAgain.body, "/base/lang/x #1 es");
    // Node's fetch sends `Accept-Language: *` by default: another entry again.
    assert.match((await get(`${worker.url}/origin/lang/x`, keyed())).cache, /stored/);
    assert.equal(origin.callsTo("/lang/x"), 3);
  });

  test("per-caller entries never cross callers", async () => {
    const alice = await get(`${worker.url}/debug/mine/private/me`, as(DEV_KEY));
    const bob = await get(`${worker.url}/debug/mine/private/me`, as(OTHER_KEY));
    assert.match(alice.cache, /stored/);
    assert.match(bob.cache, /fwd=miss; stored/, "the other caller's entry is not this one's");
    assert.notEqual(alice.body, bob.body);
    const aliceAgain = await get(`${worker.url}/debug/mine/private/me`, as(DEV_KEY));
    assert.match(aliceAgain.cache, /hit/);
    assert.equal(aliceAgain.body, alice.body);
    assert.equal(origin.callsTo("/private/me"), 2);
  });

  test("a refused caller is refused even when an entry exists", async () => {
    const stored = await get(`${worker.url}/origin/public/guarded`, keyed());
    assert.match(stored.cache, /stored/);
    const none = await fetch(`${worker.url}/origin/public/guarded`);
    await problem(assert, none, 401, "unauthorized");
    assert.equal(none.headers.get("cache-status"), null);
    await problem(assert, await fetch(`${worker.url}/origin/public/guarded`, as("wrong-key")), 401, "unauthorized");
    // A token without the scope the purge route asks for is a 403.
    const unscoped = await fetch(`${worker.url}/cache/origin/purge`, {
      method: "POST",
      headers: { authorization: `Bearer ${token("ops", "items:write")}`, "content-type": "application/json" },
      body: JSON.stringify({ tags: ["catalog"] }),
    });
    await problem(assert, unscoped, 403, "insufficient-scope");
    // Over the per-caller limit (PER_PRINCIPAL: 100 a minute), a cached path is still 429.
    let limited = null;
    // Up to two windows' worth: the local limiter counts in fixed minutes,
    // and a minute may turn while this runs.
    for (let i = 0; i < 250 && limited === null; i++) {
      const response = await fetch(`${worker.url}/debug/mine/public/limited`, as(OTHER_KEY));
      if (response.status === 429) limited = response;
      else {
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }
    }
    assert.ok(limited, "the limiter refused within 250 requests");
    assert.equal(limited.headers.get("cache-status"), null, "the cache was never reached");
    await problem(assert, limited, 429, "rate-limited");
    assert.equal(origin.callsTo("/public/limited"), 1);
    assert.equal(origin.callsTo("/public/guarded"), 1);
  });

  test("a stale entry stands in for an origin that is down, within stale-if-error", async () => {
    const fresh = await get(`${worker.url}/origin/flaky/x`, keyed());
    assert.match(fresh.cache, /stored/);
    await sleep(1500);
    origin.down = true;
    try {
      const stale = await get(`${worker.url}/origin/flaky/x`, keyed());
      assert.equal(stale.status, 200, stale.body);
      assert.equal(stale.body, fresh.body);
      assert.match(stale.cache, /^edgegate; hit; fwd=stale; fwd-status=502; detail=stale-if-error/);
      // Nothing cached under another path: the failure is the client's to see, as a 502.
      const none = await fetch(`${worker.url}/origin/flaky/y`, keyed());
      await problem(assert, none, 502, "upstream-unreachable");
    } finally {
      origin.down = false;
    }
  });

  test("purge by key and by tag", async () => {
    const purger = { authorization: `Bearer ${token("ops", "cache:purge")}`, "content-type": "application/json" };
    const purge = (body) => fetch(`${worker.url}/cache/origin/purge`, { method: "POST", headers: purger, body: JSON.stringify(body) });
    const one = await get(`${worker.url}/origin/public/purged`, keyed());
    const key = JSON.parse(one.cache.slice(one.cache.indexOf("key=") + 4));
    assert.match((await get(`${worker.url}/origin/public/purged`, keyed())).cache, /hit/);
    const byKey = await purge({ keys: [key] });
    assert.equal(byKey.status, 200, `${key}: ${await byKey.clone().text()}`);
    assert.deepEqual(await byKey.json(), { keys_removed: 1, keys_named: 1, tags_purged: [] });
    assert.match((await get(`${worker.url}/origin/public/purged`, keyed())).cache, /fwd=miss/);
    assert.equal(origin.callsTo("/public/purged"), 2);

    for (const p of ["/tagged/1", "/tagged/2"]) assert.match((await get(`${worker.url}/origin${p}`, keyed())).cache, /stored/);
    assert.match((await get(`${worker.url}/origin/tagged/1`, keyed())).cache, /hit/);
    const byTag = await purge({ tags: ["catalog"] });
    assert.equal(byTag.status, 200);
    for (const p of ["/tagged/1", "/tagged/2"]) assert.match((await get(`${worker.url}/origin${p}`, keyed())).cache, /fwd=miss/, p);
    assert.equal(origin.callsTo("/tagged/1"), 2);

    // Anything wrong refuses the whole purge: another host's key, a bad tag, an unknown field.
    const absolute = `https://elsewhere.example${key}`;
    for (const body of [{ keys: [absolute] }, { keys: ["/.edgegate-cache/tag/catalog"] }, { tags: ["bad tag"] }, { keys: [], tags: [], all: true }, {}]) {
      await problem(assert, await purge(body), 422, "invalid-body");
    }
    await problem(assert, await fetch(`${worker.url}/cache/origin/purge`, { method: "POST", headers: purger, body: "{" }), 400, "malformed-json");
  });

  test("50 concurrent misses for one key make one origin call", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => get(`${worker.url}/origin/slow/x`, keyed())));
    assert.ok(results.every((r) => r.status === 200 && r.body.startsWith("/base/slow/x #1 ")), JSON.stringify(results.map((r) => r.body)));
    assert.equal(origin.callsTo("/slow/x"), 1);
    assert.equal(results.filter((r) => /stored/.test(r.cache)).length, 1);
  });

  test("other methods pass to the origin and say so; a successful one removes its target's entry", async () => {
    const first = await get(`${worker.url}/origin/public/changing`, keyed());
    assert.match(first.cache, /stored/);
    assert.match((await get(`${worker.url}/origin/public/changing`, keyed())).cache, /^edgegate; hit/);
    const response = await fetch(`${worker.url}/origin/public/changing`, keyed({ method: "DELETE" }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-status"), "edgegate; fwd=method; detail=invalidated");
    const after = await get(`${worker.url}/origin/public/changing`, keyed());
    assert.match(after.cache, /^edgegate; fwd=miss; stored/);
    assert.equal(origin.callsTo("/public/changing"), 3, "the GET, the DELETE, the GET after it");
  });
});
