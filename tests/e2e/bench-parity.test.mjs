// Keeps the benchmark honest: the Hono apps in bench/ (as specified, and with
// a request id and access log) and our worker, served side by side by workerd
// as `make bench` does, must answer every bench scenario with the same status,
// body and CORS origin; s6 goes through both to the bench's origin worker
// (s7 the same, kept in the stand-in Cache API store),
// s8 sends each its event on the same Queue binding. The floor (bench/bare)
// answers each, the same without its limiter call (bare_unlimited), and the
// same with Server-Timing when it has the stand-in dataset (bare_observed);
// with BARE_SAME (bare_same) it answers s1, s2 and s4 exactly as ours
// without its log, header for header. ours_loaded (start-up's loading
// alone) has ours's entry evaluated and answers in JS.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { BENCH_JWT, ORIGIN_BODY, OUT, SCENARIOS, buildOthers, buildOurs, freePort, parity, request, startWorkerd, writeConfig } from "../../bench/lib.mjs";

let workerd;
let ports;

before(async () => {
  const ours = buildOurs();
  buildOthers();
  ports = {
    ours: await freePort(),
    ours_nolog: await freePort(),
    hono: await freePort(),
    hono_log: await freePort(),
    bare: await freePort(),
    bare_observed: await freePort(),
    bare_unlimited: await freePort(),
    bare_same: await freePort(),
    ours_loaded: await freePort(),
    origin: await freePort(),
    queue: await freePort(),
  };
  const config = path.join(OUT, "parity.capnp");
  writeConfig(config, ours, ports);
  workerd = await startWorkerd(config, ports);
});
after(() => workerd?.stop());

test("the bench scenarios answer as intended", async () => {
  const expected = { s1: [200, "Hello, World!"], s2: [200, '{"userId":"42"}'], s3: [200, '{"message":"Hola, Dr. Alice!"}'], s4: [204, ""], s5: [200, BENCH_JWT.body], s6: [200, ORIGIN_BODY], s7: [200, ORIGIN_BODY], s8: [202, '{"id":"<uuid>","status":"queued"}'] };
  for (const scenario of SCENARIOS) {
    const answer = await request(ports.ours, scenario);
    assert.deepEqual([answer.status, answer.body], expected[scenario.id], scenario.id);
  }
});

test("ours_loaded has ours's entry loaded and answers without it", async () => {
  const answer = await fetch(`http://127.0.0.1:${ports.ours_loaded}/hello`);
  assert.equal(answer.status, 200);
  assert.equal(await answer.text(), "loaded: function");
  assert.equal(answer.headers.get("x-request-id"), null, "not ours's answer");
});

test("s7 is answered from the bench's stand-in cache, s6 is not kept", async () => {
  const of = (id) => SCENARIOS.find((scenario) => scenario.id === id);
  const send = (scenario) => fetch(`http://127.0.0.1:${ports.ours}${scenario.path}`, { headers: scenario.headers });
  await (await send(of("s7"))).text();
  const hit = await send(of("s7"));
  // From the isolate's memory (the app's policy holds hits a second there)
  // or, a second later on a slow machine, the Cache API's.
  assert.match(hit.headers.get("cache-status"), /^edgegate; hit; ttl=\d+; (detail=memory; )?key=/);
  assert.equal(await hit.text(), ORIGIN_BODY);
  const forwarded = await send(of("s6"));
  assert.match(forwarded.headers.get("cache-status"), /^edgegate; fwd=miss; detail=no-store$/);
  await forwarded.text();
});

test("the floor answers every scenario with a success; without its limiter the same; with a dataset bound the same plus Server-Timing", async () => {
  for (const scenario of SCENARIOS) {
    const bare = await request(ports.bare, scenario);
    const unlimited = await request(ports.bare_unlimited, scenario);
    const observed = await request(ports.bare_observed, scenario);
    assert.ok(bare.status >= 200 && bare.status < 300, `${scenario.id} bare: ${bare.status}`);
    assert.deepEqual([unlimited.status, unlimited.body], [bare.status, bare.body], `${scenario.id} bare_unlimited`);
    assert.deepEqual([observed.status, observed.body], [bare.status, bare.body], `${scenario.id} bare_observed`);
    assert.equal(bare.serverTiming, null, `${scenario.id} bare`);
    assert.equal(observed.serverTiming, "gw;dur=0", `${scenario.id} bare_observed`);
  }
});

test("our worker and the Hono apps agree on every bench scenario, and bare_same answers s1, s2 and s4 header for header as ours without its log", async () => {
  assert.deepEqual(await parity(ports), []);
  // bare_same is not the bare worker: it writes ours's headers, a fresh request id among them.
  for (const id of ["s1", "s2", "s4"]) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    const [same, bare] = [await request(ports.bare_same, scenario), await request(ports.bare, scenario)];
    assert.match(same.requestId, /^[0-9a-f]{32}$/, id);
    assert.equal(bare.requestId, null, id);
    assert.notEqual(same.headers, bare.headers, id);
  }
});

test("s8's event reaches the Queue from ours and from the Hono apps, once, with its id", async () => {
  const s8 = SCENARIOS.find((scenario) => scenario.id === "s8");
  const queue = async () => (await fetch(`http://127.0.0.1:${ports.queue}/`)).json();
  for (const name of ["ours", "hono", "hono_log"]) {
    const before = await queue();
    const response = await fetch(`http://127.0.0.1:${ports[name]}${s8.path}`, { method: s8.method, headers: s8.headers, body: s8.body });
    assert.equal(response.status, 202, name);
    const { id } = await response.json();
    assert.equal(response.headers.get("location"), `/partners/events/${id}`, name);
    const after = await queue();
    assert.equal(after.count, before.count + 1, `${name}: one message per event`);
    // The binding sent the text as text (`x-msg-fmt: text`): the message is the JSON itself.
    assert.equal(after.last.format, "text", name);
    const message = JSON.parse(after.last.body);
    assert.equal(message.id, id, name);
    assert.equal(message.consumer, "api_key::bench", name);
    assert.equal(message.type, "order.created", name);
    assert.deepEqual(message.data, JSON.parse(s8.body).data, name);
    assert.ok(!Number.isNaN(Date.parse(message.received_at)), `${name}: received_at ${message.received_at}`);
  }
});
