// A real relying party on 127.0.0.1, for drills and containment tests: it verifies bearer tokens with
// jose's createRemoteJWKSet, or with jwks-rsa (which picks keys by kid, as express-jwt services do),
// at its own cache lifetime (or keeps its first key set forever, like a
// service that never refetches), optionally behind the jwkr denylist guard, answers its probe
// endpoint 200 `{sub}` for a valid token and 401 otherwise, and may offer a cache-bust hook
// (POST /admin/jwks/reload) that refetches the key set at once. It records every request and fetch.
import type {IncomingMessage, ServerResponse} from 'node:http'

import {createPublicKey, type KeyObject} from 'node:crypto'

import {createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type JWTHeaderParameters} from 'jose'
import jwksRsa from 'jwks-rsa'

import {privateMemberNames} from '../core/key/canonical-key.js'
import {createDenylistGuard, type DenylistGuard} from '../guard/create-denylist-guard.js'
import {pathOf, sendJson, startLoopbackServer} from './loopback-server.js'

export const DEFAULT_PROBE_PATH = '/api/me'
export const DEFAULT_RELOAD_PATH = '/admin/jwks/reload'

/** The JWKS client a relying party is built on. */
export type RelyingPartyVerifier = 'jose' | 'jwks-rsa'

export interface RelyingPartyOptions {
  /** jose's createRemoteJWKSet (the default), or jwks-rsa: keys by kid, cached per kid. */
  verifier?: RelyingPartyVerifier
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
  /** Wrap the resolver with this denylist guard (the caller closes it). */
  guard?: DenylistGuard
  /** Or: follow this denylist file with a guard of its own (closed with the relying party). */
  denylistFile?: string
  /** How often its own guard stats the denylist file (default 250 ms; it also watches the folder). */
  denylistRefreshMs?: number
  /** The probe path (default /api/me). */
  path?: string
  /** The cache-bust hook's path (POST); null for none (the default). */
  reloadPath?: string | null
  /**
   * Use only the public members of the fetched keys. jose refuses a whole key set that carries
   * private members; most other JWKS clients (go-jose, Nimbus, …) take the public half and go on,
   * which is what makes an issuer that publishes its private key dangerous rather than broken.
   */
  publicMembersOnly?: boolean
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
  /** The cache-bust hook's URL, or null. */
  reloadUrl: string | null
  readonly requests: RelyingPartyRequest[]
  /** Epoch milliseconds at which each of its JWKS fetches got an answer. */
  readonly jwksFetches: number[]
  /** Epoch milliseconds of each call of the cache-bust hook. */
  readonly reloads: number[]
  /** Problems its own denylist guard reported (a malformed file…). */
  readonly guardErrors: string[]
  /** The last fetch that got an answer before the given time (epoch ms), or null. */
  lastFetchBefore(at: number): number | null
  /** Stops listening, ends open connections and closes its own guard. Idempotent. */
  close(): Promise<void>
}

/**
 * @example const rp = await startRelyingParty({jwksUri, issuer, audience: 'billing-api', cacheMaxAgeMs: 1000})
 */
export async function startRelyingParty(options: RelyingPartyOptions): Promise<RelyingParty> {
  const requests: RelyingPartyRequest[] = []
  const jwksFetches: number[] = []
  const reloads: number[] = []
  const guardErrors: string[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    jwksFetches.push(Date.now())
    return options.publicMembersOnly ? publicOnly(response) : response
  }
  const remote = keyResolver(options, recordingFetch)
  const ownGuard =
    options.denylistFile === undefined
      ? undefined
      : await createDenylistGuard(
          {file: options.denylistFile},
          {
            refreshIntervalMs: options.denylistRefreshMs ?? 250,
            debounceMs: 20,
            onError: (error) => guardErrors.push(error.message),
          },
        )
  const guard = options.guard ?? ownGuard
  const getKey = guard ? guard.wrap(remote.getKey) : remote.getKey
  const path = options.path ?? DEFAULT_PROBE_PATH
  const reloadPath = options.reloadPath ?? null

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
    const answer = (status: number, error: string | null, body: unknown) => {
      requests.push({at: Date.now(), method: request.method ?? 'GET', status, jti: jtiOf(token), token, error})
      sendJson(response, status, body, status === 401 ? {'www-authenticate': 'Bearer error="invalid_token"'} : {})
    }
    const requested = pathOf(request)
    if (reloadPath !== null && requested === reloadPath) {
      if (request.method !== 'POST') return sendJson(response, 405, {error: 'method_not_allowed'}, {allow: 'POST'})
      reloads.push(Date.now())
      return sendJson(response, 200, {reloaded: true, keys: await remote.reload()})
    }
    if (requested !== path) return answer(404, 'not_found', {error: 'not_found'})
    try {
      const {payload} = await jwtVerify(token, getKey, {issuer: options.issuer, audience: options.audience})
      answer(200, null, {sub: payload.sub ?? null})
    } catch (error) {
      answer(401, (error as {code?: string}).code ?? 'unknown', {error: 'invalid_token'})
    }
  }
  let server
  try {
    server = await startLoopbackServer(handle)
  } catch (error) {
    await ownGuard?.close()
    throw error
  }
  const url = `${server.origin}${path}`
  let closing: Promise<void> | undefined
  return {
    url,
    probe: {url, method: 'GET'},
    reloadUrl: reloadPath === null ? null : `${server.origin}${reloadPath}`,
    requests,
    jwksFetches,
    reloads,
    guardErrors,
    lastFetchBefore: (at) => jwksFetches.filter((fetched) => fetched < at).at(-1) ?? null,
    close: () => {
      closing ??= Promise.all([server.close(), ownGuard?.close()]).then(() => undefined)
      return closing
    },
  }
}

interface KeyResolver {
  getKey: (header: JWTHeaderParameters) => Promise<KeyObject | Awaited<ReturnType<ReturnType<typeof createRemoteJWKSet>>>>
  /** Fetches the key set again at once; returns how many keys it holds. */
  reload(): Promise<number>
}

/** The library that finds the key for a token: jose's remote JWKS, or a jwks-rsa client. */
function keyResolver(options: RelyingPartyOptions, fetcher: typeof fetch): KeyResolver {
  const maxAge = options.neverRefresh ? Infinity : options.cacheMaxAgeMs
  if (options.verifier === 'jwks-rsa') {
    const client = () =>
      jwksRsa({
        jwksUri: options.jwksUri,
        cache: true,
        cacheMaxAge: maxAge,
        rateLimit: false,
        fetcher: async (uri: string) => (await (await fetcher(uri)).json()) as {keys: unknown[]},
      })
    let current = client()
    return {
      getKey: async (header) => createPublicKey((await current.getSigningKey(header.kid)).getPublicKey()),
      async reload() {
        current = client()
        return (await current.getSigningKeys()).length
      },
    }
  }
  const remote = createRemoteJWKSet(new URL(options.jwksUri), {
    cacheMaxAge: maxAge,
    cooldownDuration: options.neverRefresh ? Infinity : (options.cooldownMs ?? Math.min(options.cacheMaxAgeMs, 30_000)),
    [customFetch]: fetcher,
  })
  return {
    getKey: (header) => remote(header),
    async reload() {
      await remote.reload()
      return remote.jwks()?.keys.length ?? 0
    },
  }
}

/** The response with every key's private members dropped (other members and keys as they were). */
async function publicOnly(response: Response): Promise<Response> {
  if (!response.ok) return response
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return new Response(text, {status: response.status, headers: response.headers})
  }
  const keys = (body as {keys?: unknown} | null)?.keys
  if (!Array.isArray(keys)) return new Response(text, {status: response.status, headers: response.headers})
  const stripped = keys.map((key: unknown) => {
    if (key === null || typeof key !== 'object') return key
    const record = {...(key as Record<string, unknown>)}
    for (const name of privateMemberNames(record)) delete record[name]
    return record
  })
  return Response.json({...(body as object), keys: stripped}, {status: response.status})
}

function jtiOf(token: string): string | null {
  try {
    const {jti} = decodeJwt(token)
    return typeof jti === 'string' ? jti : null
  } catch {
    return null
  }
}
