// A real relying party on 127.0.0.1 for containment tests and drills: it verifies bearer tokens with
// jose's createRemoteJWKSet at a given cache lifetime (or keeps its first key set forever, like
// go-oidc), optionally behind the jwkr denylist guard, and answers its probe endpoint 200 for a
// valid token and 401 otherwise. It records every request and every JWKS fetch it makes.
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {createRemoteJWKSet, customFetch, decodeJwt, jwtVerify} from 'jose'

import type {DenylistGuard} from '../../src/guard/create-denylist-guard.js'

export interface RelyingPartyOptions {
  jwksUri: string
  /** The iss it accepts. */
  issuer: string
  /** The aud it requires. */
  audience: string
  /** jose's cacheMaxAge: how long it trusts a fetched key set. */
  cacheMaxAgeMs: number
  /** jose's cooldownDuration (default the same as cacheMaxAgeMs, capped at jose's 30 s). */
  cooldownMs?: number
  /** Keep the first key set forever and never fetch again (ignores removals and unknown kids). */
  neverRefresh?: boolean
  /** Wrap the resolver with the denylist guard (rejects denied keys whatever the cache holds). */
  guard?: DenylistGuard
  /** The probe path (default /api/me). */
  path?: string
}

export interface RelyingPartyRequest {
  /** Epoch milliseconds when it answered. */
  at: number
  method: string
  status: number
  /** The token's jti, when it had one. */
  jti: string | null
  /** The bearer token as received (tests use it as a needle; a real service would not keep it). */
  token: string
  /** jose's error code for a rejection. */
  error: string | null
}

export interface RelyingParty {
  /** The probe URL. */
  url: string
  /** As an inventory `probe` entry. */
  probe: {url: string; method: 'GET'}
  readonly requests: RelyingPartyRequest[]
  /** Epoch milliseconds at which each of its JWKS fetches got an answer. */
  readonly jwksFetches: number[]
  /** The last fetch that got an answer before the given time (epoch ms), or null. */
  lastFetchBefore(at: number): number | null
  close(): Promise<void>
}

/**
 * @example const rp = await startRelyingParty({jwksUri, issuer, audience: 'billing-api', cacheMaxAgeMs: 1000})
 */
export async function startRelyingParty(options: RelyingPartyOptions): Promise<RelyingParty> {
  const requests: RelyingPartyRequest[] = []
  const jwksFetches: number[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    jwksFetches.push(Date.now())
    return response
  }
  const remote = createRemoteJWKSet(new URL(options.jwksUri), {
    cacheMaxAge: options.neverRefresh ? Infinity : options.cacheMaxAgeMs,
    cooldownDuration: options.neverRefresh ? Infinity : (options.cooldownMs ?? Math.min(options.cacheMaxAgeMs, 30_000)),
    [customFetch]: recordingFetch,
  })
  const getKey = options.guard ? options.guard.wrap(remote) : remote
  const path = options.path ?? '/api/me'

  const server = createServer((request, response) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
    const answer = (status: number, error: string | null, body: unknown) => {
      requests.push({at: Date.now(), method: request.method ?? 'GET', status, jti: jtiOf(token), token, error})
      response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    }
    if ((request.url ?? '/').split('?')[0] !== path) {
      answer(404, 'not_found', {error: 'not_found'})
      return
    }
    jwtVerify(token, getKey, {issuer: options.issuer, audience: options.audience})
      .then(({payload}) => answer(200, null, {sub: payload.sub}))
      .catch((error: {code?: string}) => answer(401, error.code ?? 'unknown', {error: 'invalid_token'}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
  return {
    url,
    probe: {url, method: 'GET'},
    requests,
    jwksFetches,
    lastFetchBefore: (at) => jwksFetches.filter((fetched) => fetched < at).at(-1) ?? null,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function jtiOf(token: string): string | null {
  try {
    const {jti} = decodeJwt(token)
    return typeof jti === 'string' ? jti : null
  } catch {
    return null
  }
}
