// get-jwks (nearform) set up from a JWKS URL, as a service that verifies one issuer's tokens uses it:
// the public key for a token's kid and alg as PEM, cached per alg:kid:domain for `ttl`. Its caching is
// the point: a failed refetch (the kid is gone, the endpoint is down) returns the stale copy and stores
// it again for another ttl, so a removed key lives as long as it is asked for within its ttl.
import buildGetJwks from 'get-jwks'

export interface GetJwksKeys {
  /** The public key (PEM) for the token's kid and alg; rejects with get-jwks' error (code JWK_NOT_FOUND…). */
  publicKeyPem(header: {kid?: string; alg?: string}): Promise<string>
  /** Forgets every cached and stale key, as a restart does (get-jwks' typings do not expose its caches' clear()). */
  clear(): void
}

/**
 * The domain and path are taken from the JWKS URL rather than from the token's `iss`, so a token
 * cannot point the service at another key set.
 *
 * @example const keys = getJwksKeys('http://127.0.0.1:8080/jwks.json', 60_000)
 *   const pem = await keys.publicKeyPem({kid: 'k1', alg: 'RS256'})
 */
export function getJwksKeys(jwksUri: string, ttlMs: number): GetJwksKeys {
  const url = new URL(jwksUri)
  const build = () => buildGetJwks({ttl: ttlMs, jwksPath: `${url.pathname}${url.search}`})
  let getJwks = build()
  return {
    publicKeyPem: ({kid, alg}) => getJwks.getPublicKey({kid, alg, domain: url.origin}),
    clear() {
      getJwks = build()
    },
  }
}
