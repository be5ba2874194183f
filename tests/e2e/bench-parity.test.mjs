// Keeps the benchmark honest: the Hono apps in bench/ (as specified, and with
// a request id and access log) and our worker, served side by side by workerd
// as `make bench` does, must answer every bench scenario with the same status,
// body and CORS origin; s6 goes through both to the bench's origin worker.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { BENCH_JWT, ORIGIN_BODY, OUT, SCENARIOS, buildOthers, buildOurs, freePort, parity, request, startWorkerd, writeConfig } from "../../bench/lib.mjs";

let workerd;
let ports;

before(async () => {
  const ours = buildOurs();
  buildOthers();
  ports = { ours: await freePort(), hono: await freePort(), hono_log: await freePort(), origin: await freePort() };
  const config = path.join(OUT, "parity.capnp");
  writeConfig(config, ours, ports);
  workerd = await startWorkerd(config, ports);
});
after(() => workerd?.stop());

test("the bench scenarios answer as intended", async () => {
  const expected = { s1: [200, "Hello, World!"], s2: [200, '{"userId":"42"}'], s3: [200, '{"message":"Hola, Dr. Alice!"}'], s4: [204, ""], s5: [200, BENCH_JWT.body], s6: [200, ORIGIN_BODY] };
  for (const scenario of SCENARIOS) {
    const answer = await request(ports.ours, scenario);
    assert.deepEqual([answer.status, answer.body], expected[scenario.id], scenario.id);
  }
});

test("our worker and the Hono apps agree on every bench scenario", async () => {
  assert.deepEqual(await parity(ports), []);
});
