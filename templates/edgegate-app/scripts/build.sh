#!/usr/bin/env bash
# Builds this app into build/ (wrangler's build command): finds the
# edgegate-worker crate this app depends on (by path, git or version, as
# Cargo.lock has it) and runs its build script, so the build and the JS
# entry always match the adapter's version.
#
#   PROFILE=dev bash scripts/build.sh    # fast, unoptimised (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
# This app's package (the manifest here) and the adapter's directory, as
# Cargo resolves them.
found=$(cargo metadata --format-version 1 | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const { packages } = JSON.parse(s);
    const path = require("node:path");
    const app = packages.find((p) => p.manifest_path === path.resolve("Cargo.toml"));
    const found = packages.find((p) => p.name === "edgegate-worker");
    if (!app) throw new Error("no package in ./Cargo.toml");
    if (!found) throw new Error("this app does not depend on edgegate-worker");
    console.log(app.name, path.dirname(found.manifest_path));
  });')
package=${found%% *}
adapter=${found#* }
exec bash "$adapter/build.sh" "$package" build
