// Profiles our worker's own code in Node (same V8): the entry, the
// JS↔wasm protocol and the Rust gateway, without workerd or the network.
// `node bench/profile.mjs [iterations]` prints µs per request for each bench
// scenario; add `--cpu-prof` to Node for a profile to open in DevTools.
// s6's upstream call is answered at once in JS (fetch stands in for the
// origin), so its figure is the forwarding code's own cost.
// (Inside workerd, clocks only move on I/O, so this cannot be timed there.)
import { mkdirSync } from "node:fs";
import path from "node:path";
import { APP_POLICY_VARS, bundleForNode } from "../tools/local.mjs";
import { BENCH_JWT, BENCH_KEY, ORIGIN_BODY, OUT, SCENARIOS } from "./lib.mjs";

const iterations = Number(process.argv[2] || 20000);
mkdirSync(OUT, { recursive: true });
const bundle = await bundleForNode(`export { default } from "./build/entry.js";`, path.join(OUT, "profile-bundle.mjs"));
const silent = console.log;
console.log = () => {};
globalThis.fetch = async () => new Response(ORIGIN_BODY, { headers: { "content-type": "application/json" } }); // s6's origin
const worker = (await import(bundle)).default;
const env = {
  ...APP_POLICY_VARS,
  CORS_ALLOWED_ORIGINS: "http://localhost:5173, http://127.0.0.1:5173",
  API_KEYS: JSON.stringify({ [BENCH_KEY]: "bench" }),
  JWT_PROVIDERS: BENCH_JWT.providers,
  UPSTREAMS: JSON.stringify({ origin: "http://origin.invalid" }),
  // The /fn/greet routes' binding (no scenario calls it; the gateway checks it is bound).
  GREETER: { fetch: () => Promise.reject(new Error("no scenario calls the greeter")) },
  // The limiters answer at once (the bench's limits are never met); no quotas, as in the bench.
  PER_PRINCIPAL: { limit: async () => ({ success: true }) },
  PER_CLIENT: { limit: async () => ({ success: true }) },
  QUOTA: { idFromName: () => { throw new Error("no quota in the profile"); } },
  QUOTAS: JSON.stringify({ default: {} }),
};

for (const scenario of SCENARIOS) {
  const make = () =>
    new Request(`http://127.0.0.1:8787${scenario.path}`, {
      method: scenario.method,
      headers: { host: "127.0.0.1:8787", ...scenario.headers },
      body: scenario.body,
    });
  for (let i = 0; i < 2000; i++) await worker.fetch(make(), env); // warm-up
  let start = performance.now();
  for (let i = 0; i < iterations; i++) make();
  const requestsOnly = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < iterations; i++) await worker.fetch(make(), env);
  const total = performance.now() - start;
  silent(`${scenario.id} ${scenario.name}: ${(((total - requestsOnly) * 1000) / iterations).toFixed(2)} µs per request (entry + wasm + gateway)`);
}
