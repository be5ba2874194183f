// Bearer tokens against the real worker: the `firebase` provider's JWKS is
// served by this test, so each refusal's exact answer, scopes, the log, CORS
// and the JWKS fetch (lazy, shared, rate-limited, failing) can be checked.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { base64url, publicJwk, sign, signJwt } from "../../tools/jwt.mjs";
import { DEV_KEY, FRONTEND, freePort, problem, sleep, startWorker } from "./harness.mjs";

const ISSUER = "https://issuer.test";
const AUDIENCE = "edgegate-test";
const NO_CREDENTIALS = 'ApiKey header="x-api-key", query="key", Bearer realm="firebase"';
const INVALID_TOKEN = 'Bearer realm="firebase", error="invalid_token"';
const INSUFFICIENT_SCOPE = 'Bearer realm="firebase", error="insufficient_scope", scope="items:write"';

// The contract's exact problem details, one per reason.
const DETAIL = {
  malformed: "The bearer token is malformed.",
  tooLarge: "The bearer token is too large.",
  algorithm: "The token's algorithm is not accepted.",
  unknownKey: "The token's signing key is not known.",
  keyMismatch: "The token's signing key does not fit its algorithm.",
  signature: "The token's signature does not verify.",
  issuer: "The token's issuer is not accepted.",
  audience: "The token's audience is not accepted.",
  noExpiry: "The token has no expiry.",
  expired: "The token has expired.",
  notYet: "The token is not valid yet.",
  future: "The token was issued in the future.",
  noSubject: "The token has no subject.",
};

// One key per family the gateway verifies, each under its own kid.
const KEYS = {
  RS256: { kid: "test-rsa-1", ...generateKeyPairSync("rsa", { modulusLength: 2048 }) },
  ES256: { kid: "test-ec-1", ...generateKeyPairSync("ec", { namedCurve: "P-256" }) },
  EdDSA: { kid: "test-ed-1", ...generateKeyPairSync("ed25519") },
};
const JWKS_KEYS = Object.entries(KEYS).map(([alg, key]) => publicJwk(key.publicKey, { kid: key.kid, alg }));

const now = () => Math.floor(Date.now() / 1000);

/** Every token made or sent here, so a test can check none reached the worker's output. */
const sent = [];

/**
 * A fresh token (its own `jti`) with valid claims for the test provider;
 * `claims` override them, and an `undefined` claim is left out.
 */
function mint({ alg = "RS256", key = KEYS[alg], kid = key.kid, ...claims } = {}) {
  const token = signJwt({ header: { alg, typ: "JWT", kid }, payload: claimsWith(claims), privateKey: key.privateKey });
  sent.push(token);
  return token;
}

function claimsWith(claims) {
  const t = now();
  const payload = { iss: ISSUER, aud: AUDIENCE, sub: "alice", iat: t, exp: t + 600, jti: randomUUID(), ...claims };
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
}

const claimsOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url"));

/** The secret parts of a token: itself, and its segments long enough to be unmistakable. */
const tracesOf = (token) => [token, ...token.split(".").filter((part) => part.length >= 40)];

/** Asserts that neither the body nor any header of `response` carries `token`. */
async function assertNoTrace(response, token) {
  const text = await response.clone().text();
  const headers = [...response.headers.values()].join("\n");
  for (const trace of tracesOf(token)) {
    assert.ok(!text.includes(trace), "the body does not carry the token");
    assert.ok(!headers.includes(trace), "no header carries the token");
  }
}

/** Asserts the 401 for an invalid token: its exact detail, the challenge, and no trace of the token. */
async function refused(response, token, detail) {
  sent.push(token);
  await assertNoTrace(response, token);
  const challenge = response.headers.get("www-authenticate") ?? "";
  const body = await problem(assert, response, 401, "unauthorized");
  assert.equal(body.detail, detail);
  assert.ok(challenge.includes(INVALID_TOKEN), `www-authenticate: ${challenge}`);
  return body;
}

/**
 * A JWKS endpoint on 127.0.0.1: `keys` can be changed between requests,
 * `hits` counts fetches (failed ones too), `failing` answers 500, `delayMs`
 * holds each answer back (so concurrent first requests overlap the fetch).
 */
async function startJwks(keys) {
  const jwks = { keys: [...keys], hits: 0, failing: false, delayMs: 0 };
  const server = http.createServer(async (request, response) => {
    if (new URL(request.url, "http://jwks").pathname !== "/jwks") return response.writeHead(404).end();
    jwks.hits++;
    if (jwks.delayMs) await sleep(jwks.delayMs);
    if (jwks.failing) return response.writeHead(500, { "content-type": "text/plain" }).end("failing on purpose");
    // No Cache-Control: the provider's cache_s applies.
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: jwks.keys }));
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  jwks.uri = `http://127.0.0.1:${server.address().port}/jwks`;
  /** Stops listening and drops kept-alive connections, so the worker's next fetch fails. */
  jwks.stop = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  return jwks;
}

/** A .dev.vars-format file (which replaces .dev.vars) with the dev API key and a `firebase` provider. */
function envFile(provider) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "edgegate-jwt-")), "jwt.env");
  const providers = { firebase: { issuer: ISSUER, audiences: [AUDIENCE], ...provider } };
  writeFileSync(file, `API_KEYS=${JSON.stringify({ [DEV_KEY]: "dev" })}\nJWT_PROVIDERS=${JSON.stringify(providers)}\n`);
  return file;
}

/** Calls the worker; `token` goes in `Authorization: Bearer`. */
function caller(worker) {
  return (path, { token, headers = {}, ...init } = {}) =>
    fetch(worker().url + path, { ...init, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });
}

describe("with a JWKS that answers", () => {
  let worker, jwks;
  before(async () => {
    jwks = await startJwks(JWKS_KEYS);
    worker = await startWorker({ envFile: envFile({ jwks_uri: jwks.uri, min_refetch_s: 2 }) });
  });
  after(async () => {
    await worker?.stop();
    await jwks?.stop();
  });
  const call = caller(() => worker);
  const post = (token, body, headers = {}) =>
    call("/items", { method: "POST", token, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  test("RS256, ES256 and EdDSA tokens pass; /api/me answers with their claims", async () => {
    for (const alg of ["RS256", "ES256", "EdDSA"]) {
      const token = mint({ alg, sub: `user-${alg}` });
      const me = await call("/api/me", { token });
      assert.equal(me.status, 200, `${alg}: ${await me.clone().text()}`);
      assert.match(me.headers.get("content-type"), /^application\/json/);
      assert.deepEqual(await me.json(), { id: `user-${alg}`, scheme: "jwt", provider: "firebase", claims: claimsOf(token) });
      const goodbye = await call("/api/goodbye", { token: mint({ alg }) });
      assert.equal(goodbye.status, 200, alg);
      assert.equal(await goodbye.text(), "Goodbye, World!");
    }
  });

  test("an API key still passes, and /api/me says so", async () => {
    const me = await call("/api/me", { headers: { "x-api-key": DEV_KEY } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { id: "dev", scheme: "api_key", provider: null, claims: null });
  });

  test("no credentials: 401 with both challenges; a token in the query counts as none", async () => {
    const missing = await call("/api/me");
    assert.equal(missing.headers.get("www-authenticate"), NO_CREDENTIALS);
    const a = await problem(assert, missing, 401, "unauthorized");
    // Query tokens end up in logs and histories: the gateway does not read them.
    const token = mint();
    const inQuery = await call(`/api/me?access_token=${token}`);
    assert.equal(inQuery.headers.get("www-authenticate"), NO_CREDENTIALS);
    await assertNoTrace(inQuery, token);
    const b = await problem(assert, inQuery, 401, "unauthorized");
    delete a.request_id;
    delete b.request_id;
    assert.deepEqual(b, a);
  });

  test("time claims: expired, not yet valid or issued in the future beyond the 60 s skew are refused", async () => {
    const t = now();
    const cases = [
      [{ iat: t - 900, exp: t - 120 }, DETAIL.expired],
      [{ nbf: t + 120 }, DETAIL.notYet],
      [{ iat: t + 120, exp: t + 900 }, DETAIL.future],
      [{ exp: undefined }, DETAIL.noExpiry],
      [{ exp: String(t + 600) }, DETAIL.noExpiry],
    ];
    for (const [claims, detail] of cases) {
      const token = mint(claims);
      await refused(await call("/api/me", { token }), token, detail);
    }
  });

  test("time claims within the skew are accepted", async () => {
    const t = now();
    for (const claims of [{ iat: t - 900, exp: t - 20 }, { nbf: t + 20 }, { iat: t + 20 }]) {
      const token = mint(claims);
      const response = await call("/api/me", { token });
      assert.equal(response.status, 200, `${JSON.stringify(claims)}: ${await response.text()}`);
    }
  });

  test("issuer, audience and subject are checked; aud may be an array holding ours", async () => {
    const cases = [
      [{ iss: "https://evil.test" }, DETAIL.issuer],
      [{ iss: undefined }, DETAIL.issuer],
      [{ aud: "someone-else" }, DETAIL.audience],
      [{ aud: ["someone-else", "another"] }, DETAIL.audience],
      [{ sub: undefined }, DETAIL.noSubject],
      [{ sub: "" }, DETAIL.noSubject],
      [{ sub: 42 }, DETAIL.noSubject],
    ];
    for (const [claims, detail] of cases) {
      const token = mint(claims);
      await refused(await call("/api/me", { token }), token, detail);
    }
    const token = mint({ aud: ["someone-else", AUDIENCE] });
    const response = await call("/api/me", { token });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual((await response.json()).claims.aud, ["someone-else", AUDIENCE]);
  });

  test("a changed payload or another key's signature does not verify", async () => {
    for (const alg of ["RS256", "ES256", "EdDSA"]) {
      const [header, , signature] = mint({ alg }).split(".");
      const tampered = `${header}.${base64url(JSON.stringify(claimsWith({ sub: "mallory" })))}.${signature}`;
      await refused(await call("/api/me", { token: tampered }), tampered, DETAIL.signature);
    }
    // The right kid and algorithm, signed by a key the JWKS does not hold.
    const impostor = mint({ key: { kid: KEYS.RS256.kid, ...generateKeyPairSync("rsa", { modulusLength: 2048 }) } });
    await refused(await call("/api/me", { token: impostor }), impostor, DETAIL.signature);
  });

  test("algorithm attacks: none, HS256 keyed with the RSA public key, a JWK of another family", async () => {
    const claims = claimsWith({});
    for (const alg of ["none", "None"]) {
      const token = `${base64url(JSON.stringify({ alg, typ: "JWT", kid: KEYS.RS256.kid }))}.${base64url(JSON.stringify(claims))}.`;
      await refused(await call("/api/me", { token }), token, DETAIL.algorithm);
    }
    // The classic confusion: a verifier that lets the token pick HMAC would use the public key as the secret.
    const pem = KEYS.RS256.publicKey.export({ type: "spki", format: "pem" });
    const hs256 = signJwt({ header: { alg: "HS256", typ: "JWT", kid: KEYS.RS256.kid }, payload: claims, privateKey: pem });
    await refused(await call("/api/me", { token: hs256 }), hs256, DETAIL.algorithm);
    // A token's alg against the kind of key its kid names.
    for (const [alg, keyAlg] of [["ES256", "RS256"], ["RS256", "ES256"], ["EdDSA", "ES256"], ["ES256", "EdDSA"]]) {
      const token = mint({ alg, kid: KEYS[keyAlg].kid });
      await refused(await call("/api/me", { token }), token, DETAIL.keyMismatch);
    }
  });

  test("malformed tokens: parts, base64url, JSON, objects", async () => {
    const [header, payload, signature] = mint().split(".");
    const signed = (headerPart, payloadPart) => {
      const input = `${headerPart}.${payloadPart}`;
      return `${input}.${base64url(sign("RS256", input, KEYS.RS256.privateKey))}`;
    };
    const cases = [
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}!.${payload}.${signature}`,
      `${header}.${payload}.${signature}*`,
      `${base64url("not json")}.${payload}.${signature}`,
      `${base64url('["RS256"]')}.${payload}.${signature}`,
      // Signed properly, so the payload is what is wrong whenever it is read.
      signed(header, base64url("not json")),
      signed(header, base64url('"alice"')),
    ];
    for (const token of cases) {
      await refused(await call("/api/me", { token }), token, DETAIL.malformed);
    }
  });

  test("size: a token of up to 8192 bytes is read, a longer one is refused unread", async () => {
    const LIMIT = 8192;
    const { within, beyond } = paddedTokens(LIMIT);
    assert.ok(within.length <= LIMIT && within.length >= LIMIT - 2, `within: ${within.length}`);
    assert.ok(beyond.length > LIMIT && beyond.length <= LIMIT + 2, `beyond: ${beyond.length}`);
    sent.push(within);
    const accepted = await call("/api/me", { token: within });
    assert.equal(accepted.status, 200, await accepted.clone().text());
    await refused(await call("/api/me", { token: beyond }), beyond, DETAIL.tooLarge);
    // About 100 KB once base64url-encoded.
    const huge = mint({ pad: "x".repeat(75_000) });
    assert.ok(huge.length > 99_000, `huge: ${huge.length}`);
    await refused(await call("/api/me", { token: huge }), huge, DETAIL.tooLarge);
  });

  test("an unknown kid is refused until the JWKS has it; then the JWKS is fetched again", async () => {
    const rotated = { kid: "test-rsa-2", ...generateKeyPairSync("rsa", { modulusLength: 2048 }) };
    const early = mint({ key: rotated });
    await refused(await call("/api/me", { token: early }), early, DETAIL.unknownKey);

    jwks.keys.push(publicJwk(rotated.publicKey, { kid: rotated.kid, alg: "RS256" }));
    // Past min_refetch_s (2 s) since any earlier fetch, so an unknown kid may refetch.
    await sleep(2500);
    const hits = jwks.hits;
    const token = mint({ key: rotated, sub: "rotated" });
    const response = await call("/api/me", { token });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal((await response.json()).id, "rotated");
    assert.ok(jwks.hits > hits, "the new kid made the worker fetch the JWKS again");
  });

  test("writes need the items:write scope; with it a token creates an item from a JSON body", async () => {
    for (const claims of [{}, { scope: "items:read" }, { scope: "items:writer" }, { scp: ["items:read"] }]) {
      const token = mint(claims);
      const response = await post(token, { name: "x" });
      assert.equal(response.headers.get("www-authenticate"), INSUFFICIENT_SCOPE, JSON.stringify(claims));
      await assertNoTrace(response, token);
      await problem(assert, response, 403, "insufficient-scope");
    }
    // The body is read after the (asynchronous) token check, from either claim form.
    for (const claims of [{ scope: "items:write" }, { scope: "items:read items:write" }, { scp: ["items:write"] }]) {
      const token = mint({ ...claims, sub: "writer" });
      const response = await post(token, { name: "x" });
      assert.equal(response.status, 201, `${JSON.stringify(claims)}: ${await response.clone().text()}`);
      const item = await response.json();
      assert.equal(item.name, "x");
      assert.equal(response.headers.get("location"), `/items/${item.id}`);
    }
  });

  test("the access log names the token's subject and never the token", async () => {
    const token = mint({ sub: "logged-alice" });
      const response = await call("/api/me", { token, headers: { "x-request-id": "jwt-log-1" } });
    assert.equal(response.status, 200);
    const log = await worker.logFor("jwt-log-1");
    assert.equal(log.principal, "logged-alice");
    assert.equal(log.scheme, "jwt");
    assert.equal(log.route, "/api/me");
  });

  test("CORS headers ride on token refusals; a preflight for Authorization needs no credentials", async () => {
    const [header, , signature] = mint().split(".");
    const bad = `${header}.${base64url(JSON.stringify(claimsWith({ sub: "mallory" })))}.${signature}`;
    const refusal = await call("/api/me", { token: bad, headers: { origin: FRONTEND } });
    assert.equal(refusal.headers.get("access-control-allow-origin"), FRONTEND);
    assert.equal(refusal.headers.get("access-control-expose-headers"), "x-request-id, ratelimit, ratelimit-policy, retry-after, location, idempotent-replayed, server-timing");
    await refused(refusal, bad, DETAIL.signature);

    const withOrigin = await post(mint(), { name: "x" }, { origin: FRONTEND });
    assert.equal(withOrigin.headers.get("access-control-allow-origin"), FRONTEND);
    await problem(assert, withOrigin, 403, "insufficient-scope");

    const preflight = await call("/api/me", {
      method: "OPTIONS",
      headers: { origin: FRONTEND, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), FRONTEND);
    assert.match(preflight.headers.get("access-control-allow-methods"), /\bGET\b/);
    assert.match(preflight.headers.get("access-control-allow-headers"), /\bauthorization\b/);
  });

  // Last: it checks every token the tests above sent.
  test("no output line carries any token sent", async () => {
    assert.ok(sent.length > 30, `${sent.length} tokens checked`);
    const traces = sent.flatMap(tracesOf);
    for (const line of worker.output) {
      assert.ok(!traces.some((trace) => line.includes(trace)), `a token in the output: ${line.slice(0, 200)}`);
    }
  });
});

describe("with the default refetch interval (30 s)", () => {
  let worker, jwks;
  before(async () => {
    jwks = await startJwks(JWKS_KEYS);
    worker = await startWorker({ envFile: envFile({ jwks_uri: jwks.uri }) });
  });
  after(async () => {
    await worker?.stop();
    await jwks?.stop();
  });
  const call = caller(() => worker);

  test("20 concurrent first requests share one JWKS fetch", async () => {
    assert.equal(jwks.hits, 0, "the JWKS is fetched on the first token, not at start");
    // Held back so every request arrives while the fetch is under way.
    jwks.delayMs = 500;
    const algs = ["RS256", "ES256", "EdDSA"];
    const tokens = Array.from({ length: 20 }, (_, i) => mint({ alg: algs[i % 3], sub: `concurrent-${i}` }));
    const responses = await Promise.all(tokens.map((token) => call("/api/me", { token })));
    jwks.delayMs = 0;
    for (const [i, response] of responses.entries()) {
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal((await response.json()).id, `concurrent-${i}`);
    }
    assert.equal(jwks.hits, 1);
  });

  test("a flood of unknown kids is refused without flooding the JWKS", async () => {
    let done = 0;
    while (done < 200) {
      const tokens = Array.from({ length: 20 }, () => mint({ kid: randomUUID() }));
      const responses = await Promise.all(tokens.map((token) => call("/api/me", { token })));
      for (const [i, response] of responses.entries()) await refused(response, tokens[i], DETAIL.unknownKey);
      done += tokens.length;
    }
    // The first fetch, and at most one refetch if 30 s passed since it.
    assert.ok(jwks.hits <= 2, `${jwks.hits} JWKS fetches`);
  });
});

describe("with the JWKS unreachable from the start", () => {
  let worker;
  before(async () => {
    const closed = await freePort();
    worker = await startWorker({ envFile: envFile({ jwks_uri: `http://127.0.0.1:${closed}/jwks` }) });
  });
  after(async () => worker?.stop());
  const call = caller(() => worker);

  test("tokens get a 503 with Retry-After; API keys still pass", async () => {
    for (let i = 0; i < 2; i++) {
      const token = mint();
      const response = await call("/api/me", { token, headers: { origin: FRONTEND } });
      await assertNoTrace(response, token);
      assert.equal(response.headers.get("access-control-allow-origin"), FRONTEND);
      const retryAfter = response.headers.get("retry-after");
      assert.match(retryAfter ?? "", /^\d+$/, `retry-after: ${retryAfter}`);
      assert.ok(Number(retryAfter) >= 1, `retry-after: ${retryAfter}`);
      await problem(assert, response, 503, "token-keys-unavailable");
    }
    const keyed = await call("/api/me", { headers: { "x-api-key": DEV_KEY } });
    assert.equal(keyed.status, 200);
    assert.equal((await keyed.json()).scheme, "api_key");
    const missing = await call("/api/me");
    assert.equal(missing.headers.get("www-authenticate"), NO_CREDENTIALS);
    await problem(assert, missing, 401, "unauthorized");
  });
});

describe("with a JWKS that fails, recovers, then goes away", () => {
  let worker, jwks;
  before(async () => {
    jwks = await startJwks(JWKS_KEYS);
    jwks.failing = true;
    worker = await startWorker({ envFile: envFile({ jwks_uri: jwks.uri, min_refetch_s: 1 }) });
  });
  after(async () => {
    await worker?.stop();
    await jwks?.stop();
  });
  const call = caller(() => worker);
  let retryAfter;

  test("a 500 from the JWKS is a 503, and the fetch is not retried before Retry-After", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await call("/api/me", { token: mint() });
      retryAfter = Number(response.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `retry-after: ${response.headers.get("retry-after")}`);
      await problem(assert, response, 503, "token-keys-unavailable");
    }
    assert.equal(jwks.hits, 1, "the second request did not refetch");
  });

  test("after Retry-After the JWKS is fetched again and tokens pass", async () => {
    jwks.failing = false;
    // A second more than asked, in case the worker rounds down.
    await sleep(retryAfter * 1000 + 1000);
    const response = await call("/api/me", { token: mint({ sub: "recovered" }) });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal((await response.json()).id, "recovered");
    assert.equal(jwks.hits, 2);
  });

  test("keys already fetched keep working when the JWKS goes away", async () => {
    await jwks.stop();
    // An unknown kid makes the worker try the JWKS (past min_refetch_s) and fail. The
    // contract does not say which answer that is; either way the cached keys must stay.
    await sleep(1500);
    const stranger = mint({ kid: "not-in-the-jwks" });
    const response = await call("/api/me", { token: stranger });
    assert.ok([401, 503].includes(response.status), `status ${response.status}: ${await response.clone().text()}`);
    const body = await problem(assert, response, response.status, response.status === 503 ? "token-keys-unavailable" : "unauthorized");
    if (response.status === 401) assert.equal(body.detail, DETAIL.unknownKey);

    for (const alg of ["RS256", "ES256", "EdDSA"]) {
      const token = mint({ alg, sub: `after-${alg}` });
      const ok = await call("/api/me", { token });
      assert.equal(ok.status, 200, `${alg}: ${await ok.clone().text()}`);
      assert.equal((await ok.json()).id, `after-${alg}`);
    }
  });
});

/**
 * Two valid RS256 tokens padded with a claim: the longest at most `limit`
 * bytes long and the shortest longer than it (base64url grows 1 or 2
 * characters per byte of padding, so neither is more than 2 from the limit).
 */
function paddedTokens(limit) {
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: KEYS.RS256.kid }));
  const signatureLength = base64url(sign("RS256", "x", KEYS.RS256.privateKey)).length;
  const claims = claimsWith({});
  let within = null;
  for (let pad = 0; ; pad++) {
    const input = `${header}.${base64url(JSON.stringify({ ...claims, pad: "x".repeat(pad) }))}`;
    const token = () => `${input}.${base64url(sign("RS256", input, KEYS.RS256.privateKey))}`;
    if (input.length + 1 + signatureLength > limit) return { within: within(), beyond: token() };
    within = token;
  }
}
