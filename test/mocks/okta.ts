// msw double of Okta's custom authorization server key endpoints, as documented: "SSWS <token>"
// auth, GET …/credentials/keys (ACTIVE, NEXT and EXPIRED JWKs with status and _links), POST
// …/credentials/lifecycle/keyRotate with {"use":"sig"} (ACTIVE → EXPIRED, NEXT → ACTIVE, a new NEXT;
// answers the keys), EXPIRED keys kept (no delete API), the refresh tokens each OAuth client holds
// (GET / DELETE …/clients/{clientId}/tokens: 204 on delete, also when none is left; 404 for a client
// the server does not know), and Okta's error body {errorCode,
// errorSummary, errorLink, errorId, errorCauses} with X-Rate-Limit-* headers on 429.
import {randomUUID} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'
import type {JWK} from 'jose'

import {makeKey} from '../adapters/idp/helpers/keys.js'
import {recordRequest, retryHeaders, takeFailure, type MockBase} from '../adapters/idp/helpers/mock-kit.js'

export interface OktaMockKey {
  status: 'ACTIVE' | 'NEXT' | 'EXPIRED'
  kid: string
  jwk: JWK
}

export interface OktaMockState extends MockBase {
  /** API tokens; `admin: false` tokens belong to an admin who may not manage authorization servers. */
  tokens: Record<string, {admin: boolean}>
  servers: Record<string, OktaMockKey[]>
  /** Per authorization server: each known client_id and the ids of the refresh tokens it holds. */
  clients: Record<string, Record<string, string[]>>
}

export function createOktaState(init: Partial<OktaMockState> = {}): OktaMockState {
  return {baseUrl: 'https://example.okta.com', tokens: {}, servers: {}, clients: {}, requests: [], failures: [], ...init}
}

export async function newOktaKey(status: OktaMockKey['status']): Promise<OktaMockKey> {
  const key = await makeKey('RSA', randomUUID().replace(/-/g, '').slice(0, 20))
  return {status, kid: key.kid, jwk: key.publicJwk}
}

export function oktaHandlers(state: OktaMockState): HttpHandler[] {
  const server = `${state.baseUrl}/api/v1/authorizationServers/:id`
  return [
    route(state, 'get', `${server}/credentials/keys`, (keys, id) =>
      HttpResponse.json(keys.map((key) => present(state, id, key))),
    ),
    route(state, 'post', `${server}/credentials/lifecycle/keyRotate`, async (keys, id, request) => {
      const body = (await request.json().catch(() => null)) as {use?: unknown} | null
      if (body?.use !== 'sig') {
        return oktaError(400, 'E0000001', 'Api validation failed: use', [{errorSummary: 'use: The field must be "sig".'}])
      }
      const active = keys.find((key) => key.status === 'ACTIVE')
      const next = keys.find((key) => key.status === 'NEXT')
      if (active) active.status = 'EXPIRED'
      if (next) next.status = 'ACTIVE'
      keys.push(await newOktaKey('NEXT'))
      return HttpResponse.json(keys.map((key) => present(state, id, key)))
    }),
    route(state, 'get', `${server}/clients/:clientId/tokens`, (_keys, id, _request, clientId) => {
      const tokens = state.clients[id]?.[clientId]
      if (!tokens) return clientNotFound(clientId)
      return HttpResponse.json(
        tokens.map((token) => ({id: token, status: 'ACTIVE', clientId, issuer: `${state.baseUrl}/oauth2/${id}`})),
      )
    }),
    route(state, 'delete', `${server}/clients/:clientId/tokens`, (_keys, id, _request, clientId) => {
      const tokens = state.clients[id]?.[clientId]
      if (!tokens) return clientNotFound(clientId)
      tokens.length = 0
      return new HttpResponse(null, {status: 204})
    }),
  ]
}

function clientNotFound(clientId: string): Response {
  return oktaError(404, 'E0000007', `Not found: Resource not found: ${clientId} (AppInstance)`)
}

type Resolver = (keys: OktaMockKey[], id: string, request: Request, clientId: string) => Response | Promise<Response>

function route(state: OktaMockState, method: 'get' | 'post' | 'delete', path: string, resolve: Resolver): HttpHandler {
  return http[method](path, async ({request, params}) => {
    const recorded = await recordRequest(state, request)
    const token = /^SSWS (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
    const holder = token === undefined ? undefined : state.tokens[token]
    if (!holder) return oktaError(401, 'E0000011', 'Invalid token provided')
    if (!holder.admin) return oktaError(403, 'E0000006', 'You do not have permission to perform the requested action')
    const id = String(params.id)
    const keys = state.servers[id]
    if (!keys) return oktaError(404, 'E0000007', `Not found: Resource not found: ${id} (AuthorizationServer)`)
    const failure = takeFailure(state, recorded)
    if (failure) {
      if (failure.status === 429) {
        return oktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.', [], {
          'x-rate-limit-limit': '100',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + (failure.resetIn ?? failure.retryAfter ?? 1)),
          ...retryHeaders(failure),
        })
      }
      return oktaError(
        failure.status,
        failure.status === 409 ? 'E0000095' : 'E0000009',
        failure.status === 409 ? 'Conflict' : 'Internal Server Error',
        [],
        retryHeaders(failure),
      )
    }
    return resolve(keys, id, request, String(params.clientId ?? ''))
  })
}

function present(state: OktaMockState, server: string, key: OktaMockKey) {
  const href = `${state.baseUrl}/api/v1/authorizationServers/${server}/credentials/keys/${key.kid}`
  return {
    status: key.status,
    alg: 'RS256',
    e: key.jwk.e,
    n: key.jwk.n,
    use: 'sig',
    kid: key.kid,
    kty: 'RSA',
    _links: {self: {href, hints: {allow: ['GET']}}},
  }
}

function oktaError(
  status: number,
  errorCode: string,
  errorSummary: string,
  errorCauses: unknown[] = [],
  headers: Record<string, string> = {},
): Response {
  return HttpResponse.json(
    {errorCode, errorSummary, errorLink: errorCode, errorId: `oae${randomUUID().replace(/-/g, '').slice(0, 19)}`, errorCauses},
    {status, headers},
  )
}
