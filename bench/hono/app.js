// The comparison app: the bench scenarios' routes and policies written the way
// a Hono user would — hono/cors with the same origins, an x-api-key check on
// /api/* that falls back to a bearer token from the `firebase` provider
// (hono/jwk with the JWKS inline, issuer and audience checked, as ours), and
// the same handlers, /api/* rate-limited per caller with hono-rate-limiter on
// the same limiter binding as ours; /origin/* takes the same key or token and forwards with
// hono/proxy to UPSTREAMS.origin, with the headers ours sets and strips (s6).
// `worker.js` serves it as the issue specifies;
// `logged.js` adds what our gateway also does on every request, as a Hono user
// would add it: hono/request-id and one JSON access log line.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cache } from "hono/cache";
import { cors } from "hono/cors";
import { jwk } from "hono/jwk";
import { proxy } from "hono/proxy";
import { requestId } from "hono/request-id";
import { routePath } from "hono/route";
import { rateLimiter } from "hono-rate-limiter";

export function build({ log }) {
  const app = new Hono();
  let keys;
  let firebase;
  let origin;

  if (log) {
    app.use("*", requestId());
    app.use("*", async (c, next) => {
      const started = Date.now();
      await next();
      console.log(
        JSON.stringify({
          time: new Date(started).toISOString(),
          request_id: c.get("requestId"),
          method: c.req.method,
          route: routePath(c, -1),
          status: c.res.status,
          duration_ms: Date.now() - started,
        }),
      );
    });
  }

  app.use(
    "*",
    cors({
      origin: ["http://localhost:5173", "http://127.0.0.1:5173"],
      allowHeaders: ["content-type", "authorization", "x-api-key", "x-request-id", "idempotency-key", "traceparent", "tracestate"],
      allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["x-request-id"],
      maxAge: 3600,
    }),
  );

  const keyOrToken = async (c, next) => {
    keys ??= new Map(Object.entries(JSON.parse(c.env.API_KEYS || "{}")));
    const key = c.req.header("x-api-key") ?? c.req.query("key");
    if (!key || !keys.has(key)) {
      if (c.req.header("authorization")) {
        firebase ??= jwtProvider(JSON.parse(c.env.JWT_PROVIDERS).firebase);
        return firebase(c, next);
      }
      return c.json({ title: "Unauthorized", status: 401 }, 401, { "www-authenticate": "ApiKey" });
    }
    await next();
  };
  app.use("/api/*", keyOrToken);
  // As ours limits /api (PER_PRINCIPAL): hono-rate-limiter on the same binding, per key's consumer or token's subject.
  app.use(
    "/api/*",
    rateLimiter({
      binding: (c) => c.env.PER_PRINCIPAL,
      keyGenerator: (c) => {
        const claims = c.get("jwtPayload");
        return claims ? `jwt:firebase:${claims.sub}` : `api_key::${keys.get(c.req.header("x-api-key") ?? c.req.query("key"))}`;
      },
    }),
  );
  app.use("/origin/*", keyOrToken);
  // s7: GET answers kept at the edge with hono/cache, after the key check
  // (it skips what says no-store, private or no-cache, as s6's answer does).
  app.get("/origin/*", cache({ cacheName: "origin", wait: true }));
  // s8, as ours: a key only, rate-limited per consumer on the same binding (PER_PARTNER).
  const keyOnly = async (c, next) => {
    keys ??= new Map(Object.entries(JSON.parse(c.env.API_KEYS || "{}")));
    const consumer = keys.get(c.req.header("x-api-key") ?? c.req.query("key"));
    if (consumer === undefined) return c.json({ title: "Unauthorized", status: 401 }, 401, { "www-authenticate": "ApiKey" });
    c.set("consumer", consumer);
    await next();
  };
  app.use("/partners/*", keyOnly);
  app.use("/partners/*", bodyLimit({ maxSize: 66560 }));
  app.use("/partners/*", rateLimiter({ binding: (c) => c.env.PER_PARTNER, keyGenerator: (c) => `api_key::${c.get("consumer")}` }));

  app.get("/hello", (c) => c.text("Hello, World!"));
  app.get("/goodbye", (c) => c.text("Goodbye, World!"));
  app.get("/users/:id", (c) => c.json({ userId: c.req.param("id") }));
  app.get("/search", (c) => c.json({ searchTerm: c.req.query("q"), page: Number(c.req.query("page")) }));
  app.post("/api/greet/:name", async (c) => {
    const name = c.req.param("name");
    const lang = c.req.query("lang") || "en";
    let body = {};
    try {
      body = (await c.req.json()) || {};
    } catch {}
    const greetings = { en: "Hello", es: "Hola", fr: "Bonjour" };
    const greeting = greetings[lang] || greetings.en;
    const fullName = body.title ? `${body.title} ${name}` : name;
    return c.json({ message: `${greeting}, ${fullName}!` });
  });
  app.get("/api/me", (c) => {
    const claims = c.get("jwtPayload");
    if (claims) return c.json({ id: claims.sub, scheme: "jwt", provider: "firebase", claims });
    const consumer = keys.get(c.req.header("x-api-key") ?? c.req.query("key"));
    return c.json({ id: consumer, scheme: "api_key", provider: null, claims: null });
  });
  // s8: the event validated as ours validates it (src/events/model.rs), sent
  // to the Queue as JSON text, and 202 once the Queue has it (503 if not).
  app.post("/partners/events", async (c) => {
    const problem = (status, title, detail) => c.json({ title, status, detail }, status, { "content-type": "application/problem+json" });
    if (!/^application\/(json|[^;]*\+json)\s*(;|$)/i.test(c.req.header("content-type") ?? "")) return problem(415, "Unsupported Media Type", "not JSON");
    let event;
    try {
      event = await c.req.json();
    } catch {
      return problem(400, "Bad Request", "malformed JSON");
    }
    if (event === null || typeof event !== "object" || Array.isArray(event)) return problem(422, "Unprocessable Content", "not an object");
    for (const name of Object.keys(event)) if (name !== "type" && name !== "data") return problem(422, "Unprocessable Content", `unknown field ${name}`);
    const { type, data } = event;
    if (typeof type !== "string") return problem(422, "Unprocessable Content", "type");
    if (data === null || typeof data !== "object" || Array.isArray(data)) return problem(422, "Unprocessable Content", "data");
    const chars = [...type].length;
    if (chars < 1 || chars > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(type)) return problem(422, "Unprocessable Content", "type");
    const text = JSON.stringify(data);
    if (new TextEncoder().encode(text).length > 65536) return problem(422, "Unprocessable Content", "data");
    const id = crypto.randomUUID();
    const consumer = `api_key::${c.get("consumer")}`;
    try {
      await c.env.EVENTS.send(JSON.stringify({ id, consumer, type, received_at: new Date().toISOString(), data }), { contentType: "text" });
    } catch {
      return problem(503, "Service Unavailable", "retry later");
    }
    return c.json({ id, status: "queued" }, 202, { location: `/partners/events/${id}` });
  });
  // What ours does forwarding (crates/edgegate/src/upstream/forward.rs): the
  // rest of the path and the query less `key` appended to the origin's
  // address; the key, the bearer token and hop-by-hop headers (hono/proxy)
  // not forwarded; X-Forwarded-*, x-request-id and the principal set; the
  // origin's CORS headers dropped (hono/cors sets ours).
  app.all("/origin/*", async (c) => {
    origin ??= JSON.parse(c.env.UPSTREAMS).origin.replace(/\/+$/, "");
    const url = new URL(c.req.url);
    if (url.searchParams.has("key")) url.searchParams.delete("key");
    const claims = c.get("jwtPayload");
    const principal = claims
      ? { id: claims.sub, scheme: "jwt", provider: "firebase", claims }
      : { id: keys.get(c.req.header("x-api-key") ?? c.req.query("key")), scheme: "api_key", provider: null, claims: null };
    const client = c.req.header("cf-connecting-ip");
    const forwardedFor = [c.req.header("x-forwarded-for"), client].filter(Boolean).join(", ");
    const response = await proxy(`${origin}${url.pathname.slice("/origin".length)}${url.search}`, {
      raw: c.req.raw,
      headers: {
        ...c.req.header(),
        host: undefined,
        "content-length": undefined,
        "x-api-key": undefined,
        authorization: undefined,
        "x-forwarded-for": forwardedFor || undefined,
        "x-forwarded-proto": url.protocol.slice(0, -1),
        "x-forwarded-host": c.req.header("host"),
        "x-request-id": c.get("requestId") ?? requestIdOf(c.req.header("x-request-id")),
        "x-edgegate-principal": base64url(JSON.stringify(principal)),
      },
    });
    for (const name of [...response.headers.keys()]) if (name.startsWith("access-control-")) response.headers.delete(name);
    return response;
  });

  return app;
}

/** The client's request id if it is 1–128 visible ASCII characters (as ours), else a new one. */
function requestIdOf(sent) {
  return sent && /^[\x21-\x7e]{1,128}$/.test(sent) ? sent : crypto.randomUUID();
}

function base64url(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** hono/jwk for one provider of JWT_PROVIDERS: its keys inline, its issuer and audiences required. */
function jwtProvider({ issuer, audiences, jwks }) {
  return jwk({ keys: jwks.keys, alg: ["RS256", "ES256", "EdDSA"], verification: { iss: issuer, aud: audiences } });
}
