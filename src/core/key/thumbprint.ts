// RFC 7638 thumbprints of canonical JWKs and their RFC 9278 URIs, hashed with node:crypto: jose's
// calculateJwkThumbprint is the same three steps (required members, JSON in member order, digest) but
// loads 12 of jose's modules, ~8 ms of every key command's start (bench/cold-start.mjs, issue 18).
// test/core/key/thumbprint.test.ts holds the RFCs' vectors and compares every digest with jose's.
import {createHash} from 'node:crypto'
import type {JWK} from 'jose'

import type {Thumbprints} from './types.js'

export type ThumbprintHash = 'sha256' | 'sha384' | 'sha512'

/** RFC 7638 §3.2: the members a thumbprint is computed from, per kty, in lexicographic order (§3.3). */
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
}

/**
 * RFC 7638 §3.1's input: the required members, sorted, as JSON without whitespace. Throws when the
 * kty is not one jwkr reads or a required member is not a string (a canonical JWK always has them).
 */
function thumbprintInput(jwk: JWK): string {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined
  if (members === undefined) throw new TypeError(`No RFC 7638 thumbprint for kty ${JSON.stringify(jwk.kty)}.`)
  const required: Record<string, string> = {}
  for (const name of members) {
    const value = jwk[name as keyof JWK]
    if (typeof value !== 'string') throw new TypeError(`The ${jwk.kty} key has no "${name}" member to thumbprint.`)
    required[name] = value
  }
  return JSON.stringify(required)
}

/**
 * All three RFC 7638 thumbprints of a canonical JWK (required members only).
 *
 * @example await thumbprintsOf({kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'})
 *   // → {sha256: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', …}  (RFC 8037 §A.3)
 */
export async function thumbprintsOf(jwk: JWK): Promise<Thumbprints> {
  const input = thumbprintInput(jwk)
  return {sha256: digestOf(input, 'sha256'), sha384: digestOf(input, 'sha384'), sha512: digestOf(input, 'sha512')}
}

/**
 * One RFC 7638 thumbprint of a canonical JWK, hashed at once (no promise): for code that meets many
 * keys, such as the served keys of a locate (thumbprint-cache.ts).
 *
 * @example thumbprintOf({kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'})
 *   // → 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'  (RFC 8037 §A.3)
 */
export function thumbprintOf(jwk: JWK, hash: ThumbprintHash = 'sha256'): string {
  return digestOf(thumbprintInput(jwk), hash)
}

function digestOf(input: string, hash: ThumbprintHash): string {
  return createHash(hash).update(input).digest('base64url')
}

/**
 * The RFC 9278 URI of a thumbprint; the hash name comes from the IANA Named Information registry.
 *
 * @example thumbprintUri('sha256', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
 *   // → 'urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 */
export function thumbprintUri(hash: ThumbprintHash, thumbprint: string): string {
  return `urn:ietf:params:oauth:jwk-thumbprint:${hash.replace('sha', 'sha-')}:${thumbprint}`
}
