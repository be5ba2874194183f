# edgegate: `make dev` serves the worker, `make test` runs every test.
# Both install what they need first; a second run skips what is done.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8787

# Pinned tool versions: wasm-bindgen is the version Cargo.lock has (the
# adapter's build.sh installs it into .tools on the first build); wasm-opt
# comes from npm's binaryen (package.json).

# Which build the worker is: `release` (LTO, -Oz, three wasm-opt passes) is what
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

RUST_SOURCES := $(shell find src crates examples -name '*.rs' -o -name Cargo.toml) Cargo.toml Cargo.lock \
  crates/edgegate-worker/js/entry.js crates/edgegate-worker/js/platform.js crates/edgegate-worker/js/quota.js crates/edgegate-worker/build.sh \
  crates/edgegate-worker/trim-glue.mjs crates/edgegate-worker/stub-unreachable.mjs

.PHONY: help setup dev migrate-local test test-host test-e2e lint build worker bench token clean openapi docs-screenshot semver

help:
	@echo "make dev    serve the worker on http://localhost:$(PORT) (PORT= overrides)"
	@echo "make test   run every test (host, end-to-end, browser)"
	@echo "make build  build the release worker into build/"
	@echo "make bench  ours vs Hono vs a bare worker in one workerd (wrk), size and start-up"
	@echo "make openapi  regenerate assets/openapi.json from the route table (commit it)"
	@echo "make docs-screenshot  refresh docs/api-reference.png (the /docs page in Chromium)"
	@echo "make token SUB=alice [SCOPE=items:write]  a bearer token make dev accepts (development key)"
	@echo "make semver  check the framework crates' public API against the last release (before a release)"

## Set-up ------------------------------------------------------------------

$(TOOLS)/wasm32.stamp:
	rustup target add wasm32-unknown-unknown
	@mkdir -p $(TOOLS) && touch $@

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

# schemathesis and the OpenAPI validator (tests/fuzz/requirements.txt, every
# package pinned) in a project-local virtual environment.
.venv/installed.stamp: tests/fuzz/requirements.txt
	# Debian's python3 makes a venv only with python3-venv (ensurepip).
	python3 -c 'import ensurepip' 2>/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv; fi; }
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r tests/fuzz/requirements.txt
	@touch $@

setup: $(TOOLS)/wasm32.stamp node_modules/.package-lock.json

## Build -------------------------------------------------------------------
# crates/edgegate-worker/build.sh builds an app crate into a worker: cargo for
# wasm32, `wasm-bindgen --target module` for the JS glue (the instance is made
# when the module loads, and can be made anew after a trap), wasm-opt in
# release, and the adapter's entry.js beside them.

# Which profile build/ holds: switching profiles rebuilds.
PROFILE_STAMP := build/profile-$(PROFILE).stamp

$(PROFILE_STAMP):
	@mkdir -p build && rm -f build/profile-*.stamp && touch $@

build/entry.js: $(RUST_SOURCES) $(PROFILE_STAMP)
	# This app never formats an f64 and never spawns a task: its release build stubs both (build.sh).
	EDGEGATE_STUB_UNUSED=1 PROFILE=$(PROFILE) bash crates/edgegate-worker/build.sh edgegate-app build

# The static assets wrangler serves before the worker (`[assets]`):
# assets/ (the OpenAPI document, the /docs page) and Swagger UI from npm.
SWAGGER_UI := node_modules/swagger-ui-dist
build/assets.stamp: $(shell find assets -type f) node_modules/.package-lock.json
	rm -rf build/assets && mkdir -p build/assets/docs/vendor
	cp -R assets/. build/assets/
	cp $(SWAGGER_UI)/swagger-ui-bundle.js $(SWAGGER_UI)/swagger-ui.css $(SWAGGER_UI)/favicon-32x32.png build/assets/docs/vendor/
	@touch $@

# What wrangler's build command runs: the worker, assuming set-up is done.
worker: build/entry.js build/assets.stamp

build: setup build/entry.js build/assets.stamp

# The OpenAPI document, generated from the route table on the host.
openapi:
	EDGEGATE_WRITE_OPENAPI=1 cargo test --quiet --test openapi

# The /docs page as Chromium renders it, for the README.
docs-screenshot: build .dev.vars /usr/bin/chromium
	node --test tests/e2e/docs.test.mjs
	mkdir -p docs && cp build/screenshots/api-reference.png docs/api-reference.png

## Serve and test ------------------------------------------------------------

# Local D1 lives in .wrangler/state and survives restarts; migrations apply once each.
migrate-local: setup
	CI=true wrangler d1 migrations apply edgegate --local

# wrangler's watch rebuilds run `make worker`, which sees this PROFILE.
dev: setup .dev.vars migrate-local
	$(MAKE) --no-print-directory worker PROFILE=$(DEV_PROFILE)
	PROFILE=$(DEV_PROFILE) wrangler dev -c wrangler.toml -c functions/greeter/wrangler.toml --port $(PORT)

lint:
	cargo fmt --all --check
	cargo fmt --check --manifest-path templates/edgegate-app/Cargo.toml
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --target wasm32-unknown-unknown -- -D warnings
	# The framework crates package as a team would get them (crates.io's index is read).
	# Cargo verifies edgegate-worker against the packaged edgegate, which it
	# unpacks under $$CARGO_HOME/registry/src/-<hash>/ and compiles once, then
	# reuses both while the version stays the same (a registry crate never
	# changes): a stale copy would miss new framework code. Both go first; the
	# check builds in a target directory of its own, so nothing else rebuilds.
	rm -rf "$${CARGO_HOME:-$$HOME/.cargo}"/registry/src/-*/edgegate-[0-9]* "$${CARGO_HOME:-$$HOME/.cargo}"/registry/src/-*/edgegate-worker-[0-9]*
	CARGO_TARGET_DIR=target/package-check cargo clean --quiet -p edgegate -p edgegate-worker
	CARGO_TARGET_DIR=target/package-check cargo package --quiet --allow-dirty -p edgegate -p edgegate-worker

test-host:
	cargo test --workspace

test-e2e: build .dev.vars /usr/bin/chromium .venv/installed.stamp
	npm run test:e2e

test: setup lint test-host test-e2e

/usr/bin/wrk:
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi

# BENCH_ROUNDS and BENCH_SECONDS set the load (README, "Performance").
bench: build /usr/bin/wrk
	node bench/run.mjs

# A bearer token for the development provider (.dev.vars.example), signed with
# the development key in tools/dev-token: `make token SUB=alice SCOPE=items:write`.
SUB ?= dev-user
SCOPE ?=
token:
	@node tools/dev-token/token.mjs --sub "$(SUB)" --scope "$(SCOPE)"

# Before a release: the framework crates' public API against the last
# release's commit (SEMVER_BASELINE), with cargo-semver-checks (pinned,
# installed into .tools on first use). A change that breaks callers must
# come with a version bump and a CHANGELOG.md entry.
SEMVER_CHECKS_VERSION := 0.51.0
SEMVER_BASELINE ?= 08501aa
$(TOOLS)/cargo-semver-checks-$(SEMVER_CHECKS_VERSION).stamp:
	cargo install --locked --root $(TOOLS) cargo-semver-checks --version $(SEMVER_CHECKS_VERSION)
	@touch $@

semver: $(TOOLS)/cargo-semver-checks-$(SEMVER_CHECKS_VERSION).stamp
	cargo semver-checks -p edgegate -p edgegate-worker --baseline-rev $(SEMVER_BASELINE)

clean:
	rm -rf build target .wrangler
