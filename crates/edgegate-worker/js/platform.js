// The runtime's outbound fetch and WebCrypto, as the Rust platform
// (../src/platform.rs) calls them. wasm-bindgen bundles this module with the
// glue; the gateway never sees a JS type, only bytes, strings and handles.

import * as workers from "cloudflare:workers";

/**
 * The runtime's custom spans (workerd's `tracing`, when tracing is on for
 * the Worker and `TRACE_SPANS` is `true`). The gateway opens a span per
 * stage it runs (openSpan, closeSpan: route, access, traffic, body, handler
 * or upstream) under the platform's own handler span; each wait — an
 * upstream or key fetch, a rate-limit count, a quota count — is a span
 * inside its stage's. Where the runtime has none (Node's tests), nothing
 * is opened and the work runs as it is.
 */
const tracing = workers.tracing;

/**
 * The innermost stage open for the request being polled: { span, parent,
 * route }, or null (always, with TRACE_SPANS off: the gateway opens none).
 * A request parked in wasm keeps its own (entry.js swaps it in and out
 * around each poll), so one request's spans never nest in another's.
 */
let stage = null;

/** Makes `open` the stage open (for the request polled next); answers the one that was. */
export function swapSpan(open) {
  const was = stage;
  stage = open;
  return was;
}

/**
 * Opens a stage's span (`startSpan`: it ends when closeSpan ends it, polls
 * later), with the enclosing stage's span active if there is one.
 */
export function openSpan(name, route, method) {
  const parent = stage;
  stage = { span: null, parent, route };
  if (typeof tracing?.startSpan !== "function") return;
  const span = (stage.span = inside(parent, () => tracing.startSpan(name)));
  if (!span.isTraced) return;
  if (route !== "") span.setAttribute("http.route", route);
  span.setAttribute("http.request.method", method);
}

/** Closes the innermost stage's span: how it ended, and the status if it answered (0: it did not). */
export function closeSpan(outcome, status) {
  const { span, parent } = stage;
  stage = parent;
  if (span === null) return;
  if (span.isTraced) {
    span.setAttribute("edgegate.outcome", outcome);
    if (status !== 0) span.setAttribute("http.response.status_code", status);
  }
  span.end();
}

/** Runs `work` with the stage `open`'s span active, where there is one. */
function inside(open, work) {
  return open?.span ? tracing.withActiveSpan(open.span, work) : work();
}

/** Whether the open stage's span is traced: a wait opens its own span only then (checked first: no span's closure or attributes are made otherwise). */
const traced = () => stage?.span?.isTraced === true;

/**
 * Runs `wait()` (a promise) in a span of its own inside the open stage's,
 * which must be traced (callers check `traced()` first, so an untraced wait
 * makes no closure or attributes): the span gets the route, `attributes`,
 * and `edgegate.outcome` as `outcomeOf` names the wait's answer.
 */
function inSpan(name, attributes, wait, outcomeOf) {
  const open = stage;
  return inside(open, () =>
    tracing.enterSpan(name, (span) => {
      if (open.route !== "") span.setAttribute("http.route", open.route);
      for (const key in attributes) span.setAttribute(key, attributes[key]);
      return wait().then((answer) => {
        span.setAttribute("edgegate.outcome", outcomeOf(answer));
        return answer;
      });
    }),
  );
}

/** Per JWS algorithm: WebCrypto's import parameters and its verify parameters. */
const ALGORITHMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS384: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS512: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  PS384: [{ name: "RSA-PSS", hash: "SHA-384" }, { name: "RSA-PSS", saltLength: 48 }],
  PS512: [{ name: "RSA-PSS", hash: "SHA-512" }, { name: "RSA-PSS", saltLength: 64 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  ES384: [{ name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
};

/** The worker's `env`, for service bindings (set by the entry on every request). */
let bindings = null;
export function useBindings(env) {
  bindings = env;
}

/** The `env` of the request being served, for bindings an app makes its own interfaces from. */
export function currentEnv() {
  return bindings;
}

/** What polls a woken request again (the entry's, set when it loads). */
let onWake = null;

export function setWaker(wake) {
  onWake = wake;
}

/** A parked request's waker was woken: it is polled again in a microtask, never inside the wake. */
export function wakeRequest(id) {
  queueMicrotask(() => onWake?.(id));
}

/** A timer of this request's own, for waiting on work another request does. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A public JWK (JSON text) as a CryptoKey that verifies `alg`'s signatures. */
export function importKey(jwk, alg) {
  return crypto.subtle.importKey("jwk", JSON.parse(jwk), ALGORITHMS[alg][0], false, ["verify"]);
}

/** WebCrypto copies `message` and `signature` before it returns: views into wasm memory are safe. */
export function verify(key, alg, message, signature) {
  return crypto.subtle.verify(ALGORITHMS[alg][1], key, signature, message);
}

/**
 * Sends a request out, to the network or (`service`, a binding's name) to
 * the Worker behind a service binding; redirects are the caller's to pass
 * on, not followed. `headers` is one string, `name\nvalue\n...` (a header
 * value never holds a line break): one crossing from wasm, not one per
 * string. A body stream with a `limit` (>= 0) is counted on its way and cut
 * off past it. The timeout covers the answer's head; its body may stream
 * longer. Resolves to [status, "name\nvalue\n...", body stream or null], or
 * to a string saying why no response came ("timeout", "too-large", or the
 * error).
 */
export function fetchOut(method, url, headers, body, limit, timeoutMs, service) {
  if (!traced()) return fetchUntraced(method, url, headers, body, limit, timeoutMs, service);
  const target = service ?? originOf(url);
  return inSpan(
    "edgegate.fetch",
    { "http.request.method": method, "edgegate.upstream": target },
    () => fetchUntraced(method, url, headers, body, limit, timeoutMs, service),
    (answer) => (typeof answer === "string" ? answer : String(answer[0])),
  );
}

/** `scheme://host:port` of a URL, without user info, path or query (a span names the upstream by it). */
function originOf(url) {
  const start = url.indexOf("//") + 2;
  let end = start;
  while (end < url.length && !"/?#".includes(url[end])) end++;
  const authority = url.slice(start, end);
  return url.slice(0, start) + authority.slice(authority.lastIndexOf("@") + 1);
}

async function fetchUntraced(method, url, headers, body, limit, timeoutMs, service) {
  const fields = headersInit(headers);
  let tooLarge = false;
  // Only a counted body needs an abort signal (the upstream must see a
  // broken request, never a body that merely ended early); a fetch without
  // one costs the runtime less. A timeout answers at once either way; a
  // fetch left running then ends with the request.
  const controller = body instanceof ReadableStream && limit >= 0 ? new AbortController() : null;
  if (controller !== null) {
    let size = 0;
    body = body.pipeThrough(
      new TransformStream({
        transform(chunk, stream) {
          size += chunk.byteLength;
          if (size > limit) {
            tooLarge = true;
            controller.abort();
            stream.error(new Error("the request body passed its limit"));
          } else stream.enqueue(chunk);
        },
      }),
    );
  }
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => {
      controller?.abort();
      resolve("timeout");
    }, timeoutMs);
  });
  try {
    const target = service == null ? globalThis : bindings?.[service];
    if (typeof target?.fetch !== "function") return `no service binding ${service}`;
    const request = { method, headers: fields, body: body ?? undefined, redirect: "manual" };
    if (controller !== null) request.signal = controller.signal;
    const response = await Promise.race([target.fetch(url, request), timeout]);
    if (response === "timeout") return response;
    if (tooLarge) {
      response.body?.cancel().catch(() => {});
      return "too-large";
    }
    return [response.status, flatHeaders(response.headers), response.body];
  } catch (error) {
    return tooLarge ? "too-large" : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** The runtime's named caches, each opened once per isolate (`caches.default` needs no opening). */
const openCaches = new Map();

function openCache(name) {
  if (name == null) return caches.default;
  let cache = openCaches.get(name);
  if (cache === undefined) {
    cache = caches.open(name);
    openCaches.set(name, cache);
  }
  return cache;
}

/**
 * `name\nvalue\n...` as a headers init (the entry's answers, an upstream
 * call's, a kept answer's): a plain object, which the runtime converts
 * faster than a list of pairs; a name seen twice (two Set-Cookie), or one
 * the object already has (`__proto__`, `constructor`), switches to pairs,
 * so every value is kept.
 */
export function headersInit(flat) {
  const parts = flat.split("\n");
  const headers = {};
  let pairs = null;
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const name = parts[i];
    if (pairs === null && name in headers) pairs = Object.entries(headers);
    if (pairs === null) headers[name] = parts[i + 1];
    else pairs.push([name, parts[i + 1]]);
  }
  return pairs ?? headers;
}

/** Headers as the wasm side reads them: one string, `name\nvalue\n...` (a value never holds a line break). */
function flatHeaders(headers) {
  let flat = "";
  for (const [name, value] of headers) flat += `${name}\n${value}\n`;
  return flat;
}

/** A kept answer as the wasm side reads it: [status, "name\nvalue\n...", body stream], or null. */
function keptAnswer(found) {
  return found === undefined ? null : [found.status, flatHeaders(found.headers), found.body];
}

/**
 * The Cache API's answer kept under `key` (a URL) in the cache `name`
 * (null: the default): [status, "name\nvalue\n...", body stream], null when
 * nothing is kept, or a string saying why the cache could not answer. The
 * default cache is asked at once, without an extra promise turn.
 */
export function cacheMatch(name, key) {
  try {
    const cache = openCache(name);
    const found = cache instanceof Promise ? cache.then((opened) => opened.match(key)) : cache.match(key);
    return found.then(keptAnswer, String);
  } catch (error) {
    return Promise.resolve(String(error));
  }
}

/** Keeps an answer under `key` for as long as its Cache-Control says: null, or why not. */
export async function cachePut(name, key, status, headers, body) {
  try {
    // `body` is a view into wasm memory: it is made a Response (a copy)
    // before the first await, when another request may grow the memory
    // and detach the view.
    // A status that has no body (204, 205, 304) is given none: the Fetch
    // standard refuses even an empty one there (workerd lets it through).
    const none = status === 204 || status === 205 || status === 304;
    const answer = new Response(none ? null : body.slice(), { status, headers: headersInit(headers) });
    await (await openCache(name)).put(key, answer);
    return null;
  } catch (error) {
    return String(error);
  }
}

/** Removes what is kept under `key`: true if something was, or why the cache could not. */
export async function cacheDelete(name, key) {
  try {
    return await (await openCache(name)).delete(key);
  } catch (error) {
    return String(error);
  }
}

/** How long a counter (the rate-limit binding, the quota object) may take before the request goes on without it. */
const COUNTER_WAIT_MS = 3000;

/**
 * `promise`'s outcome through `map` (a rejection: its text), or `late` if it
 * has none within COUNTER_WAIT_MS; the timer is cleared either way. One
 * promise for all of it, not a chain: each link is a turn of the microtask
 * queue on every limited request.
 */
function withinCounterWait(promise, map, late) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, COUNTER_WAIT_MS, late);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(map(value));
      },
      (error) => {
        clearTimeout(timer);
        resolve(String(error));
      },
    );
  });
}

/**
 * Counts one request under `key` with the rate-limit binding `binding`:
 * 1 within the limit, 0 over it, or a string saying why it could not count
 * (a missing or failing binding, or no answer within 3 s: then the route
 * fails open or closed, as for the quota object).
 */
export function rateLimit(binding, key) {
  if (!traced()) return rateLimitUntraced(binding, key);
  return inSpan(
    "edgegate.rate_limit",
    { "edgegate.binding": binding },
    () => rateLimitUntraced(binding, key),
    (outcome) => (outcome === 1 ? "within" : outcome === 0 ? "limited" : "failed"),
  );
}

function rateLimitUntraced(binding, key) {
  const limiter = bindings?.[binding];
  if (limiter == null) return Promise.resolve(`no rate-limit binding ${binding}`);
  try {
    // `limit` read once: a binding without it throws here, which is the reason given.
    return withinCounterWait(Promise.resolve(limiter.limit({ key })), limitOutcome, "the rate limiter did not answer within 3 s");
  } catch (error) {
    return Promise.resolve(String(error));
  }
}

const limitOutcome = (outcome) =>
  outcome?.success === true ? 1 : outcome?.success === false ? 0 : "the rate limiter answered without `success`";

/**
 * Counts one request under `key` in the quota Durable Object behind
 * `binding` (one object per key), in the windows `[seconds, limit, ...]`:
 * answers [admitted, count, reset, ...] (js/quota.js), or a string saying
 * why it could not (no answer within 3 s included).
 */
export function countQuota(binding, key, windows) {
  if (!traced()) return countQuotaUntraced(binding, key, windows);
  return inSpan(
    "edgegate.quota",
    { "edgegate.binding": binding },
    () => countQuotaUntraced(binding, key, windows),
    (answer) => (typeof answer === "string" ? "failed" : answer[0] === 1 ? "admitted" : "exceeded"),
  );
}

/** As the rate limit's: one promise for the call, the reading of its answer and the bound, not an async function's more. */
function countQuotaUntraced(binding, key, windows) {
  const namespace = bindings?.[binding];
  if (typeof namespace?.idFromName !== "function") return Promise.resolve(`no Durable Object binding ${binding}`);
  try {
    const stub = namespace.get(namespace.idFromName(key));
    return withinCounterWait(Promise.resolve(stub.count(plainArray(windows))), quotaCounts, "the quota object did not answer within 3 s");
  } catch (error) {
    return Promise.resolve(String(error));
  }
}

const quotaCounts = (answer) =>
  typeof answer === "string" ? answer : Array.isArray(answer) ? new Float64Array(answer) : "the quota object answered no counts";

/**
 * A typed array's numbers as a plain array. Not `Array.from`: workerd's V8
 * takes its generic iterator path for a typed array, which profiled at
 * about 10 µs for four numbers (`bench/workerd-profile.mjs`), the largest
 * part of a data point's cost; an indexed copy is a fraction of one.
 */
function plainArray(typed) {
  const list = new Array(typed.length);
  for (let i = 0; i < typed.length; i++) list[i] = typed[i];
  return list;
}

/**
 * Writes one data point to an Analytics Engine dataset (the runtime sends
 * it in the background): `lines` are the binding's name, the index, then
 * the blobs. Answers null, or a string saying why not.
 */
export function writeDataPoint(lines, doubles) {
  try {
    const blobs = lines.split("\n");
    const binding = blobs.shift();
    const index = blobs.shift();
    const dataset = bindings?.[binding];
    if (typeof dataset?.writeDataPoint !== "function") return `no Analytics Engine dataset ${binding}`;
    dataset.writeDataPoint({ indexes: [index], blobs, doubles: plainArray(doubles) });
    return null;
  } catch (error) {
    return String(error);
  }
}

/**
 * A request's body as an ArrayBuffer; a counted read resolves to null as
 * soon as it has more than `limit` bytes; rejects if the body cannot be read
 * (the client went away). One with a Content-Length (`declared`: the gateway
 * checked it against the limit first, and checks the bytes it gets) is read
 * whole by the runtime's `arrayBuffer()`, much cheaper than a reader loop;
 * one without is read chunk by chunk and given up as soon as it passes the
 * limit.
 */
export function readRequestBody(request, limit, declared) {
  if (!declared) return readBody(request.body, limit);
  try {
    return request.arrayBuffer();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A stream's bytes (an ArrayBuffer), or null as soon as there are more than `limit`; rejects if the stream fails. */
export async function readBody(stream, limit) {
  if (stream === null || stream === undefined) return new ArrayBuffer(0);
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes.buffer;
}
