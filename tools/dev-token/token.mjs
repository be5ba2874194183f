// Prints a token the development provider accepts (see README.md here):
//   node tools/dev-token/token.mjs --sub alice [--scope "items:write"] [--ttl 3600]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { signJwt } from "../jwt.mjs";

const USAGE = 'usage: node tools/dev-token/token.mjs --sub <subject> [--scope "a b"] [--ttl <seconds>]';

let values;
try {
  ({ values } = parseArgs({ options: { sub: { type: "string" }, scope: { type: "string" }, ttl: { type: "string", default: "3600" } } }));
} catch (error) {
  fail(error.message);
}
const ttl = Number(values.ttl);
if (!values.sub) fail("--sub is required");
if (!Number.isInteger(ttl) || ttl < 1) fail("--ttl must be a whole number of seconds, at least 1");

const key = JSON.parse(readFileSync(new URL("private.jwk", import.meta.url), "utf8"));
const iat = Math.floor(Date.now() / 1000);
const payload = { iss: "edgegate-dev", aud: "edgegate-dev", sub: values.sub, iat, exp: iat + ttl };
// `make token` passes SCOPE through even when it is unset: an empty scope is no scope.
if (values.scope) payload.scope = values.scope;
console.log(signJwt({ header: { alg: "RS256", typ: "JWT", kid: key.kid }, payload, privateKey: key }));

function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
