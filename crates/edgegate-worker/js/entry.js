// The worker's entry: hands each request to the Rust gateway and builds the
// runtime response from what it returns.
//
// Requests and responses cross into and out of wasm as bytes in buffers the
// wasm instance owns (layouts in ../src/wire.rs): no JS objects walked
// field by field. The boundary is a trust boundary: every field crosses as
// its exact UTF-8 bytes behind a length (no separator a value could hold),
// and the gateway checks each one. Only the headers the gateway reads are
// passed, unless the route's handler wants them all (the gateway then
// answers NEEDS_ALL_HEADERS and is asked again).
//
// A promise the gateway awaits (a rate-limit count, an upstream's answer, a
// signature check, a D1 query, the request's own body) is awaited here
// (AWAITS, HANDS_PROMISE): the request stays parked in wasm, and its outcome
// is handed back to it, with no Rust future turned into a JS promise; what
// it answers afterwards leaves through the output buffer as a synchronous
// answer does. Anything else a handler awaits (a second promise at once, the
// `worker` crate's KV, R2, Queues, fetch...) wakes the request's waker
// (WAKEABLE): the request is polled again in a microtask. Every call into
// wasm is made from here, synchronously.
//
// The body is not read until the gateway asks for it: by then the route, IP
// rules, method, access and the declared length have all passed, so a
// request without a key, to an unknown path, or declaring too large a body
// is answered at once, without waiting for a byte of its body.
//
// Panics: a Rust panic aborts the wasm instance (panic = "abort"). The Rust side
// has logged the message and location, and its abort handler schedules a fresh
// instance before the next call. The request whose call trapped sees the trap
// here as an exception; requests parked on that instance fail when their wait
// ends (their instance is gone). Both become the same problem+json 500 every
// other failure gets.
import {
  edgegate_init as init,
  edgegate_read_headers as readHeaders,
  edgegate_all_headers_paths as allHeadersPaths,
  edgegate_memory as wasmMemory,
  edgegate_reserve as reserve,
  edgegate_fetch as fetchHead,
  edgegate_settle as settle,
  edgegate_wake as wake,
  edgegate_abandon as abandon,
  edgegate_take_pending as takePending,
  edgegate_take_stream as takeStream,
  edgegate_revive as revive,
  edgegate_queue as consumeBatch,
} from "./index.js";
// The platform module (js/platform.js), shared with the wasm side; build.sh
// points this at where wasm-bindgen put it.
import { headersInit, setWaker, swapSpan, useBindings } from "./platform.js";
// Quotas are counted by this Durable Object class (wrangler.toml's QUOTA binding).
export { QuotaCounter } from "./quota.js";

const NEEDS_INIT = -2;
const NEEDS_ALL_HEADERS = -3;
/** At and below: the request is parked under the id (AWAITS - result) >> 2; the low bits say what brings it back. */
const AWAITS = -1000;
/** It hands the entry a promise to await (take it with takePending). */
const HANDS_PROMISE = 1;
/** Something holds its waker: keep it for a wake. */
const WAKEABLE = 2;
/** settle or wake found no request under that id. */
const NOT_PARKED = -5;
/** The header names passed by default: those the gateway's policies read (Gateway::read_headers), asked once it is built. */
let READ_HEADERS = null;
/**
 * Where every header is passed at once: the fixed beginnings of the paths
 * whose routes read them all (an upstream's, `/origin/`), asked with
 * READ_HEADERS. A hint: a request to such a route it misses is answered
 * NEEDS_ALL_HEADERS and asked again, one pass of its headers later.
 */
let ALL_HEADERS_PATHS = [];
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const encoder = new TextEncoder();
let memory = null;
let bytes = null;
let inputAt = 0;
let inputCapacity = 0;
let aborted = false;
/** The worker's env, for the failure answer's problem type prefix. */
let settings = null;
/** Counts fresh instances: a request parked on an older one cannot be resumed. */
let generation = 0;

export default {
  // Not async: a request without a body that needs no I/O is answered
  // synchronously, so the runtime gets a Response rather than a promise of one.
  fetch(request, env) {
    settings = env;
    useBindings(env);
    try {
      reviveIfAborted();
      const result = run(request, env);
      if (result <= AWAITS) return follow(request, result);
      return answer(request, result);
    } catch (error) {
      // A failure mid-stage leaves its span open: it is not the next request's.
      swapSpan(null);
      return failed(request, error);
    }
  },

  // A batch from a queue this worker consumes: the app's consumer
  // (Worker::on_queue) runs in wasm, driven as a request is; its answer's
  // status says how it went. A failed batch throws, so the runtime retries
  // the messages the consumer neither acknowledged nor retried.
  async queue(batch, env) {
    settings = env;
    useBindings(env);
    let response;
    try {
      reviveIfAborted();
      if (READ_HEADERS === null) build(env);
      let result = consumeBatch(batch);
      if (result === NEEDS_INIT) {
        init(env);
        result = consumeBatch(batch);
      }
      response = result <= AWAITS ? await follow(null, result) : answer(null, result);
    } catch (error) {
      response = failed(null, error);
    }
    if (response.status !== 204) throw new Error(`the queue consumer failed a batch of ${batch.queue} (${response.status})`);
  },
};

/** After a trap: a fresh instance, and requests parked on the old one fail (their ids mean nothing on the new one). */
function reviveIfAborted() {
  if (!aborted) return;
  aborted = false;
  const stranded = [...wakeable.values()];
  wakeable.clear();
  // A new generation first: the old instance's requests fail in `step`
  // (their failure's own call here then finds nothing left to do). One
  // that awaits a promise fails when it settles, in its own request's
  // context: a response made in another request's would not be sent.
  generation++;
  revive();
  memory = bytes = null;
  inputAt = inputCapacity = 0;
  for (const task of stranded) step(task, () => NOT_PARKED);
}

/**
 * Runs the gateway on the request's head, building the gateway first if this
 * instance has none yet, and passing every header if the route's handler
 * reads more than the gateway.
 */
function run(request, env) {
  if (READ_HEADERS === null) build(env);
  const all = passesAll(request.url);
  let result = handle(request, all);
  if (result === NEEDS_INIT) {
    init(env);
    result = handle(request, all);
  }
  if (result === NEEDS_ALL_HEADERS) result = handle(request, true);
  return result;
}

/** Builds the gateway and asks it which headers to pass. */
function build(env) {
  init(env);
  READ_HEADERS = readHeaders().split("\n");
  const paths = allHeadersPaths();
  ALL_HEADERS_PATHS = paths === "" ? [] : paths.split("\n");
}

/** Whether the request's path (in its absolute URL, after the host) starts where every header is read. */
function passesAll(url) {
  if (ALL_HEADERS_PATHS.length === 0) return false;
  const pathAt = url.indexOf("/", url.indexOf("//") + 2);
  if (pathAt < 0) return false;
  for (let i = 0; i < ALL_HEADERS_PATHS.length; i++) if (url.startsWith(ALL_HEADERS_PATHS[i], pathAt)) return true;
  return false;
}

/** Writes the request's head into the input buffer and runs the gateway on it. */
function handle(request, all) {
  input(0);
  let at = field(0, request.method);
  at = field(at, request.url);
  input(at + 4);
  const countAt = at;
  let count = 0;
  at += 4;
  const headers = request.headers;
  if (all) {
    for (const [name, value] of headers) {
      at = field(field(at, name), value);
      count++;
    }
  } else {
    for (let i = 0; i < READ_HEADERS.length; i++) {
      const value = headers.get(READ_HEADERS[i]);
      if (value === null) continue;
      at = field(field(at, READ_HEADERS[i]), value);
      count++;
    }
  }
  word(countAt, count);
  // A body-less request passes null: no handle is made for it.
  return fetchHead(at, all, request.body === null ? null : request, Date.now());
}

/** The input buffer's bytes, with room for at least `length` (renewed views when it grows). */
function input(length) {
  if (length > inputCapacity) {
    // The buffer keeps its bytes when it grows; only its address may change.
    inputCapacity = Math.max(length, 2 * inputCapacity, 16384);
    inputAt = reserve(inputCapacity);
  }
  return view();
}

/** Writes `value` as a little-endian u32 at offset `at` of the input buffer. */
function word(at, value) {
  const u8 = bytes;
  at += inputAt;
  u8[at] = value;
  u8[at + 1] = value >>> 8;
  u8[at + 2] = value >>> 16;
  u8[at + 3] = value >>> 24;
}

/**
 * Writes `text` at offset `at` of the input buffer as its exact UTF-8 bytes
 * after their length; returns the offset after it. ASCII is copied directly;
 * the first character beyond it hands the rest to the encoder.
 */
function field(at, text) {
  const n = text.length;
  // At most three bytes per UTF-16 unit.
  const u8 = input(at + 4 + 3 * n);
  const start = inputAt + at + 4;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) break;
    u8[start + i] = c;
  }
  const length = i === n ? n : i + encoder.encodeInto(text.slice(i), u8.subarray(start + i)).written;
  word(at, length);
  return at + 4 + length;
}

/**
 * A request parked in wasm, as a promise of its response: each promise it
 * hands over is awaited and its outcome brought back, each wake polls it
 * again, until it answers.
 */
function follow(request, result) {
  // The span its stage left open (TRACE_SPANS), kept with it while it waits.
  const span = swapSpan(null);
  return new Promise((resolve) => step({ request, resolve, generation, id: -1, done: false, span }, () => result));
}

/** Parked requests something will wake, by id (only those: the others are collected when their wait is dropped). */
const wakeable = new Map();

/**
 * Acts on what the gateway answers for a parked request (`next()` asks it:
 * first, or after a promise or a wake): the response, or what it waits for
 * now. Nothing reaches an instance other than the one the request is on.
 */
function step(task, next) {
  if (task.done) return;
  try {
    if (task.generation !== generation || aborted) throw new Error("the wasm instance was replaced while a request awaited a promise");
    // Its own stage's span is the open one while it runs, no other request's.
    swapSpan(task.span);
    let result;
    try {
      result = next();
    } finally {
      task.span = swapSpan(null);
    }
    if (result === NOT_PARKED) throw new Error("a parked request was no longer parked");
    if (result > AWAITS) {
      finish(task);
      task.resolve(answer(task.request, result));
      return;
    }
    const code = AWAITS - result;
    const first = task.id < 0;
    if (first) dropped.register(task, { id: code >> 2, generation: task.generation }, task);
    task.id = code >> 2;
    if (code & WAKEABLE) wakeable.set(task.id, task);
    else if (wakeable.get(task.id) === task) wakeable.delete(task.id);
    if (code & HANDS_PROMISE) {
      takePending().then(
        (value) => step(task, () => settle(task.id, value, true)),
        (error) => step(task, () => settle(task.id, error, false)),
      );
    }
    if (first) watchClient(task);
  } catch (error) {
    finish(task);
    task.resolve(failed(task.request, error));
  }
}

function finish(task) {
  task.done = true;
  if (wakeable.get(task.id) === task) wakeable.delete(task.id);
  dropped.unregister(task);
}

setWaker((id) => {
  const task = wakeable.get(id);
  if (task !== undefined) step(task, () => wake(id));
});

/**
 * A request's client going away while the request is parked ends it at
 * once: the gateway finishes it as status 499 (its handler's lines, its
 * access log line and its data point are written now, in the request's own
 * context) and what it awaited is dropped. The runtime tells through the
 * incoming request's signal with the `enable_request_signal` compatibility
 * flag; without it the signal never aborts, and the registry below finds
 * the dropped wait later, when the runtime collects it. A request answered
 * without waiting pays nothing for this.
 */
function watchClient(task) {
  const signal = task.request?.signal;
  if (signal == null) return;
  if (signal.aborted) queueMicrotask(() => leave(task));
  else signal.addEventListener("abort", () => leave(task), { once: true });
}

/** Ends a parked request whose client went away (see watchClient). */
function leave(task) {
  if (task.done || task.generation !== generation || aborted) return;
  finish(task);
  unpark(task.id);
  // No one receives it; the runtime needs the promise settled.
  task.resolve(new Response(null, { status: 499 }));
}

/**
 * A parked request whose wait the runtime drops (its client went away: the
 * promise it awaits never settles, and the continuation holding it is
 * collected) is unparked here; it would otherwise stay in wasm memory for
 * the isolate's life. One something can wake is held until it is woken.
 */
const dropped = new FinalizationRegistry((wait) => {
  if (wait.generation !== generation || aborted) return;
  unpark(wait.id);
});

/** Drops the request parked under `id` in wasm (the gateway finishes it as 499). */
function unpark(id) {
  try {
    abandon(id);
  } catch (error) {
    // A trap here ends the instance like any other: the next event revives.
    if (endsInstance(error)) aborted = true;
  }
}

/** The response the gateway wrote to its output buffer. */
function answer(request, result) {
  if (result < 0) throw new Error(`the gateway answered ${result}`);
  return decode(view(), result);
}

/**
 * Any failure becomes the problem+json 500. When the instance ended, a
 * fresh one is made now, not at the next event: a callback the old
 * instance left behind (a promise it awaits settling) then finds its
 * instance gone, and never runs on the new one's memory.
 */
function failed(request, error) {
  if (endsInstance(error)) aborted = true;
  const response = failure(request, error);
  reviveIfAborted();
  return response;
}

/**
 * Whether an error from a call into wasm ended its instance, as the glue
 * (`--force-enable-abort-handler`) ends it: a trap, a stack overflow (a
 * RangeError, not a trap), or a JS exception thrown through an import
 * (rethrown as "Critical error"). The glue swaps in a fresh instance on the
 * next call; the entry must renew its views of the memory with it.
 */
function endsInstance(error) {
  return error instanceof WebAssembly.RuntimeError || error instanceof RangeError || error?.message === "Critical error";
}

/** The wasm memory as bytes, renewed when the memory has grown (growing detaches the old view). */
function view() {
  if (bytes === null || bytes.length === 0) {
    memory ??= wasmMemory();
    bytes = new Uint8Array(memory.buffer);
  }
  return bytes;
}

const readWord = (u8, at) => u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24);
/** Keeps a leading U+FEFF: the bytes become exactly their string. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
/**
 * UTF-8 bytes as a string, by the runtime's decoder: inside workerd one
 * native call costs less than building the string in JS (131 ASCII bytes:
 * 0.16 µs, against 0.5 for `String.fromCharCode` over them;
 * docs/performance-log.md), and it needs no scan for ASCII first.
 */
const text = (u8, from, to) => utf8.decode(u8.subarray(from, to));

/** Whether a short run of bytes is ASCII (then it becomes a string: cheaper for the runtime than a buffer). */
function ascii(u8, from, to) {
  if (to - from > 4096) return false;
  for (let i = from; i < to; i++) if (u8[i] > 127) return false;
  return true;
}

/**
 * Builds the runtime response from the encoded one at `at`, and prints its
 * log line. A status marked `*` has a streamed body (an upstream's), which
 * the gateway holds for it.
 */
function decode(u8, at) {
  const end = at + readWord(u8, at);
  const bodyAt = at + readWord(u8, at + 4);
  const logAt = at + readWord(u8, at + 8);
  let i = at + 12;
  let status = 0;
  const streamed = u8[i] === 42;
  if (streamed) i++;
  while (u8[i] !== 10) status = status * 10 + u8[i++] - 48;
  i++;
  // The header lines (`name\nvalue\n`, up to the blank line before the
  // body) become one string: cheaper than a string per field. Values are
  // UTF-8 (the runtime writes header strings out as UTF-8, so the bytes
  // leave exactly as the gateway made them); a value never holds a line break.
  const headers = bodyAt - 1 > i ? headersInit(text(u8, i, bodyAt - 1)) : {};
  // A string body gets `text/plain` from the runtime when the answer has
  // no type: one without stays bytes, so it leaves with none, whatever its
  // size or bytes.
  const typed = Array.isArray(headers) ? headers.some(([name]) => name === "content-type") : "content-type" in headers;
  const body = streamed
    ? takeStream()
    : logAt === bodyAt ? null : typed && ascii(u8, bodyAt, logAt) ? text(u8, bodyAt, logAt) : u8.slice(bodyAt, logAt);
  if (end > logAt) {
    writeLog(text(u8, logAt, end));
  }
  return new Response(body, { status, headers });
}

/**
 * A request's log lines (JSON objects, one per line), one console call
 * each: a log event is one JSON object to Workers Logs and `wrangler tail`,
 * at the console level the line's `level` names. The usual case, the
 * access line alone, is one call, as it always was.
 */
function writeLog(lines) {
  for (let from = 0; from < lines.length; ) {
    let to = lines.indexOf("\n", from);
    if (to < 0) to = lines.length;
    const line = from === 0 && to === lines.length ? lines : lines.slice(from, to);
    if (line.startsWith('{"level":"error"')) console.error(line);
    else if (line.startsWith('{"level":"warn"')) console.warn(line);
    else console.log(line);
    from = to + 1;
  }
}

function failure(request, error) {
  const given = request?.headers.get("x-request-id");
  const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID().replaceAll("-", "");
  console.error(JSON.stringify({ level: "error", message: "worker failed", request_id: requestId, error: String(error) }));
  const configured = settings?.PROBLEM_TYPE_PREFIX;
  const prefix = typeof configured === "string" && /^[\x21-\x7e]{1,200}$/.test(configured.trim()) && configured.includes(":")
    ? configured.trim()
    : "urn:edgegate:problem:";
  const problem = {
    type: `${prefix}internal`,
    title: "Internal Server Error",
    status: 500,
    detail: "The server failed to handle this request. The failure is logged under this request id.",
    request_id: requestId,
  };
  return new Response(JSON.stringify(problem), {
    status: 500,
    headers: {
      "content-type": "application/problem+json",
      "x-request-id": requestId,
      "x-content-type-options": "nosniff",
    },
  });
}
