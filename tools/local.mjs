// What the end-to-end tests and the benchmark share for running the project's
// own tools locally: where they are, the environment they run in, free ports.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BIN = path.join(ROOT, "node_modules", ".bin");
/** Run with this Node (22, from node_modules): wrangler needs it. */
export const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
export const WORKERD = path.join(ROOT, "node_modules", "@cloudflare", "workerd-linux-64", "bin", "workerd");
/** The development frontend origin, allowed by wrangler.toml's CORS setting. */
export const FRONTEND = "http://localhost:5173";

/**
 * Our worker's compatibility flags as wrangler.toml deploys them, for the
 * plain `workerd serve` configs (the raw-socket tests, the bench), as capnp.
 */
export const COMPATIBILITY_FLAGS = `[${(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").match(/^compatibility_flags = \[(.*)\]$/m)?.[1] ?? "")}]`;

/**
 * The values wrangler.toml's [vars] give the policies the app's routes name
 * (src/routes.rs), for workers served from our own workerd configs (the
 * bench, the boundary tests) rather than from wrangler.toml. A route's name
 * without a value is a misconfiguration, so a drift here fails those tests.
 */
export const APP_POLICY_VARS = {
  CORS_PROFILES: JSON.stringify({ partners: {} }),
  IP_RULES: JSON.stringify({ partners: { allow: [], deny: [] } }),
  UPSTREAMS: JSON.stringify({ origin: "https://example.com" }),
  CACHE_POLICIES: JSON.stringify({ origin: { memory: 1 } }),
  RATE_LIMITS: JSON.stringify({ PER_PRINCIPAL: { limit: 100, period: 60 }, PER_CLIENT: { limit: 600, period: 60 }, PER_PARTNER: { limit: 1200, period: 60 } }),
  QUOTAS: JSON.stringify({ default: { per_day: 10000 } }),
  // The development provider (.dev.vars.example): its key is in the repo.
  JWT_PROVIDERS: JSON.stringify({
    firebase: {
      issuer: "edgegate-dev",
      audiences: ["edgegate-dev"],
      jwks: { keys: [JSON.parse(readFileSync(path.join(ROOT, "tools", "dev-token", "public.jwk"), "utf8"))] },
    },
  }),
};

/**
 * The function Worker behind the app's service binding `GREETER`
 * (functions/greeter/), for our own workerd configs: `greeterCapnp(dir)`
 * copies it into `dir` (where the config's `embed` paths start) and gives
 * the service to list and the binding to give the gateway.
 */
export const GREETER_SOURCE = path.join(ROOT, "functions", "greeter", "index.js");
export function greeterCapnp(dir) {
  copyFileSync(GREETER_SOURCE, path.join(dir, "greeter.js"));
  return {
    service: `(name = "greeter", worker = (modules = [ (name = "greeter.js", esModule = embed "greeter.js") ], compatibilityDate = "2026-11-01"))`,
    binding: `(name = "GREETER", service = "greeter")`,
  };
}

/**
 * The quota storage directories this process made, removed when it exits:
 * each bench or test run made one, and none was ever removed. A run
 * interrupted by a signal (Ctrl-C) exits without this and leaves its own.
 */
const quotaStorage = new Set();
process.once("exit", () => {
  for (const dir of quotaStorage) rmSync(dir, { recursive: true, force: true });
});

/**
 * Traffic control for our own workerd configs (plain `workerd serve` has no
 * rate-limit binding): `trafficCapnp(dir, limits)` writes a limiter Worker
 * into `dir` whose entrypoints answer `limit({key})` as the Workers binding
 * does (fixed windows aligned to the clock, in memory), one per limiter in
 * `limits` ({NAME: {limit, period}}), and gives the service to list, the
 * bindings to give a gateway, and what our worker needs for its quota
 * Durable Object (the class it exports, SQLite storage in a fresh
 * directory under `dir`, removed when this process exits). The limiters
 * named in `hanging` never answer.
 */
export function trafficCapnp(dir, limits, { hanging = [] } = {}) {
  const entrypoint = (name) => name.toLowerCase().replace(/(^|_)(.)/g, (_, __, c) => c.toUpperCase());
  const source = `import { WorkerEntrypoint } from "cloudflare:workers";
const counts = new Map();
function limiter(name, limit, period) {
  return class extends WorkerEntrypoint {
    limit({ key }) {
      const window = Math.floor(Date.now() / (period * 1000));
      const id = name + "\\n" + key;
      let entry = counts.get(id);
      if (entry === undefined || entry.window !== window) counts.set(id, (entry = { window, count: 0 }));
      if (entry.count >= limit) return { success: false };
      entry.count++;
      return { success: true };
    }
  };
}
/** A limiter that does not answer for a minute (a test of the gateway's bounded wait; a promise that can never settle would be cancelled by the runtime as hung). */
class Hanging extends WorkerEntrypoint {
  limit() {
    return new Promise((resolve) => setTimeout(resolve, 60_000, { success: true }));
  }
}
${Object.entries(limits).map(([name, { limit, period }]) => `export const ${entrypoint(name)} = ${hanging.includes(name) ? "Hanging" : `limiter(${JSON.stringify(name)}, ${limit}, ${period})`};`).join("\n")}
export default { fetch: () => new Response("a limiter", { status: 404 }) };
`;
  writeFileSync(path.join(dir, "limiter.js"), source);
  const storage = mkdtempSync(path.join(dir, "quota-"));
  quotaStorage.add(storage);
  return {
    service: `(name = "limiter", worker = (modules = [ (name = "limiter.js", esModule = embed "limiter.js") ], compatibilityDate = "2026-11-01")),
    (name = "quota-storage", disk = (path = ${JSON.stringify(storage)}, writable = true))`,
    limiters: Object.keys(limits).map((name) => `(name = "${name}", service = (name = "limiter", entrypoint = "${entrypoint(name)}"))`),
    quota: `(name = "QUOTA", durableObjectNamespace = "QuotaCounter")`,
    objects: `durableObjectNamespaces = [ (className = "QuotaCounter", uniqueKey = "edgegate-quota", enableSql = true) ],
  durableObjectStorage = (localDisk = "quota-storage"),`,
  };
}

/** node_modules/.bin first on PATH (for wrangler's build command), quiet, no telemetry. */
export const TOOL_ENV = {
  ...process.env,
  PATH: `${BIN}${path.delimiter}${process.env.PATH}`,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  WRANGLER_SEND_METRICS: "false",
  CI: "true",
};

export async function freePort() {
  // The system may hand the same free port out twice in a row: a config
  // asking for a dozen sockets at once would then bind one of them twice.
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Every port freePort has given in this process: never given twice. */
const handedOut = new Set();

/**
 * Builds the release worker's deployable bundle into `dir`, exactly as
 * `wrangler deploy` would upload it; returns its modules and wrangler's size report.
 */
export function buildBundle(dir, root = ROOT) {
  rmSync(dir, { recursive: true, force: true });
  const output = execFileSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", dir], {
    cwd: root,
    env: TOOL_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const match = output.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  if (!match) throw new Error(`no size report in wrangler's output:\n${output}`);
  const modules = readdirSync(dir).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
  return { dir, modules, totalKiB: Number(match[1]), gzipKiB: Number(match[2]) };
}

/** A bundle's modules as a workerd config lists them (the entry first), from files under `prefix`. */
export function capnpModules(bundle, prefix) {
  return bundle.modules
    .map((m) => `(name = "${m}", ${m.endsWith(".wasm") ? "wasm" : "esModule"} = embed "${prefix}${m}")`)
    .sort((a, b) => (a.includes("esModule") ? -1 : b.includes("esModule") ? 1 : 0));
}

/**
 * Bundles a module that imports the built worker (build/entry.js and its
 * glue) for Node, with stand-ins for what only workerd provides
 * (`cloudflare:workers`, `.wasm` imports as compiled modules); writes it to
 * `outfile`. The profiler and the Node tests of the entry use it.
 */
export async function bundleForNode(contents, outfile) {
  const { build } = await import("esbuild");
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: "js" },
    bundle: true,
    format: "esm",
    write: false,
    platform: "node",
    // wasm-bindgen's glue names the platform snippet twice in its import
    // object; a deployed bundle (bench/profile.mjs's baseline) keeps that.
    logOverride: { "duplicate-object-key": "silent" },
    plugins: [
      {
        name: "workerd-stand-ins",
        setup(b) {
          b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: "cloudflare-workers", namespace: "stub" }));
          // `tracing` is whatever a test put in `globalThis.__tracingStub` before loading the bundle (none: no spans).
          b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
            contents: "export class WorkerEntrypoint {}\nexport class DurableObject {}\nexport const tracing = globalThis.__tracingStub;",
          }));
          b.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: path.join(args.resolveDir, args.path), namespace: "wasm" }));
          b.onLoad({ filter: /.*/, namespace: "wasm" }, (args) => ({
            contents: `import { readFileSync } from "node:fs"; export default new WebAssembly.Module(readFileSync(${JSON.stringify(args.path)}));`,
            resolveDir: ROOT,
          }));
        },
      },
    ],
  });
  writeFileSync(outfile, result.outputFiles[0].text);
  return outfile;
}
