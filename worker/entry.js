// The worker's entry: hands each request to the Rust gateway and builds the
// runtime response from what it returns.
//
// Requests and responses cross into and out of wasm as bytes in buffers the
// wasm instance owns (layouts in src/adapter/wire.rs): no JS objects walked
// field by field, no TextEncoder/TextDecoder per string. Only the headers the
// gateway reads are passed, unless the route's handler wants them all (the
// gateway then answers NEEDS_ALL_HEADERS and is asked again). A body whose
// Content-Length is within the largest limit any route has is read here in one
// copy; any other body is streamed by the gateway, which counts the bytes as
// they arrive.
//
// Panics: a Rust panic aborts the wasm instance (panic = "abort"). The Rust side
// has logged the message and location, and its abort handler schedules a fresh
// instance before the next call. A request that was running synchronously sees
// the trap here as an exception; requests waiting on I/O on that instance would
// never finish, so the runtime's error event fails them. Both become the same
// problem+json 500 every other failure gets.
import {
  edgegate_init as init,
  edgegate_read_headers as readHeaders,
  edgegate_memory as wasmMemory,
  edgegate_reserve as reserve,
  edgegate_body_budget as bodyBudget,
  edgegate_fetch as fetchBuffered,
  edgegate_fetch_streamed as fetchStreamed,
  edgegate_take_pending as takePending,
  edgegate_revive as revive,
} from "../build/index.js";

const PENDING_RESPONSE = -1;
const NEEDS_INIT = -2;
const NEEDS_ALL_HEADERS = -3;
/** The header names passed by default: those the gateway reads (gateway::READ_HEADERS). */
const READ_HEADERS = readHeaders().split("\n");
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const inFlight = new Set();
let memory = null;
let bytes = null;
let inputAt = 0;
let inputCapacity = 0;
let budget = -1;
let aborted = false;

addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    aborted = true;
    for (const fail of inFlight) fail(event.error);
    inFlight.clear();
  }
});

export default {
  // Not async: a request without a body that needs no I/O is answered
  // synchronously, so the runtime gets a Response rather than a promise of one.
  fetch(request, env) {
    try {
      if (aborted) {
        aborted = false;
        revive();
        memory = bytes = null;
        inputAt = inputCapacity = 0;
        budget = -1;
      }
      if (request.body !== null) return withBody(request, env);
      return answer(request, run(request, env, null, false));
    } catch (error) {
      return failed(request, error);
    }
  },
};

/** A request with a body: read it here if it is declared within the largest limit, else let the gateway stream it. */
async function withBody(request, env) {
  try {
    if (budget < 0) {
      init(env);
      budget = bodyBudget();
    }
    const declared = request.headers.get("content-length");
    if (declared !== null && +declared <= budget) {
      const body = new Uint8Array(await request.arrayBuffer());
      return answer(request, run(request, env, body, false));
    }
    return answer(request, run(request, env, null, true));
  } catch (error) {
    return failed(request, error);
  }
}

/**
 * Runs the gateway, building it first if this instance has none yet, and
 * passing every header if the route's handler reads more than the gateway.
 */
function run(request, env, body, streamed) {
  const head = headOf(request, false);
  let result = handle(request, head, body, false, streamed);
  if (result === NEEDS_INIT) {
    init(env);
    result = handle(request, head, body, false, streamed);
  }
  if (result === NEEDS_ALL_HEADERS) result = handle(request, headOf(request, true), body, true, streamed);
  return result;
}

/** `method\nurl\n`, `name\nvalue\n` per header (all, or those the gateway reads), and an empty line. */
function headOf(request, all) {
  let text = request.method + "\n" + request.url + "\n";
  const headers = request.headers;
  if (all) {
    for (const [name, value] of headers) text += name + "\n" + value + "\n";
  } else {
    for (let i = 0; i < READ_HEADERS.length; i++) {
      const value = headers.get(READ_HEADERS[i]);
      if (value !== null) text += READ_HEADERS[i] + "\n" + value + "\n";
    }
  }
  return text + "\n";
}

/** The response for a gateway result: decoded now, or once its I/O is done. */
function answer(request, result) {
  if (result === PENDING_RESPONSE) {
    return waitFor(takePending()).then(
      (encoded) => decode(encoded, 0),
      (error) => failed(request, error),
    );
  }
  return decode(view(), result);
}

/** Any failure becomes the problem+json 500; a trap marks the instance for revival. */
function failed(request, error) {
  if (error instanceof WebAssembly.RuntimeError) aborted = true;
  return failure(request, error);
}

/** The wasm memory as bytes, renewed when the memory has grown (growing detaches the old view). */
function view() {
  if (bytes === null || bytes.length === 0) {
    memory ??= wasmMemory();
    bytes = new Uint8Array(memory.buffer);
  }
  return bytes;
}

/** Writes the request into the input buffer and runs the gateway on it. */
function handle(request, head, body, all, streamed) {
  const length = head.length + (body === null ? 0 : body.length);
  if (length > inputCapacity) {
    inputCapacity = Math.max(length, 16384);
    inputAt = reserve(inputCapacity);
  }
  const at = inputAt;
  const u8 = view();
  // Method, URL and header values are byte strings: one byte per character.
  for (let i = 0; i < head.length; i++) u8[at + i] = head.charCodeAt(i);
  if (body !== null) u8.set(body, at + head.length);
  const now = Date.now();
  return streamed
    ? fetchStreamed(length, all, request, now)
    : fetchBuffered(length, body === null ? -1 : body.length, all, now);
}

/** Waits for an answer that involved I/O, unless the instance dies meanwhile. */
async function waitFor(promise) {
  let fail;
  const aborted = new Promise((_, reject) => (fail = reject));
  inFlight.add(fail);
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    inFlight.delete(fail);
  }
}

const word = (u8, at) => u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24);
function latin1(u8, from, to) {
  if (to - from > 32) return String.fromCharCode.apply(null, u8.subarray(from, to));
  let text = "";
  for (let i = from; i < to; i++) text += String.fromCharCode(u8[i]);
  return text;
}
const utf8 = new TextDecoder();

/** Whether a short run of bytes is ASCII (then it becomes a string: cheaper for the runtime than a buffer). */
function ascii(u8, from, to) {
  if (to - from > 4096) return false;
  for (let i = from; i < to; i++) if (u8[i] > 127) return false;
  return true;
}

/** Builds the runtime response from the encoded one at `at`, and prints its log line. */
function decode(u8, at) {
  const end = at + word(u8, at);
  const bodyAt = at + word(u8, at + 4);
  const logAt = at + word(u8, at + 8);
  let i = at + 12;
  let status = 0;
  while (u8[i] !== 10) status = status * 10 + u8[i++] - 48;
  i++;
  // A plain object: the runtime converts it faster than a list of pairs. The
  // gateway never repeats a header name (list headers are joined), so nothing is lost.
  const headers = {};
  while (u8[i] !== 10) {
    let j = i;
    while (u8[j] !== 10) j++;
    let k = j + 1;
    while (u8[k] !== 10) k++;
    headers[latin1(u8, i, j)] = latin1(u8, j + 1, k);
    i = k + 1;
  }
  const body = logAt === bodyAt ? null : ascii(u8, bodyAt, logAt) ? latin1(u8, bodyAt, logAt) : u8.slice(bodyAt, logAt);
  if (end > logAt) {
    console.log(ascii(u8, logAt, end) ? latin1(u8, logAt, end) : utf8.decode(u8.subarray(logAt, end)));
  }
  return new Response(body, { status, headers });
}

function failure(request, error) {
  const given = request.headers.get("x-request-id");
  const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID().replaceAll("-", "");
  console.error(JSON.stringify({ level: "error", message: "worker failed", request_id: requestId, error: String(error) }));
  const problem = {
    type: "urn:edgegate:problem:internal",
    title: "Internal Server Error",
    status: 500,
    detail: "The server failed to handle this request. The failure is logged under this request id.",
    request_id: requestId,
  };
  return new Response(JSON.stringify(problem), {
    status: 500,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId },
  });
}
