// Starts the real wasm worker under `wrangler dev` on a free port, and stops it.
// A worker that does not come up fails the test: nothing here skips.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FRONTEND, ROOT, TOOL_ENV as ENV, WRANGLER, freePort } from "../../tools/local.mjs";

export { FRONTEND, ROOT, freePort };
export const DEV_KEY = "dev-local-key";

/**
 * Serves the worker with a fresh local D1 database (migrations applied).
 * `vars` are passed as `--var NAME:VALUE`; `envFile` replaces `.dev.vars`
 * (secrets) when given.
 */
export async function startWorker({ vars = {}, envFile, persist, migrate = true } = {}) {
  persist ??= mkdtempSync(path.join(tmpdir(), "edgegate-state-"));
  if (migrate) {
    const applied = spawnSync(
      process.execPath,
      [WRANGLER, "d1", "migrations", "apply", "edgegate", "--local", "--persist-to", persist],
      { cwd: ROOT, env: ENV, encoding: "utf8" },
    );
    if (applied.status !== 0) throw new Error(`migrations failed:\n${applied.stdout}\n${applied.stderr}`);
  }

  const port = await freePort();
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
  args.push("--persist-to", persist);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  if (envFile) args.push("--env-file", envFile);
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    detached: true,
    env: ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = [];
  let exited = null;
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    let partial = "";
    stream.on("data", (chunk) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop();
      output.push(...lines);
    });
  }
  child.on("exit", (code, signal) => (exited = { code, signal }));
  child.on("error", (error) => (exited = { error: String(error) }));

  const url = `http://127.0.0.1:${port}`;
  const worker = {
    url,
    persist,
    output,
    /** The access log lines (JSON objects with a request_id) printed so far. */
    accessLogs() {
      return output.flatMap((line) => {
        const start = line.indexOf("{");
        if (start < 0 || !line.includes('"request_id"')) return [];
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
  };

  const deadline = Date.now() + 180_000;
  while (true) {
    if (exited) throw new Error(`wrangler dev exited (${JSON.stringify(exited)}) before serving:\n${output.join("\n")}`);
    try {
      const response = await fetch(`${url}/hello`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200 || response.status === 500) break;
    } catch {}
    if (Date.now() > deadline) {
      await worker.stop();
      throw new Error(`wrangler dev did not serve ${url} within 180 s:\n${output.join("\n")}`);
    }
    await sleep(250);
  }
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
