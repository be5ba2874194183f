// The OpenAPI document against the real worker: the served /openapi.json
// validates as OpenAPI 3.1, and schemathesis (tests/fuzz/requirements.txt,
// in the Makefile's .venv) sends at least 1000 generated requests across
// every operation with all of its checks — no 5xx, every status, content
// type, header and body as documented, auth enforced where documented,
// invalid input refused, valid input accepted. Zero failures.
//
// Limits are off and quotas empty for the run (the 429s are documented, but
// a run of 429s would test nothing behind them); `origin` is a local server
// that answers every request, and the greeter function is the real one.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, ROOT, startWorker } from "./harness.mjs";

const VENV = path.join(ROOT, ".venv", "bin");
const MIN_CASES = 1000;

describe("the OpenAPI document, fuzzed by schemathesis", () => {
  let origin;
  let worker;

  before(async () => {
    origin = http.createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ method: request.method, url: request.url }));
      });
    });
    await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
    worker = await startWorker({
      vars: {
        UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${origin.address().port}/base` }),
        RATE_LIMITS: JSON.stringify({ PER_PRINCIPAL: "off", PER_CLIENT: "off", PER_PARTNER: "off" }),
        QUOTAS: JSON.stringify({ default: {} }),
      },
    });
  });

  after(async () => {
    await worker?.stop();
    origin?.close();
  });

  test("GET /openapi.json is a valid OpenAPI 3.1 document", async () => {
    const response = await fetch(`${worker.url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /^application\/json/);
    const document = await response.json();
    assert.match(document.openapi, /^3\.1\./);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "edgegate-openapi-")), "openapi.json");
    writeFileSync(file, JSON.stringify(document));
    const validated = spawnSync(path.join(VENV, "openapi-spec-validator"), [file], { encoding: "utf8" });
    assert.equal(validated.status, 0, validated.stdout + validated.stderr);
    // The validator is not a rubber stamp: a broken document fails it.
    const broken = { ...document, paths: { "/x": { get: { responses: { 200: { content: 3 } } } } } };
    writeFileSync(file, JSON.stringify(broken));
    assert.notEqual(spawnSync(path.join(VENV, "openapi-spec-validator"), [file]).status, 0);
  });

  test(`schemathesis: at least ${MIN_CASES} cases, every check, no failure`, { timeout: 20 * 60_000 }, async () => {
    const token = spawnSync(process.execPath, [path.join(ROOT, "tools/dev-token/token.mjs"), "--sub", "fuzz", "--scope", "items:write"], {
      encoding: "utf8",
    }).stdout.trim();
    assert.ok(token.split(".").length === 3, "a development token");
    // Not spawnSync: the origin this process serves must keep answering.
    // One worker: with two threads, hypothesis parses lambda sources
    // concurrently, which CPython 3.11's `ast` is not safe for ("AST
    // constructor recursion depth mismatch", a runtime error now and then).
    const run = await collect(
      path.join(VENV, "schemathesis"),
      ["run", `${worker.url}/openapi.json`, "--checks", "all", "--max-examples", "30", "--seed", "20261122", "--workers", "1",
       "--request-timeout", "30", "--no-color"],
      {
        cwd: path.join(ROOT, "tests/fuzz"), // its schemathesis.toml: credentials per security scheme
        encoding: "utf8",
        env: { ...process.env, EDGEGATE_FUZZ_KEY: DEV_KEY, EDGEGATE_FUZZ_TOKEN: token, NO_COLOR: "1" },
      },
    );
    const output = run.stdout + run.stderr;
    const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
    assert.equal(run.status, 0, output.slice(-200_000));
    assert.ok(generated >= MIN_CASES, `${generated} cases generated:\n${output.slice(-5000)}`);
    console.log(`schemathesis: ${generated} cases, no failures`);
  });
});

/** Runs a command to its end without blocking this process: status and output. */
function collect(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
