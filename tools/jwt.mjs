// Compact JWS tokens made with node's crypto alone, for the dev token tool and
// the end-to-end tests. It signs what it is given, hostile tokens included
// (`alg: none`, HS256 keyed with a public key): it never checks a token.
import { constants, createHmac, createPrivateKey, sign as cryptoSign } from "node:crypto";

/** base64url without padding (RFC 7515 §2), of a string (UTF-8) or bytes. */
export function base64url(input) {
  return Buffer.from(input).toString("base64url");
}

const HASH = { 256: "sha256", 384: "sha384", 512: "sha512" };

/**
 * The signature bytes of `input` under `alg`. `key` is a KeyObject, a PEM
 * string, or a private JWK object; for HS* any HMAC secret (string, bytes,
 * KeyObject); ignored for `none`.
 */
export function sign(alg, input, key) {
  const data = Buffer.from(input);
  const bits = alg.slice(2);
  switch (alg) {
    case "none":
      return Buffer.alloc(0);
    case "HS256":
    case "HS384":
    case "HS512":
      return createHmac(HASH[bits], key).update(data).digest();
    case "RS256":
    case "RS384":
    case "RS512":
      return cryptoSign(HASH[bits], data, { key: privateKey(key), padding: constants.RSA_PKCS1_PADDING });
    case "PS256":
    case "PS384":
    case "PS512":
      // RFC 7518 §3.5: the salt is as long as the hash.
      return cryptoSign(HASH[bits], data, {
        key: privateKey(key),
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(bits) / 8,
      });
    case "ES256":
    case "ES384":
      // JWS wants r‖s (RFC 7518 §3.4), not node's default DER.
      return cryptoSign(HASH[bits], data, { key: privateKey(key), dsaEncoding: "ieee-p1363" });
    case "EdDSA":
      return cryptoSign(null, data, privateKey(key));
    default:
      throw new Error(`signJwt: no signer for alg ${JSON.stringify(alg)}`);
  }
}

/** A compact JWS: base64url(header).base64url(payload).base64url(signature), signed per `header.alg`. */
export function signJwt({ header, payload, privateKey: key }) {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${base64url(sign(header.alg, input, key))}`;
}

/** A key pair's public half as a JWKS entry. */
export function publicJwk(key, { kid, alg }) {
  const { kty, crv, n, e, x, y } = key.export({ format: "jwk" });
  const members = Object.entries({ kty, crv, n, e, x, y }).filter(([, value]) => value !== undefined);
  return { ...Object.fromEntries(members), use: "sig", alg, kid };
}

function privateKey(key) {
  if (typeof key === "object" && !Buffer.isBuffer(key) && "kty" in key) return createPrivateKey({ key, format: "jwk" });
  return typeof key === "string" || Buffer.isBuffer(key) ? createPrivateKey(key) : key;
}
