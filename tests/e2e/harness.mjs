// Starts the real wasm worker under `wrangler dev` on a free port, and stops it.
// A worker that does not come up fails the test: nothing here skips.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { APP_POLICY_VARS, COMPATIBILITY_FLAGS, FRONTEND, ROOT, TOOL_ENV as ENV, WORKERD, WRANGLER, buildBundle, capnpModules, freePort, greeterCapnp, trafficCapnp } from "../../tools/local.mjs";

export { FRONTEND, ROOT, freePort };
export const DEV_KEY = "dev-local-key";

/**
 * Serves the worker with a fresh local D1 database (migrations applied).
 * `vars` are passed as `--var NAME:VALUE`; `envFile` replaces `.dev.vars`
 * (secrets) when given. `config` serves another app's wrangler.toml (then
 * nothing is migrated; `readyPath` is what it answers once it serves;
 * `alongside` names more wrangler.tomls, relative to its directory, to serve
 * beside it).
 * The app is served with the function Worker its `GREETER` binding calls:
 * functions/greeter/ as `make dev` serves it, or `functionConfig` (a
 * wrangler.toml naming itself `edgegate-greeter`) in its place.
 */
export async function startWorker({ vars = {}, envFile, persist, migrate = true, config, alongside = [], readyPath = "/hello", functionConfig = "functions/greeter/wrangler.toml" } = {}) {
  persist ??= mkdtempSync(path.join(tmpdir(), "edgegate-state-"));
  if (migrate && !config) {
    const applied = spawnSync(
      process.execPath,
      [WRANGLER, "d1", "migrations", "apply", "edgegate", "--local", "--persist-to", persist],
      { cwd: ROOT, env: ENV, encoding: "utf8" },
    );
    if (applied.status !== 0) throw new Error(`migrations failed:\n${applied.stdout}\n${applied.stderr}`);
  }

  return onFreePort(serveOnce);

  async function serveOnce(port) {
    const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
    if (!config) args.push("-c", "wrangler.toml", "-c", functionConfig);
    // Workers served beside another app (its queue consumer...), relative to its directory.
    else if (alongside.length > 0) args.push("-c", "wrangler.toml", ...alongside.flatMap((other) => ["-c", other]));
    args.push("--persist-to", persist);
    for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
    if (envFile) args.push("--env-file", envFile);
    // Another app is served from its own directory, as its team would run `wrangler dev`.
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: config ? path.dirname(path.resolve(ROOT, config)) : ROOT,
      detached: true,
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = [];
    let exited = null;
    collect(child, output);
    child.on("exit", (code, signal) => (exited = { code, signal }));
    child.on("error", (error) => (exited = { error: String(error) }));

    const worker = watchLogs(`http://127.0.0.1:${port}`, output, {
      persist,
      async stop() {
        if (exited) return;
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {}
        const deadline = Date.now() + 5000;
        while (!exited && Date.now() < deadline) await sleep(50);
        if (!exited) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {}
        }
      },
    });
    try {
      await untilServing(worker, () => exited, 180_000, undefined, readyPath);
    } catch (error) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      throw error;
    }
    return worker;
  }
}

/**
 * `serve(port)` on a free port. The port is free when chosen, but another
 * process (a worker still stopping, a runtime's own ephemeral sockets) may
 * bind it before the server does, which then exits at once ("Address
 * already in use"): another port is tried, up to three in all.
 */
async function onFreePort(serve) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await serve(await freePort());
    } catch (error) {
      if (attempt === 3 || !/Address already in use/.test(String(error))) throw error;
    }
  }
}

/** Collects a process's output lines into `output`. */
function collect(child, output) {
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    let partial = "";
    stream.on("data", (chunk) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop();
      output.push(...lines);
    });
  }
}

/** Waits until the worker answers `path` (by default 200 or the misconfiguration 500). */
async function untilServing(worker, exited, timeoutMs, ready = (status) => status === 200 || status === 500, path = "/hello") {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exited()) throw new Error(`the worker exited (${JSON.stringify(exited())}) before serving:\n${worker.output.join("\n")}`);
    try {
      const response = await fetch(`${worker.url}${path}`, { signal: AbortSignal.timeout(2000) });
      if (ready(response.status)) return;
    } catch {}
    if (Date.now() > deadline) {
      await worker.stop();
      throw new Error(`the worker did not serve ${worker.url} within ${timeoutMs / 1000} s:\n${worker.output.join("\n")}`);
    }
    await sleep(250);
  }
}

let bundle = null;

/**
 * Serves the release bundle (what `wrangler deploy` uploads) under plain
 * `workerd serve`, with `vars` as text bindings and no D1. For what
 * `wrangler dev` hides: its proxy reads a request's whole body before the
 * worker sees the request, and normalises its path. The rate limiters named
 * in `hangingLimiters` never answer.
 */
/**
 * The Cache API's store for plain workerd, which has none (`cache: true`):
 * the bench's stand-in (bench/cache/worker.js), as the worker's `cacheApiOutbound`.
 */
const CACHE_SERVICE = `(name = "cache", worker = (compatibilityDate = "2026-11-01", modules = [ (name = "cache.js", esModule = ${JSON.stringify(
  readFileSync(path.join(ROOT, "bench", "cache", "worker.js"), "utf8"),
)}) ]))`;

export async function serveBundle({ vars = {}, hangingLimiters = [], cache = false } = {}) {
  bundle ??= buildBundle(path.join(mkdtempSync(path.join(tmpdir(), "edgegate-workerd-")), "bundle"));
  return onFreePort(serveOn);

  async function serveOn(port) {
    const bindings = Object.entries({ ...APP_POLICY_VARS, ...vars }).map(([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`);
    // `embed` paths are relative to the config: it sits beside the bundle.
    const config = path.join(path.dirname(bundle.dir), `worker-${port}.capnp`);
    const greeter = greeterCapnp(path.dirname(bundle.dir));
    const traffic = trafficCapnp(path.dirname(bundle.dir), JSON.parse(APP_POLICY_VARS.RATE_LIMITS), { hanging: hangingLimiters });
    writeFileSync(
      config,
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetches may reach this machine (the tests' origins listen on 127.0.0.1).
    (name = "internet", network = (allow = ["public", "private", "local"])),
    ${greeter.service},
    ${traffic.service},${cache ? `\n    ${CACHE_SERVICE},` : ""}
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ ${capnpModules(bundle, "bundle/").join(", ")} ],
  compatibilityDate = "2026-11-01",
  compatibilityFlags = ${COMPATIBILITY_FLAGS},${cache ? '\n  cacheApiOutbound = "cache",' : ""}
  bindings = [ ${[...bindings, greeter.binding, ...traffic.limiters, traffic.quota].join(", ")} ],
  ${traffic.objects}
);
`,
    );
    const child = spawn(WORKERD, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
    const output = [];
    collect(child, output);
    let exited = null;
    child.on("exit", (code, signal) => (exited = { code, signal }));
    const worker = watchLogs(`http://127.0.0.1:${port}`, output, {
      port,
      async stop() {
        child.kill("SIGKILL");
      },
    });
    try {
      await untilServing(worker, () => exited, 30_000, () => true);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
    return worker;
  }
}

/** A served worker: its address, its output, and its access log lines. */
function watchLogs(url, output, extra) {
  const worker = {
    url,
    output,
    ...extra,
    /** The access log lines (JSON objects with a request_id) printed so far. */
    accessLogs() {
      return output.flatMap((line) => {
        const start = line.indexOf("{");
        if (start < 0 || !line.includes('"request_id"') || !line.includes('"status"')) return [];
        try {
          return [JSON.parse(line.slice(start))];
        } catch {
          return [];
        }
      });
    },
    /** Waits until an access log line for this request id is printed. */
    async logFor(requestId, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const entry = worker.accessLogs().find((e) => e.request_id === requestId);
        if (entry) return entry;
        await sleep(50);
      }
      throw new Error(`no access log line for ${requestId}\n${output.slice(-30).join("\n")}`);
    },
  };
  return worker;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts a problem+json response; returns its body. */
export async function problem(assert, response, status, kind) {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = JSON.parse(text);
  assert.equal(body.type, `urn:edgegate:problem:${kind}`);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, "string");
  assert.equal(typeof body.detail, "string");
  assert.equal(body.request_id, response.headers.get("x-request-id"));
  return body;
}

/**
 * A raw socket to the worker, for what a client library would not send
 * (header bytes outside ASCII, a declared body that comes late or never).
 */
export async function connect(url) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let data = Buffer.alloc(0);
  let waiting = null;
  let head = false;
  const check = () => {
    const parsed = parse(data, head);
    if (parsed && waiting) waiting(parsed);
  };
  socket.on("data", (chunk) => {
    data = Buffer.concat([data, chunk]);
    check();
  });
  socket.on("error", () => {});
  return {
    write: (bytes) => socket.write(bytes),
    /** Bytes received so far. */
    received: () => data.length,
    /** One HTTP/1.1 response: status, lowercased headers, body text; null if none within `timeoutMs` (`toHead`: an answer to HEAD, which has no body whatever its length says). */
    response(timeoutMs = 5000, toHead = false) {
      head = toHead;
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        waiting = (parsed) => {
          clearTimeout(timer);
          resolve(parsed);
        };
        check();
      });
    },
    /** Ends the client's side (no more bytes), still reading the answer. */
    end: () => socket.end(),
    close: () => socket.destroy(),
    /**
     * Drops the connection (a TCP reset): a client gone, as the edge tells
     * the runtime. A plain close is only a half-close in HTTP/1.1 — the
     * client may still read — and the runtime goes on with the request.
     */
    reset: () => socket.resetAndDestroy(),
  };
}

/** Sends raw bytes and reads one response (null if none within `timeoutMs`), with how long it took. */
export async function raw(url, bytes, { timeoutMs = 5000, head = false } = {}) {
  const connection = await connect(url);
  const started = Date.now();
  connection.write(bytes);
  const response = await connection.response(timeoutMs, head);
  connection.close();
  return response && { ...response, ms: Date.now() - started };
}

/** A complete HTTP/1.1 response in `data` (Content-Length or chunked), or null. */
function parse(data, head = false) {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine, ...lines] = data.subarray(0, end).toString("latin1").split("\r\n");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (head) {
    body = body.subarray(0, 0);
  } else if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    if (body.length < length) return null;
    body = body.subarray(0, length);
  } else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const chunks = [];
    let at = 0;
    while (true) {
      const lineEnd = body.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const size = parseInt(body.subarray(at, lineEnd).toString(), 16);
      if (size === 0) break;
      if (body.length < lineEnd + 2 + size) return null;
      chunks.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 4 + size;
    }
    body = Buffer.concat(chunks);
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: body.toString("utf8") };
}
