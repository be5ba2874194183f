// A span per gateway stage (TRACE_SPANS=true) under `wrangler dev`, read
// back as the runtime reports them: the gateway is served with a streaming
// tail Worker (tests/e2e/fixtures/span-tail) that prints every trace event
// of each invocation — the handler's span, each custom span's opening, its
// attributes and its close. The config is wrangler.toml with the tail named
// (build/spans-e2e/wrangler.toml, written here): a deployment that has no
// tail Worker keeps its own. The outcomes of stages that answer after a
// subrequest (a limit, a body, an upstream) are tested on the host
// (crates/edgegate/tests/observability.rs) and in Node (entry.test.mjs):
// workerd here stops streaming an invocation's events after its first one.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { DEV_KEY, ROOT, sleep, startWorker } from "./harness.mjs";

const vars = { API_KEYS: JSON.stringify({ [DEV_KEY]: "dev" }), TRACE_SPANS: "true" };
let worker;

before(async () => {
  const dir = path.join(ROOT, "build", "spans-e2e");
  mkdirSync(dir, { recursive: true });
  const config = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")
    .replace('main = "build/entry.js"', 'main = "../entry.js"\nstreaming_tail_consumers = [{ service = "edgegate-span-tail" }]')
    .replace('directory = "build/assets"', 'directory = "../assets"')
    .replace('migrations_dir = "migrations"', 'migrations_dir = "../../migrations"')
    // Built already (make build): no build command, nothing to watch.
    .replace(/\n\[build\]\n(?:(?!\[)[^\n]*\n)*/, "\n");
  assert.match(config, /streaming_tail_consumers/);
  writeFileSync(path.join(dir, "wrangler.toml"), config);
  worker = await startWorker({
    config: "build/spans-e2e/wrangler.toml",
    alongside: ["../../functions/greeter/wrangler.toml", "../../tests/e2e/fixtures/span-tail/wrangler.toml"],
    vars,
  });
});
after(async () => {
  await worker?.stop();
});

/** The trace events the tail printed so far. */
function events() {
  return worker.output.flatMap((line) => {
    const at = line.indexOf("span-event {");
    return at < 0 ? [] : [JSON.parse(line.slice(at + "span-event ".length))];
  });
}

/**
 * The custom spans of the request sent with `x-request-id: id`, as the tail
 * has them once the request is answered and its events stop coming: each as
 * [name, parent's name (null: the handler's own span), attributes, closed],
 * in the order opened. `whole`: the invocation's outcome came and every
 * span closed. (workerd here stops streaming an invocation's events after
 * its first subrequest — a rate-limit or quota count, a service call — so a
 * request with one is seen up to that subrequest's span.)
 */
async function spansOf(id, whole) {
  await worker.logFor(id);
  let seen = -1;
  let mine = [];
  const deadline = Date.now() + 10_000;
  while (mine.length !== seen || (whole && !mine.some((e) => e.event.type === "outcome"))) {
    if (Date.now() > deadline) throw new Error(`the trace of ${id} did not finish:\n${JSON.stringify(mine)}`);
    seen = mine.length;
    await sleep(300);
    const all = events();
    const onset = all.find((e) => e.event.type === "onset" && e.event.info?.headers?.some((h) => h.name === "x-request-id" && h.value === id));
    mine = onset ? all.filter((e) => e.invocationId === onset.invocationId) : [];
  }
  const byId = new Map([[mine[0].event.spanId, { name: null }]]);
  const spans = [];
  for (const { spanContext, event } of mine) {
    if (event.type === "spanOpen") {
      const span = { name: event.name, parent: byId.get(spanContext.spanId), attributes: {}, closed: false };
      assert.ok(span.parent, `${event.name} opened inside a span of its own request`);
      byId.set(event.spanId, span);
      spans.push(span);
    } else if (event.type === "attributes") {
      for (const { name, value } of event.info) byId.get(spanContext.spanId).attributes[name] = value;
    } else if (event.type === "spanClose") {
      byId.get(spanContext.spanId).closed = true;
    }
  }
  if (whole) for (const span of spans) assert.ok(span.closed, `${span.name} of ${id} was closed`);
  return spans.map((s) => [s.name, s.parent.name, s.attributes, s.closed]);
}

let sent = 0;
/** Sends a request with a fresh request id; answers the response (its body read) and the id. */
async function send(target, headers = {}, init = {}) {
  const id = `spans-${process.pid}-${++sent}`;
  const response = await fetch(`${worker.url}${target}`, { ...init, headers: { "x-request-id": id, ...headers } });
  const body = await response.text();
  return { id, status: response.status, body };
}

/** A stage's span as the test compares it: name, route, outcome, status. */
const stage = ([name, parent, a, closed]) => {
  assert.ok(closed, `${name} was closed`);
  assert.equal(parent, null, `${name} is a stage: the handler's span is its parent`);
  assert.match(a["http.request.method"], /^[A-Z]+$/);
  return [name, a["http.route"], a["edgegate.outcome"], a["http.response.status_code"] ?? null];
};
const stages = (spans) => spans.filter(([name]) => STAGES.has(name)).map(stage);
const STAGES = new Set(["edgegate.route", "edgegate.access", "edgegate.traffic", "edgegate.body", "edgegate.handler", "edgegate.upstream"]);

test("each stage a request meets is a span with its route and how it ended; each wait a span inside its stage", async () => {
  const hello = await send("/hello");
  assert.equal(hello.status, 200, hello.body);
  assert.deepEqual((await spansOf(hello.id, true)).map(stage), [
    ["edgegate.route", "/hello", "pass", null],
    ["edgegate.handler", "/hello", "answered", 200],
  ]);

  // A refused caller: access answers, and no later stage opens.
  const refused = await send("/api/hello");
  assert.equal(refused.status, 401, refused.body);
  assert.deepEqual((await spansOf(refused.id, true)).map(stage), [
    ["edgegate.route", "/api/hello", "pass", null],
    ["edgegate.access", "/api/hello", "unauthorized", 401],
  ]);

  // Route and access closed as passed; traffic open, its limiter count a
  // span inside it, the binding's own call inside that.
  const keyed = await send("/api/hello", { "x-api-key": DEV_KEY });
  assert.equal(keyed.status, 200, keyed.body);
  const keyedSpans = await spansOf(keyed.id, false);
  assert.deepEqual(keyedSpans.slice(0, 2).map(stage), [
    ["edgegate.route", "/api/hello", "pass", null],
    ["edgegate.access", "/api/hello", "pass", null],
  ]);
  assert.deepEqual(keyedSpans.slice(2, 5).map(([name, parent]) => [name, parent]), [
    ["edgegate.traffic", null],
    ["edgegate.rate_limit", "edgegate.traffic"],
    ["fetch", "edgegate.rate_limit"],
  ]);

  // An upstream (the greeter function behind its service binding), its call inside.
  const greeted = await send("/fn/greet/Ada", { "x-api-key": DEV_KEY });
  assert.equal(greeted.status, 200, greeted.body);
  const greetedSpans = await spansOf(greeted.id, false);
  assert.deepEqual(greetedSpans.slice(0, 2).map(stage), [
    ["edgegate.route", "/fn/greet/{*rest}", "pass", null],
    ["edgegate.access", "/fn/greet/{*rest}", "pass", null],
  ]);
  assert.deepEqual(greetedSpans.slice(2, 5).map(([name, parent]) => [name, parent]), [
    ["edgegate.upstream", null],
    ["edgegate.fetch", "edgegate.upstream"],
    ["fetch", "edgegate.fetch"],
  ]);
});

test("requests waiting at once are all answered, each with its own spans", async () => {
  const targets = [
    ["/fn/greet/Ada", "/fn/greet/{*rest}", ["edgegate.route", "edgegate.access", "edgegate.upstream", "edgegate.fetch"]],
    ["/api/hello", "/api/hello", ["edgegate.route", "edgegate.access", "edgegate.traffic", "edgegate.rate_limit"]],
    ["/hello", "/hello", ["edgegate.route", "edgegate.handler"]],
  ];
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) => {
      const [target, route, names] = targets[i % targets.length];
      return send(target, { "x-api-key": DEV_KEY }).then((result) => ({ ...result, route, names }));
    }),
  );
  for (const result of results) {
    assert.equal(result.status, 200, result.body);
    const spans = (await spansOf(result.id, result.route === "/hello")).filter(([name]) => name.startsWith("edgegate."));
    assert.deepEqual(spans.map(([name]) => name), result.names, result.id);
    // Stages at the top, each wait in one of its own stages, the request's own route on each span closed.
    for (const [name, parent, attributes, closed] of spans) {
      if (STAGES.has(name)) assert.equal(parent, null, `${name} of ${result.id}`);
      else assert.ok(STAGES.has(parent), `${name} of ${result.id} is inside ${parent}`);
      if (closed) assert.equal(attributes["http.route"], result.route, `${name} of ${result.id}`);
    }
  }
});
