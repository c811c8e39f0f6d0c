// msw double of the Auth0 Management API v2 signing-key endpoints, as documented: bearer tokens
// with scopes (read:/create:/update:signing_keys), GET /keys/signing (kid, cert, fingerprint, thumbprint,
// current, next, previous, revoked…; pkcs7 is left out), POST /keys/signing/rotate (next → current,
// current → previous, a new next; answers {cert, kid}), PUT /keys/signing/{kid}/revoke (previous keys
// only; answers {cert, kid}), and Auth0's error body {statusCode, error, message, errorCode}.
// Revoking a current or next key is refused with a 400: Auth0 documents the rule, not the exact
// answer, so that shape is an assumption.
import {createHash, X509Certificate} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'

import {certificateFor, makeKey} from '../adapters/idp/helpers/keys.js'
import {recordRequest, retryHeaders, takeFailure, type MockBase} from '../adapters/idp/helpers/mock-kit.js'

export interface Auth0MockKey {
  kid: string
  cert: string
  current: boolean
  next: boolean
  previous: boolean
  revoked: boolean
  current_since?: string
  current_until?: string
  revoked_at?: string
}

export interface Auth0MockState extends MockBase {
  /** Management API tokens and the scopes each carries. */
  tokens: Record<string, string[]>
  keys: Auth0MockKey[]
}

export const AUTH0_SCOPES = ['read:signing_keys', 'create:signing_keys', 'update:signing_keys']

export function createAuth0State(init: Partial<Auth0MockState> = {}): Auth0MockState {
  return {baseUrl: 'https://tenant.eu.auth0.com', tokens: {}, keys: [], requests: [], failures: [], ...init}
}

/** A tenant signing key made from a fresh key pair (its certificate made by openssl). */
export async function newAuth0Key(flags: Partial<Auth0MockKey> = {}): Promise<Auth0MockKey> {
  const key = await makeKey('RSA', randomKid())
  return {
    kid: key.kid,
    cert: certificateFor(key, 'tenant.eu.auth0.com'),
    current: false,
    next: false,
    previous: false,
    revoked: false,
    ...flags,
  }
}

export function auth0Handlers(state: Auth0MockState): HttpHandler[] {
  const api = `${state.baseUrl}/api/v2`
  return [
    route(state, 'get', `${api}/keys/signing`, 'read:signing_keys', () => HttpResponse.json(state.keys.map(present))),
    route(state, 'get', `${api}/keys/signing/:kid`, 'read:signing_keys', (params) => {
      const key = state.keys.find((item) => item.kid === params.kid)
      return key ? HttpResponse.json(present(key)) : notFound()
    }),
    route(state, 'post', `${api}/keys/signing/rotate`, 'create:signing_keys', async () => {
      const now = new Date().toISOString()
      for (const key of state.keys) key.previous = false
      const current = state.keys.find((key) => key.current)
      const next = state.keys.find((key) => key.next)
      if (current) Object.assign(current, {current: false, previous: true, current_until: now})
      if (next) Object.assign(next, {next: false, current: true, current_since: now})
      state.keys.push(await newAuth0Key({next: true}))
      return HttpResponse.json({cert: next?.cert, kid: next?.kid}, {status: 201})
    }),
    route(state, 'put', `${api}/keys/signing/:kid/revoke`, 'update:signing_keys', (params) => {
      const key = state.keys.find((item) => item.kid === params.kid)
      if (!key) return notFound()
      if (key.current || key.next) {
        return auth0Error(400, 'Bad Request', 'Only the previously used signing key can be revoked.', 'invalid_body')
      }
      Object.assign(key, {revoked: true, previous: false, revoked_at: new Date().toISOString()})
      return HttpResponse.json({cert: key.cert, kid: key.kid})
    }),
  ]
}

type Resolver = (params: Record<string, string>) => Response | Promise<Response>

function route(
  state: Auth0MockState,
  method: 'get' | 'post' | 'put',
  path: string,
  scope: string,
  resolve: Resolver,
): HttpHandler {
  return http[method](path, async ({request, params}) => {
    const recorded = await recordRequest(state, request)
    const authorization = request.headers.get('authorization')
    if (authorization === null) return auth0Error(401, 'Unauthorized', 'Missing authentication')
    const token = /^Bearer (\S+)$/.exec(authorization)?.[1]
    const scopes = token === undefined ? undefined : state.tokens[token]
    if (scopes === undefined) return auth0Error(401, 'Unauthorized', 'Invalid token')
    if (!scopes.includes(scope))
      return auth0Error(403, 'Forbidden', `Insufficient scope, expected any of: ${scope}`, 'insufficient_scope')
    const failure = takeFailure(state, recorded)
    if (failure) {
      if (failure.status === 429) {
        return auth0Error(429, 'Too Many Requests', 'Global limit has been reached', 'too_many_requests', {
          'x-ratelimit-limit': '10',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + (failure.resetIn ?? failure.retryAfter ?? 1)),
          ...retryHeaders(failure),
        })
      }
      return auth0Error(
        failure.status,
        failure.status === 409 ? 'Conflict' : 'Service Unavailable',
        'Injected failure',
        undefined,
        retryHeaders(failure),
      )
    }
    return resolve(params as Record<string, string>)
  })
}

/** A key as GET /keys/signing lists it, with Auth0's own hex SHA-1 `thumbprint` of the certificate. */
function present(key: Auth0MockKey): Record<string, unknown> {
  const der = new X509Certificate(key.cert).raw
  const sha1 = createHash('sha1').update(der).digest('hex')
  return {
    ...key,
    fingerprint: sha1.toUpperCase().match(/.{2}/g)?.join(':'),
    thumbprint: sha1,
  }
}

function notFound(): Response {
  return auth0Error(404, 'Not Found', 'The signing key does not exist.', 'inexistent_signing_key')
}

export function auth0Error(
  status: number,
  error: string,
  message: string,
  errorCode?: string,
  headers: Record<string, string> = {},
): Response {
  return HttpResponse.json({statusCode: status, error, message, ...(errorCode ? {errorCode} : {})}, {status, headers})
}

function randomKid(): string {
  return createHash('sha256').update(String(Math.random())).digest('base64url').slice(0, 21)
}
