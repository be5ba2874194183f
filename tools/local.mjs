// What the end-to-end tests and the benchmark share for running the project's
// own tools locally: where they are, the environment they run in, free ports.
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, readdirSync, rmSync } from "node:fs";
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
 * The values wrangler.toml's [vars] give the policies the app's routes name
 * (src/routes.rs), for workers served from our own workerd configs (the
 * bench, the boundary tests) rather than from wrangler.toml. A route's name
 * without a value is a misconfiguration, so a drift here fails those tests.
 */
export const APP_POLICY_VARS = {
  CORS_PROFILES: JSON.stringify({ partners: {} }),
  IP_RULES: JSON.stringify({ partners: { allow: [], deny: [] } }),
  UPSTREAMS: JSON.stringify({ origin: "https://example.com" }),
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

/** node_modules/.bin first on PATH (for wrangler's build command), quiet, no telemetry. */
export const TOOL_ENV = {
  ...process.env,
  PATH: `${BIN}${path.delimiter}${process.env.PATH}`,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  WRANGLER_SEND_METRICS: "false",
  CI: "true",
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

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
