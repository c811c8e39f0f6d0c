// The RFC 7638 SHA-256 thumbprints of the keys a run reads from served JWKS documents. A locate or
// a verify check meets the same few keys at many endpoints (one issuer's keys behind several URLs,
// keys shared by tenants): each distinct key is canonicalised and hashed once per run.
import {canonicalizeJwk, identityMembers} from './canonical-key.js'
import {thumbprintOf} from './thumbprint.js'

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
    if (identity === null) return thumbprintOf(canonicalizeJwk(raw, label).thumbprintJwk)
    const values = Object.values(identity)
    // kty comes first and fixes which members follow, so equal keys mean equal members.
    const key = values.every((value) => typeof value === 'string') ? JSON.stringify(values) : null
    const known = key === null ? undefined : this.#known.get(key)
    if (known !== undefined) return known
    const thumbprint = thumbprintOf(canonicalizeJwk(identity, label).thumbprintJwk)
    if (key !== null) this.#known.set(key, thumbprint)
    return thumbprint
  }
}
