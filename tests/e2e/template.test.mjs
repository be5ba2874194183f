// A team's own repository: templates/edgegate-app copied to a temporary
// directory outside this one, its edgegate dependencies pointed at this
// checkout, its own npm packages installed, built by its own wrangler's
// build command (which finds the adapter's build script through cargo
// metadata), served by its own `npm run dev`, and called: a public route,
// a key route and a handler on Workers KV. `wrangler deploy --dry-run`
// bundles it as a deployment would.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { ROOT, freePort, problem, sleep } from "./harness.mjs";

/** The key of the template's .dev.vars.example. */
const KEY = "local-key";
let app, child, url;
const output = [];

before(async () => {
  app = path.join(mkdtempSync(path.join(tmpdir(), "edgegate-team-")), "my-gateway");
  cpSync(path.join(ROOT, "templates", "edgegate-app"), app, { recursive: true });
  // By path, as a team with a checkout of edgegate would (or git = "...").
  const manifest = path.join(app, "Cargo.toml");
  writeFileSync(manifest, readFileSync(manifest, "utf8").replaceAll('path = "../../crates/', `path = "${ROOT}/crates/`));
  const env = {
    ...process.env,
    // wasm-bindgen at the pinned version, installed here by this repository's first build
    // (the build installs it into the app's .tools when it is missing).
    PATH: `${path.join(app, "node_modules", ".bin")}${path.delimiter}${path.join(ROOT, ".tools", "bin")}${path.delimiter}${process.env.PATH}`,
    // The compiled crates are kept between runs here; the build is the app's own.
    CARGO_TARGET_DIR: path.join(ROOT, "target", "template"),
    NO_COLOR: "1",
    WRANGLER_SEND_METRICS: "false",
    CI: "true",
  };
  const installed = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: app, env, encoding: "utf8" });
  assert.equal(installed.status, 0, `npm install failed:\n${installed.stdout}\n${installed.stderr}`);

  // As the README walks it: the local secrets, then `npm run dev`.
  copyFileSync(path.join(app, ".dev.vars.example"), path.join(app, ".dev.vars"));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const args = ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
  child = spawn("npm", args, { cwd: app, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => output.push(...String(chunk).split("\n")));
  let exited = null;
  child.on("exit", (code) => (exited = code));
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`wrangler dev exited (${exited}):\n${output.join("\n")}`);
    try {
      if ((await fetch(`${url}/hello/ready`)).status === 200) return;
    } catch {}
    await sleep(500);
  }
  throw new Error(`the team's gateway did not serve within 10 minutes:\n${output.join("\n")}`);
});

after(() => {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
});

test("the public route answers, with the gateway's request id", async () => {
  const response = await fetch(`${url}/hello/Ada`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: "Hello, Ada!" });
  assert.match(response.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
});

test("the key route refuses without a key and answers with one", async () => {
  const order = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ item: "tea" }) };
  await problem(assert, await fetch(`${url}/orders`, order), 401, "unauthorized");
  const placed = await fetch(`${url}/orders`, { ...order, headers: { ...order.headers, "x-api-key": KEY } });
  assert.equal(placed.status, 200);
  assert.deepEqual(await placed.json(), { by: "team-a", item: "tea" });
});

test("a handler on Workers KV, through the worker crate's own async API", async () => {
  await problem(assert, await fetch(`${url}/notes/first`), 404, "not-found");
  const put = { method: "PUT", headers: { "content-type": "application/json", "x-api-key": KEY }, body: JSON.stringify({ text: "héllo" }) };
  assert.equal((await fetch(`${url}/notes/first`, put)).status, 204);
  const read = await fetch(`${url}/notes/first`);
  assert.equal(read.status, 200);
  assert.equal(await read.text(), "héllo");
  // A key KV cannot hold is the client's 400, not the store's 503.
  const long = "k".repeat(600);
  assert.equal((await problem(assert, await fetch(`${url}/notes/${long}`), 400, "invalid-path-param")).param, "key");
  await problem(assert, await fetch(`${url}/notes/${long}`, put), 400, "invalid-path-param");
});

test("wrangler deploy --dry-run bundles it there as here", () => {
  const outdir = path.join(path.dirname(app), "dist");
  const env = { ...process.env, PATH: `${path.join(app, "node_modules", ".bin")}${path.delimiter}${path.join(ROOT, ".tools", "bin")}${path.delimiter}${process.env.PATH}`, CARGO_TARGET_DIR: path.join(ROOT, "target", "template"), NO_COLOR: "1", CI: "true" };
  const deployed = spawnSync(path.join(app, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outdir], { cwd: app, env, encoding: "utf8" });
  assert.equal(deployed.status, 0, `${deployed.stdout}\n${deployed.stderr}`);
  assert.match(deployed.stdout, /Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
});

test("PROFILE=dev npm run build: the fast build, from the app's own profiles", () => {
  const env = { ...process.env, PROFILE: "dev", PATH: `${path.join(app, "node_modules", ".bin")}${path.delimiter}${path.join(ROOT, ".tools", "bin")}${path.delimiter}${process.env.PATH}`, CARGO_TARGET_DIR: path.join(ROOT, "target", "template") };
  const built = spawnSync("npm", ["run", "build"], { cwd: app, env, encoding: "utf8" });
  assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
  assert.ok(existsSync(path.join(app, "build", "entry.js")));
  assert.ok(existsSync(path.join(ROOT, "target", "template", "wasm32-unknown-unknown", "wasm-dev", "my_gateway.wasm")));
});
