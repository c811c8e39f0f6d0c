// RFC 7638 thumbprints of canonical JWKs (computed by jose) and their RFC 9278 URIs.
// Subpath imports: the whole of jose is ~46 modules, and the key commands must start fast (bench/).
import {calculateJwkThumbprint} from 'jose/jwk/thumbprint'
import type {JWK} from 'jose'

import type {Thumbprints} from './types.js'

export type ThumbprintHash = 'sha256' | 'sha384' | 'sha512'

/**
 * All three RFC 7638 thumbprints of a canonical JWK (required members only).
 *
 * @example await thumbprintsOf({kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'})
 *   // → {sha256: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', …}  (RFC 8037 §A.3)
 */
export async function thumbprintsOf(jwk: JWK): Promise<Thumbprints> {
  const [sha256, sha384, sha512] = await Promise.all([
    calculateJwkThumbprint(jwk, 'sha256'),
    calculateJwkThumbprint(jwk, 'sha384'),
    calculateJwkThumbprint(jwk, 'sha512'),
  ])
  return {sha256, sha384, sha512}
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
