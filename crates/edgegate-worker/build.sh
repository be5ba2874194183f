#!/usr/bin/env bash
# Builds an edgegate app crate into a worker wrangler can serve and deploy:
# OUT_DIR/entry.js (the runtime entry), index.js (wasm-bindgen's glue) and
# index_bg.wasm. An app's wrangler.toml runs it as its build command, from
# the app's own directory: in this repository, or in a team's own (which
# finds this script through `cargo metadata`: templates/edgegate-app).
#
#   build.sh PACKAGE OUT_DIR
#
# PROFILE=release (default) is what tests, the bench and `wrangler deploy`
# use: LTO, opt-level z, three wasm-opt -Oz passes, names and unused exports
# stripped. PROFILE=dev (`make dev`) skips LTO and wasm-opt: seconds per edit.
# Everything is made in OUT_DIR/.next and moved into place at the end, so an
# interrupted build never leaves a worker that looks finished.
set -euo pipefail

package=$1
# Portable across GNU and BSD tools (Linux, macOS): no `realpath -m`,
# `sed -i` without a suffix, or bash 4 case changes.
mkdir -p "$2"
out=$(CDPATH='' cd -- "$2" > /dev/null && pwd)
profile=${PROFILE:-release}
adapter=$(CDPATH='' cd -- "$(dirname "$0")" > /dev/null && pwd)
# The app's Cargo workspace, wherever it is (this repository, or a team's
# own): its Cargo.lock, profiles, node_modules (wrangler, wasm-opt) and
# .tools (wasm-bindgen) are what the build uses.
root=$(dirname "$(cargo locate-project --workspace --message-format plain)")
export PATH="$root/node_modules/.bin:$root/.tools/bin:$PATH"
cargo_profile=$([ "$profile" = release ] && echo release || echo "wasm-$profile")
target_dir=$(cd "$root" && cargo metadata --no-deps --format-version 1 | node -e \
  'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')

rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown >&2
# wasm-bindgen must be exactly the version the app's Cargo.lock has: found
# on PATH, or installed once into the app's .tools (about 2.5 minutes: the
# tool needs no LTO or full optimisation to run fast enough, and this
# profile halves its compile time).
wanted=$(grep -A1 '^name = "wasm-bindgen"$' "$root/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wanted" ]; then
  echo "installing wasm-bindgen-cli $wanted into $root/.tools (once)" >&2
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
  CARGO_PROFILE_RELEASE_DEBUG=0 cargo install --quiet --locked --root "$root/.tools" wasm-bindgen-cli --version "$wanted"
fi
command -v wasm-opt > /dev/null || [ "$profile" != release ] || {
  echo "wasm-opt is missing: add the npm package binaryen to the app's devDependencies and run npm install" >&2
  exit 1
}

# One build of an output at a time (wrangler's watch and make can overlap).
mkdir -p "$out"
exec 9>"$out/.lock"
# (macOS has no flock: there, one build at a time is the caller's care.)
if command -v flock > /dev/null; then flock 9; fi

cd "$root"
# Panic locations name files as `crate-1.0/src/x.rs` and `core/src/x.rs`,
# not by this machine's registry path or the toolchain's: shorter strings in
# the wasm, and nothing of the build machine in it. The standard library's
# files are named `/rustc/<commit>/library/...`, or, where the toolchain has
# its `rust-src` component (rust-analyzer installs it), by the local copy's
# path under the sysroot (`~/.rustup/...`): both are remapped.
remaps=()
for index in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do remaps+=("--remap-path-prefix=$index="); done
remaps+=("--remap-path-prefix=/rustc/$(rustc -vV | sed -n 's/^commit-hash: //p')/library/=")
remaps+=("--remap-path-prefix=$(rustc --print sysroot)/lib/rustlib/src/rust/library/=")
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${remaps[*]}" \
  cargo build --quiet --lib -p "$package" --target wasm32-unknown-unknown --profile "$cargo_profile"
wasm="$target_dir/wasm32-unknown-unknown/$cargo_profile/${package//-/_}.wasm"

next="$out/.next"
rm -rf "$next"
# --force-enable-abort-handler: under panic = "abort" wasm-bindgen runs the
# abort handler (schedule_reinit, src/exports.rs) only with it; without it a
# trapped instance kept serving with its leftover per-request state, and
# every later request that awaited anything failed the same way
# (tests/e2e/security.test.mjs). With it every export is wrapped: a trap
# marks the instance terminated, and the next call swaps in a fresh one.
wasm-bindgen --target module --no-typescript --force-enable-abort-handler --out-dir "$next" --out-name index "$wasm"
# Workers import a .wasm file as a compiled module: what `import source` means.
sed 's/^import source wasmModule from/import wasmModule from/' "$next/index.js" > "$next/index.js.tmp"
mv "$next/index.js.tmp" "$next/index.js"
if [ "$profile" = release ]; then
  # Rust's float printing (13.9 KB): linked only through serde's `Unexpected`
  # display for floats, inlined into serde_json's `JsonUnexpected`, which
  # prints floats itself first; so `f64`'s Display never runs here. Its body
  # becomes `unreachable` and wasm-opt drops what only it called (5.5 KiB
  # gzip). If it ever ran, the worker would trap: a logged 500, and a test
  # of a float where a string belongs (tests/e2e/routes.test.mjs) shows it
  # does not.
  #
  # `wasm-bindgen-futures`' executor (future_to_promise's closures): the
  # adapter polls every request itself and awaits runtime promises through
  # the entry (src/settle.rs), so nothing here runs a Rust future as a JS
  # promise; only the `worker` crate's stream classes did, and their exports
  # are removed below. Its closures and wakers stay linked through their
  # vtables all the same (4 KiB gzip, with the executor's queue and the
  # closure glue). A test proves every I/O path end to end without them.
  #
  # std's default panic hook (1 KiB gzip, with its thread-name and backtrace
  # printing): the wasm start function replaces it with
  # console_error_panic_hook before anything else runs (src/exports.rs), so a
  # panic never reaches it. The panic test (tests/e2e/routes.test.mjs) checks
  # that a panic is still logged with its message and location.
  #
  # The float printing and the executor stubs hold only for an app that
  # never formats an f64 and never spawns a task: an app says so with
  # EDGEGATE_STUB_UNUSED=1 (this repository's app does, and its tests prove
  # it); any other app keeps them, since a stubbed function traps when run.
  # The panic hook's stubs hold for every app.
  stubs=('every:^<std(\[[0-9a-f]+\])?::panicking::default_hook as ' 'every:^std(\[[0-9a-f]+\])?::panicking::default_hook$')
  if [ "${EDGEGATE_STUB_UNUSED:-0}" = 1 ]; then
    # A Rust stream made a JS one runs the executor these stubs remove.
    if grep -q "IntoUnderlying[A-Za-z]*\.__wrap(" "$next/index.js"; then
      echo "EDGEGATE_STUB_UNUSED=1, but this app streams a Rust body through the worker crate, which runs the executor it stubs: unset it" >&2
      exit 1
    fi
    stubs+=('^<f64 as core(\[[0-9a-f]+\])?::fmt::Display>::fmt$'
      'every:^js_sys::futures::future_to_promise::\{\{closure\}\}'
      'every:^js_sys::futures::task::singlethread::Task::into_raw_waker::raw_wake'
      'every:^js_sys::futures::jspi::SpawnedTask::wake' 'every:^js_sys::futures::queue::Queue::new')
  fi
  node "$adapter/stub-unreachable.mjs" "$next/index_bg.wasm" "${stubs[@]}"
  features=(--enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory
            --enable-multivalue --enable-reference-types --enable-exception-handling)
  # A function with one caller is inlined into it only when it is small
  # (binaryen's default inlines every one, whatever its size). The gateway's
  # build and each request's path were a few huge functions: V8 compiles a
  # wasm function whole on its first call, so their cold branches (error
  # paths, settings an app leaves unset) were compiled at start-up too; and
  # a huge function's many locals compress worse. Kept apart, the bundle is
  # 10 KB (gzip) smaller and the first request compiles 8% less code
  # (docs/performance-log.md).
  inlining=(--one-caller-inline-max-function-size=20)
  # The worker crate exports classes for JS that no edgegate worker uses (Rust
  # streams as JS streams, container, minify and R2 range options); every
  # #[wasm_bindgen] export is kept by the linker with all it reaches. Removing
  # the exports lets -Oz drop that code (3.3 KiB gzip); the glue refers to them
  # only inside those classes' methods, which nothing calls. The second pass
  # also drops the names section (a third of the file; panics are still logged
  # with message and location).
  # A class stays when the wasm makes one (its glue wraps one for an
  # import): an app that streams a body through the worker crate (R2 with
  # a stream, a Rust stream as a response) keeps what it uses.
  unused_classes=()
  for class in ContainerStartupOptions IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource MinifyConfig R2Range; do
    grep -q "${class}\.__wrap(" "$next/index.js" || unused_classes+=("$class")
  done
  unused=$(for class in "${unused_classes[@]}"; do printf '*%s_*,' "$(printf '%s' "$class" | tr '[:upper:]' '[:lower:]')"; done)
  removal=()
  [ -n "$unused" ] && removal=(--remove-exports --pass-arg="remove-exports@${unused%,}")
  # --merge-similar-functions before -Oz's inlining: generic instances that
  # differ only in a constant or a callee become one function with a
  # parameter (0.6 KiB gzip); -Oz alone runs it after inlining, when few
  # are alike any more.
  wasm-opt "$next/index_bg.wasm" "${features[@]}" "${inlining[@]}" --merge-similar-functions -Oz -o "$next/index_bg.wasm"
  wasm-opt "$next/index_bg.wasm" --strip-debug --strip-producers "${features[@]}" "${inlining[@]}" \
    "${removal[@]}" -Oz -o "$next/index_bg.wasm"
  # What the removed exports left unreachable shrinks once more (0.5 KiB gzip).
  wasm-opt "$next/index_bg.wasm" "${features[@]}" "${inlining[@]}" -Oz -o "$next/index_bg.wasm"
fi
# entry.js shares the platform module wasm-bindgen copied in as a snippet.
platform_js=$(cd "$next" && ls snippets/edgegate-worker-*/js/platform.js)
sed "s|from \"./platform.js\"|from \"./$platform_js\"|" "$adapter/js/entry.js" > "$next/entry.js"
# The quota Durable Object class the entry exports.
cp "$adapter/js/quota.js" "$next/quota.js"
# Their JS classes go too (release only: the dev build keeps their exports).
if [ "$profile" = release ]; then
  node "$adapter/trim-glue.mjs" "$next/index.js" "$next/index_bg.wasm" "${unused_classes[@]}"
fi

rm -rf "$out/snippets"
[ -d "$next/snippets" ] && mv "$next/snippets" "$out/"
mv "$next/index_bg.wasm" "$next/index.js" "$out/"
mv "$next/entry.js" "$next/quota.js" "$out/"
rm -rf "$next"
