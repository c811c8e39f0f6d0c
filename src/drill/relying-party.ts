// A real relying party on 127.0.0.1, for drills and containment tests. It verifies bearer tokens with
// jose's jwtVerify, the key found by jose's createRemoteJWKSet, by jwks-rsa or by get-jwks (both pick
// keys by kid, as express-jwt and fastify services do), at its own cache lifetime (or keeps its first key
// set forever, like a service that never refetches), optionally behind the jwkr denylist guard, and
// answers its probe endpoint 200 `{sub}` for a valid token and 401 otherwise; or it is Auth0's SDK for
// APIs (express-oauth2-jwt-bearer, with a required scope), which answers as that SDK does. It may offer
// a cache-bust hook (POST /admin/jwks/reload) that drops the cached keys at once. It records every
// request, and the JWKS fetches it makes itself.
import type {IncomingMessage, ServerResponse} from 'node:http'

import {createPublicKey, type KeyObject} from 'node:crypto'

import {createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type JWTHeaderParameters} from 'jose'
import jwksRsa from 'jwks-rsa'

import {privateMemberNames} from '../core/key/canonical-key.js'
import type {VerifierProfileId} from '../core/inventory/types.js'
import {createDenylistGuard, type DenylistGuard} from '../guard/create-denylist-guard.js'
import {expressOauth2JwtBearerApp} from './express-oauth2-jwt-bearer-app.js'
import {getJwksKeys} from './get-jwks-keys.js'
import {pathOf, sendJson, startLoopbackServer} from './loopback-server.js'

export const DEFAULT_PROBE_PATH = '/api/me'
export const DEFAULT_RELOAD_PATH = '/admin/jwks/reload'

/** The library a relying party is built on. */
export type RelyingPartyVerifier = 'jose' | 'jwks-rsa' | 'get-jwks' | 'express-oauth2-jwt-bearer'

export const RELYING_PARTY_VERIFIERS: readonly RelyingPartyVerifier[] = [
  'jose',
  'jwks-rsa',
  'get-jwks',
  'express-oauth2-jwt-bearer',
]

/** The verifier profile of each (how its cache treats a removed key): Auth0's SDK caches with jose 4's createRemoteJWKSet. */
export const VERIFIER_PROFILE_OF: Readonly<Record<RelyingPartyVerifier, VerifierProfileId>> = Object.freeze({
  jose: 'jose',
  'jwks-rsa': 'jwks-rsa',
  'get-jwks': 'get-jwks',
  'express-oauth2-jwt-bearer': 'jose',
})

/** What a relying party on each library cannot be given: it has no such mode, hook or key resolver. */
export const UNSUPPORTED_OPTIONS: Readonly<
  Record<RelyingPartyVerifier, Partial<Record<'guard' | 'reloadHook' | 'neverRefresh', string>>>
> = Object.freeze({
  jose: {},
  'jwks-rsa': {},
  'get-jwks': {neverRefresh: 'get-jwks fetches every kid it does not hold, and its cache lifetime is finite'},
  'express-oauth2-jwt-bearer': {
    guard: 'the denylist guard wraps a key resolver, and Auth0’s SDK takes none',
    reloadHook: 'Auth0’s SDK has no way to drop its cached key set',
    neverRefresh: 'Auth0’s SDK refetches a stale key set',
  },
})

export interface RelyingPartyOptions {
  /**
   * jose's createRemoteJWKSet (the default); jwks-rsa (keys by kid, cached per kid); get-jwks (by kid,
   * cached per alg:kid for cacheMaxAgeMs, serving a stale key when a refetch fails); or Auth0's SDK,
   * which finds the JWKS by discovery from `issuer` (see UNSUPPORTED_OPTIONS for what each cannot do).
   */
  verifier?: RelyingPartyVerifier
  jwksUri: string
  /** The iss it accepts. */
  issuer: string
  /** The aud it requires. */
  audience: string
  /** How long it trusts a fetched key set (jose's and the SDK's cacheMaxAge, get-jwks' ttl). */
  cacheMaxAgeMs: number
  /** jose's and the SDK's cooldownDuration (default the same as cacheMaxAgeMs, capped at jose's 30 s). */
  cooldownMs?: number
  /** A scope the token must carry (Auth0's SDK only: its requiredScopes answers 403 without it). */
  requiredScope?: string
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
   * get-jwks and Auth0's SDK fetch on their own and take the set as served (get-jwks converts each key
   * to a public PEM; the SDK's jose 4, like jose, refuses the private members).
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
  /** Why it refused: jose's or get-jwks' error code, or the error_description of the SDK's challenge. */
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
  /** Epoch milliseconds at which each of its JWKS fetches got an answer; null for get-jwks and the SDK, which fetch on their own. */
  readonly jwksFetches: number[] | null
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
  refuseUnsupported(options)
  const requests: RelyingPartyRequest[] = []
  const ownsFetch = options.verifier !== 'get-jwks' && options.verifier !== 'express-oauth2-jwt-bearer'
  const jwksFetches: number[] | null = ownsFetch ? [] : null
  const reloads: number[] = []
  const guardErrors: string[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    jwksFetches?.push(Date.now())
    return options.publicMembersOnly ? publicOnly(response) : response
  }
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
  const path = options.path ?? DEFAULT_PROBE_PATH
  const route = probeRoute(options, path, recordingFetch, options.guard ?? ownGuard)
  const reloadPath = options.reloadPath ?? null

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
    const record = (status: number, error: string | null) =>
      requests.push({at: Date.now(), method: request.method ?? 'GET', status, jti: jtiOf(token), token, error})
    const requested = pathOf(request)
    if (reloadPath !== null && requested === reloadPath && route.reload) {
      if (request.method !== 'POST') return sendJson(response, 405, {error: 'method_not_allowed'}, {allow: 'POST'})
      reloads.push(Date.now())
      return sendJson(response, 200, {reloaded: true, keys: await route.reload()})
    }
    if (requested !== path) {
      record(404, 'not_found')
      return sendJson(response, 404, {error: 'not_found'})
    }
    await route.answer(request, response, token, record)
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
    lastFetchBefore: (at) => jwksFetches?.filter((fetched) => fetched < at).at(-1) ?? null,
    close: () => {
      closing ??= Promise.all([server.close(), ownGuard?.close()]).then(() => undefined)
      return closing
    },
  }
}

/** A programming error, not a user's: scenarios are checked against UNSUPPORTED_OPTIONS before a world is built. */
function refuseUnsupported(options: RelyingPartyOptions): void {
  const unsupported = UNSUPPORTED_OPTIONS[options.verifier ?? 'jose']
  const asked = {
    guard: options.guard !== undefined || options.denylistFile !== undefined,
    reloadHook: (options.reloadPath ?? null) !== null,
    neverRefresh: options.neverRefresh === true,
  }
  for (const [option, reason] of Object.entries(unsupported)) {
    if (asked[option as keyof typeof asked])
      throw new Error(`A ${options.verifier} relying party cannot have ${option}: ${reason}.`)
  }
  if (options.requiredScope !== undefined && options.verifier !== 'express-oauth2-jwt-bearer') {
    throw new Error(`A ${options.verifier ?? 'jose'} relying party checks no scope here: only Auth0's SDK is set up to.`)
  }
}

interface ProbeRoute {
  /** Verifies the bearer token, answers, and records the answer. */
  answer(request: IncomingMessage, response: ServerResponse, token: string, record: Recorder): Promise<void>
  /** Drops the cached keys at once (the cache-bust hook); how many keys it holds afterwards. Absent: no hook possible. */
  reload?: () => Promise<number>
}

type Recorder = (status: number, error: string | null) => void

/** The probe route: jose's jwtVerify with a key library (200/401), or Auth0's SDK answering for itself. */
function probeRoute(
  options: RelyingPartyOptions,
  path: string,
  fetcher: typeof fetch,
  guard: DenylistGuard | undefined,
): ProbeRoute {
  if (options.verifier === 'express-oauth2-jwt-bearer') {
    const app = expressOauth2JwtBearerApp({
      issuer: options.issuer,
      audience: options.audience,
      cacheMaxAgeMs: options.cacheMaxAgeMs,
      cooldownMs: options.cooldownMs ?? Math.min(options.cacheMaxAgeMs, 30_000),
      requiredScope: options.requiredScope,
      path,
    })
    return {
      answer: (request, response, _token, record) =>
        new Promise<void>((resolve) => {
          response.once('close', () => {
            record(response.statusCode, response.statusCode < 300 ? null : challengeError(response.getHeader('www-authenticate')))
            resolve()
          })
          app(request, response)
        }),
    }
  }
  const resolver = keyResolver(options, fetcher)
  const getKey = guard ? guard.wrap(resolver.getKey) : resolver.getKey
  return {
    async answer(_request, response, token, record) {
      try {
        const {payload} = await jwtVerify(token, getKey, {issuer: options.issuer, audience: options.audience})
        record(200, null)
        sendJson(response, 200, {sub: payload.sub ?? null})
      } catch (error) {
        record(401, (error as {code?: string}).code ?? 'unknown')
        sendJson(response, 401, {error: 'invalid_token'}, {'www-authenticate': 'Bearer error="invalid_token"'})
      }
    },
    reload: resolver.reload,
  }
}

/** What an RFC 6750 challenge says went wrong: its error_description, else its error. */
function challengeError(header: unknown): string {
  const text = Array.isArray(header) ? header.join(', ') : String(header ?? '')
  return /error_description="([^"]*)"/.exec(text)?.[1] ?? /error="([^"]*)"/.exec(text)?.[1] ?? 'refused'
}

interface KeyResolver {
  getKey: (header: JWTHeaderParameters) => Promise<KeyObject | Awaited<ReturnType<ReturnType<typeof createRemoteJWKSet>>>>
  /** Fetches the key set again at once (get-jwks: forgets its keys); returns how many keys it holds. */
  reload(): Promise<number>
}

/** The library that finds the key for a token: jose's remote JWKS, a jwks-rsa client, or get-jwks. */
function keyResolver(options: RelyingPartyOptions, fetcher: typeof fetch): KeyResolver {
  const maxAge = options.neverRefresh ? Infinity : options.cacheMaxAgeMs
  if (options.verifier === 'get-jwks') {
    const keys = getJwksKeys(options.jwksUri, options.cacheMaxAgeMs)
    return {
      getKey: async (header) => createPublicKey(await keys.publicKeyPem({kid: header.kid, alg: header.alg})),
      async reload() {
        // get-jwks fetches per kid when asked: right after a reset it holds none.
        keys.clear()
        return 0
      },
    }
  }
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
