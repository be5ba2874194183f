// The dev loop's figures, measured as a user would see them (README, "Two commands"):
//
//   node tools/timings.mjs fresh-dev   git clone of HEAD into a temp dir, `make dev` there:
//                                      seconds until http://localhost:PORT/hello answers
//   node tools/timings.mjs edit        `make dev` here (set up already): seconds from saving
//                                      an edit to a handler until the new text is served
//
// Both print one line and leave nothing behind (the edit is undone, servers stopped).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, TOOL_ENV, freePort } from "./local.mjs";

const HANDLER = path.join(ROOT, "src", "seeds.rs");
const GREETING = '"Hello, World!"';

async function serve(cwd, port) {
  const child = spawn("make", ["--no-print-directory", "dev", `PORT=${port}`], {
    cwd,
    detached: true,
    env: { ...TOOL_ENV, CI: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  let exited = null;
  child.on("exit", (code) => (exited = code));
  return {
    async answer(predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (exited !== null) throw new Error(`make dev exited (${exited}):\n${output.slice(-3000)}`);
        try {
          const response = await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(1000) });
          const text = await response.text();
          if (predicate(text)) return;
        } catch {}
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no such answer within ${timeoutMs / 1000} s:\n${output.slice(-3000)}`);
    },
    stop() {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
    },
  };
}

const seconds = (since) => ((performance.now() - since) / 1000).toFixed(1);

async function freshDev() {
  const clone = path.join(mkdtempSync(path.join(tmpdir(), "edgegate-fresh-")), "edgegate");
  const started = performance.now();
  execFileSync("git", ["clone", "--quiet", ROOT, clone]);
  const server = await serve(clone, await freePort());
  try {
    await server.answer((text) => text === "Hello, World!", 20 * 60_000);
    console.log(`fresh clone → make dev → first answer: ${seconds(started)} s (${clone})`);
  } finally {
    server.stop();
  }
}

async function edit() {
  const original = readFileSync(HANDLER, "utf8");
  if (!original.includes(GREETING)) throw new Error(`${HANDLER} no longer returns ${GREETING}`);
  const server = await serve(ROOT, await freePort());
  try {
    const started = performance.now();
    await server.answer((text) => text === "Hello, World!", 10 * 60_000);
    console.log(`make dev, already built → first answer: ${seconds(started)} s`);
    const marker = `Hello, edit ${Date.now()}!`;
    const saved = performance.now();
    writeFileSync(HANDLER, original.replace(GREETING, JSON.stringify(marker)));
    await server.answer((text) => text === marker, 5 * 60_000);
    console.log(`edit to a handler saved → new text served: ${seconds(saved)} s`);
  } finally {
    writeFileSync(HANDLER, original);
    server.stop();
  }
}

const command = process.argv[2];
if (command === "fresh-dev") await freshDev();
else if (command === "edit") await edit();
else {
  console.error("usage: node tools/timings.mjs fresh-dev | edit");
  process.exit(2);
}
process.exit(0);
