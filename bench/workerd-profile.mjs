// Where a bench target spends its CPU inside workerd: serves the target as
// `make bench` does (same bundles, bindings and limiter), attaches to
// workerd's inspector, records a V8 CPU profile while wrk loads one
// scenario, and prints the busy µs per request and the functions with the
// most self time (minified names are looked up in the bundle's text; wasm
// functions are numbered, the release wasm has no names). Native work a JS
// call starts (a binding's RPC, building a `Response`) counts as that call's.
// The profiler slows everything down: compare shares, not speeds.
//
//   node bench/workerd-profile.mjs <ours|ours_nolog|ours_quiet|ours_observed|hono|hono_log|bare|bare_observed> <s1…s8> [seconds]
//
// The profile itself is written to bench/.out/profile-<target>-<scenario>.cpuprofile
// (open it in Chrome's DevTools).
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { WORKERD } from "../tools/local.mjs";
import { OUT, SCENARIOS, buildOthers, buildOurs, freePort, luaFor, writeConfig } from "./lib.mjs";

const [target, id, seconds = "5"] = process.argv.slice(2);
const scenario = SCENARIOS.find((s) => s.id === id);
if (!scenario || !target) throw new Error("usage: node bench/workerd-profile.mjs <target> <scenario> [seconds]");

const ours = buildOurs();
buildOthers();
const ports = { [target]: await freePort(), origin: await freePort() };
const config = path.join(OUT, "profile.capnp");
writeConfig(config, ours, ports);
const script = path.join(OUT, `${id}.lua`);
writeFileSync(script, luaFor(scenario));
const inspector = await freePort();
const workerd = spawn("taskset", ["-c", "1", WORKERD, "serve", config, `--inspector-addr=127.0.0.1:${inspector}`], {
  cwd: OUT,
  stdio: ["ignore", "ignore", "inherit"],
});
const load = (duration) =>
  execFileSync("taskset", ["-c", "0", "wrk", "-t1", "-c8", `-d${duration}s`, "-s", script, `http://127.0.0.1:${ports[target]}`], { encoding: "utf8" });

try {
  let worker;
  for (let tries = 0; !worker; tries++) {
    if (tries === 300) throw new Error(`workerd's inspector lists no worker ${target}`);
    try {
      const targets = await (await fetch(`http://127.0.0.1:${inspector}/json`)).json();
      worker = targets.find((t) => t.title === `workerd: worker ${target}`);
    } catch {}
    if (!worker) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const socket = new WebSocket(worker.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = reject)));
  const waiting = new Map();
  socket.onmessage = (message) => {
    const { id, result } = JSON.parse(message.data);
    waiting.get(id)?.(result);
  };
  let next = 0;
  const send = (method, params = {}) => new Promise((resolve) => waiting.set(++next, resolve) && socket.send(JSON.stringify({ id: next, method, params })));

  load(2); // warm-up
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 50 });
  await send("Profiler.start");
  const output = load(seconds);
  const { profile } = await send("Profiler.stop");
  writeFileSync(path.join(OUT, `profile-${target}-${id}.cpuprofile`), JSON.stringify(profile));

  const requests = Number(output.match(/(\d+) requests in/)[1]);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map();
  profile.samples.forEach((sample, i) => {
    const frame = nodes.get(sample);
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const idle = [...self].filter(([key]) => key.startsWith("(idle)")).reduce((sum, [, t]) => sum + t, 0);
  const total = [...self.values()].reduce((sum, t) => sum + t, 0);
  console.log(`${target} ${id}: ${requests} requests, ${((total - idle) / requests).toFixed(1)} µs busy per request (profiled)\n`);
  const bundles = { ours: "edgegate/entry.js", ours_nolog: "edgegate/entry.js", hono: "hono.js", hono_log: "hono_log.js", bare: "bare.js", bare_observed: "bare.js", bare_unlimited: "bare.js" };
  const source = readFileSync(path.join(OUT, target.startsWith("ours") ? path.join("edgegate", "entry.js") : bundles[target]), "utf8").split("\n");
  for (const [key, t] of [...self].filter(([key]) => !key.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    const [, name, url, line, column] = key.match(/^(.*)@(.*):(-?\d+):(-?\d+)$/);
    const text = url && !url.includes("wasm") && Number(line) >= 0 ? source[Number(line)]?.slice(Number(column), Number(column) + 70) : "";
    console.log(`${(t / requests).toFixed(1).padStart(7)} µs  ${(name || "(anonymous)").padEnd(20)} ${text ?? ""}`);
  }
} finally {
  workerd.kill("SIGKILL");
}
process.exit(0);
