// Partner events against the real worker under wrangler dev, with its local
// Queue (and dead-letter queue) and D1: accepted events are processed and
// stored once; a redelivery stores nothing twice; a rejected event ends dead;
// another partner cannot read an event; an invalid one is never enqueued; a
// Queue binding that throws is a 503.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { ROOT, TOOL_ENV, WRANGLER } from "../../tools/local.mjs";
import { DEV_KEY, problem, startWorker } from "./harness.mjs";

const PARTNER_B = "partner-b-key";
const BULK_KEY = "bulk-partner-key";
const API_KEYS = JSON.stringify({ [DEV_KEY]: "dev", [PARTNER_B]: "partner-b", [BULK_KEY]: "bulk" });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rows of a query on `worker`'s local D1 (the same files wrangler dev serves). */
function sqlOn(worker, query) {
  const result = spawnSync(
    process.execPath,
    [WRANGLER, "d1", "execute", "edgegate", "--local", "--persist-to", worker.persist, "--json", "--command", query],
    { cwd: ROOT, env: TOOL_ENV, encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
  return JSON.parse(result.stdout)[0].results;
}

describe("partner events on a local Queue and D1", () => {
  let worker;
  before(async () => {
    worker = await startWorker({ vars: { API_KEYS, DEBUG_ROUTES: "true" } });
  });
  after(async () => worker?.stop());

  const send = (key, body, headers = {}) =>
    fetch(`${worker.url}/partners/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const read = (key, id) => fetch(`${worker.url}/partners/events/${id}`, { headers: { "x-api-key": key } });

  const sql = (query) => sqlOn(worker, query);

  /** Polls the event until `done(view)` holds, for at most `ms`; returns the last view. */
  async function until(key, id, done, ms) {
    const deadline = Date.now() + ms;
    let view = null;
    while (Date.now() < deadline) {
      const response = await read(key, id);
      if (response.status === 200) {
        view = await response.json();
        if (done(view)) return view;
      } else await response.arrayBuffer();
      await sleep(250);
    }
    assert.fail(`event ${id} did not get there within ${ms} ms: ${JSON.stringify(view)}`);
  }

  test("200 events on 32 connections are all 202, and within 30 s every one is processed and stored once", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const url = new URL(`${worker.url}/partners/events`);
    const post = (i) =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ type: "bulk.created", data: { n: i, text: "é✓".repeat(i % 7) } });
        const request = http.request(
          url,
          { method: "POST", agent, headers: { "content-type": "application/json", "x-api-key": BULK_KEY, "content-length": Buffer.byteLength(body) } },
          (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (text += chunk));
            response.on("end", () => resolve({ status: response.status ?? response.statusCode, location: response.headers.location, text }));
          },
        );
        request.on("error", reject);
        request.end(body);
      });
    let next = 0;
    const results = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 200) {
          const n = next++;
          results.push({ n, ...(await post(n)) });
        }
      }),
    );
    agent.destroy();
    assert.equal(results.length, 200);
    const ids = [];
    results.sort((a, b) => a.n - b.n);
    for (const result of results) {
      assert.equal(result.status, 202, result.text);
      const body = JSON.parse(result.text);
      assert.match(body.id, UUID);
      assert.equal(body.status, "queued");
      assert.equal(result.location, `/partners/events/${body.id}`);
      ids.push(body.id);
    }
    assert.equal(new Set(ids).size, 200, "every event has its own id");

    const deadline = Date.now() + 30_000;
    let rows;
    while (true) {
      [rows] = sql("SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, SUM(status = 'processed') AS processed FROM partner_events WHERE consumer = 'api_key::bulk'");
      if (rows.processed === 200 || Date.now() > deadline) break;
      await sleep(500);
    }
    assert.deepEqual(rows, { n: 200, ids: 200, processed: 200 }, "each event is stored once and processed");
    const view = await (await read(BULK_KEY, ids[123])).json();
    assert.equal(view.status, "processed");
    assert.equal(view.type, "bulk.created");
    assert.equal(view.attempts, 1);
    assert.ok(Date.parse(view.processed_at) >= Date.parse(view.received_at));
    const [stored] = sql(`SELECT data FROM partner_events WHERE id = '${ids[5]}'`);
    assert.deepEqual(JSON.parse(stored.data), { n: 5, text: "é✓".repeat(5) });
  });

  test("a redelivered message stores nothing twice", async () => {
    // With DEBUG_ROUTES, the consumer records a `debug:redeliver` event and then asks for it again.
    const response = await send(DEV_KEY, { type: "debug:redeliver", data: { once: true } });
    assert.equal(response.status, 202);
    const { id } = await response.json();
    const first = await until(DEV_KEY, id, (view) => view.status === "processed", 20_000);
    const deadline = Date.now() + 20_000;
    let rows;
    do {
      await sleep(500);
      rows = sql(`SELECT deliveries, attempts, processed_at FROM partner_events WHERE id = '${id}'`);
    } while (rows[0].deliveries < 2 && Date.now() < deadline);
    assert.equal(rows.length, 1, "one row");
    assert.equal(rows[0].deliveries, 2, "the Queue delivered it twice");
    assert.equal(rows[0].attempts, 1);
    assert.equal(rows[0].processed_at, first.processed_at, "processed once");
  });

  test("an event the processing rejects is retried, then recorded dead from the dead-letter queue", async () => {
    const response = await send(DEV_KEY, { type: "fail", data: {} });
    assert.equal(response.status, 202);
    const { id } = await response.json();
    const dead = await until(DEV_KEY, id, (view) => view.status === "dead", 45_000);
    // max_retries = 3: the first delivery and three retries.
    assert.equal(dead.attempts, 4);
    assert.ok(dead.processed_at);
    const [row] = sql(`SELECT last_error FROM partner_events WHERE id = '${id}'`);
    assert.match(row.last_error, /rejected event type `fail`/);
    assert.ok(worker.output.some((line) => line.includes('"message":"dead letter recorded"') && line.includes(id)));
  });

  test("the largest event the API takes, with characters beyond Latin-1, reaches the Queue and is processed", async () => {
    // 64 KiB of data as compact JSON, mostly ASCII with one character above
    // U+00FF (which makes the whole message a two-byte string in JS): the
    // Queue limits a message to 128 KB, and this one must still fit.
    const filler = 64 * 1024 - JSON.stringify({ big: "", sign: "€" }).length - 2;
    const data = { big: "x".repeat(filler), sign: "€" };
    assert.equal(Buffer.byteLength(JSON.stringify(data)), 64 * 1024);
    const response = await send(DEV_KEY, { type: "big", data });
    assert.equal(response.status, 202, await response.clone().text());
    const { id } = await response.json();
    await until(DEV_KEY, id, (view) => view.status === "processed", 30_000);
  });

  test("the largest event of characters JSON escapes again reaches the Queue and is stored exactly", async () => {
    // Quotes and backslashes: a message sent as a JSON string would escape
    // each once more (about 128 KiB, over the Queue's limit); sent as text
    // it is the event's own bytes.
    const filler = 64 * 1024 - JSON.stringify({ q: "" }).length;
    const data = { q: '\\"'.repeat(filler / 4) + "x".repeat(filler % 4) };
    assert.equal(Buffer.byteLength(JSON.stringify(data)), 64 * 1024);
    const response = await send(DEV_KEY, { type: "quoted", data });
    assert.equal(response.status, 202, await response.clone().text());
    const { id } = await response.json();
    await until(DEV_KEY, id, (view) => view.status === "processed", 30_000);
    const [stored] = sql(`SELECT data FROM partner_events WHERE id = '${id}'`);
    assert.equal(stored.data, JSON.stringify(data));
  });

  test("events settled more than 30 days ago are removed by a later batch, newer and unsettled ones kept", async () => {
    const plant = (id, status, age) =>
      sql(`INSERT INTO partner_events (id, consumer, type, data, status, attempts, deliveries, received_at, processed_at) VALUES ('${id}', 'api_key::dev', 't', '{}', '${status}', 1, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '${age}'), ${status === "queued" ? "NULL" : `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '${age}')`})`);
    plant("00000000-0000-4000-8000-00000000a0d1", "processed", "-31 days");
    plant("00000000-0000-4000-8000-00000000a0d2", "dead", "-31 days");
    plant("00000000-0000-4000-8000-00000000a0d3", "processed", "-29 days");
    plant("00000000-0000-4000-8000-00000000a0d4", "queued", "-40 days");
    const response = await send(DEV_KEY, { type: "tick", data: {} });
    assert.equal(response.status, 202);
    const { id } = await response.json();
    await until(DEV_KEY, id, (view) => view.status === "processed", 30_000);
    // The batch prunes after its own writes: looked at until it has.
    const left = () => sql("SELECT id FROM partner_events WHERE id LIKE '00000000-0000-4000-8000-00000000a0d%' ORDER BY id").map((row) => row.id.slice(-1));
    const deadline = Date.now() + 10_000;
    while (left().length > 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(left(), ["3", "4"]);
  });

  test("data is stored as the partner wrote it: digits beyond a double's are kept", async () => {
    // JavaScript's JSON.parse would round these: the body is written as text.
    const data = '{"order": 123456789012345678901234567890, "amount": 0.1000000000000000000001, "tiny": 1e-400}';
    const response = await send(DEV_KEY, `{"type": "exact", "data": ${data}}`);
    assert.equal(response.status, 202, await response.clone().text());
    const { id } = await response.json();
    await until(DEV_KEY, id, (view) => view.status === "processed", 30_000);
    const [stored] = sql(`SELECT data FROM partner_events WHERE id = '${id}'`);
    assert.equal(stored.data, '{"order":123456789012345678901234567890,"amount":0.1000000000000000000001,"tiny":1e-400}');
  });

  test("another partner gets the same 404 as for an event that does not exist", async () => {
    const response = await send(DEV_KEY, { type: "mine", data: {} });
    const { id } = await response.json();
    assert.equal((await read(DEV_KEY, id)).status, 200);
    const theirs = await problem(assert, await read(PARTNER_B, id), 404, "not-found");
    const none = await problem(assert, await read(PARTNER_B, "00000000-0000-4000-8000-000000000000"), 404, "not-found");
    assert.equal(theirs.detail, none.detail);
    await problem(assert, await read(DEV_KEY, "..%2F..%2Fitems"), 404, "not-found");
    await problem(assert, await fetch(`${worker.url}/partners/events/${id}`), 401, "unauthorized");
  });

  test("an invalid event is a 422 and nothing is enqueued; a repeated Idempotency-Key enqueues nothing more", async () => {
    const before = sql("SELECT COUNT(*) AS n FROM partner_events")[0].n;
    assert.equal((await problem(assert, await send(DEV_KEY, { type: "t", data: [] }), 422, "invalid-body")).field, "data");
    assert.equal((await problem(assert, await send(DEV_KEY, { type: "", data: {} }), 422, "invalid-event")).field, "type");
    assert.equal((await problem(assert, await send(DEV_KEY, { type: "t", data: {}, x: 1 }), 422, "invalid-body")).field, "x");
    await problem(assert, await send(DEV_KEY, "{oops"), 400, "malformed-json");
    await problem(assert, await send(DEV_KEY, { type: "t", data: { big: "x".repeat(70_000) } }), 413, "body-too-large");

    const body = { type: "once", data: { k: 1 } };
    const first = await send(DEV_KEY, body, { "idempotency-key": "e2e-1" });
    assert.equal(first.status, 202);
    const again = await send(DEV_KEY, body, { "idempotency-key": "e2e-1" });
    assert.equal(again.status, 202);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    const { id } = await first.json();
    assert.deepEqual(await again.json(), { id, status: "queued" });
    await problem(assert, await send(DEV_KEY, { type: "once", data: { k: 2 } }, { "idempotency-key": "e2e-1" }), 422, "idempotency-key-reused");
    await until(DEV_KEY, id, (view) => view.status === "processed", 20_000);
    // Longer than a batch takes: anything enqueued would have been recorded by now.
    await sleep(3000);
    assert.equal(sql("SELECT COUNT(*) AS n FROM partner_events")[0].n, before + 1, "only the one accepted event");
    assert.equal(sql(`SELECT deliveries FROM partner_events WHERE id = '${id}'`)[0].deliveries, 1, "sent once");
    // Kept a day: a key 25 hours old is gone, and its repeat is a new event.
    sql("UPDATE partner_event_keys SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-25 hours') WHERE key = 'e2e-1'");
    const later = await send(DEV_KEY, body, { "idempotency-key": "e2e-1" });
    assert.equal(later.status, 202);
    assert.equal(later.headers.get("idempotent-replayed"), null);
    assert.notEqual((await later.json()).id, id);
  });

  test("a claim on a key whose event was never recorded is taken over after ten minutes, not before, and its event sent under its own id", async () => {
    // Claims as a request that left mid-claim would leave them, in D1 itself.
    const fingerprint = createHash("sha256").update("t\n{}").digest("hex");
    const claim = (key, event, age) =>
      sql(`INSERT INTO partner_event_keys (consumer, key, fingerprint, event_id, holder, created_at) VALUES ('api_key::dev', '${key}', '${fingerprint}', '${event}', '${event}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '${age}'))`);
    claim("fresh", "00000000-0000-4000-8000-00000000f4e5", "-9 minutes");
    claim("stale", "00000000-0000-4000-8000-000000005a1e", "-11 minutes");
    await problem(assert, await send(DEV_KEY, { type: "t", data: {} }, { "idempotency-key": "fresh" }), 409, "idempotency-key-in-use");
    const taken = await send(DEV_KEY, { type: "t", data: {} }, { "idempotency-key": "stale" });
    assert.equal(taken.status, 202, await taken.clone().text());
    const { id } = await taken.json();
    // The first request's event, not a second one beside it (had the Queue
    // taken it then, the consumer would store it once).
    assert.equal(id, "00000000-0000-4000-8000-000000005a1e");
    await until(DEV_KEY, id, (view) => view.status === "processed", 20_000);
    const again = await send(DEV_KEY, { type: "t", data: {} }, { "idempotency-key": "stale" });
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal((await again.json()).id, id);
  });
});

describe("partner events with a Queue binding that throws", () => {
  let worker;
  before(async () => {
    // `EVENTS` bound to a text, not a Queue: the send throws.
    worker = await startWorker({ vars: { API_KEYS, EVENTS: "not a queue" } });
  });
  after(async () => worker?.stop());

  test("is a 503 problem with Retry-After, never a 202", async () => {
    const response = await fetch(`${worker.url}/partners/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": DEV_KEY, "idempotency-key": "k" },
      body: JSON.stringify({ type: "t", data: {} }),
    });
    const body = await problem(assert, response, 503, "unavailable");
    assert.equal(response.headers.get("retry-after"), "1");
    assert.doesNotMatch(JSON.stringify(body), /EVENTS|Queue/);
    const entry = await worker.logFor(body.request_id);
    assert.equal(entry.status, 503);
    assert.match(JSON.stringify(entry), /Queue binding `EVENTS` is missing or not a Queue/);
    // The failed request gave its claim up (in D1): the key's retry takes
    // it over at once and tries the same event again, rather than a 409
    // for the ten minutes a vanished request's claim is held.
    // Given up, not made older: the day's expiry keeps it a day from its claim.
    const [claim] = sqlOn(worker, "SELECT holder, created_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 minute') AS recent FROM partner_event_keys WHERE key = 'k'");
    assert.deepEqual(claim, { holder: "", recent: 1 });
    const retry = await fetch(`${worker.url}/partners/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": DEV_KEY, "idempotency-key": "k" },
      body: JSON.stringify({ type: "t", data: {} }),
    });
    await problem(assert, retry, 503, "unavailable");
  });
});
