// The runtime's outbound fetch and WebCrypto, as the Rust platform
// (../src/platform.rs) calls them. wasm-bindgen bundles this module with the
// glue; the gateway never sees a JS type, only bytes, strings and handles.

/** Per JWS algorithm: WebCrypto's import parameters and its verify parameters. */
const ALGORITHMS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS384: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS512: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  PS384: [{ name: "RSA-PSS", hash: "SHA-384" }, { name: "RSA-PSS", saltLength: 48 }],
  PS512: [{ name: "RSA-PSS", hash: "SHA-512" }, { name: "RSA-PSS", saltLength: 64 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  ES384: [{ name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
};

/** A timer of this request's own, for waiting on work another request does. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A public JWK (JSON text) as a CryptoKey that verifies `alg`'s signatures. */
export function importKey(jwk, alg) {
  return crypto.subtle.importKey("jwk", JSON.parse(jwk), ALGORITHMS[alg][0], false, ["verify"]);
}

/** WebCrypto copies `message` and `signature` before it returns: views into wasm memory are safe. */
export function verify(key, alg, message, signature) {
  return crypto.subtle.verify(ALGORITHMS[alg][1], key, signature, message);
}

/**
 * Sends a request out; redirects are the caller's to pass on, not followed.
 * A body stream with a `limit` (>= 0) is counted on its way and cut off past
 * it. The timeout covers the answer's head; its body may stream longer.
 * Resolves to [status, [name, value, ...], body stream or null], or to a
 * string saying why no response came ("timeout", "too-large", or the error).
 */
export async function fetchOut(method, url, headers, body, limit, timeoutMs) {
  const pairs = [];
  for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
  let tooLarge = false;
  const controller = new AbortController();
  if (body instanceof ReadableStream && limit >= 0) {
    let size = 0;
    body = body.pipeThrough(
      new TransformStream({
        transform(chunk, stream) {
          size += chunk.byteLength;
          if (size > limit) {
            // Abort the exchange first: the upstream must see a broken
            // request, never a body that merely ended early.
            tooLarge = true;
            controller.abort();
            stream.error(new Error("the request body passed its limit"));
          } else stream.enqueue(chunk);
        },
      }),
    );
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, { method, headers: pairs, body: body ?? undefined, redirect: "manual", signal: controller.signal });
    if (tooLarge) {
      response.body?.cancel().catch(() => {});
      return "too-large";
    }
    const flat = [];
    for (const [name, value] of response.headers) flat.push(name, value);
    return [response.status, flat, response.body];
  } catch (error) {
    if (tooLarge) return "too-large";
    return timedOut ? "timeout" : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** A stream's bytes, or null as soon as there are more than `limit`; rejects if the stream fails. */
export async function readBody(stream, limit) {
  if (stream === null || stream === undefined) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
