// The runtime's floor: each scenario answered with the least work its answer
// needs, in plain JS without a framework: a fixed response for the routes
// without I/O (s1, s2, s4, s5), and for those whose cost is mostly I/O the
// same I/O the gateways do: s3 looks its key up, counts it once on the same
// limiter binding and reads its JSON body; s8 does the same and sends the
// event to the Queue (unvalidated); s6 and s7 look the URL up in the cache,
// and on a miss fetch the origin with the request's headers and return its
// response as it came (kept when it says `public`). ours/bare then tells
// how much of a scenario's cost is the gateway's own, and hono/bare the most
// any gateway can gain over Hono on it.
let keys;
let origin;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname.startsWith("/api/greet/")) {
      keys ??= new Map(Object.entries(JSON.parse(env.API_KEYS)));
      const consumer = keys.get(request.headers.get("x-api-key"));
      if (consumer === undefined) return new Response("no key", { status: 401 });
      const { success } = await env.PER_PRINCIPAL.limit({ key: consumer });
      if (!success) return new Response("limited", { status: 429 });
      const body = await request.json();
      const message = `Hola, ${body.title} ${decodeURIComponent(url.pathname.slice(11))}!`;
      return Response.json({ message }, { headers: { "access-control-allow-origin": request.headers.get("origin") ?? "" } });
    }
    if (request.method === "POST" && url.pathname === "/partners/events") {
      keys ??= new Map(Object.entries(JSON.parse(env.API_KEYS)));
      const consumer = keys.get(request.headers.get("x-api-key"));
      if (consumer === undefined) return new Response("no key", { status: 401 });
      const { success } = await env.PER_PARTNER.limit({ key: consumer });
      if (!success) return new Response("limited", { status: 429 });
      const event = await request.json();
      const id = crypto.randomUUID();
      await env.EVENTS.send(JSON.stringify({ id, consumer, type: event.type, data: event.data }));
      return Response.json({ id, status: "queued" }, { status: 202, headers: { location: `/partners/events/${id}` } });
    }
    if (url.pathname.startsWith("/origin/")) {
      keys ??= new Map(Object.entries(JSON.parse(env.API_KEYS)));
      if (!keys.has(request.headers.get("x-api-key"))) return new Response("no key", { status: 401 });
      origin ??= JSON.parse(env.UPSTREAMS).origin;
      const kept = await caches.default.match(url.href);
      if (kept !== undefined) return kept;
      const response = await fetch(`${origin}${url.pathname.slice(7)}${url.search}`, { headers: request.headers });
      if (response.headers.get("cache-control")?.startsWith("public")) await caches.default.put(url.href, response.clone());
      return response;
    }
    return new Response("Hello, World!", { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
