// A real relying party for the guard tests: a node:http server that verifies bearer tokens with
// jose's jwtVerify against a guarded createRemoteJWKSet resolver, over a real local JWKS server,
// and the keys and tokens to call it with.
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose'

import type {DenylistGuard} from '../../src/guard/create-denylist-guard.js'
import {startJwksServer, type JwksServer} from '../helpers/jwks-server.js'

export const ISSUER = 'https://auth.example.com'
export const OTHER_ISSUER = 'https://partner.example.com'

export interface TestKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
  privateJwk: JWK
  thumbprint: string
}

export async function makeKey(kid: string): Promise<TestKey> {
  const {privateKey, publicKey} = await generateKeyPair('ES256', {extractable: true})
  const publicJwk = {...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig'}
  return {
    kid,
    privateKey,
    publicJwk,
    privateJwk: await exportJWK(privateKey),
    thumbprint: await calculateJwkThumbprint(publicJwk),
  }
}

/** A token signed by `key`, with its kid in the header. */
export async function tokenFrom(key: TestKey, claims: {iss?: string; sub?: string} = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({alg: 'ES256', kid: key.kid})
    .setIssuer(claims.iss ?? ISSUER)
    .setSubject(claims.sub ?? 'user-1')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key.privateKey)
}

export interface RelyingParty {
  url: string
  jwks: JwksServer
  /** Calls the relying party with the token; gives the status and the body it answered. */
  call(token: string): Promise<{status: number; body: {sub?: string; error?: string}}>
  close(): Promise<void>
}

/** Starts the JWKS server (serving `keys`) and the relying party that trusts it through `guard`. */
export async function startRelyingParty(guard: DenylistGuard, keys: TestKey[]): Promise<RelyingParty> {
  const jwks = await startJwksServer()
  jwks.serve('/jwks', {keys: keys.map((key) => key.publicJwk)})
  // Built once, like a real service at start-up: the guard must update it without a restart.
  const getKey = guard.wrap(createRemoteJWKSet(new URL(jwks.url('/jwks'))))
  const server: Server = createServer((request, response) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
    jwtVerify(token, getKey, {algorithms: ['ES256'], issuer: [ISSUER, OTHER_ISSUER]})
      .then(({payload}) => answer(200, {sub: payload.sub}))
      .catch((error: {code?: string}) => answer(401, {error: error.code ?? 'unknown'}))
    function answer(status: number, body: unknown) {
      response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/me`
  return {
    url,
    jwks,
    call: async (token) => {
      const response = await fetch(url, {headers: {authorization: `Bearer ${token}`}})
      return {status: response.status, body: (await response.json()) as {sub?: string; error?: string}}
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await jwks.close()
    },
  }
}
