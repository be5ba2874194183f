// The Cache API's store for the bench's plain workerd, which has none of its
// own: a worker's `cacheApiOutbound` service. workerd sends `cache.match` as
// a GET of the key (answered `CF-Cache-Status: HIT` with the kept response,
// or `MISS`), `cache.put` as a PUT whose body is the response serialised as
// HTTP/1.1, and `cache.delete` as a PURGE — the protocol miniflare's cache
// implements for `wrangler dev`. Entries live in memory for their
// `s-maxage` or `max-age`; ours and the Hono app share this one store (their
// keys differ), per `CF-Cache-Namespace`.
const entries = new Map();
const decoder = new TextDecoder();

export default {
  async fetch(request) {
    const key = `${request.headers.get("cf-cache-namespace") ?? ""} ${request.url}`;
    if (request.method === "GET") {
      const entry = entries.get(key);
      if (entry === undefined || entry.expires < Date.now()) {
        entries.delete(key);
        return new Response(null, { status: 504, headers: { "cf-cache-status": "MISS" } });
      }
      return new Response(entry.body, { status: entry.status, headers: [...entry.headers, ["cf-cache-status", "HIT"]] });
    }
    if (request.method === "PUT") {
      const entry = parse(new Uint8Array(await request.arrayBuffer()));
      if (entry === null) return new Response(null, { status: 413 });
      entries.set(key, entry);
      return new Response(null, { status: 204 });
    }
    if (request.method === "PURGE") return new Response(null, { status: entries.delete(key) ? 200 : 404 });
    return new Response(null, { status: 405 });
  },
};

/** A serialised response: its status, headers, body and when it expires; null if it may not be kept. */
function parse(bytes) {
  let end = 0;
  while (end + 3 < bytes.length && !(bytes[end] === 13 && bytes[end + 1] === 10 && bytes[end + 2] === 13 && bytes[end + 3] === 10)) end++;
  const [statusLine, ...lines] = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = lines.map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()]);
  const header = (name) => headers.find(([n]) => n.toLowerCase() === name)?.[1] ?? "";
  let body = bytes.subarray(end + 4);
  if (/chunked/i.test(header("transfer-encoding"))) body = unchunk(body);
  const control = header("cache-control");
  const seconds = Number((control.match(/s-maxage=(\d+)/) ?? control.match(/max-age=(\d+)/) ?? [])[1] ?? 0);
  if (seconds === 0 || /no-store|private/.test(control)) return null;
  const kept = headers.filter(([name]) => !/^(transfer-encoding|content-length)$/i.test(name));
  return { status, headers: kept, body, expires: Date.now() + seconds * 1000 };
}

function unchunk(bytes) {
  const parts = [];
  let at = 0;
  while (at < bytes.length) {
    let line = at;
    while (bytes[line] !== 13) line++;
    const size = parseInt(decoder.decode(bytes.subarray(at, line)), 16);
    if (!size) break;
    parts.push(bytes.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
