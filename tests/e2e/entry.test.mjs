// The runtime entry (js/entry.js) with the release wasm, run in Node: what
// workerd does not let a test observe. A request waiting on a promise that
// never settles (a client gone mid-wait: workerd drops the request's
// pending I/O) must not stay parked in wasm once its wait is collected.
// Run with the Node 22 from node_modules (npm run test:e2e): the glue needs
// WebAssembly.JSTag.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "node:test";
import { signJwt } from "../../tools/jwt.mjs";
import { APP_POLICY_VARS, ROOT, bundleForNode } from "../../tools/local.mjs";
import { DEV_KEY } from "./harness.mjs";

setFlagsFromString("--expose-gc");

// The runtime's custom spans, as workerd's `tracing.enterSpan` offers them
// when tracing is on: each span the gateway opens is recorded here.
const spans = [];
globalThis.__tracingStub = {
  enterSpan(name, work) {
    const span = { name, isTraced: true, attributes: {}, setAttribute(key, value) { this.attributes[key] = value; } };
    spans.push(span);
    return work(span);
  },
};
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
  const env = {
    ...APP_POLICY_VARS,
    API_KEYS: JSON.stringify({ [DEV_KEY]: "dev" }),
    QUOTAS: JSON.stringify({ default: {} }),
    GREETER: { fetch: () => Promise.reject(new Error("not called")) },
    QUOTA: { idFromName: () => ({}), get: () => ({}) },
    PER_PRINCIPAL: { limit: async () => ({ success: true }) },
    PER_CLIENT: { limit: async () => ({ success: true }) },
    PER_PARTNER: { limit: async () => ({ success: true }) },
  };
  // A token's signature check is a wait with no timer of its own: the first
  // one never settles, as a dropped request's I/O; the others are held until
  // the test says so.
  const privateKey = JSON.parse(readFileSync(path.join(ROOT, "tools", "dev-token", "private.jwk"), "utf8"));
  const iat = Math.floor(Date.now() / 1000);
  const token = signJwt({
    header: { alg: "RS256", typ: "JWT", kid: privateKey.kid },
    payload: { iss: "edgegate-dev", aud: "edgegate-dev", sub: "alice", iat, exp: iat + 600 },
    privateKey,
  });
  const verify = crypto.subtle.verify;
  let release = null;
  crypto.subtle.verify = function (...args) {
    if (release === null) return new Promise(() => {});
    return new Promise((resolve) => (release = () => resolve(verify.apply(this, args))));
  };
  const call = () => worker.fetch(new Request("http://gateway.test/api/me", { headers: { authorization: `Bearer ${token}` } }), env);
  try {
    // Never answered: parked on the check, and then forgotten by everyone.
    call();
    await until(() => parkedCount() === 1);
    await collect();
    assert.equal(parkedCount(), 0, "the dropped wait's request is unparked");

    // A wait that goes on is not touched, and finishes.
    release = () => {};
    const answered = call();
    await until(() => parkedCount() === 1);
    await collect();
    assert.equal(parkedCount(), 1, "a live wait stays parked");
    release();
    const response = await answered;
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal((await response.json()).id, "alice");
    assert.equal(parkedCount(), 0);
  } finally {
    crypto.subtle.verify = verify;
  }
});

/** Waits (a few event-loop turns at most) until `done()`; the key's import comes before the parked check. */
async function until(done) {
  for (let i = 0; i < 50 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(done());
}

test("the stages that wait are custom spans, with what they called and how it ended", async () => {
  const env = {
    ...APP_POLICY_VARS,
    API_KEYS: JSON.stringify({ [DEV_KEY]: "dev" }),
    QUOTAS: JSON.stringify({ default: {} }),
    GREETER: { fetch: async () => Response.json({ statusCode: 200, body: "hi" }) },
    QUOTA: { idFromName: () => ({}), get: () => ({}) },
    PER_PRINCIPAL: { limit: async () => ({ success: true }) },
    PER_CLIENT: { limit: async () => ({ success: false }) },
    PER_PARTNER: { limit: async () => ({ success: true }) },
    TRACE_SPANS: "true",
  };
  // Off unless asked for: no span at all.
  spans.length = 0;
  await worker.fetch(new Request("http://gateway.test/items"), { ...env, TRACE_SPANS: undefined });
  assert.deepEqual(spans, []);
  const greeted = await worker.fetch(new Request("http://gateway.test/fn/greet/Ada", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(greeted.status, 200, await greeted.clone().text());
  const hello = await worker.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(hello.status, 200, await hello.clone().text());
  const limited = await worker.fetch(new Request("http://gateway.test/items"), env);
  assert.equal(limited.status, 429, await limited.clone().text());
  const byName = Object.fromEntries(spans.map((span) => [`${span.name} ${span.attributes["edgegate.binding"] ?? span.attributes["edgegate.upstream"]}`, span.attributes]));
  assert.deepEqual(byName["edgegate.rate_limit PER_PRINCIPAL"], { "edgegate.binding": "PER_PRINCIPAL", "edgegate.outcome": "within" });
  assert.deepEqual(byName["edgegate.fetch GREETER"], { "http.request.method": "POST", "edgegate.upstream": "GREETER", "edgegate.outcome": "200" });
  assert.deepEqual(byName["edgegate.rate_limit PER_CLIENT"], { "edgegate.binding": "PER_CLIENT", "edgegate.outcome": "limited" });
});
