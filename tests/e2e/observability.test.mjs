// Observability against the real workers under `wrangler dev` (with the
// greeter function beside the gateway): the trace context an origin and a
// function receive, Server-Timing as the settings say, the access log's
// trace ids, and the Analytics Engine binding wrangler dev simulates (its
// writeDataPoint does nothing locally: the data point itself is tested on
// the host, crates/edgegate/tests/observability.rs).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { DEV_KEY, freePort, startWorker } from "./harness.mjs";

const KEYS = JSON.stringify({ [DEV_KEY]: "dev" });
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
let worker, origin;

before(async () => {
  const seen = [];
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url, headers: request.headers });
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ url: request.url }));
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  origin = { server, seen };
  worker = await startWorker({
    vars: { API_KEYS: KEYS, UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${port}/base` }) },
  });
});
after(async () => {
  await worker?.stop();
  await new Promise((resolve) => origin?.server.close(resolve));
});

const keyed = (headers = {}) => ({ headers: { "x-api-key": DEV_KEY, ...headers } });

test("an origin gets the caller's trace with the gateway's span as its parent, and the log names both", async () => {
  const response = await fetch(`${worker.url}/origin/items?x=1`, keyed({ traceparent: TRACEPARENT, tracestate: "congo=t61rcWkgMzE" }));
  assert.equal(response.status, 200, await response.clone().text());
  const received = origin.seen.at(-1).headers;
  const [version, trace, parent, flags] = received.traceparent.split("-");
  assert.deepEqual([version, trace, flags], ["00", TRACE, "01"]);
  assert.notEqual(parent, "00f067aa0ba902b7", "the gateway's own span is the parent");
  assert.equal(received.tracestate, "congo=t61rcWkgMzE");
  const log = await worker.logFor(response.headers.get("x-request-id"));
  assert.equal(log.trace_id, TRACE);
  assert.equal(log.span_id, parent);
});

test("a malformed traceparent starts a new trace, never an error", async () => {
  for (const traceparent of [TRACEPARENT.toUpperCase(), "00-zz", `ff-${TRACE}-00f067aa0ba902b7-01`]) {
    const response = await fetch(`${worker.url}/origin/x`, keyed({ traceparent, tracestate: "a=b" }));
    assert.equal(response.status, 200, traceparent);
    const received = origin.seen.at(-1).headers;
    assert.match(received.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.notEqual(received.traceparent.split("-")[1], TRACE);
    assert.equal(received.tracestate, undefined);
    const log = await worker.logFor(response.headers.get("x-request-id"));
    assert.equal(log.trace_id, received.traceparent.split("-")[1]);
  }
});

test("a function gets the trace id in its event, and echoes it", async () => {
  const response = await fetch(`${worker.url}/fn/greet/Ada`, keyed({ traceparent: TRACEPARENT }));
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get("x-trace-id"), TRACE);
  const fresh = await fetch(`${worker.url}/fn/greet/Ada`, keyed());
  const log = await worker.logFor(fresh.headers.get("x-request-id"));
  assert.equal(fresh.headers.get("x-trace-id"), log.trace_id);
});

test("Server-Timing goes to authenticated callers (the default), with the upstream's share", async () => {
  const timed = await fetch(`${worker.url}/origin/x`, keyed());
  const value = timed.headers.get("server-timing");
  assert.match(value, /^auth;dur=\d+\.\d, (policy;dur=\d+\.\d, )?upstream;dur=\d+\.\d, total;dur=\d+\.\d$/);
  const anonymous = await fetch(`${worker.url}/hello`);
  assert.equal(anonymous.status, 200);
  assert.equal(anonymous.headers.get("server-timing"), null);
});

test("the Analytics Engine dataset is bound: every request is answered and nothing is logged as unwritten", async () => {
  const responses = await Promise.all([fetch(`${worker.url}/hello`), fetch(`${worker.url}/nowhere`), fetch(`${worker.url}/api/hello`, keyed())]);
  assert.deepEqual(responses.map((r) => r.status), [200, 404, 200]);
  await Promise.all(responses.map((r) => r.text()));
  assert.ok(!worker.output.join("\n").includes("metrics not written"), "every write was taken");
});
