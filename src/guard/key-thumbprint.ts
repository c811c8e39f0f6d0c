// The RFC 7638 SHA-256 thumbprint of whatever a jose key resolver returns (CryptoKey, KeyObject,
// JWK or the bytes of a secret), always from the canonical key so a padded JWK matches too.
import {KeyObject} from 'node:crypto'
import {types} from 'node:util'
import {base64url, calculateJwkThumbprint, type JWK} from 'jose'

import {canonicalizeJwk} from '../core/key/canonical-key.js'

/**
 * @example await keyThumbprint(await createRemoteJWKSet(url)(header, token)) // → 'NzbLsXh8uDCc…'
 */
export async function keyThumbprint(key: unknown): Promise<string> {
  if (key instanceof Uint8Array) return calculateJwkThumbprint({kty: 'oct', k: base64url.encode(key)})
  // KeyObject.from also reads a non-extractable CryptoKey, which jose cannot export.
  if (types.isCryptoKey(key)) return calculateJwkThumbprint(KeyObject.from(key))
  if (types.isKeyObject(key)) return calculateJwkThumbprint(key)
  if (key !== null && typeof key === 'object')
    return calculateJwkThumbprint(canonicalizeJwk(key, 'the resolved JWK').thumbprintJwk as JWK)
  throw new TypeError('The key resolver returned something that is not a key.')
}

/** keyThumbprint, remembered per key object: remote JWKS resolvers hand back the same object each time. */
export function cachedKeyThumbprint(): (key: unknown) => Promise<string> {
  const cache = new WeakMap<object, Promise<string>>()
  return (key) => {
    if (key === null || typeof key !== 'object') return keyThumbprint(key)
    let thumbprint = cache.get(key)
    if (!thumbprint) {
      thumbprint = keyThumbprint(key)
      cache.set(key, thumbprint)
      // A failure is not remembered: the next call tries again.
      thumbprint.catch(() => cache.delete(key))
    }
    return thumbprint
  }
}
