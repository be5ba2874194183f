// The runtime entry (js/entry.js) with the release wasm, run in Node: what
// workerd does not let a test observe. A request waiting on a promise that
// never settles (a client gone mid-wait: workerd drops the request's
// pending I/O) must not stay parked in wasm once its wait is collected.
import assert from "node:assert/strict";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "node:test";
import { APP_POLICY_VARS, ROOT, bundleForNode } from "../../tools/local.mjs";
import { DEV_KEY } from "./harness.mjs";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

const bundle = await bundleForNode(
  `export { default } from "./build/entry.js";\nexport { edgegate_parked_count as parkedCount } from "./build/index.js";`,
  path.join(ROOT, "build", "entry-test-bundle.mjs"),
);
const { default: worker, parkedCount } = await import(bundle);

/** Lets the runtime collect what nothing holds any more, and run the finalizers. */
async function collect() {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("a parked request whose wait is dropped is unparked once its continuation is collected", async () => {
  let settle = null;
  const env = {
    ...APP_POLICY_VARS,
    API_KEYS: JSON.stringify({ [DEV_KEY]: "dev" }),
    QUOTAS: JSON.stringify({ default: {} }),
    GREETER: { fetch: () => Promise.reject(new Error("not called")) },
    QUOTA: { idFromName: () => ({}), get: () => ({}) },
    // The first limiter call never settles, as a dropped request's I/O; the
    // second one is answered, so that request finishes normally.
    PER_PRINCIPAL: {
      limit: () => (settle === null ? new Promise(() => {}) : new Promise((resolve) => (settle = resolve))),
    },
    PER_CLIENT: { limit: async () => ({ success: true }) },
  };
  const call = () => worker.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);

  // Never answered: parked on the limiter, and then forgotten by everyone.
  call();
  assert.equal(parkedCount(), 1);
  await collect();
  assert.equal(parkedCount(), 0, "the dropped wait's request is unparked");

  // A wait that goes on is not touched, and finishes.
  settle = () => {};
  const answered = call();
  assert.equal(parkedCount(), 1);
  await collect();
  assert.equal(parkedCount(), 1, "a live wait stays parked");
  settle({ success: true });
  const response = await answered;
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "Hello, World!");
  assert.equal(parkedCount(), 0);
});
