// Where our worker's start-up goes, in Node (same V8 as workerd): a fresh
// process per run loads the release bundle (the wasm module compiled and
// instantiated, the glue evaluated), then serves its first `/hello` (the
// gateway built from the settings, and every wasm function the build and
// the request run compiled on first call: V8 compiles wasm lazily) and a
// second one. The same again with `--no-wasm-lazy-compilation` (the whole
// module compiled at load) tells how much of the first request is
// compiling the code it runs. `make bench` measures the total in workerd
// (spawn to first answer, ours less bare); this splits it.
//
//   node bench/startup.mjs [runs]     (median of `runs`, 9 by default, interleaved)
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { bundleForNode } from "../tools/local.mjs";
import { OUT, buildOurs, median } from "./lib.mjs";

const runs = Number(process.argv[2] || 9);
buildOurs();
mkdirSync(OUT, { recursive: true });
const bundle = await bundleForNode(`export { default } from "./build/entry.js";`, path.join(OUT, "startup-bundle.mjs"));

// One run: Node's own Request and Response warmed first (they load lazily),
// then the bundle imported and asked twice. Prints three numbers (ms).
const child = `
import { nodeEnv } from ${JSON.stringify(path.resolve("bench/lib.mjs"))};
const env = nodeEnv();
await new Response(new Request("http://x/", { method: "POST", body: "x" }).body).text();
console.log = () => {};
const t0 = performance.now();
const worker = (await import(${JSON.stringify(bundle)})).default;
const t1 = performance.now();
const first = await worker.fetch(new Request("http://127.0.0.1:8787/hello"), env);
const t2 = performance.now();
const second = await worker.fetch(new Request("http://127.0.0.1:8787/hello"), env);
const t3 = performance.now();
if (first.status !== 200 || second.status !== 200) throw new Error("/hello answered " + first.status + ", " + second.status);
process.stdout.write(JSON.stringify([t1 - t0, t2 - t1, t3 - t2]));
`;
const modes = { lazy: [], eager: ["--no-wasm-lazy-compilation"] };
const results = { lazy: [], eager: [] };
for (let i = 0; i < runs; i++) {
  for (const [mode, flags] of Object.entries(modes)) {
    const out = execFileSync(process.execPath, [...flags, "--input-type=module", "-e", child], { encoding: "utf8" });
    results[mode].push(JSON.parse(out));
  }
}
const ms = (values) => median(values).toFixed(1).padStart(6);
console.log(`start-up in Node, median of ${runs} fresh processes (ms): load = the module compiled, instantiated and its glue run; first = the gateway built and /hello served`);
for (const [mode, rows] of Object.entries(results)) {
  console.log(
    `  ${mode === "lazy" ? "V8's default: lazy wasm compilation" : "whole module compiled at load      "}  load ${ms(rows.map((r) => r[0]))}  first ${ms(rows.map((r) => r[1]))}  second ${ms(rows.map((r) => r[2]))}  total ${ms(rows.map((r) => r[0] + r[1]))}`,
  );
}
const lazyFirst = median(results.lazy.map((r) => r[1]));
const eagerFirst = median(results.eager.map((r) => r[1]));
console.log(`compiling what the first request runs: about ${(lazyFirst - eagerFirst).toFixed(1)} ms of its ${lazyFirst.toFixed(1)} ms`);
