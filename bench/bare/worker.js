// The runtime's floor: each scenario answered with the least work its answer
// needs, in plain JS without a framework: a fixed response for the routes
// without I/O (s1, s2, s4, s5), and for those whose cost is mostly I/O the
// same I/O the gateways do: s3 looks its key up, counts it once on the same
// limiter binding and reads its JSON body; s5 reads the bearer token's
// subject (without checking its signature: less than any gateway may do)
// and counts it once on the same limiter; s8 does as s3 and sends the
// event to the Queue (unvalidated); s6 and s7 look the URL up in the cache,
// and on a miss fetch the origin with the request's headers and return its
// response as it came (kept when it says `public`). ours/bare then tells
// how much of a scenario's cost is the gateway's own, and hono/bare the most
// any gateway can gain over Hono on it. With `BARE_UNLIMITED` it skips the
// limiter's call (`bare_unlimited`): the limiter's own cost, for comparing
// what ours spends on it.
//
// With a `METRICS` dataset bound (`bare_observed`), it also does the least
// observability's answer needs: one data point per request of the shape
// ours writes (an index, eight blobs, four doubles) and a `Server-Timing`
// header: what those calls cost the runtime, whoever makes them.
//
// With `BARE_SAME` (`bare_same`), s1, s2 and s4 get exactly ours's answer
// (without the access log): the same headers, a request id kept when the
// request brings a well-formed one and made fresh otherwise, the CORS
// headers only for an allowed origin. What answering as ours does costs,
// whoever writes it: the floor of ours's own share on those scenarios.
let keys;
let origin;
let allowed;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const EXPOSE = "x-request-id, ratelimit, ratelimit-policy, retry-after, server-timing";

export default {
  async fetch(request, env) {
    if (env.BARE_SAME === "true") return same(request, env) ?? answer(request, env, {});
    if (env.METRICS === undefined) return answer(request, env, {});
    const started = Date.now();
    const timing = { "server-timing": "gw;dur=0" };
    const response = await answer(request, env, timing);
    env.METRICS.writeDataPoint({
      indexes: ["/route"],
      blobs: ["/route", request.method, `${Math.floor(response.status / 100)}xx`, "api_key", "bench", "", "", ""],
      doubles: [response.status, Date.now() - started, 0, 0],
    });
    return response;
  },
};

/** The scenario's answer, with `extra` headers on it. */
async function answer(request, env, extra) {
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname.startsWith("/api/greet/")) {
    const consumer = await admit(request, env.PER_PRINCIPAL, env, extra);
    if (typeof consumer !== "string") return consumer;
    const body = await request.json();
    const message = `Hola, ${body.title} ${decodeURIComponent(url.pathname.slice(11))}!`;
    return Response.json({ message }, { headers: { "access-control-allow-origin": request.headers.get("origin") ?? "", ...extra } });
  }
  if (request.method === "POST" && url.pathname === "/partners/events") {
    const consumer = await admit(request, env.PER_PARTNER, env, extra);
    if (typeof consumer !== "string") return consumer;
    const event = await request.json();
    const id = crypto.randomUUID();
    await env.EVENTS.send(JSON.stringify({ id, consumer, type: event.type, data: event.data }), { contentType: "text" });
    return Response.json({ id, status: "queued" }, { status: 202, headers: { location: `/partners/events/${id}`, ...extra } });
  }
  if (request.method === "GET" && url.pathname === "/api/me") {
    const token = request.headers.get("authorization")?.slice(7) ?? "";
    const subject = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub;
    if (env.BARE_UNLIMITED !== "true" && !(await env.PER_PRINCIPAL.limit({ key: subject })).success) {
      return new Response("limited", { status: 429, headers: extra });
    }
    return Response.json({ subject }, { headers: { "access-control-allow-origin": request.headers.get("origin") ?? "", ...extra } });
  }
  if (url.pathname.startsWith("/origin/")) {
    keys ??= new Map(Object.entries(JSON.parse(env.API_KEYS)));
    if (!keys.has(request.headers.get("x-api-key"))) return new Response("no key", { status: 401, headers: extra });
    origin ??= JSON.parse(env.UPSTREAMS).origin;
    const kept = await caches.default.match(url.href);
    if (kept !== undefined) return withHeaders(kept, extra);
    const response = await fetch(`${origin}${url.pathname.slice(7)}${url.search}`, { headers: request.headers });
    if (response.headers.get("cache-control")?.startsWith("public")) await caches.default.put(url.href, response.clone());
    return withHeaders(response, extra);
  }
  return new Response("Hello, World!", { headers: { "content-type": "text/plain; charset=utf-8", ...extra } });
}

/**
 * The key's consumer once counted within `limiter`'s limit, or the refusal
 * (401, 429). Not counted at all with `BARE_UNLIMITED` (`bare_unlimited`):
 * what the limiter's call costs the floor.
 */
async function admit(request, limiter, env, extra) {
  keys ??= new Map(Object.entries(JSON.parse(env.API_KEYS)));
  const consumer = keys.get(request.headers.get("x-api-key"));
  if (consumer === undefined) return new Response("no key", { status: 401, headers: extra });
  if (env.BARE_UNLIMITED === "true") return consumer;
  const { success } = await limiter.limit({ key: consumer });
  return success ? consumer : new Response("limited", { status: 429, headers: extra });
}

/** `response` as it came, or (its headers being immutable) a new one with `extra` added. */
function withHeaders(response, extra) {
  const names = Object.keys(extra);
  if (names.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const name of names) headers.set(name, extra[name]);
  return new Response(response.body, { status: response.status, headers });
}

/** s1, s2 and s4 answered as ours answers them (`BARE_SAME`); null for the others. */
function same(request, env) {
  const url = new URL(request.url);
  const given = request.headers.get("x-request-id");
  const id = given !== null && REQUEST_ID.test(given) ? given : crypto.randomUUID().replaceAll("-", "");
  const headers = { vary: "Origin", "x-content-type-options": "nosniff", "x-request-id": id };
  allowed ??= new Set(env.CORS_ALLOWED_ORIGINS.split(",").map((o) => o.trim()));
  const origin = request.headers.get("origin");
  const cors = origin !== null && allowed.has(origin);
  if (request.method === "GET" && url.pathname === "/hello") {
    return new Response("Hello, World!", { headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
  }
  if (request.method === "GET" && url.pathname.startsWith("/users/")) {
    if (cors) {
      headers["access-control-allow-origin"] = origin;
      headers["access-control-expose-headers"] = EXPOSE;
    }
    return new Response(JSON.stringify({ userId: url.pathname.slice(7) }), { headers: { "content-type": "application/json", ...headers } });
  }
  if (request.method === "OPTIONS" && cors && request.headers.get("access-control-request-method") !== null) {
    return new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-headers": "content-type, authorization, x-api-key, x-request-id, idempotency-key, traceparent, tracestate",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-origin": origin,
        "access-control-max-age": "3600",
        ...headers,
        vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      },
    });
  }
  return null;
}
