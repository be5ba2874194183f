// s6's origin: the same small JSON document (body.json, compact) for any
// method and path, served in the bench's workerd on its own port. Our worker
// and the Hono app fetch it at UPSTREAMS.origin; `make bench` also loads it
// directly, to tell the gateway's added latency.
import document from "./body.json";

const body = JSON.stringify(document);

export default {
  fetch() {
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
};
