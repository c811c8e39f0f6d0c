// msw double of Vault's identity OIDC key endpoints, as the server implements them: X-Vault-Token
// auth (403 {"errors":["permission denied"]} for a bad token or policy), POST
// /v1/identity/oidc/key/:name/rotate with an optional verification_ttl (the old signing key expires
// after it, the pre-published next key signs, a new next key is made; 204), 400 for an unknown named
// key, and the unauthenticated /v1/identity/oidc/.well-known/keys that drops expired keys on read.
import {randomUUID} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'
import type {JWK} from 'jose'

import {makeKey} from '../adapters/idp/helpers/keys.js'
import {recordRequest, retryHeaders, takeFailure, type MockBase} from '../adapters/idp/helpers/mock-kit.js'

export interface VaultMockNamedKey {
  signing: string
  next: string
  /** Key ids still verifiable, with when they expire (null: not rotated out). */
  ring: Array<{id: string; expireAt: number | null}>
  verificationTtl: number
}

export interface VaultMockState extends MockBase {
  /** Tokens and whether their policy allows rotating OIDC keys. */
  tokens: Record<string, {rotate: boolean}>
  namedKeys: Record<string, VaultMockNamedKey>
  publicKeys: Record<string, JWK>
  now: () => number
}

export function createVaultState(init: Partial<VaultMockState> = {}): VaultMockState {
  return {
    baseUrl: 'https://vault.example.com:8200',
    tokens: {},
    namedKeys: {},
    publicKeys: {},
    requests: [],
    failures: [],
    now: () => Date.now(),
    ...init,
  }
}

/** Adds a named key whose current signing key is `signing` (a public JWK), with a fresh next key. */
export async function addNamedKey(
  state: VaultMockState,
  name: string,
  signing?: JWK,
  verificationTtl = 86_400,
): Promise<VaultMockNamedKey> {
  const current = signing ?? (await makeKey('RSA')).publicJwk
  const next = (await makeKey('RSA')).publicJwk
  const ids = [randomUUID(), randomUUID()]
  state.publicKeys[ids[0] as string] = {...current, kid: ids[0], alg: 'RS256', use: 'sig'}
  state.publicKeys[ids[1] as string] = {...next, kid: ids[1], alg: 'RS256', use: 'sig'}
  const named = {
    signing: ids[0] as string,
    next: ids[1] as string,
    ring: ids.map((id) => ({id, expireAt: null})),
    verificationTtl,
  }
  state.namedKeys[name] = named
  return named
}

export function vaultHandlers(state: VaultMockState): HttpHandler[] {
  return [
    http.get(`${state.baseUrl}/v1/identity/oidc/.well-known/keys`, async ({request}) => {
      const recorded = await recordRequest(state, request)
      const failure = takeFailure(state, recorded)
      if (failure)
        return vaultError(
          failure.status,
          failure.status === 429 ? 'rate limit quota exceeded' : 'internal error',
          retryHeaders(failure),
        )
      expire(state)
      const ids = Object.values(state.namedKeys).flatMap((named) => named.ring.map((entry) => entry.id))
      return HttpResponse.json({keys: ids.map((id) => state.publicKeys[id])}, {headers: {'cache-control': 'max-age=3600'}})
    }),
    http.post(`${state.baseUrl}/v1/identity/oidc/key/:name/rotate`, async ({request, params}) => {
      const recorded = await recordRequest(state, request)
      const token = request.headers.get('x-vault-token')
      const holder = token === null ? undefined : state.tokens[token]
      if (!holder?.rotate) return vaultError(403, 'permission denied')
      const failure = takeFailure(state, recorded)
      if (failure) {
        const message =
          failure.status === 429
            ? `request path "identity/oidc/key/${String(params.name)}/rotate": rate limit quota exceeded`
            : 'internal error'
        return vaultError(failure.status, message, retryHeaders(failure))
      }
      const named = state.namedKeys[String(params.name)]
      if (!named) return vaultError(400, `no named key found at "${String(params.name)}"`)
      const body = recorded.body === '' ? {} : (JSON.parse(recorded.body) as {verification_ttl?: unknown})
      const ttl = body.verification_ttl === undefined ? named.verificationTtl : Number(body.verification_ttl)
      const entry = named.ring.find((item) => item.id === named.signing)
      if (entry) entry.expireAt = state.now() + ttl * 1000
      const fresh = randomUUID()
      state.publicKeys[fresh] = {...(await makeKey('RSA')).publicJwk, kid: fresh, alg: 'RS256', use: 'sig'}
      named.signing = named.next
      named.next = fresh
      named.ring.push({id: fresh, expireAt: null})
      return new HttpResponse(null, {status: 204})
    }),
  ]
}

/** Vault drops expired keys from the ring when the key set is read (expireOIDCPublicKeys). */
function expire(state: VaultMockState): void {
  for (const named of Object.values(state.namedKeys)) {
    named.ring = named.ring.filter((entry) => entry.expireAt === null || entry.expireAt > state.now())
  }
}

function vaultError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return HttpResponse.json({errors: [message]}, {status, headers})
}
