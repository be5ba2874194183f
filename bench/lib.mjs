// Shared by `make bench` (bench/run.mjs) and the parity test: building our
// worker, the Hono app, the bare worker and s6's origin, serving them side by
// side in one workerd, and the scenarios.
import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { APP_POLICY_VARS, BIN, COMPATIBILITY_FLAGS, FRONTEND, ROOT, TOOL_ENV as ENV, WORKERD, buildBundle, capnpModules, freePort, greeterCapnp, trafficCapnp } from "../tools/local.mjs";

export { ROOT, freePort };
export const OUT = path.join(ROOT, "bench", ".out");
export const BENCH_KEY = "bench-key-not-secret";

const GREET_BODY = '{"title":"Dr."}';
/** s8's partner event: a small order as a partner would send it. */
const EVENT_BODY = JSON.stringify({ type: "order.created", data: { order: "A-1042", amount: 1999, currency: "EUR", lines: [{ sku: "X1", qty: 2 }] } });
/** A v4 UUID in an answer (s8's event id), the same placeholder for every target. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

/**
 * The Queue s8 sends to, for plain workerd (it has no Queues of its own):
 * workerd's `queue` binding posts each message to a service, as it would to
 * the Queues backend (`POST /message`); this one reads the body and answers
 * as miniflare's broker does, accepting everything. Ours, the Hono apps and
 * the bare worker share it. It keeps a count and the last message it took,
 * which a `GET` on the `queue` socket answers (the parity test's proof
 * that an event really reached the Queue).
 */
const QUEUE_WORKER = `let count = 0, format = null, body = new Uint8Array(0);
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "GET") return Response.json({ count, last: { format, body: String.fromCharCode(...body) } });
    if (request.method !== "POST" || url.pathname !== "/message") return new Response("not a queue call", { status: 404 });
    body = new Uint8Array(await request.arrayBuffer());
    format = request.headers.get("x-msg-fmt");
    count += 1;
    return Response.json({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 } } });
  },
};`;
const QUEUE_SERVICE = `(name = "events-queue", worker = (compatibilityDate = "2026-11-01", modules = [ (name = "queue.js", esModule = ${JSON.stringify(QUEUE_WORKER)}) ]))`;
const QUEUE_BINDING = `(name = "EVENTS", queue = "events-queue")`;
/**
 * The Cache API's store for every worker (bench/cache/worker.js): plain
 * workerd has none of its own; each worker's `cacheApiOutbound` names it.
 */
const CACHE_SERVICE = `(name = "cache", worker = (compatibilityDate = "2026-11-01", modules = [ (name = "cache.js", esModule = ${JSON.stringify(
  readFileSync(path.join(ROOT, "bench", "cache", "worker.js"), "utf8"),
)}) ]))`;
/** What s6's origin (bench/origin/worker.js) answers to any request. */
export const ORIGIN_BODY = JSON.stringify(JSON.parse(readFileSync(path.join(ROOT, "bench", "origin", "body.json"), "utf8")));

/**
 * s5's identity provider, made afresh for each run: an RS256 key pair whose
 * public half both workers get inline (`JWT_PROVIDERS`, `firebase`), and one
 * token shaped like a Firebase ID token, valid for a day. The payload's keys
 * are sorted at every level, so its JSON reads the same whether a verifier
 * keeps the signed order or sorts (`claims` in /api/me's answer).
 */
function benchJwt() {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "bench-1";
  const issuer = "https://bench.issuer";
  const audience = "edgegate-bench";
  const jwk = { ...publicKey.export({ format: "jwk" }), alg: "RS256", kid, use: "sig" };
  const providers = { firebase: { issuer, audiences: [audience], jwks: { keys: [jwk] } } };
  const iat = Math.floor(Date.now() / 1000) - 60;
  const sub = "bench-user-1";
  const payload = sortKeys({
    iss: issuer,
    aud: audience,
    auth_time: iat - 300,
    user_id: sub,
    sub,
    iat,
    exp: iat + 24 * 60 * 60,
    email: "alice@example.com",
    email_verified: true,
    firebase: { identities: { email: ["alice@example.com"] }, sign_in_provider: "password" },
  });
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signed = `${part({ alg: "RS256", kid, typ: "JWT" })}.${part(payload)}`;
  return {
    providers: JSON.stringify(providers),
    token: `${signed}.${sign("sha256", Buffer.from(signed), privateKey).toString("base64url")}`,
    payload,
    /** What /api/me answers for the token (ours: serde_json of these fields in this order). */
    body: JSON.stringify({ id: sub, scheme: "jwt", provider: "firebase", claims: payload }),
  };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
}

export const BENCH_JWT = benchJwt();

/**
 * The bench's settings and bindings as a worker's `env` in Node (for
 * bench/profile.mjs and bench/startup.mjs), with `vars` over them: the
 * limiters and the Queue answer at once, the origin is never called (the
 * profile's fetch stands in for it), no quotas and no greeter calls, as in
 * the bench; METRICS is a dataset that does nothing, for
 * `{"METRICS_DATASET": "METRICS"}`.
 */
export function nodeEnv(vars = {}) {
  return {
    ...APP_POLICY_VARS,
    CORS_ALLOWED_ORIGINS: "http://localhost:5173, http://127.0.0.1:5173",
    API_KEYS: JSON.stringify({ [BENCH_KEY]: "bench" }),
    JWT_PROVIDERS: BENCH_JWT.providers,
    UPSTREAMS: JSON.stringify({ origin: "http://origin.invalid" }),
    GREETER: { fetch: () => Promise.reject(new Error("no scenario calls the greeter")) },
    PER_PRINCIPAL: { limit: async () => ({ success: true }) },
    PER_CLIENT: { limit: async () => ({ success: true }) },
    PER_PARTNER: { limit: async () => ({ success: true }) },
    QUOTA: { idFromName: () => { throw new Error("no quota in the bench"); } },
    QUOTAS: JSON.stringify({ default: {} }),
    EVENTS: { send: async () => {} },
    METRICS: { writeDataPoint() {} },
    ...vars,
  };
}
/**
 * What a browser's request carries through Cloudflare's edge besides the
 * scenario's own headers. `BENCH_BROWSER_HEADERS=1` adds them to every
 * scenario: wrk alone sends only `Host`, real traffic twenty headers more.
 */
const BROWSER_HEADERS = {
  accept: "application/json, text/plain, */*",
  "accept-encoding": "gzip, br",
  "accept-language": "en-US,en;q=0.9,de;q=0.8",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  referer: "http://localhost:5173/",
  "sec-ch-ua": '"Chromium";v="131", "Not_A Brand";v="24"',
  "sec-ch-ua-mobile": "?0",
  "sec-ch-ua-platform": '"Linux"',
  "sec-fetch-dest": "empty",
  "sec-fetch-mode": "cors",
  "sec-fetch-site": "cross-site",
  priority: "u=1, i",
  "cache-control": "no-cache",
  "cf-connecting-ip": "203.0.113.7",
  "cf-ipcountry": "DE",
  "cf-ray": "8f1b2c3d4e5f6a7b-FRA",
  "cf-visitor": '{"scheme":"https"}',
  "x-forwarded-proto": "https",
  "x-real-ip": "203.0.113.7",
};
const extra = process.env.BENCH_BROWSER_HEADERS === "1" ? BROWSER_HEADERS : {};

export const SCENARIOS = [
  { id: "s1", name: "GET /hello", method: "GET", path: "/hello", headers: {} },
  { id: "s2", name: "GET /users/{id}, CORS", method: "GET", path: "/users/42", headers: { origin: FRONTEND } },
  {
    id: "s3",
    name: "POST /api/greet/{name}, JSON+CORS+key, rate-limited",
    limited: true,
    // The bare worker calls the same limiter here (on s5 it answers at once).
    floorLimited: true,
    method: "POST",
    path: "/api/greet/Alice?lang=es",
    headers: { origin: FRONTEND, "content-type": "application/json", "x-api-key": BENCH_KEY },
    body: GREET_BODY,
  },
  {
    id: "s4",
    name: "preflight for s3",
    method: "OPTIONS",
    path: "/api/greet/Alice?lang=es",
    headers: {
      origin: FRONTEND,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, x-api-key",
    },
  },
  {
    id: "s5",
    name: "GET /api/me, RS256 bearer+CORS, rate-limited",
    limited: true,
    floorLimited: true,
    method: "GET",
    path: "/api/me",
    headers: { origin: FRONTEND, authorization: `Bearer ${BENCH_JWT.token}` },
  },
  {
    // Through the gateway to the origin worker (UPSTREAMS.origin); `direct`
    // is the path the gateway forwards to, which run.mjs also loads on the
    // origin itself for the gateway's added latency.
    id: "s6",
    name: "GET /origin/{*rest}, key, upstream",
    method: "GET",
    path: "/origin/catalog/items/42?fields=all",
    headers: { "x-api-key": BENCH_KEY },
    direct: "/catalog/items/42?fields=all",
  },
  {
    // s6's route with the origin's answer kept at the edge: the origin says
    // `public, max-age=3600` to a request without a query (s6's says
    // `no-store`), so every request after the first is a hit. Hono keeps it
    // with hono/cache. `forward`: the same route's uncached scenario, for hit/forward.
    id: "s7",
    name: "GET /origin/{*rest}, key, cached (hit)",
    method: "GET",
    path: "/origin/catalog/items/42",
    headers: { "x-api-key": BENCH_KEY },
    forward: "s6",
  },
  {
    // Validated and sent to the Queue (the bench's stand-in service), 202.
    id: "s8",
    name: "POST /partners/events, JSON+key, rate-limited, Queue send",
    limited: true,
    // The bare worker calls the same limiter here (on s5 it answers at once).
    floorLimited: true,
    method: "POST",
    path: "/partners/events",
    headers: { "content-type": "application/json", "x-api-key": BENCH_KEY },
    body: EVENT_BODY,
  },
].map((scenario) => ({ ...scenario, headers: { ...extra, ...scenario.headers } }));

/** Builds the release worker's deployable bundle; returns wrangler's size report. */
export function buildOurs() {
  return buildBundle(path.join(OUT, "edgegate"));
}

/**
 * Builds the release bundle of another revision (BENCH_BASELINE), for a
 * same-run A/B: a git worktree at that revision sharing node_modules and
 * .tools, its own `make build`, its own bundle.
 */
export function buildBaseline(revision) {
  // A bundle already made (`BENCH_BASELINE=bundle:<dir>`, a `wrangler deploy
  // --dry-run --outdir` of an experiment): served as it is, not rebuilt.
  if (revision.startsWith("bundle:")) {
    const dir = path.join(OUT, "baseline");
    rmSync(dir, { recursive: true, force: true });
    cpSync(revision.slice("bundle:".length), dir, { recursive: true });
    return { dir, modules: readdirSync(dir).filter((f) => f.endsWith(".js") || f.endsWith(".wasm")) };
  }
  const source = path.join(OUT, "baseline-src");
  rmSync(source, { recursive: true, force: true });
  execFileSync("git", ["worktree", "prune"], { cwd: ROOT });
  execFileSync("git", ["worktree", "add", "--detach", source, revision], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  for (const shared of ["node_modules", ".tools"]) symlinkSync(path.join(ROOT, shared), path.join(source, shared));
  // `make worker`: the build alone (its set-up would reinstall node_modules over the link).
  execFileSync("make", ["--no-print-directory", "worker"], { cwd: source, env: ENV, stdio: ["ignore", "ignore", "inherit"] });
  return buildBundle(path.join(OUT, "baseline"), source);
}

/** Bundles the Hono app (plain and with a request id and access log), the bare worker and s6's origin with esbuild. */
export function buildOthers() {
  mkdirSync(OUT, { recursive: true });
  const sources = { hono: "hono/worker.js", hono_log: "hono/logged.js", bare: "bare/worker.js", origin: "origin/worker.js" };
  for (const [name, source] of Object.entries(sources)) {
    execFileSync(
      path.join(BIN, "esbuild"),
      [path.join(ROOT, "bench", source), "--bundle", "--format=esm", "--minify", `--outfile=${path.join(OUT, `${name}.js`)}`],
      { cwd: ROOT, env: ENV, stdio: ["ignore", "ignore", "inherit"] },
    );
  }
}

/**
 * The bench's rate limits: the app's limiters, so high that the load never
 * meets them (wrk must see no 429), counted by the same limiter Worker for
 * ours and the Hono apps (tools/local.mjs); no quotas (Hono has none).
 */
const BENCH_LIMITS = { PER_PRINCIPAL: { limit: 1e9, period: 60 }, PER_CLIENT: { limit: 1e9, period: 60 }, PER_PARTNER: { limit: 1e9, period: 60 } };
const BENCH_TRAFFIC = { RATE_LIMITS: JSON.stringify(BENCH_LIMITS), QUOTAS: JSON.stringify({ default: {} }) };

/**
 * The bench's settings, alike for ours and the Hono apps (which read API_KEYS,
 * JWT_PROVIDERS and UPSTREAMS). `upstreams`: UPSTREAMS, the origin's address
 * when the config serves it.
 */
const bindings = (upstreams, extra = "", vars = {}) => `[
    (name = "CORS_ALLOWED_ORIGINS", text = "http://localhost:5173, http://127.0.0.1:5173"),
${Object.entries({ ...APP_POLICY_VARS, ...BENCH_TRAFFIC, JWT_PROVIDERS: BENCH_JWT.providers, ...upstreams, ...vars }).map(([name, value]) => `    (name = "${name}", text = ${JSON.stringify(value)}),`).join("\n")}
    (name = "API_KEYS", text = ${JSON.stringify(JSON.stringify({ [BENCH_KEY]: "bench" }))}),${extra}
  ]`;

/**
 * `ours_loaded`'s main module: ours's entry imported (evaluating it
 * instantiates the wasm), its handler never called; the answer names the
 * type of the entry's `fetch`, which only an evaluated entry has.
 */
const LOADED_ONLY = `import entry from "./entry.js";
export default { fetch: () => new Response(\`loaded: \${typeof entry.fetch}\`) };
`;

/**
 * Writes a workerd config serving the given workers on the given ports:
 * `ours` (default settings), `ours_nolog` (the same with ACCESS_LOG=false),
 * `ours_unlimited` (the same with every rate limit "off": what the limits cost),
 * `ours_loaded` (ours's modules loaded, every request answered in JS: start-up's load alone),
 * `ours_quiet`, `ours_observed` (Server-Timing off; on for everyone with a
 * data point per request to a stand-in Analytics Engine dataset),
 * `hono`, `hono_log` (the Hono app plus a request id and an access log line),
 * `bare`, `bare_observed` (the same with the stand-in dataset: it writes
 * ours' data point and sends Server-Timing), `bare_unlimited` (without its
 * limiter call), `origin` (s6's upstream: the others' UPSTREAMS.origin points at it),
 * `ours_list1`, `ours_list2` (UPSTREAMS.origin as a list of one target, and
 * of two: the origin and `origin2`, a second socket on it).
 */
export function writeConfig(file, ours, ports, baseline = null) {
  // Our worker's /fn/greet routes call the function Worker behind GREETER: it must be bound.
  const greeter = greeterCapnp(path.dirname(file));
  writeFileSync(path.join(path.dirname(file), "loaded.js"), LOADED_ONLY);
  const traffic = trafficCapnp(path.dirname(file), BENCH_LIMITS);
  const ourTraffic = `\n    ${[greeter.binding, ...traffic.limiters, traffic.quota, QUEUE_BINDING].join(",\n    ")},`;
  const upstreams = ports.origin ? { UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${ports.origin}` }) } : {};
  // s6 with the origin as a one-target list, and as two targets (the origin
  // on a second socket): what targets, health and the choice cost.
  const targets = (...origins) => ({ UPSTREAMS: JSON.stringify({ origin: { targets: origins.map((port) => `http://127.0.0.1:${port}`) } }) });
  const bundleWith = (bundle, prefix, extra, vars = {}, first = []) => `(
  modules = [
${[...first, ...capnpModules(bundle, prefix)].map((m) => `    ${m},`).join("\n")}
  ],
  compatibilityDate = "2026-11-01",
  # As wrangler.toml deploys it: a client gone mid-wait is logged at once.
  compatibilityFlags = ${COMPATIBILITY_FLAGS},
  cacheApiOutbound = "cache",
  bindings = ${bindings(upstreams, `${extra}${ourTraffic}`, vars)},
  ${traffic.objects}
)`;
  /** One bundled JS module (from buildOthers), with the bench settings or none. */
  const bundle = (name, settings, extra = "") => `(
  modules = [ (name = "${name}.js", esModule = embed "${name}.js") ],
  compatibilityDate = "2026-11-01",
  cacheApiOutbound = "cache",${settings ? `\n  bindings = ${bindings(upstreams, `${extra}\n    ${[...traffic.limiters, QUEUE_BINDING].join(",\n    ")},`)},` : ""}
)`;
  /** The stand-in Analytics Engine dataset (the extension below). */
  const METRICS = `\n    (name = "METRICS", wrapped = (moduleName = "edgegate-bench:dataset")),`;
  const workers = {
    ours: bundleWith(ours, "edgegate/", ""),
    ours_nolog: bundleWith(ours, "edgegate/", `\n    (name = "ACCESS_LOG", text = "false"),`),
    ours_unlimited: bundleWith(ours, "edgegate/", "", { RATE_LIMITS: JSON.stringify({ PER_PRINCIPAL: "off", PER_CLIENT: "off", PER_PARTNER: "off" }) }),
    ours_quiet: bundleWith(ours, "edgegate/", "", { SERVER_TIMING: "off" }),
    // Ours's modules loaded (the wasm compiled and instantiated, the glue
    // run) and every request answered in JS: what start-up costs before the
    // gateway is built or a request handled (the rest is the first answer's).
    ours_loaded: bundleWith(ours, "edgegate/", "", {}, ['(name = "loaded.js", esModule = embed "loaded.js")']),
    ours_observed: bundleWith(ours, "edgegate/", METRICS, {
      SERVER_TIMING: "all",
      METRICS_DATASET: "METRICS",
    }),
    ours_list1: bundleWith(ours, "edgegate/", "", targets(ports.origin)),
    ours_list2: bundleWith(ours, "edgegate/", "", targets(ports.origin, ports.origin2)),
    baseline: baseline && bundleWith(baseline, "baseline/", ""),
    hono: bundle("hono", true),
    hono_log: bundle("hono_log", true),
    bare: bundle("bare", true),
    bare_observed: bundle("bare", true, METRICS),
    bare_unlimited: bundle("bare", true, `\n    (name = "BARE_UNLIMITED", text = "true"),`),
    bare_same: bundle("bare", true, `\n    (name = "BARE_SAME", text = "true"),`),
    origin: bundle("origin", false),
  };
  // `origin2` is a second socket on s6's origin, `queue` one on the Queue's stand-in: not workers of their own.
  const names = Object.keys(ports).filter((name) => name !== "origin2" && name !== "queue");
  const constant = (name) => `${name.replace(/_(.)/g, (_, c) => c.toUpperCase())}Worker`; // capnp: camelCase
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
${names.map((n) => `    (name = "${n}", worker = .${constant(n)}),`).join("\n")}
    # Every worker's fetch() goes out here (the default globalOutbound): the
    # proxies reach s6's origin over loopback, as they would a remote one.
    (name = "internet", network = (allow = ["public", "private", "local"])),
    ${greeter.service},
    ${traffic.service},
    ${QUEUE_SERVICE},
    ${CACHE_SERVICE},
  ],
  # A stand-in Analytics Engine dataset (as miniflare makes one): writeDataPoint does nothing.
  extensions = [ (modules = [ (name = "edgegate-bench:dataset", internal = true,
    esModule = "export default function () { return { writeDataPoint() {} }; }") ]) ],
  sockets = [
${names.map((n) => `    (name = "${n}", address = "127.0.0.1:${ports[n]}", http = (), service = "${n}"),`).join("\n")}${
    ports.origin2 ? `\n    (name = "origin2", address = "127.0.0.1:${ports.origin2}", http = (), service = "origin"),` : ""}${
    ports.queue ? `\n    (name = "queue", address = "127.0.0.1:${ports.queue}", http = (), service = "events-queue"),` : ""
  }
  ],
);

${names.map((n) => `const ${constant(n)} :Workerd.Worker = ${workers[n]};`).join("\n\n")}
`;
  writeFileSync(file, config);
}

/** Starts workerd on a config; resolves once every port answers. */
export async function startWorkerd(config, ports) {
  // workerd on the second core, wrk on the first (see run.mjs): less noise on 2-core machines.
  // Its stderr goes to a file, not a pipe: while wrk runs (execFileSync)
  // nothing would read a pipe, and a worker's warning lines (s8's, at
  // console.warn) would fill it and stall workerd on its next write.
  const errors = path.join(OUT, `workerd-${process.pid}.stderr`);
  const errorsFd = openSync(errors, "w");
  const child = spawn("taskset", ["-c", "1", WORKERD, "serve", config], { cwd: OUT, stdio: ["ignore", "ignore", errorsFd] });
  closeSync(errorsFd);
  const stderr = () => readFileSync(errors, "utf8");
  let exited = null;
  child.on("exit", (code) => (exited = code));
  const deadline = Date.now() + 60_000;
  for (const port of Object.values(ports)) {
    while (true) {
      if (exited !== null) throw new Error(`workerd exited (${exited}):\n${stderr()}`);
      try {
        await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(2000) });
        break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`workerd did not serve port ${port}:\n${stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    stderr,
    /** CPU seconds workerd has used so far (user + system). */
    cpuSeconds() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop() {
      child.kill("SIGKILL");
      rmSync(errors, { force: true });
    },
  };
}

/** The middle value (the upper one of an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** wrk's script for a scenario: its method, path, headers and body. */
export function luaFor(scenario) {
  const lines = [`wrk.method = ${JSON.stringify(scenario.method)}`, `wrk.path = ${JSON.stringify(scenario.path)}`];
  for (const [name, value] of Object.entries(scenario.headers)) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  if (scenario.body) lines.push(`wrk.body = ${JSON.stringify(scenario.body)}`);
  return lines.join("\n") + "\n";
}

/** A proxied scenario as sent to the origin directly: its forwarded path, without the key. */
export function directOf(scenario) {
  const { "x-api-key": _, ...headers } = scenario.headers;
  return { id: `${scenario.id}-direct`, name: `${scenario.name}, direct`, method: scenario.method, path: scenario.direct, headers };
}

/** Sends a scenario once; returns what a client sees. */
export async function request(port, scenario) {
  const response = await fetch(`http://127.0.0.1:${port}${scenario.path}`, {
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.body,
  });
  return {
    status: response.status,
    body: (await response.text()).replace(UUID, "<uuid>"),
    allowOrigin: response.headers.get("access-control-allow-origin"),
    requestId: response.headers.get("x-request-id"),
    serverTiming: response.headers.get("server-timing"),
    // Every header but the request id's value (fresh per answer) and the date.
    headers: JSON.stringify([...response.headers].filter(([name]) => name !== "date").map(([name, value]) => [name, name === "x-request-id" ? /^[0-9a-f]{32}$/.test(value) : value])),
  };
}

/**
 * Checks that our worker and the Hono apps answer every scenario alike, that
 * the logging variants add a request id to every answer as ours does, and
 * that a proxied scenario's body is the origin's own (when it is served).
 */
export async function parity(ports) {
  const differences = [];
  const others = ["hono", "hono_log"].filter((name) => ports[name]);
  for (const scenario of SCENARIOS) {
    const ours = await request(ports.ours, scenario);
    if (!ours.requestId) differences.push(`${scenario.id}: ours sent no x-request-id`);
    if (scenario.direct && ports.origin) {
      const origin = await request(ports.origin, directOf(scenario));
      if (ours.body !== origin.body) differences.push(`${scenario.id} body: ours ${JSON.stringify(ours.body)}, the origin ${JSON.stringify(origin.body)}`);
    }
    for (const name of others) {
      const theirs = await request(ports[name], scenario);
      for (const field of ["status", "body", "allowOrigin"]) {
        if (ours[field] !== theirs[field]) differences.push(`${scenario.id} ${field}: ours ${JSON.stringify(ours[field])}, ${name} ${JSON.stringify(theirs[field])}`);
      }
      if (name === "hono_log" && !theirs.requestId) differences.push(`${scenario.id}: hono_log sent no x-request-id`);
    }
    // The floor of ours's own answer (`bare_same`) answers exactly as ours without its log.
    if (ports.bare_same && ports.ours_nolog && ["s1", "s2", "s4"].includes(scenario.id)) {
      const [mine, floor] = [await request(ports.ours_nolog, scenario), await request(ports.bare_same, scenario)];
      for (const field of ["status", "body", "headers"]) {
        if (mine[field] !== floor[field]) differences.push(`${scenario.id} ${field}: ours ${mine[field]}, bare_same ${floor[field]}`);
      }
    }
  }
  return differences;
}
