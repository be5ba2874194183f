// The items API on local D1, against the real worker under wrangler dev.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { ROOT, TOOL_ENV, WRANGLER } from "../../tools/local.mjs";
import { DEV_KEY, problem, startWorker } from "./harness.mjs";

const JSON_HEADERS = { "content-type": "application/json", "x-api-key": DEV_KEY };
// Writes are rate-limited per caller (100 a minute): the bulk test writes as a caller of its own.
const BULK_KEY = "bulk-writer-key";
const API_KEYS = JSON.stringify({ [DEV_KEY]: "dev", [BULK_KEY]: "bulk" });

describe("items on D1", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { API_KEYS } });
  });
  after(async () => worker?.stop());

  const call = (path, init) => fetch(worker.url + path, init);
  const sql = (query) => {
    const done = spawnSync(
      process.execPath,
      [WRANGLER, "d1", "execute", "edgegate", "--local", "--persist-to", worker.persist, "--command", query],
      { cwd: ROOT, env: TOOL_ENV, encoding: "utf8" },
    );
    assert.equal(done.status, 0, done.stderr);
  };
  const create = (body, headers = {}) =>
    call("/items", { method: "POST", headers: { ...JSON_HEADERS, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

  async function walk(limit) {
    const ids = [];
    let cursor = null;
    do {
      const page = await (await call(`/items?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json();
      assert.ok(page.items.length <= limit);
      ids.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    return ids;
  }

  test("bad input is a clear 4xx and writes nothing", async () => {
    await problem(assert, await create("{oops"), 400, "malformed-json");
    assert.equal((await problem(assert, await create({ name: 42 }), 422, "invalid-body")).field, "name");
    assert.equal((await problem(assert, await create({ name: "   " }), 422, "invalid-item")).field, "name");
    assert.equal((await problem(assert, await create({ name: "n".repeat(201) }), 422, "invalid-item")).field, "name");
    const longDescription = { name: "ok", description: "d".repeat(2001) };
    assert.equal((await problem(assert, await create(longDescription), 422, "invalid-item")).field, "description");
    await problem(assert, await create({ name: "ok", price: 3 }), 422, "invalid-body");
    await problem(assert, await create(["ok"]), 422, "invalid-body");
    await problem(assert, await call("/items", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"x"}' }), 401, "unauthorized");
    assert.equal((await problem(assert, await call("/items?limit=0"), 400, "invalid-query")).param, "limit");
    assert.equal((await problem(assert, await call("/items?limit=101"), 400, "invalid-query")).param, "limit");
    await problem(assert, await call("/items?cursor=not-a-cursor"), 400, "invalid-cursor");
    assert.equal((await problem(assert, await call("/items/abc"), 400, "invalid-path-param")).param, "id");
    await problem(assert, await call("/items/424242"), 404, "not-found");
    await problem(assert, await call("/items/424242", { method: "PATCH", headers: JSON_HEADERS, body: '{"name":"x"}' }), 404, "not-found");
    await problem(assert, await call("/items/424242", { method: "DELETE", headers: JSON_HEADERS }), 404, "not-found");
    assert.deepEqual(await (await call("/items")).json(), { items: [], next_cursor: null }, "nothing was written");
  });

  test("a crafted cursor only chooses where the public listing starts; a malformed one is a 400", async () => {
    const ids = [];
    for (const name of ["c1", "c2", "c3"]) ids.push((await (await create({ name })).json()).id);
    const crafted = `i1.${ids[0]}`;
    const page = await (await call(`/items?cursor=${crafted}`)).json();
    assert.deepEqual(page.items.map((item) => item.id).filter((id) => ids.includes(id)), ids.slice(1));
    for (const bad of ["nope", "i1.-1", "i2.1", "i1.01", "i1.1 ", "aTE6MQ=="]) {
      await problem(assert, await call(`/items?cursor=${encodeURIComponent(bad)}`), 400, "invalid-cursor");
    }
  });

  test("create, get, list, update, delete", async () => {
    const created = await create({ name: "  Widget ", description: "small" });
    assert.equal(created.status, 201);
    const item = await created.json();
    assert.equal(created.headers.get("location"), `/items/${item.id}`);
    assert.equal(item.name, "Widget");
    assert.equal(item.description, "small");
    assert.match(item.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(item.updated_at, item.created_at);

    assert.deepEqual(await (await call(`/items/${item.id}`)).json(), item);
    const listed = await (await call("/items")).json();
    assert.deepEqual(listed.items.find((i) => i.id === item.id), item);

    const patched = await call(`/items/${item.id}`, { method: "PATCH", headers: JSON_HEADERS, body: '{"name":"Gadget","description":null}' });
    assert.equal(patched.status, 200);
    const updated = await patched.json();
    assert.equal(updated.name, "Gadget");
    assert.equal(updated.description, null);
    assert.equal(updated.created_at, item.created_at);
    await problem(assert, await call(`/items/${item.id}`, { method: "PATCH", headers: JSON_HEADERS, body: '{"name":""}' }), 422, "invalid-item");

    const deleted = await call(`/items/${item.id}`, { method: "DELETE", headers: { "x-api-key": DEV_KEY } });
    assert.equal(deleted.status, 204);
    await problem(assert, await call(`/items/${item.id}`), 404, "not-found");
  });

  test("idempotent retries create once; a reused key with another body is 422", async () => {
    const first = await create({ name: "once" }, { "idempotency-key": "retry-1" });
    assert.equal(first.status, 201);
    const firstItem = await first.json();
    const again = await create('{ "name": "once" }', { "idempotency-key": "retry-1" });
    assert.equal(again.status, 201);
    assert.deepEqual(await again.json(), firstItem);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    await problem(assert, await create({ name: "twice" }, { "idempotency-key": "retry-1" }), 422, "idempotency-key-reused");

    // Keys are kept at least a day: one 23 hours old still replays, one 25
    // hours old is gone (a create removes it) and the repeat creates anew.
    const age = (key, hours) =>
      sql(`UPDATE idempotency_keys SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${hours} hours') WHERE key = '${key}'`);
    const kept = await create({ name: "kept" }, { "idempotency-key": "day-23" });
    const keptItem = await kept.json();
    age("day-23", 23);
    age("retry-1", 25);
    const old = await create({ name: "once" }, { "idempotency-key": "retry-1" });
    assert.equal(old.status, 201);
    assert.equal(old.headers.get("idempotent-replayed"), null);
    assert.notEqual((await old.json()).id, firstItem.id, "a new item: the key had expired");
    const recent = await create({ name: "kept" }, { "idempotency-key": "day-23" });
    assert.equal(recent.headers.get("idempotent-replayed"), "true");
    assert.equal((await recent.json()).id, keptItem.id);

    // Concurrent retries of one request: one item, every answer the same.
    const racing = await Promise.all(Array.from({ length: 10 }, () => create({ name: "raced" }, { "idempotency-key": "race-1" })));
    const bodies = await Promise.all(racing.map((r) => r.json()));
    assert.ok(racing.every((r) => r.status === 201), JSON.stringify(bodies));
    assert.equal(new Set(bodies.map((b) => b.id)).size, 1);
    const all = await walk(100);
    assert.equal(all.filter((id) => id === firstItem.id).length, 1);
    assert.equal(all.filter((id) => id === bodies[0].id).length, 1);
  });

  test("100 concurrent creates: all 201, distinct ids, each listed exactly once", async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => create({ name: `bulk ${i}` }, { "x-api-key": BULK_KEY })));
    const items = await Promise.all(responses.map((r) => r.json()));
    assert.deepEqual(responses.map((r) => r.status), Array(100).fill(201), JSON.stringify(items.find((i) => !i.id)));
    const ids = items.map((item) => item.id);
    assert.equal(new Set(ids).size, 100);

    const walked = await walk(7);
    assert.equal(new Set(walked).size, walked.length, "no item twice");
    for (const id of ids) assert.equal(walked.filter((w) => w === id).length, 1, `item ${id} exactly once`);
    assert.deepEqual([...walked].sort((a, b) => a - b), walked, "oldest first");
  });

  test("walking while items are added still sees every item once", async () => {
    const before = await walk(100);
    const seen = [];
    let cursor = null;
    let added = 0;
    do {
      const page = await (await call(`/items?limit=9${cursor ? `&cursor=${cursor}` : ""}`)).json();
      seen.push(...page.items.map((i) => i.id));
      if (added < 5) {
        await create({ name: `during walk ${added++}` });
      }
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    for (const id of before) assert.ok(seen.includes(id), `item ${id} seen`);
  });

  test("local data survives a restart", async () => {
    const made = await (await create({ name: "durable" })).json();
    await worker.stop();
    worker = await startWorker({ persist: worker.persist, migrate: false });
    assert.deepEqual(await (await fetch(`${worker.url}/items/${made.id}`)).json(), made);
  });
});

describe("items without their tables", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ migrate: false });
  });
  after(async () => worker?.stop());

  test("a database failure is a retryable 503 without driver text", async () => {
    const response = await fetch(`${worker.url}/items`);
    assert.equal(response.headers.get("retry-after"), "1");
    const body = await problem(assert, response, 503, "unavailable");
    const { request_id: _, ...shown } = body; // a hex request id may well contain "d1"
    assert.doesNotMatch(JSON.stringify(shown), /D1|SQL|no such table/i);
    const log = await worker.logFor(body.request_id);
    assert.match(log.error, /no such table/);
  });
});

describe("items with ids above 2^53", () => {
  let worker;
  before(async () => {
    worker = await startWorker();
  });
  after(async () => worker?.stop());

  test("ids above 2^53 are matched exactly, not rounded to a neighbour", async () => {
    // 2^53 is stored directly; 2^53 + 1 rounds to it as a JS number.
    const sql = "INSERT INTO items (id, name, created_at, updated_at) VALUES (9007199254740992, 'big', 'x', 'x')";
    const inserted = spawnSync(
      process.execPath,
      [WRANGLER, "d1", "execute", "edgegate", "--local", "--persist-to", worker.persist, "--command", sql],
      { cwd: ROOT, env: TOOL_ENV, encoding: "utf8" },
    );
    assert.equal(inserted.status, 0, inserted.stderr);
    const big = await (await fetch(worker.url + "/items/9007199254740992")).json();
    assert.equal(big.name, "big");
    await problem(assert, await fetch(worker.url + "/items/9007199254740993"), 404, "not-found");
    const patch = { method: "PATCH", headers: JSON_HEADERS, body: JSON.stringify({ name: "renamed" }) };
    await problem(assert, await fetch(worker.url + "/items/9007199254740993", patch), 404, "not-found");
    await problem(assert, await fetch(worker.url + "/items/9007199254740993", { method: "DELETE", headers: JSON_HEADERS }), 404, "not-found");
    assert.equal((await (await fetch(worker.url + "/items/9007199254740992")).json()).name, "big");
    const cursor = "i1.9007199254740991";
    const page = await (await fetch(worker.url + `/items?cursor=${cursor}`)).json();
    assert.deepEqual(page.items.map((item) => item.name), ["big"]);
    // The next item is 2^53 + 1: every answer names it exactly (read as
    // text: a JS number would round it), and the listing moves past it.
    const created = await fetch(worker.url + "/items", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ name: "next" }) });
    assert.equal(created.status, 201);
    assert.match(await created.text(), /"id":9007199254740993[,}]/);
    assert.equal(new URL(created.headers.get("location"), worker.url).pathname, "/items/9007199254740993");
    const renamed = await fetch(worker.url + "/items/9007199254740993", patch);
    assert.match(await renamed.text(), /"id":9007199254740993[,}]/);
    const listed = await (await fetch(worker.url + "/items?cursor=i1.9007199254740992&limit=1")).text();
    assert.match(listed, /"id":9007199254740993[,}]/);
    assert.doesNotMatch(listed, /"next_cursor":"i1\.9007199254740992"/);
    assert.equal((await fetch(worker.url + "/items/9007199254740992", { method: "DELETE", headers: JSON_HEADERS })).status, 204);
  });
});
