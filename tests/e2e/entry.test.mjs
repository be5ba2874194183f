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

// The runtime's custom spans, as workerd's `tracing` offers them when
// tracing is on: each span the gateway opens is recorded here, with the span
// that was active when it opened (its parent) and whether it has ended
// (`startSpan`'s when it is ended, `enterSpan`'s when its callback's promise settles).
const spans = [];
let active = null;
function within(span, work) {
  const was = active;
  active = span;
  try {
    return work();
  } finally {
    active = was;
  }
}
function startSpan(name) {
  const span = { name, parent: active, ended: false, isTraced: true, attributes: {} };
  span.setAttribute = (key, value) => {
    assert.ok(!span.ended, `${name}: an attribute after its end`);
    span.attributes[key] = value;
  };
  span.end = () => {
    assert.ok(!span.ended, `${name} ended twice`);
    span.ended = true;
  };
  spans.push(span);
  return span;
}
globalThis.__tracingStub = {
  startSpan,
  enterSpan(name, work) {
    const span = startSpan(name);
    const result = within(span, () => work(span));
    Promise.resolve(result).finally(span.end);
    return result;
  },
  withActiveSpan: within,
};
const gc = runInNewContext("gc");

const bundle = await bundleForNode(
  `export { default } from "./build/entry.js";\nexport { edgegate_parked_count as parkedCount } from "./build/index.js";`,
  path.join(ROOT, "build", "entry-test-bundle.mjs"),
);
const { default: worker, parkedCount } = await import(bundle);
// The settings are read once per instance: another instance, for spans off.
const { default: quiet } = await import(`${bundle}?quiet`);

/** Lets the runtime collect what nothing holds any more, and run the finalizers. */
async function collect() {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The app's settings, with bindings that answer at once (a test swaps in one that waits). */
const GATEWAY_ENV = {
  ...APP_POLICY_VARS,
  API_KEYS: JSON.stringify({ [DEV_KEY]: "dev" }),
  QUOTAS: JSON.stringify({ default: {} }),
  GREETER: { fetch: () => Promise.reject(new Error("not called")) },
  QUOTA: { idFromName: () => ({}), get: () => ({}) },
  PER_PRINCIPAL: { limit: async () => ({ success: true }) },
  PER_CLIENT: { limit: async () => ({ success: true }) },
  PER_PARTNER: { limit: async () => ({ success: true }) },
};

test("a parked request whose wait is dropped is unparked once its continuation is collected", async () => {
  const env = {
    ...GATEWAY_ENV,
    // Spans on (the instance's settings are the first request's): a dropped wait leaves nothing behind either.
    TRACE_SPANS: "true",
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

test("a parked request whose client goes away is finished at once: logged as 499 with its route, nothing left parked", async () => {
  const env = GATEWAY_ENV;
  // The limiter's count never answers: the request waits on it, as on a slow binding.
  const hanging = { ...env, PER_PRINCIPAL: { limit: () => new Promise(() => {}) } };
  const lines = [];
  const log = console.log;
  console.log = (line) => lines.push(line);
  try {
    const gone = new AbortController();
    const request = new Request("http://gateway.test/api/me", { headers: { "x-api-key": DEV_KEY, "x-request-id": "left-early" }, signal: gone.signal });
    const answer = worker.fetch(request, hanging);
    await until(() => parkedCount() === 1);
    assert.deepEqual(lines, [], "nothing is logged while it waits");
    gone.abort();
    assert.equal(parkedCount(), 0, "unparked when the client leaves, not when the runtime collects it");
    const line = JSON.parse(lines.find((l) => l.includes('"left-early"')));
    assert.equal(line.status, 499);
    assert.equal(line.route, "/api/me");
    assert.equal(line.principal, "dev");
    assert.equal((await answer).status, 499, "the runtime's promise settles (no one receives it)");

    // A client gone before the request parks: finished as soon as it does.
    const early = new AbortController();
    early.abort();
    const before = lines.length;
    const late = worker.fetch(new Request("http://gateway.test/api/me", { headers: { "x-api-key": DEV_KEY }, signal: early.signal }), hanging);
    assert.equal((await late).status, 499);
    assert.equal(parkedCount(), 0);
    assert.equal(JSON.parse(lines[before]).status, 499);

    // A request that is answered is logged once, with its own status.
    const kept = new AbortController();
    const answered = await worker.fetch(new Request("http://gateway.test/api/me", { headers: { "x-api-key": DEV_KEY, "x-request-id": "stayed" }, signal: kept.signal }), env);
    assert.equal(answered.status, 200);
    kept.abort();
    await settled();
    assert.deepEqual(lines.filter((l) => l.includes('"stayed"')).map((l) => JSON.parse(l).status), [200]);
  } finally {
    console.log = log;
  }
});

/** Waits (a few event-loop turns at most) until `done()`; the key's import comes before the parked check. */
async function until(done) {
  for (let i = 0; i < 50 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(done());
}

/** A span as the tests compare it: name, parent's name, route, outcome, status. */
const shown = (span) => [
  span.name,
  span.parent?.name ?? null,
  span.attributes["http.route"] ?? null,
  span.attributes["edgegate.outcome"],
  span.attributes["http.response.status_code"] ?? null,
];

/** Lets the runtime's promise reactions run (spans end when theirs settle). */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

const SPAN_ENV = {
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

test("each stage is a span with the route and how it ended, each wait a span inside its stage", async () => {
  const env = SPAN_ENV;
  // Off unless asked for: no span at all.
  spans.length = 0;
  const unlimited = { limit: async () => ({ success: true }) };
  const off = await quiet.fetch(new Request("http://gateway.test/fn/greet/Ada", { headers: { "x-api-key": DEV_KEY } }), { ...env, PER_CLIENT: unlimited, TRACE_SPANS: undefined });
  assert.equal(off.status, 200, await off.clone().text());
  assert.deepEqual(spans, []);

  const greeted = await worker.fetch(new Request("http://gateway.test/fn/greet/Ada", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(greeted.status, 200, await greeted.clone().text());
  await settled();
  const greet = "/fn/greet/{*rest}";
  assert.deepEqual(spans.map(shown), [
    ["edgegate.route", null, greet, "pass", null],
    ["edgegate.access", null, greet, "pass", null],
    ["edgegate.upstream", null, greet, "answered", 200],
    ["edgegate.fetch", "edgegate.upstream", greet, "200", null],
  ]);
  assert.deepEqual(spans[3].attributes, { "http.route": greet, "http.request.method": "POST", "edgegate.upstream": "GREETER", "edgegate.outcome": "200" });
  assert.equal(spans[0].attributes["http.request.method"], "GET");
  assert.ok(spans.every((span) => span.ended), "every span has ended");

  spans.length = 0;
  const hello = await worker.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(hello.status, 200, await hello.clone().text());
  const limited = await worker.fetch(new Request("http://gateway.test/items"), env);
  assert.equal(limited.status, 429, await limited.clone().text());
  await settled();
  const byName = Object.fromEntries(spans.filter((span) => span.attributes["edgegate.binding"]).map((span) => [`${span.name} ${span.attributes["edgegate.binding"]}`, span]));
  assert.deepEqual(byName["edgegate.rate_limit PER_PRINCIPAL"].attributes, { "http.route": "/api/hello", "edgegate.binding": "PER_PRINCIPAL", "edgegate.outcome": "within" });
  assert.equal(byName["edgegate.rate_limit PER_PRINCIPAL"].parent.name, "edgegate.traffic");
  assert.deepEqual(byName["edgegate.rate_limit PER_CLIENT"].attributes, { "http.route": "/items", "edgegate.binding": "PER_CLIENT", "edgegate.outcome": "limited" });
  assert.deepEqual(
    spans.filter((span) => span.attributes["http.route"] === "/items").map(shown),
    [
      ["edgegate.route", null, "/items", "pass", null],
      ["edgegate.traffic", null, "/items", "rate-limited", 429],
      ["edgegate.rate_limit", "edgegate.traffic", "/items", "limited", null],
    ],
  );
  assert.ok(spans.every((span) => span.ended), "every span has ended");
});

test("requests waiting at once each nest their waits in their own stage", async () => {
  // Both counts are held until both requests wait: the second starts while the first is parked.
  const held = [];
  const hold = (success) => ({ limit: () => new Promise((resolve) => held.push(() => resolve({ success }))) });
  const env = { ...SPAN_ENV, PER_PRINCIPAL: hold(true), PER_CLIENT: hold(false) };
  spans.length = 0;
  const first = worker.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
  const second = worker.fetch(new Request("http://gateway.test/items/7"), env);
  await until(() => held.length === 2);
  for (const release of held) release();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.status, 200, await a.clone().text());
  assert.equal(b.status, 429, await b.clone().text());
  await settled();
  for (const span of spans) {
    // Every span is its request's: a stage at the top, a wait inside a stage of the same route.
    if (span.name.startsWith("edgegate.rate_limit")) {
      assert.equal(span.parent.name, "edgegate.traffic");
      assert.equal(span.parent.attributes["http.route"], span.attributes["http.route"]);
    } else if (span.name !== "edgegate.fetch" && span.name !== "edgegate.quota") {
      assert.equal(span.parent, null, `${span.name} of ${span.attributes["http.route"]} is a stage`);
    }
  }
  assert.deepEqual(spans.filter((s) => s.name === "edgegate.rate_limit").map((s) => s.attributes["http.route"]).sort(), ["/api/hello", "/items/{id}"]);
  assert.ok(spans.every((span) => span.ended), "every span has ended");
});

test("a quota count is a span inside the traffic stage, with its binding and whether it admitted", async () => {
  const { default: fresh } = await import(`${bundle}?quota-spans`);
  let left = 1;
  const quota = { idFromName: (name) => name, get: () => ({ count: async () => (left-- > 0 ? [1, 1, 3600] : [0, 1, 3600]) }) };
  const env = { ...SPAN_ENV, QUOTAS: JSON.stringify({ default: { per_day: 1 } }), QUOTA: quota };
  spans.length = 0;
  const first = await fresh.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(first.status, 200, await first.clone().text());
  const second = await fresh.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(second.status, 429, await second.clone().text());
  await settled();
  const counts = spans.filter((span) => span.name === "edgegate.quota");
  assert.deepEqual(
    counts.map((span) => [span.parent?.name, span.attributes["edgegate.binding"], span.attributes["edgegate.outcome"]]),
    [
      ["edgegate.traffic", "QUOTA", "admitted"],
      ["edgegate.traffic", "QUOTA", "exceeded"],
    ],
  );
  assert.ok(spans.every((span) => span.ended), "every span has ended");
});

test("a token provider's key fetch is a span inside the access stage, named by the provider's origin", async () => {
  const { generateKeyPairSync } = await import("node:crypto");
  const { publicJwk } = await import("../../tools/jwt.mjs");
  const { default: fresh } = await import(`${bundle}?jwks-span`);
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwks = { keys: [publicJwk(pair.publicKey, { kid: "remote-1", alg: "RS256" })] };
  const providers = { firebase: { issuer: "edgegate-dev", audiences: ["edgegate-dev"], jwks_uri: "https://keys.issuer.test/jwks.json" } };
  const env = { ...SPAN_ENV, JWT_PROVIDERS: JSON.stringify(providers) };
  const iat = Math.floor(Date.now() / 1000);
  const token = signJwt({
    header: { alg: "RS256", typ: "JWT", kid: "remote-1" },
    payload: { iss: "edgegate-dev", aud: "edgegate-dev", sub: "remote", iat, exp: iat + 600 },
    privateKey: pair.privateKey,
  });
  const realFetch = globalThis.fetch;
  const fetched = [];
  globalThis.fetch = async (url) => {
    fetched.push(String(url));
    return Response.json(jwks);
  };
  try {
    spans.length = 0;
    const response = await fresh.fetch(new Request("http://gateway.test/api/me", { headers: { authorization: `Bearer ${token}` } }), env);
    assert.equal(response.status, 200, await response.clone().text());
    await settled();
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(fetched, ["https://keys.issuer.test/jwks.json"]);
  const keyFetch = spans.find((span) => span.name === "edgegate.fetch");
  assert.ok(keyFetch, spans.map((span) => span.name).join());
  assert.equal(keyFetch.parent?.name, "edgegate.access");
  assert.equal(keyFetch.attributes["edgegate.upstream"], "https://keys.issuer.test");
  assert.equal(keyFetch.attributes["edgegate.outcome"], "200");
  assert.ok(spans.every((span) => span.ended), "every span has ended");
});

test("a span names an upstream by its origin: never the user info of its URL", async () => {
  // A fresh instance: the gateway is built once, from the first request's env.
  const { default: fresh } = await import(`${bundle}?credentials`);
  const env = { ...SPAN_ENV, PER_CLIENT: { limit: async () => ({ success: true }) }, UPSTREAMS: JSON.stringify({ origin: "https://user:s3cret@origin.test/base" }) };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async () => new Response("kept", { headers: { "content-type": "text/plain" } });
  try {
    spans.length = 0;
    const response = await fresh.fetch(new Request("http://gateway.test/origin/x?fields=all", { headers: { "x-api-key": DEV_KEY } }), env);
    assert.equal(response.status, 200, await response.clone().text());
    await settled();
  } finally {
    globalThis.fetch = realFetch;
  }
  const fetched = spans.find((span) => span.name === "edgegate.fetch");
  assert.ok(fetched, spans.map((span) => span.name).join());
  assert.equal(fetched.attributes["edgegate.upstream"], "https://origin.test");
  assert.ok(spans.every((span) => !JSON.stringify(span.attributes).includes("s3cret")));
});

test("a path whose routes all read every header gets them in one pass; any other gets the gateway's selection", async () => {
  const { default: fresh } = await import(`${bundle}?all-headers`);
  const env = { ...SPAN_ENV, TRACE_SPANS: undefined, PER_CLIENT: { limit: async () => ({ success: true }) } };
  // A request as the runtime's, its headers counting how the entry reads them.
  const counted = (target, fields) => {
    const headers = new Headers(fields);
    const reads = { get: 0, all: 0 };
    const request = {
      method: "GET",
      url: `http://gateway.test${target}`,
      body: null,
      headers: {
        get: (name) => (reads.get++, headers.get(name)),
        [Symbol.iterator]: () => (reads.all++, headers[Symbol.iterator]()),
      },
    };
    return { request, reads };
  };
  const forwarded = [];
  const realFetch = globalThis.fetch;
  const realCaches = globalThis.caches;
  globalThis.fetch = async (url, init) => {
    forwarded.push(new Headers(init.headers));
    return new Response("kept", { headers: { "content-type": "text/plain", "cache-control": "no-store" } });
  };
  globalThis.caches = { default: { match: async () => undefined, put: async () => {} } };
  try {
    // /origin/{*rest} forwards every header: read once, all at once.
    const origin = counted("/origin/catalog?x=1", { "x-api-key": DEV_KEY, "x-trace": "t-1" });
    const proxied = await fresh.fetch(origin.request, env);
    assert.equal(proxied.status, 200, await proxied.clone().text());
    assert.deepEqual(origin.reads, { get: 0, all: 1 });
    assert.equal(forwarded.at(-1).get("x-trace"), "t-1");
    // /hello reads only the gateway's own: looked up by name, never all.
    const hello = counted("/hello", { "x-trace": "t-2" });
    assert.equal((await fresh.fetch(hello.request, env)).status, 200);
    assert.equal(hello.reads.all, 0);
    assert.ok(hello.reads.get > 0);
    // A path the hint misses (a look-alike in another case) is still answered as before.
    const other = counted("/Origin/catalog", { "x-api-key": DEV_KEY });
    assert.equal((await fresh.fetch(other.request, env)).status, 404);
    assert.equal(other.reads.all, 0);
  } finally {
    globalThis.fetch = realFetch;
    globalThis.caches = realCaches;
  }
});

test("every algorithm a provider may list verifies through WebCrypto, and none is accepted unlisted", async () => {
  const { generateKeyPairSync } = await import("node:crypto");
  const { publicJwk } = await import("../../tools/jwt.mjs");
  const algorithms = ["RS384", "RS512", "PS256", "PS384", "PS512", "ES384"];
  const pairs = Object.fromEntries(
    algorithms.map((alg) => [alg, alg === "ES384" ? generateKeyPairSync("ec", { namedCurve: "P-384" }) : generateKeyPairSync("rsa", { modulusLength: 2048 })]),
  );
  const keys = algorithms.map((alg) => publicJwk(pairs[alg].publicKey, { kid: `k-${alg}`, alg }));
  const provider = (listed) => JSON.stringify({ firebase: { issuer: "edgegate-dev", audiences: ["edgegate-dev"], jwks: { keys }, algorithms: listed } });
  const iat = Math.floor(Date.now() / 1000);
  const token = (alg) =>
    signJwt({
      header: { alg, typ: "JWT", kid: `k-${alg}` },
      payload: { iss: "edgegate-dev", aud: "edgegate-dev", sub: `user-${alg}`, iat, exp: iat + 600 },
      privateKey: pairs[alg].privateKey,
    });
  const call = (instance, env, alg) => instance.fetch(new Request("http://gateway.test/api/me", { headers: { authorization: `Bearer ${token(alg)}` } }), env);
  // Listed: each verifies (the settings are read once per instance: one with all listed).
  const { default: listed } = await import(`${bundle}?algorithms`);
  const all = { ...GATEWAY_ENV, JWT_PROVIDERS: provider(algorithms) };
  for (const alg of algorithms) {
    const response = await call(listed, all, alg);
    assert.equal(response.status, 200, `${alg}: ${await response.clone().text()}`);
    assert.equal((await response.json()).id, `user-${alg}`);
  }
  // The default list (RS256, ES256, EdDSA) accepts none of them.
  const { default: defaults } = await import(`${bundle}?default-algorithms`);
  const unlisted = { ...GATEWAY_ENV, JWT_PROVIDERS: JSON.stringify({ firebase: { issuer: "edgegate-dev", audiences: ["edgegate-dev"], jwks: { keys } } }) };
  for (const alg of algorithms) {
    const response = await call(defaults, unlisted, alg);
    assert.equal(response.status, 401, alg);
    assert.match((await response.json()).detail, /algorithm/, alg);
  }
});

test("a future that yields (wakes itself, keeps no waker) is polled again, not called stuck", async () => {
  const env = { ...SPAN_ENV, TRACE_SPANS: undefined, DEBUG_ROUTES: "true" };
  const { default: fresh } = await import(`${bundle}?yielding`);
  const response = await fresh.fetch(new Request("http://gateway.test/debug/yield"), env);
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(await response.text(), "yielded");
});

test("a promise the entry awaits wakes the combinator child that polled it (FuturesUnordered's way), so the request ends", async () => {
  const env = { ...SPAN_ENV, TRACE_SPANS: undefined, DEBUG_ROUTES: "true" };
  const { default: fresh } = await import(`${bundle}?woken`);
  const hung = new Promise((resolve) => setTimeout(() => resolve("hung"), 3000).unref());
  const response = await Promise.race([fresh.fetch(new Request("http://gateway.test/debug/woken-children"), env), hung]);
  assert.notEqual(response, "hung", "the child holding the entry's promise was never polled again");
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(await response.text(), "3");
});

test("an instance that ends without a trap (a stack overflow) is replaced at once, and the next requests run on the fresh one", async () => {
  // A wasm stack overflow is a RangeError, not a WebAssembly.RuntimeError:
  // the abort handler is what tells the entry the instance is done.
  const env = { ...SPAN_ENV, TRACE_SPANS: undefined, DEBUG_ROUTES: "true" };
  const { default: fresh } = await import(`${bundle}?overflow`);
  const served = async () => Number(await (await fresh.fetch(new Request("http://gateway.test/debug/instance"), env)).text());
  assert.deepEqual([await served(), await served()], [1, 2]);
  const overflowed = await fresh.fetch(new Request("http://gateway.test/debug/overflow"), env);
  assert.equal(overflowed.status, 500);
  assert.equal(overflowed.headers.get("content-type"), "application/problem+json");
  const hello = await fresh.fetch(new Request("http://gateway.test/hello"), env);
  assert.equal(hello.status, 200, await hello.clone().text());
  assert.equal(await served(), 1, "a fresh instance");
});


test("a rate limiter that throws, rejects, lacks `limit` or answers without a promise: the route's failure mode, with the reason logged", async () => {
  const env = { ...SPAN_ENV, TRACE_SPANS: undefined };
  const cases = [
    [{ limit: () => { throw new Error("limiter exploded"); } }, 200, /limiter exploded/],
    [{ limit: async () => { throw new Error("limiter down"); } }, 200, /limiter down/],
    [{}, 200, /limit/],
    [{ limit: () => ({ success: false }) }, 429, null],
    [{ limit: async () => ({}) }, 200, /without `success`/],
  ];
  for (const [limiter, status, reason] of cases) {
    const [response, calls] = await consoleCalls(async () => {
      const answer = await worker.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), { ...env, PER_PRINCIPAL: limiter });
      await answer.arrayBuffer();
      return answer;
    });
    assert.equal(response.status, status, String(reason));
    // The error line and the access log line: one console call each, the error at console.error.
    const failure = calls.find(([, line]) => line.includes("traffic control failed"));
    if (reason === null) assert.equal(failure, undefined);
    else {
      assert.ok(failure, `no log line for ${reason}: ${calls.join("\n")}`);
      assert.equal(failure[0], "error");
      assert.match(JSON.parse(failure[1]).error, reason);
      assert.equal(calls.length, 2, calls.join("\n"));
      assert.equal(calls[1][0], "log");
      assert.equal(typeof JSON.parse(calls[1][1]).status, "number", "the access line, a JSON object of its own");
    }
  }
});

test("a quota object that does not answer within 3 s lets the request through with an error line (fail open)", { timeout: 15_000 }, async () => {
  const { default: fresh } = await import(`${bundle}?quota-hangs`);
  const hanging = { idFromName: (name) => name, get: () => ({ count: () => new Promise(() => {}) }) };
  const env = { ...GATEWAY_ENV, QUOTAS: JSON.stringify({ default: { per_day: 5 } }), QUOTA: hanging };
  // Warmed first (settings read, code compiled), so the wait timed is the bound's.
  assert.equal((await fresh.fetch(new Request("http://gateway.test/hello"), env)).status, 200);
  const started = Date.now();
  const [response, calls] = await consoleCalls(async () => {
    const answer = await fresh.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
    await answer.arrayBuffer();
    return answer;
  });
  const waited = Date.now() - started;
  assert.equal(response.status, 200);
  assert.ok(waited >= 2900 && waited < 6000, `waited ${waited} ms`);
  const failure = calls.find(([, line]) => line.includes("traffic control failed"));
  assert.ok(failure, calls.join("\n"));
  assert.equal(failure[0], "error");
  const line = JSON.parse(failure[1]);
  assert.equal(line.limit, "quota");
  assert.match(line.error, /the quota object did not answer within 3 s/);
});

/** What `work` wrote to the console: `[method, text]` per call, each text one JSON object. */
async function consoleCalls(work) {
  const calls = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  for (const method of ["log", "warn", "error"]) console[method] = (text) => calls.push([method, String(text)]);
  try {
    return [await work(), calls];
  } finally {
    Object.assign(console, saved);
  }
}

test("a data point reaches the dataset as writeDataPoint takes it: an index, eight blobs, four plain numbers; a dataset that throws fails nothing", async () => {
  // Another instance: the settings (METRICS_DATASET) are read once per instance.
  const { default: metered } = await import(`${bundle}?metrics`);
  const points = [];
  const env = {
    ...SPAN_ENV,
    TRACE_SPANS: undefined,
    PER_CLIENT: { limit: async () => ({ success: true }) },
    METRICS_DATASET: "METRICS",
    METRICS_PRINCIPAL: "id",
    METRICS: { writeDataPoint: (point) => points.push(point) },
  };
  const hello = await metered.fetch(new Request("http://gateway.test/api/hello", { headers: { "x-api-key": DEV_KEY } }), env);
  assert.equal(hello.status, 200, await hello.text());
  assert.equal(points.length, 1);
  const [point] = points;
  assert.deepEqual(point.indexes, ["/api/hello"]);
  assert.deepEqual(point.blobs, ["/api/hello", "GET", "2xx", "api_key", "dev", "", "", ""]);
  // A plain array of numbers, as the runtime's dataset takes them (not a view on wasm memory).
  assert.ok(Array.isArray(point.doubles), "doubles is a plain array");
  assert.equal(point.doubles.length, 4);
  assert.equal(point.doubles[0], 200);
  assert.ok(point.doubles[1] >= 0, "the duration");
  assert.deepEqual(point.doubles.slice(2), [0, 0]);

  const missing = await metered.fetch(new Request("http://gateway.test/nowhere"), env);
  assert.equal(missing.status, 404);
  assert.deepEqual(points[1].blobs.slice(0, 3), ["unmatched", "GET", "4xx"]);
  assert.equal(points[1].blobs[7], "not-found");

  const [failing, calls] = await consoleCalls(() =>
    metered.fetch(new Request("http://gateway.test/hello"), { ...env, METRICS: { writeDataPoint: () => { throw new Error("dataset down"); } } }),
  );
  assert.equal(failing.status, 200);
  const failure = calls.find(([, line]) => line.includes("metrics not written"));
  assert.ok(failure, calls.join("\n"));
  assert.match(JSON.parse(failure[1]).error, /dataset down/);
  assert.equal(failure[0], JSON.parse(failure[1]).level === "error" ? "error" : "warn");
});

test("headers named as an object's own keys (`__proto__`, `constructor`) reach the origin, and come back from it, with their values", async () => {
  const { default: fresh } = await import(`${bundle}?object-names`);
  const env = { ...SPAN_ENV, TRACE_SPANS: undefined, PER_CLIENT: { limit: async () => ({ success: true }) }, UPSTREAMS: JSON.stringify({ origin: "https://origin.test" }) };
  const realFetch = globalThis.fetch;
  let sent = null;
  globalThis.fetch = async (url, init) => {
    sent = new Headers(init.headers);
    return new Response("kept", { headers: [["content-type", "text/plain"], ["__proto__", "from-origin"], ["constructor", "c"]] });
  };
  let response;
  try {
    const headers = [["x-api-key", DEV_KEY], ["__proto__", "polluted?"], ["constructor", "x"], ["tostring", "y"]];
    response = await fresh.fetch(new Request("http://gateway.test/origin/x", { headers }), env);
    assert.equal(response.status, 200, await response.clone().text());
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.ok(sent, "the origin was called");
  assert.equal(sent.get("__proto__"), "polluted?");
  assert.equal(sent.get("constructor"), "x");
  assert.equal(sent.get("tostring"), "y");
  assert.equal(sent.get("x-api-key"), null, "the key is not forwarded");
  assert.equal(response.headers.get("__proto__"), "from-origin");
  assert.equal(response.headers.get("constructor"), "c");
  assert.equal(Object.prototype.polluted, undefined);
});
