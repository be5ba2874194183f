// The worker's entry: hands each request to the Rust gateway in one call and
// builds the runtime response from what it returns.
//
// The request crosses into wasm as plain values: method, URL, the headers as
// one "name\nvalue\n" string, and the body when its Content-Length is within
// the largest limit any route has (otherwise the gateway streams it itself,
// counting bytes as they arrive). The response comes back as one string:
// "<status>[b]\n", "name\nvalue\n" per header, an empty line, the body text
// (with "b", the bytes come from edgegate_take_body()).
//
// Panics: a Rust panic aborts the wasm instance (panic = "abort"). The Rust side
// has logged the message and location, and its abort handler schedules a fresh
// instance before the next call. A request that was running synchronously sees
// the trap here as an exception; requests waiting on I/O on that instance would
// never finish, so the runtime's error event fails them. Both become the same
// problem+json 500 every other failure gets.
import Gateway from "../build/index.js";

const {
  edgegate_fetch: handle,
  edgegate_body_budget: bodyBudget,
  edgegate_take_body: takeBody,
  edgegate_revive: revive,
} = Gateway.prototype;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const inFlight = new Set();
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
  async fetch(request, env) {
    try {
      if (aborted) {
        aborted = false;
        revive();
      }
      let headers = "";
      for (const [name, value] of request.headers) headers += name + "\n" + value + "\n";
      let body;
      let stream;
      if (request.body !== null) {
        if (budget < 0) budget = bodyBudget(env);
        const declared = request.headers.get("content-length");
        if (declared !== null && +declared <= budget) body = new Uint8Array(await request.arrayBuffer());
        else stream = request;
      }
      const out = handle(request.method, request.url, headers, body, stream, env);
      return decode(typeof out === "string" ? out : await waitFor(out));
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) aborted = true;
      return failure(request, error);
    }
  },
};

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

function decode(out) {
  let end = out.indexOf("\n");
  const binary = out.charCodeAt(end - 1) === 98; // "b"
  const status = parseInt(out, 10);
  const headers = [];
  while (out.charCodeAt(end + 1) !== 10) {
    const name = out.indexOf("\n", end + 1);
    const value = out.indexOf("\n", name + 1);
    headers.push([out.slice(end + 1, name), out.slice(name + 1, value)]);
    end = value;
  }
  const text = out.slice(end + 2);
  const body = binary ? takeBody() : text === "" ? null : text;
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
