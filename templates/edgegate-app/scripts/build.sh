#!/usr/bin/env bash
# Builds this app into build/ (wrangler's build command): finds the
# edgegate-worker crate this app depends on (by path, git or version, as
# Cargo.lock has it) and runs its build script, so the build and the JS
# entry always match the adapter's version.
#
#   PROFILE=dev bash scripts/build.sh    # fast, unoptimised (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
package=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | head -1)
adapter=$(cargo metadata --format-version 1 | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const found = JSON.parse(s).packages.find((p) => p.name === "edgegate-worker");
    if (!found) throw new Error("this app does not depend on edgegate-worker");
    console.log(require("node:path").dirname(found.manifest_path));
  });')
exec bash "$adapter/build.sh" "$package" build
