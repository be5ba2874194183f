// The worker's entry: the Rust gateway built by worker-build, behind one
// safety net for panics.
//
// A Rust panic aborts the wasm instance (panic = "abort"). The Rust side has
// already logged the message and location (console_error_panic_hook), and the
// worker-build shim marks the instance for a reset before the next request.
// What is left is the requests that were in flight on the dead instance:
// their futures will never finish, so the runtime's uncaught-error event is
// turned into the same problem+json 500 every other failure gets.
import { WorkerEntrypoint } from "cloudflare:workers";
import Gateway from "../build/index.js";

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const inFlight = new Set();

addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const fail of inFlight) fail(event.error);
    inFlight.clear();
  }
});

export default class extends WorkerEntrypoint {
  async fetch(request) {
    let fail;
    const aborted = new Promise((_, reject) => (fail = reject));
    inFlight.add(fail);
    try {
      return await Promise.race([new Gateway(this.ctx, this.env).fetch(request), aborted]);
    } catch (error) {
      return failure(request, error);
    } finally {
      inFlight.delete(fail);
    }
  }
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
