// s6's origin: the same small JSON document (body.json, compact) for any
// method and path, served in the bench's workerd on its own port. Our worker
// and the Hono app fetch it at UPSTREAMS.origin; `make bench` also loads it
// directly, to tell the gateway's added latency.
import document from "./body.json";

const body = JSON.stringify(document);

// A request without a query (s7) may be kept at the edge; one with a query
// (s6) may not: s6 measures the forward, s7 the cache hit, on one route.
export default {
  fetch(request) {
    const cacheControl = request.url.includes("?") ? "no-store" : "public, max-age=3600";
    return new Response(body, { headers: { "content-type": "application/json", "cache-control": cacheControl } });
  },
};
