# edgegate: `make dev` serves the worker, `make test` runs every test.
# Both install what they need first; a second run skips what is done.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8787

# Pinned tool versions. WASM_BINDGEN_VERSION must equal wasm-bindgen in Cargo.lock.
# wasm-opt comes from npm's binaryen (package.json).
WASM_BINDGEN_VERSION := 0.2.129

# Which build the worker is: `release` (LTO, -Oz, two wasm-opt passes) is what
# the tests, the bench and `wrangler deploy` use; `make dev` builds `dev`
# (no LTO, light optimisation, no wasm-opt) so an edit is served in seconds.
# `PROFILE=release make dev` serves the release build.
ifeq ($(origin PROFILE),undefined)
DEV_PROFILE := dev
else
DEV_PROFILE := $(PROFILE)
endif
PROFILE ?= release

TOOLS := $(CURDIR)/.tools
# node_modules/.bin first: it holds Node 22 (wrangler needs it) and wasm-opt.
export PATH := $(CURDIR)/node_modules/.bin:$(TOOLS)/bin:$(HOME)/.cargo/bin:$(PATH)

RUST_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock

.PHONY: help setup dev migrate-local test test-host test-e2e lint build worker bench clean

help:
	@echo "make dev    serve the worker on http://localhost:$(PORT) (PORT= overrides)"
	@echo "make test   run every test (host, end-to-end, browser)"
	@echo "make build  build the release worker into build/"
	@echo "make bench  ours vs Hono vs a bare worker in one workerd (wrk), size and start-up"

## Set-up ------------------------------------------------------------------

$(TOOLS)/wasm32.stamp:
	rustup target add wasm32-unknown-unknown
	@mkdir -p $(TOOLS) && touch $@

$(TOOLS)/wasm-bindgen-$(WASM_BINDGEN_VERSION).stamp:
	@grep -A1 '^name = "wasm-bindgen"$$' Cargo.lock | grep -q 'version = "$(WASM_BINDGEN_VERSION)"' \
	  || { echo "Cargo.lock's wasm-bindgen is not $(WASM_BINDGEN_VERSION): update WASM_BINDGEN_VERSION"; exit 1; }
	# The tool needs no LTO or full optimisation to run fast enough: this
	# profile halves its compile time (2.5 min instead of 4.7 on 2 cores).
	CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
	CARGO_PROFILE_RELEASE_DEBUG=0 cargo install --locked --root $(TOOLS) wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	# `npm install`, not `npm ci`: the registry here lacks some other-platform optional
	# packages (workerd for macOS), which npm ci treats as an out-of-sync lock file.
	npm install --no-audit --no-fund
	@touch $@

# Debian's Chromium, for the browser test (test tools cannot download their own here).
/usr/bin/chromium:
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi

.dev.vars:
	cp .dev.vars.example .dev.vars

setup: $(TOOLS)/wasm32.stamp $(TOOLS)/wasm-bindgen-$(WASM_BINDGEN_VERSION).stamp node_modules/.package-lock.json

## Build -------------------------------------------------------------------
# cargo builds the wasm, wasm-bindgen writes its JS glue (`--target module`:
# the instance is made when the module loads, and can be made anew after a
# trap), and in release wasm-opt shrinks it. worker/entry.js imports the glue.

WASM_FEATURES := $(addprefix --enable-,mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling)
# The worker crate exports classes for JS that this worker never uses (Rust
# streams as JS streams, container, minify and R2 range options); every
# #[wasm_bindgen] export is kept by the linker with all it reaches. Removing
# the exports lets -Oz drop that code: 3.3 KiB of the gzipped upload. The JS glue refers to
# them only inside those classes' methods, which nothing calls.
UNUSED_EXPORTS := *intounderlying*,*containerstartupoptions*,*minifyconfig*,*r2range*
CARGO_PROFILE := $(if $(filter release,$(PROFILE)),release,wasm-$(PROFILE))
CARGO_WASM := target/wasm32-unknown-unknown/$(CARGO_PROFILE)/edgegate.wasm
# Which profile build/ holds: switching profiles rebuilds.
PROFILE_STAMP := build/profile-$(PROFILE).stamp

$(PROFILE_STAMP):
	@mkdir -p build && rm -f build/profile-*.stamp && touch $@

# Panic locations name files relative to the crate registry, not this machine's paths.
# Everything is made in build/.next and moved into place at the end, so an
# interrupted build never leaves a target that looks finished.
build/index.js: $(RUST_SOURCES) $(PROFILE_STAMP)
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$${CARGO_HOME:-$$HOME/.cargo}/registry/src/=" \
	  cargo build --lib --target wasm32-unknown-unknown --profile $(CARGO_PROFILE)
	rm -rf build/.next
	wasm-bindgen --target module --no-typescript --out-dir build/.next --out-name index $(CARGO_WASM)
	@# Workers import a .wasm file as a compiled module: what `import source` means.
	sed -i 's/^import source wasmModule from/import wasmModule from/' build/.next/index.js
# Release: two -Oz passes, the second without the names section (a third of
# the file; panics are still logged with message and location) and unused exports.
ifeq ($(PROFILE),release)
	wasm-opt build/.next/index_bg.wasm $(WASM_FEATURES) -Oz -o build/.next/index_bg.wasm
	wasm-opt build/.next/index_bg.wasm --strip-debug --strip-producers $(WASM_FEATURES) \
	  --remove-exports --pass-arg='remove-exports@$(UNUSED_EXPORTS)' -Oz -o build/.next/index_bg.wasm
endif
	rm -rf build/snippets && mv build/.next/snippets build/.next/index_bg.wasm build/
	mv build/.next/index.js $@ && rm -rf build/.next

# What wrangler's build command runs: the worker, assuming set-up is done.
worker: build/index.js

build: setup build/index.js

## Serve and test ------------------------------------------------------------

# Local D1 lives in .wrangler/state and survives restarts; migrations apply once each.
migrate-local: setup
	CI=true wrangler d1 migrations apply edgegate --local

# wrangler's watch rebuilds run `make worker`, which sees this PROFILE.
dev: setup .dev.vars migrate-local
	$(MAKE) --no-print-directory worker PROFILE=$(DEV_PROFILE)
	PROFILE=$(DEV_PROFILE) wrangler dev --port $(PORT)

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -- -D warnings

test-host:
	cargo test

test-e2e: build .dev.vars /usr/bin/chromium
	npm run test:e2e

test: setup lint test-host test-e2e

/usr/bin/wrk:
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi

# BENCH_ROUNDS and BENCH_SECONDS set the load (README, "Performance").
bench: build /usr/bin/wrk
	node bench/run.mjs

clean:
	rm -rf build target .wrangler
