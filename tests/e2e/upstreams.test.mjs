// Upstream routes against the real worker: `/origin/*` forwards to an origin
// server this test starts on a free port, which records what it received.
// Served by plain workerd (serveBundle): wrangler dev's proxy would buffer
// request bodies, and the streams are what is tested here.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, FRONTEND, freePort, problem, raw, serveBundle } from "./harness.mjs";

const KEYS = JSON.stringify({ [DEV_KEY]: "dev" });
const MB = 1024 * 1024;

/** Deterministic bytes: `size` of them, made in 64 KiB chunks. */
function* chunks(size) {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  for (let sent = 0; sent < size; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, size - sent));
}

function sha256Of(size) {
  const hash = createHash("sha256");
  for (const chunk of chunks(size)) hash.update(chunk);
  return hash.digest("hex");
}

/** An origin that records every request: method, url, headers, body length and hash. */
async function startOrigin() {
  const seen = [];
  const server = http.createServer((request, response) => {
    const hash = createHash("sha256");
    let length = 0;
    request.on("data", (chunk) => {
      hash.update(chunk);
      length += chunk.length;
    });
    request.on("end", async () => {
      const record = { method: request.method, url: request.url, headers: request.headers, length, sha256: hash.digest("hex") };
      seen.push(record);
      const path = request.url.split("?")[0];
      if (path === "/base/big") {
        response.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(50 * MB) });
        for (const chunk of chunks(50 * MB)) if (!response.write(chunk)) await new Promise((r) => response.once("drain", r));
        return response.end();
      }
      if (path === "/base/cookies") {
        response.writeHead(200, [["set-cookie", "a=1; Path=/"], ["set-cookie", "b=2; Path=/"], ["content-type", "text/plain"]]);
        return response.end("two cookies");
      }
      if (path === "/base/redirect") {
        response.writeHead(302, { location: "https://elsewhere.example/next" });
        return response.end();
      }
      if (path === "/base/slow") {
        await new Promise((r) => setTimeout(r, 3000));
        response.writeHead(200);
        return response.end("late");
      }
      if (path === "/base/teapot") {
        response.writeHead(418, { "content-type": "text/plain", "access-control-allow-origin": "*", connection: "x-hop", "x-hop": "1" });
        return response.end("short and stout");
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(record));
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { port, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("an origin behind /origin/*", () => {
  let origin, worker;
  before(async () => {
    origin = await startOrigin();
    worker = await serveBundle({
      vars: {
        API_KEYS: KEYS,
        UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${origin.port}/base` }),
        CORS_ALLOWED_ORIGINS: FRONTEND,
        DEBUG_ROUTES: "true",
      },
    });
  });
  after(async () => {
    await worker?.stop();
    await origin?.close();
  });
  const call = (path, init = {}) => fetch(worker.url + path, { ...init, headers: { "x-api-key": DEV_KEY, ...init.headers } });

  test("the request arrives with the proxy's rules applied", async () => {
    const response = await call(`/origin/a/b%20c?x=1&key=${DEV_KEY}&y=2`, {
      method: "PUT",
      headers: {
        "x-request-id": "up-1",
        "x-edgegate-principal": "forged",
        "x-forwarded-for": "198.51.100.1",
        "cf-connecting-ip": "203.0.113.9",
        authorization: "Bearer not-for-the-origin",
        "x-custom": "kept",
        "content-type": "text/plain",
      },
      body: "payload",
    });
    const received = await response.json();
    assert.equal(response.status, 200);
    assert.equal(received.method, "PUT");
    assert.equal(received.url, "/base/a/b%20c?x=1&y=2");
    assert.equal(received.length, 7);
    const h = received.headers;
    for (const gone of ["x-api-key", "authorization"]) assert.equal(h[gone], undefined, gone);
    assert.equal(h["x-custom"], "kept");
    assert.equal(h["x-request-id"], "up-1");
    assert.equal(h["x-forwarded-for"], "198.51.100.1, 203.0.113.9");
    assert.equal(h["x-forwarded-proto"], "http");
    assert.equal(h["via"], "1.1 edgegate");
    assert.equal(h["x-forwarded-host"], new URL(worker.url).host);
    const principal = JSON.parse(Buffer.from(h["x-edgegate-principal"], "base64url").toString());
    assert.deepEqual(principal, { id: "dev", scheme: "api_key", provider: null, claims: null });
    const log = await worker.logFor("up-1");
    assert.equal(log.upstream, "origin");
    assert.equal(log.upstream_status, 200);
    assert.equal(typeof log.upstream_ms, "number");
  });

  test("hop-by-hop headers stop at the gateway (raw socket: a client library refuses to send them)", async () => {
    const { host } = new URL(worker.url);
    const head = [
      "GET /origin/hop HTTP/1.1",
      `Host: ${host}`,
      `X-Api-Key: ${DEV_KEY}`,
      "Connection: keep-alive, X-Secret-Hop",
      "X-Secret-Hop: 1",
      "Keep-Alive: timeout=5",
      "TE: trailers",
      "Proxy-Authorization: Basic eDp5",
      "X-Request-Id: up-hop",
      "", "",
    ].join("\r\n");
    const response = await raw(worker.url, Buffer.from(head));
    assert.equal(response?.status, 200, JSON.stringify(response));
    const received = origin.seen.find((r) => r.headers["x-request-id"] === "up-hop");
    for (const gone of ["x-secret-hop", "keep-alive", "te", "proxy-authorization", "x-api-key"]) {
      assert.equal(received.headers[gone], undefined, gone);
    }
  });

  test("a GET with Content-Length: 0 or an empty chunked body is forwarded; one with a body is a 400, never the origin's fault (raw socket)", async () => {
    const { host } = new URL(worker.url);
    const get = (id, framing, body = "") =>
      raw(worker.url, Buffer.from([`GET /origin/got HTTP/1.1`, `Host: ${host}`, `X-Api-Key: ${DEV_KEY}`, `X-Request-Id: ${id}`, ...framing, "", body].join("\r\n")));
    for (const [id, framing, body] of [
      ["get-empty-length", ["Content-Length: 0"], ""],
      ["get-empty-chunked", ["Transfer-Encoding: chunked"], "0\r\n\r\n"],
    ]) {
      const response = await get(id, framing, body);
      assert.equal(response?.status, 200, `${id}: ${JSON.stringify(response)}`);
      const received = origin.seen.find((r) => r.headers["x-request-id"] === id);
      assert.equal(received?.method, "GET", id);
      assert.equal(received.length, 0, id);
    }
    for (let i = 0; i < 6; i++) {
      const response = await get(`get-body-${i}`, ["Content-Length: 7"], "payload");
      assert.equal(response?.status, 400, JSON.stringify(response));
      assert.equal(JSON.parse(response.body).type, "urn:edgegate:problem:invalid-request");
      assert.equal(origin.seen.find((r) => r.headers["x-request-id"] === `get-body-${i}`), undefined);
    }
    // Six refusals later the origin is still in (five failures would eject it).
    assert.equal((await call("/origin/after")).status, 200);
  });

  test("trace context on raw sockets: the origin gets the gateway's child traceparent, never the client's copies", async () => {
    const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    const head = (id, lines) =>
      Buffer.concat([
        Buffer.from(["GET /origin/trace HTTP/1.1", `Host: ${new URL(worker.url).host}`, `X-Api-Key: ${DEV_KEY}`, `X-Request-Id: ${id}`, ""].join("\r\n")),
        ...lines.map((line) => Buffer.concat([typeof line === "string" ? Buffer.from(line, "latin1") : line, Buffer.from("\r\n")])),
        Buffer.from("\r\n"),
      ]);
    const send = async (id, lines) => {
      const response = await raw(worker.url, head(id, lines));
      assert.equal(response?.status, 200, `${id}: ${JSON.stringify(response)}`);
      return origin.seen.find((r) => r.headers["x-request-id"] === id).headers;
    };
    // A valid parent is continued.
    const continued = await send("trace-ok", [`traceparent: 00-${TRACE}-00f067aa0ba902b7-01`, "tracestate: congo=t61rcWkgMzE"]);
    assert.match(continued.traceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    assert.equal(continued.tracestate, "congo=t61rcWkgMzE");
    // Malformed ones start a new trace (two copies of traceparent are not one).
    for (const [id, lines] of [
      ["trace-upper", [`traceparent: 00-${TRACE.toUpperCase()}-00F067AA0BA902B7-01`]],
      ["trace-twice", [`traceparent: 00-${TRACE}-00f067aa0ba902b7-01`, `traceparent: 00-${TRACE}-00f067aa0ba902b7-01`]],
      ["trace-utf8", [Buffer.from(`traceparent: 00-${TRACE.slice(0, 31)}é-00f067aa0ba902b7-01`, "utf8")]],
      ["trace-huge", [`traceparent: 00-${TRACE}-00f067aa0ba902b7-01-${"x".repeat(8000)}`]],
    ]) {
      const received = await send(id, [...lines, "tracestate: a=b"]);
      assert.match(received.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, id);
      assert.notEqual(received.traceparent.split("-")[1], TRACE, id);
      assert.equal(received.tracestate, undefined, `${id}: no state without a valid parent`);
    }
    // A state outside visible ASCII is not passed on, even with a valid parent.
    const state = await send("trace-state", [`traceparent: 00-${TRACE}-00f067aa0ba902b7-01`, Buffer.from("tracestate: a=é", "utf8")]);
    assert.equal(state.traceparent.split("-")[1], TRACE);
    assert.equal(state.tracestate, undefined);
    // Bytes that are not UTF-8, or a control character, in trace context are
    // no error (where any other header's would be a 400): a new trace.
    for (const [id, line] of [
      ["trace-bytes", Buffer.concat([Buffer.from("traceparent: 00-"), Buffer.from([0xe9]), Buffer.from("-1")])],
      ["trace-control", Buffer.from(`traceparent: 00-${TRACE}-00f067aa0ba902b7-01\x01`)],
    ]) {
      const fresh = await send(id, [line, "tracestate: a=b"]);
      assert.match(fresh.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, id);
      assert.notEqual(fresh.traceparent.split("-")[1], TRACE, id);
      assert.equal(fresh.tracestate, undefined, id);
    }
  });

  test("Via on raw sockets: the gateway is appended to what the client sent, as it was sent, never put in its place", async () => {
    const head = (id, lines) =>
      Buffer.concat([
        Buffer.from(["GET /origin/via HTTP/1.1", `Host: ${new URL(worker.url).host}`, `X-Api-Key: ${DEV_KEY}`, `X-Request-Id: ${id}`, ""].join("\r\n")),
        ...lines.map((line) => Buffer.concat([Buffer.from(line, "utf8"), Buffer.from("\r\n")])),
        Buffer.from("\r\n"),
      ]);
    const via = async (id, lines) => {
      const response = await raw(worker.url, head(id, lines));
      assert.equal(response?.status, 200, `${id}: ${JSON.stringify(response)}`);
      return origin.seen.find((r) => r.headers["x-request-id"] === id).headers.via;
    };
    const huge = `1.1 ${"p".repeat(8000)}`;
    for (const [id, lines, expected] of [
      ["via-none", [], "1.1 edgegate"],
      ["via-list", ["Via: 1.0 fred, 1.1 p.example.net"], "1.0 fred, 1.1 p.example.net, 1.1 edgegate"],
      ["via-twice", ["Via: 1.0 fred", "Via: 1.1 p.example.net"], "1.0 fred, 1.1 p.example.net, 1.1 edgegate"],
      ["via-padded", ["Via:    1.1 spaced   "], "1.1 spaced, 1.1 edgegate"],
      ["via-empty", ["Via: "], "1.1 edgegate"],
      // The origin's Node server reads header bytes as Latin-1.
      ["via-utf8", ["Via: 1.1 prøxy"], `1.1 ${Buffer.from("prøxy", "utf8").toString("latin1")}, 1.1 edgegate`],
      ["via-huge", [`Via: ${huge}`], `${huge}, 1.1 edgegate`],
      ["via-lookalike", ["V_ia: 1.0 forged"], "1.1 edgegate"],
    ]) {
      assert.equal(await via(id, lines), expected, id);
    }
  });

  test("50 MB down and 20 MB up pass through intact", async () => {
    const down = await call("/origin/big");
    assert.equal(down.status, 200);
    const hash = createHash("sha256");
    let length = 0;
    for await (const chunk of down.body) {
      hash.update(chunk);
      length += chunk.length;
    }
    assert.equal(length, 50 * MB);
    assert.equal(hash.digest("hex"), sha256Of(50 * MB));

    // Over MAX_BODY_BYTES by default (1 MiB): the route's limit is raised for
    // this worker below. Only the head is sent (raw socket): the 413 comes
    // before any body byte, and a client still uploading could see the
    // connection close under it.
    const { host } = new URL(worker.url);
    const head = `POST /origin/upload HTTP/1.1\r\nHost: ${host}\r\nX-Api-Key: ${DEV_KEY}\r\nContent-Length: ${20 * MB}\r\n\r\n`;
    const up = await raw(worker.url, Buffer.from(head));
    assert.equal(up?.status, 413, JSON.stringify(up));
    assert.equal(JSON.parse(up.body).type, "urn:edgegate:problem:body-too-large");
  });

  test("repeated headers, redirects and the upstream's own errors come back as sent", async () => {
    const cookies = await call("/origin/cookies");
    assert.deepEqual(cookies.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
    assert.equal(await cookies.text(), "two cookies");
    const redirect = await call("/origin/redirect", { redirect: "manual" });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get("location"), "https://elsewhere.example/next");
    const teapot = await call("/origin/teapot", { headers: { origin: FRONTEND } });
    assert.equal(teapot.status, 418);
    assert.equal(await teapot.text(), "short and stout");
    assert.equal(teapot.headers.get("x-hop"), null);
    // The gateway's CORS replaces the upstream's `*`.
    assert.equal(teapot.headers.get("access-control-allow-origin"), FRONTEND);
  });

  test("no key: 401 before anything reaches the origin", async () => {
    const before = origin.seen.length;
    const response = await fetch(worker.url + "/origin/anything");
    await problem(assert, response, 401, "unauthorized");
    assert.equal(origin.seen.length, before);
  });

  test("an origin that does not answer in time is a 504", async () => {
    const response = await call("/debug/slow-origin/slow");
    const body = await problem(assert, response, 504, "upstream-timeout");
    assert.match(body.detail, /1000 ms/);
  });

  test("an origin that cannot be reached is a 502", async () => {
    await origin.close();
    const response = await call("/origin/anything", { headers: { "x-request-id": "up-down" } });
    await problem(assert, response, 502, "upstream-unreachable");
    const log = await worker.logFor("up-down");
    assert.equal(log.upstream, "origin");
    assert.match(log.error, /^upstream origin: /);
  });
});

describe("a 20 MB upload on a route whose limit allows it", () => {
  let origin, worker;
  before(async () => {
    origin = await startOrigin();
    worker = await serveBundle({
      vars: {
        API_KEYS: KEYS,
        UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${origin.port}/base` }),
        MAX_BODY_BYTES: String(32 * MB),
      },
    });
  });
  after(async () => {
    await worker?.stop();
    await origin?.close();
  });

  test("streams to the origin intact, declared or chunked", async () => {
    const declared = await fetch(worker.url + "/origin/upload", {
      method: "POST",
      headers: { "x-api-key": DEV_KEY, "content-type": "application/octet-stream" },
      body: Buffer.concat([...chunks(20 * MB)]),
    });
    const received = await declared.json();
    assert.equal(declared.status, 200);
    assert.equal(received.length, 20 * MB);
    assert.equal(received.sha256, sha256Of(20 * MB));

    // Without Content-Length: counted against the limit on the way.
    const stream = new ReadableStream({
      start(controller) {
        for (const chunk of chunks(20 * MB)) controller.enqueue(new Uint8Array(chunk));
        controller.close();
      },
    });
    const chunked = await fetch(worker.url + "/origin/upload", {
      method: "POST",
      headers: { "x-api-key": DEV_KEY },
      body: stream,
      duplex: "half",
    });
    const got = await chunked.json();
    assert.equal(chunked.status, 200);
    assert.equal(got.length, 20 * MB);
    assert.equal(got.sha256, sha256Of(20 * MB));
  });

  test("a chunked upload past the limit is cut off with a 413", async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (const chunk of chunks(40 * MB)) controller.enqueue(new Uint8Array(chunk));
        controller.close();
      },
    });
    // The gateway answers as soon as the count passes the limit, while the
    // client is still sending; fetch reads no answer before its upload is
    // done, so it may see the connection closed under it instead ("fetch
    // failed"). What the gateway answered is then in its log line.
    let response = null;
    try {
      response = await fetch(worker.url + "/origin/upload", {
        method: "POST",
        headers: { "x-api-key": DEV_KEY, "x-request-id": "chunked-too-large" },
        body: stream,
        duplex: "half",
      });
    } catch (error) {
      assert.equal(error.message, "fetch failed");
    }
    if (response !== null) await problem(assert, response, 413, "body-too-large");
    const log = await worker.logFor("chunked-too-large");
    assert.deepEqual([log.status, log.problem], [413, "body-too-large"]);
    // The origin never saw a complete request: the exchange was broken off.
    assert.ok(origin.seen.every((r) => r.length !== 40 * MB && !(r.url === "/base/upload" && r.length > 32 * MB)));
  });
});
