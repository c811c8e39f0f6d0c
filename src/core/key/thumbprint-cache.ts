// The RFC 7638 SHA-256 thumbprints of the keys a run reads from served JWKS documents. A locate or
// a verify check meets the same few keys at many endpoints (one issuer's keys behind several URLs,
// keys shared by tenants): each distinct key is canonicalised and hashed once per run.
import {createHash} from 'node:crypto'
import type {JWK} from 'jose'

import {canonicalizeJwk, identityMembers} from './canonical-key.js'

/**
 * The RFC 7638 SHA-256 thumbprint of a canonical JWK holding its required members only (as
 * `canonicalizeJwk(…).thumbprintJwk`), hashed at once with node:crypto: jose's
 * `calculateJwkThumbprint` goes through WebCrypto's asynchronous digest, which cost ~0.2 ms of
 * event-loop time per key in `services locate` (bench/probe.mjs, issue 18).
 *
 * @example sha256Thumbprint({kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'})
 *   // → 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'  (RFC 8037 §A.3)
 */
export function sha256Thumbprint(jwk: JWK): string {
  // RFC 7638 §3.3: the members sorted by name (code-point order), no whitespace.
  const sorted = Object.keys(jwk)
    .sort()
    .map((name) => [name, jwk[name as keyof JWK]])
  return createHash('sha256')
    .update(JSON.stringify(Object.fromEntries(sorted)))
    .digest('base64url')
}

/** One run's thumbprints of served keys, keyed by the members that decide them (kty and the required members). */
export class ThumbprintCache {
  readonly #known = new Map<string, string>()

  /** How many distinct keys have been worked out. */
  get size(): number {
    return this.#known.size
  }

  /**
   * The SHA-256 thumbprint of a raw JWK as served. Throws canonicalizeJwk's JwkrError (naming the
   * entry by `label`) when it is not a readable key; a failure is not remembered.
   *
   * @example new ThumbprintCache().thumbprintOf(document.keys[0], 'key #0')
   */
  thumbprintOf(raw: unknown, label: string): string {
    const identity = identityMembers(raw)
    // Not an object with a supported kty: canonicalizeJwk says why.
    if (identity === null) return sha256Thumbprint(canonicalizeJwk(raw, label).thumbprintJwk)
    const values = Object.values(identity)
    // kty comes first and fixes which members follow, so equal keys mean equal members.
    const key = values.every((value) => typeof value === 'string') ? JSON.stringify(values) : null
    const known = key === null ? undefined : this.#known.get(key)
    if (known !== undefined) return known
    const thumbprint = sha256Thumbprint(canonicalizeJwk(identity, label).thumbprintJwk)
    if (key !== null) this.#known.set(key, thumbprint)
    return thumbprint
  }
}
