// The minimal app in examples/minimal, built from the framework crates alone
// and served by wrangler dev from its own wrangler.toml: proof that a team can
// build its own gateway without editing edgegate.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { problem, startWorker } from "./harness.mjs";

const KEY = "minimal-key";
let worker;

before(async () => {
  worker = await startWorker({
    config: "examples/minimal/wrangler.toml",
    vars: { API_KEYS: JSON.stringify({ [KEY]: "team-a" }) },
    readyPath: "/greet/ready",
  });
});
after(async () => worker?.stop());

test("the public JSON route answers", async () => {
  const response = await fetch(`${worker.url}/greet/Ada`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: "Hello, Ada!" });
  assert.match(response.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
});

test("the keyed route refuses without a key and answers with one", async () => {
  const note = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "héllo" }) };
  await problem(assert, await fetch(`${worker.url}/notes`, note), 401, "unauthorized");
  const saved = await fetch(`${worker.url}/notes`, { ...note, headers: { ...note.headers, "x-api-key": KEY } });
  assert.equal(saved.status, 200);
  assert.deepEqual(await saved.json(), { by: "team-a", chars: 5 });
});

test("the framework's errors come with it: 404, 405, 422", async () => {
  await problem(assert, await fetch(`${worker.url}/nope`), 404, "not-found");
  await problem(assert, await fetch(`${worker.url}/notes`), 405, "method-not-allowed");
  const extra = { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: '{"text":"a","x":1}' };
  await problem(assert, await fetch(`${worker.url}/notes`, extra), 422, "invalid-body");
});
