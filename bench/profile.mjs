// Profiles our worker's own code in Node (same V8): the entry, the
// JS↔wasm protocol and the Rust gateway, without workerd or the network.
// `node bench/profile.mjs [iterations]` prints µs per request for each bench
// scenario; add `--cpu-prof` to Node for a profile to open in DevTools.
// s6's upstream call is answered at once in JS (fetch stands in for the
// origin), so its figure is the forwarding code's own cost.
// (Inside workerd, clocks only move on I/O, so this cannot be timed there.)
//
// `node bench/profile.mjs [iterations] <bundle dir>` is a same-process A/B:
// the current build against a bundle made before (`wrangler deploy --dry-run
// --outdir <dir>` of the baseline), in alternating rounds, printing each
// one's median and ours/baseline (time per request, so below 1 is faster).
// On a noisy machine this resolves a few µs that `make bench` cannot.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { bundleForNode } from "../tools/local.mjs";
import { ORIGIN_BODY, OUT, SCENARIOS, median, nodeEnv } from "./lib.mjs";

const iterations = Number(process.argv[2] || 20000);
const baselineDir = process.argv[3] ? path.resolve(process.argv[3]) : null;
mkdirSync(OUT, { recursive: true });
/** A worker module's default export, bundled for Node from its entry. */
async function load(entry, name) {
  const bundle = await bundleForNode(`export { default } from ${JSON.stringify(entry)};`, path.join(OUT, `profile-${name}.mjs`));
  return (await import(bundle)).default;
}
const silent = console.log;
// Every log line, at any level (the gateway writes warnings with console.warn).
console.log = console.warn = console.error = () => {};
globalThis.fetch = async () => new Response(ORIGIN_BODY, { headers: { "content-type": "application/json" } }); // s6's origin
const worker = await load("./build/entry.js", "bundle");
const baseline = baselineDir && (await load(path.join(baselineDir, "entry.js"), "baseline"));
const env = nodeEnv(JSON.parse(process.env.PROFILE_VARS || "{}"));

/** µs per request of `target` on `make`'s requests, less the cost of making them. */
async function measure(target, make, count) {
  let start = performance.now();
  for (let i = 0; i < count; i++) make();
  const requestsOnly = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < count; i++) {
    const response = await target.fetch(make(), env);
    if (response.status >= 500) throw new Error(`the scenario answered ${response.status}: ${await response.text()}`);
  }
  return ((performance.now() - start - requestsOnly) * 1000) / count;
}

for (const scenario of SCENARIOS) {
  const make = () =>
    new Request(`http://127.0.0.1:8787${scenario.path}`, {
      method: scenario.method,
      headers: { host: "127.0.0.1:8787", ...scenario.headers },
      body: scenario.body,
    });
  for (const target of [worker, baseline].filter(Boolean)) for (let i = 0; i < 2000; i++) await target.fetch(make(), env); // warm-up
  if (!baseline) {
    const us = await measure(worker, make, iterations);
    silent(`${scenario.id} ${scenario.name}: ${us.toFixed(2)} µs per request (entry + wasm + gateway)`);
    continue;
  }
  // Alternating rounds, each build first in every other one: drift hits both alike.
  const rounds = { ours: [], baseline: [] };
  const slice = Math.max(500, Math.round(iterations / 10));
  for (let round = 0; round < 12; round++) {
    for (const name of round % 2 ? ["ours", "baseline"] : ["baseline", "ours"]) {
      rounds[name].push(await measure(name === "ours" ? worker : baseline, make, slice));
    }
  }
  const ours = median(rounds.ours);
  const before = median(rounds.baseline);
  silent(`${scenario.id} ${scenario.name}: ours ${ours.toFixed(2)} µs, baseline ${before.toFixed(2)} µs per request, ours/baseline ${(ours / before).toFixed(3)}`);
}
