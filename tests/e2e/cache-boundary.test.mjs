// Edge caching where no client library or proxy can tidy the request: raw
// bytes on a socket to the release bundle under plain `workerd serve`, with
// the bench's stand-in Cache API store. The cache key is built from the
// Host header, the path and the query, and shown in Cache-Status: hostile
// spellings of each must neither reach a key nor break the header.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { DEV_KEY, freePort, raw, serveBundle } from "./harness.mjs";

/** A raw GET with `host` given as exact bytes (or left out), and the key header. */
function get(path, host = Buffer.from("edgegate.test"), headers = [["x-api-key", DEV_KEY]]) {
  const parts = [Buffer.from(`GET ${path} HTTP/1.1\r\n`)];
  if (host !== null) parts.push(Buffer.from("host: "), host, Buffer.from("\r\n"));
  for (const [name, value] of headers) parts.push(Buffer.from(`${name}: ${value}\r\n`));
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

/** Cache-Status is an RFC 9211 list member: the cache's name, parameters, and a well-formed key string if any. */
const CACHE_STATUS = /^edgegate(; [a-z-]+(=([a-z0-9-]+|"(?:[^"\\]|\\.)*"))?)+$/;

describe("edge caching on raw sockets under workerd serve", () => {
  let origin, worker;
  const calls = new Map();
  before(async () => {
    const port = await freePort();
    origin = http.createServer((request, response) => {
      calls.set(request.url, (calls.get(request.url) ?? 0) + 1);
      const body = `${request.url} #${calls.get(request.url)}`;
      const typed = request.url.includes("untyped") ? {} : { "content-type": "text/plain" };
      response.writeHead(200, { ...typed, "content-length": Buffer.byteLength(body), "cache-control": "public, max-age=60" });
      response.end(body);
    });
    await new Promise((resolve) => origin.listen(port, "127.0.0.1", resolve));
    worker = await serveBundle({
      cache: true,
      vars: {
        API_KEYS: JSON.stringify({ [DEV_KEY]: "dev" }),
        UPSTREAMS: JSON.stringify({ origin: `http://127.0.0.1:${port}/base` }),
        // Seconds enough that a slow machine's next request is still within them.
        CACHE_POLICIES: JSON.stringify({ origin: { memory: 3 } }),
      },
    });
  });
  after(async () => {
    await worker?.stop();
    origin?.close();
    origin?.closeAllConnections();
  });
  const send = async (bytes) => {
    const response = await raw(worker.url, bytes);
    assert.ok(response, "no answer");
    return response;
  };

  test("a kept answer comes back whole, without the cache's own headers, for any spelling of the same query", async () => {
    const first = await send(get("/origin/a?b=2&a=1"));
    assert.equal(first.status, 200, first.body);
    assert.match(first.headers["cache-status"], /^edgegate; fwd=miss; stored; key="\/\.edgegate-cache\//);
    // From the isolate's memory, then past its seconds from the runtime's
    // Cache API, whose answer is held again.
    const again = await send(get(`/origin/a?a=1&key=${DEV_KEY}&b=2`, Buffer.from("EDGEGATE.test"), []));
    assert.match(again.headers["cache-status"], /^edgegate; hit; ttl=\d+; detail=memory; key=/);
    assert.equal(again.body, first.body);
    assert.ok(Object.keys(again.headers).every((name) => !name.startsWith("x-edgegate-cache-")), Object.keys(again.headers).join());
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const later = await send(get("/origin/a?a=1&b=2"));
    assert.match(later.headers["cache-status"], /^edgegate; hit; ttl=\d+; key=/);
    assert.equal(later.body, first.body);
    assert.equal(later.headers["content-length"], String(Buffer.byteLength(first.body)));
    const held = await send(get("/origin/a?b=2&a=1"));
    assert.match(held.headers["cache-status"], /^edgegate; hit; ttl=\d+; detail=memory; key=/);
    assert.equal(held.body, first.body);
    assert.equal(calls.get("/base/a?b=2&a=1"), 1);
  });

  test("dot segments and backslashes never reach the origin or the cache, in any spelling", async () => {
    for (const path of ["/origin/%2e%2e/secret", "/origin/.%2E/secret", "/origin/a%5c..%5csecret", "/origin/a\\..\\secret", "/origin/%252e%252e/x"]) {
      const response = await send(get(path));
      if (response.status === 200) {
        // A doubly encoded dot segment is an ordinary name to the origin: passed on as it is.
        assert.equal(path, "/origin/%252e%252e/x");
        continue;
      }
      assert.equal(response.status, 400, `${path}: ${response.body}`);
      assert.equal(JSON.parse(response.body).type, "urn:edgegate:problem:invalid-path");
      assert.equal(response.headers["cache-status"], "edgegate; fwd=bypass", path);
      const again = await send(get(path));
      assert.doesNotMatch(again.headers["cache-status"], /hit|stored/, path);
    }
    assert.ok([...calls.keys()].every((url) => !url.includes("secret")), [...calls.keys()].join());
  });

  test("an answer without a type leaves without one, kept or not", async () => {
    // The kept copy is sent from memory on a miss and streamed on a hit:
    // neither may gain the runtime's `text/plain` for a string body.
    const miss = await send(get("/origin/untyped"));
    assert.match(miss.headers["cache-status"], /stored/);
    const hit = await send(get("/origin/untyped"));
    assert.match(hit.headers["cache-status"], /hit/);
    for (const response of [miss, hit]) assert.equal(response.headers["content-type"], undefined, JSON.stringify(response.headers));
    assert.equal(hit.body, miss.body);
  });

  test("a dot segment cannot climb into a kept entry: the Cache API would resolve it, so it is never looked up", async () => {
    const kept = await send(get("/origin/climb/kept"));
    assert.match(kept.headers["cache-status"], /stored/);
    for (const path of ["/origin/climb/x/%2e%2e/kept", "/origin/climb/x/%2E./kept", "/origin/climb/x%5c..%5ckept", "/origin/climb/x/;/..;/kept"]) {
      const response = await send(get(path));
      assert.equal(response.status, 400, `${path}: ${response.body}`);
      assert.equal(response.headers["cache-status"], "edgegate; fwd=bypass", path);
      assert.notEqual(response.body, kept.body, path);
    }
    assert.equal(calls.get("/base/climb/kept"), 1);
  });

  test("a Host outside what a key may hold is never a key: passed through, nothing kept", async () => {
    const hosts = [
      Buffer.from("evil.example/x"),
      Buffer.from('a"b.test'),
      Buffer.from("a\\b.test"),
      Buffer.from("h\u00f6st.test", "latin1"),
      Buffer.from("h\u00f6st.test", "utf8"),
      Buffer.from("a,b.test"),
      Buffer.from("x".repeat(300)),
    ];
    for (const [i, host] of hosts.entries()) {
      const response = await send(get(`/origin/host-${i}`, host));
      // The runtime refuses a Host that is not UTF-8 (400), and builds the
      // URL from one with a `/` in it, so that path is no route (404).
      if (response.status === 400 || (response.status === 404 && host.includes("/"))) {
        assert.equal(response.headers["cache-status"], undefined);
        continue;
      }
      assert.equal(response.status, 200, `${host}: ${response.body}`);
      assert.equal(response.headers["cache-status"], "edgegate; fwd=bypass", String(host));
      const again = await send(get(`/origin/host-${i}`, host));
      assert.equal(again.headers["cache-status"], "edgegate; fwd=bypass");
      assert.equal(calls.get(`/base/host-${i}`), 2, "called each time: nothing was kept");
    }
  });

  test("a key with quotes, backslashes and bytes outside ASCII is a well-formed Cache-Status string", async () => {
    for (const path of ['/origin/q"uote', "/origin/%22quote%22", "/origin/caf%C3%A9", "/origin/sp%20ace?x=%22&y=\\&z=caf%C3%A9"]) {
      const response = await send(get(path));
      assert.equal(response.status, 200, `${path}: ${response.body}`);
      assert.match(response.headers["cache-status"], CACHE_STATUS, path);
      // The query keeps its backslash (the runtime leaves it be): escaped in the string.
      if (path.includes("\\")) assert.ok(response.headers["cache-status"].includes("y=\\\\&"), response.headers["cache-status"]);
      const again = await send(get(path));
      assert.match(again.headers["cache-status"], /^edgegate; hit;/, path);
      assert.match(again.headers["cache-status"], CACHE_STATUS, path);
    }
    // Raw UTF-8 bytes in the target are refused before any lookup.
    const refused = await send(get("/origin/caf\u00e9"));
    assert.equal(refused.status, 400);
    assert.equal(refused.headers["cache-status"], undefined);
  });
});
