// The release wasm as `make build` leaves it (what `wrangler deploy`
// uploads): its panic locations name source files relative to their crate,
// never by a path of the machine that built it — not its home, the
// repository's checkout, Cargo's registry or the toolchain (whose `rust-src`
// component, when installed, names the standard library's files by their
// local path).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "./harness.mjs";

test("the release wasm names no path of the machine that built it", () => {
  const wasm = readFileSync(path.join(ROOT, "build", "index_bg.wasm")).toString("latin1");
  // Panic locations are there, named relative to their crate.
  assert.match(wasm, /core\/src\/[a-z_/]+\.rs/);
  assert.match(wasm, /serde_json-[0-9.]+\/src\/[a-z_/]+\.rs/);
  const sysroot = execFileSync("rustc", ["--print", "sysroot"], { encoding: "utf8" }).trim();
  // (The standard library's own precompiled code names its files
  // `/rustc/<commit>/library/...`: the same on every machine.)
  const machine = [homedir(), ROOT, sysroot, process.env.CARGO_HOME, "/.rustup/", "/.cargo/"].filter(Boolean);
  for (const part of machine) assert.ok(!wasm.includes(part), `the wasm holds ${part}`);
});
