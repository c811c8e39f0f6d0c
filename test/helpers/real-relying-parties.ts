// Relying parties built from the JWT verifier libraries that services really run, each on its own
// HTTP server on 127.0.0.1 with one protected route, `GET /api/me`: 200 `{sub}` for a token the
// library accepts, and otherwise whatever the library (or its framework's error handler) answers,
// status and `WWW-Authenticate` untouched. They are configured the way each library's README shows,
// so a containment proof tested against them meets the caching, key selection and error answers of
// the real thing. jose has no HTTP layer: its two servers answer 401 with an RFC 6750 challenge.
// get-jwks and Auth0's SDK are set up by the drill's own code (src/drill), which the drill world runs.
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import fastifyJwt, {type TokenOrHeader} from '@fastify/jwt'
import express, {type RequestHandler} from 'express'
import {expressjwt, type GetVerificationKey} from 'express-jwt'
import Fastify, {type FastifyRequest} from 'fastify'
import {createRemoteJWKSet, errors as joseErrors, jwtVerify} from 'jose'
import jwksRsa from 'jwks-rsa'

import {expressOauth2JwtBearerApp} from '../../src/drill/express-oauth2-jwt-bearer-app.js'
import {getJwksKeys} from '../../src/drill/get-jwks-keys.js'

export const relyingPartyLibraries = [
  'express-jwt+jwks-rsa',
  'jose',
  'fastify+get-jwks',
  'express-oauth2-jwt-bearer',
  'jose-at+jwt',
] as const

export type RelyingPartyLibrary = (typeof relyingPartyLibraries)[number]

export interface RelyingPartySpec {
  library: RelyingPartyLibrary
  /** The `iss` the relying party requires. */
  issuer: string
  /** Where it fetches the keys (express-oauth2-jwt-bearer finds it by discovery from `issuer`). */
  jwksUri: string
  /** The `aud` it requires. */
  audience: string
  /** How long it keeps fetched keys (each library's own cache setting). */
  cacheMaxAgeMs: number
  /** A scope the token must carry (express-oauth2-jwt-bearer's `requiredScopes` only). */
  requiredScope?: string
  /** A `typ` header the token must carry; `jose-at+jwt` requires `at+jwt` when none is given. */
  requireTyp?: string
}

export interface RealRelyingParty {
  /** `library@port`, unique while it runs. */
  id: string
  /** The probe URL: `http://127.0.0.1:PORT/api/me`. */
  url: string
  library: RelyingPartyLibrary
  close(): Promise<void>
}

/** What a relying party answered to a bearer token. */
export interface ProbeAnswer {
  status: number
  wwwAuthenticate: string | null
  /** The body, parsed when it is JSON. */
  body: unknown
}

const ALGORITHMS = ['RS256', 'ES256', 'PS256'] as const

/** The cooldown of jose's remote key sets before an unknown `kid` may trigger another fetch. */
const JOSE_COOLDOWN_MS = 100

/** Starts one relying party on 127.0.0.1 (port 0). */
export async function startRelyingParty(spec: RelyingPartySpec): Promise<RealRelyingParty> {
  const unsupported = (option: string): never => {
    throw new Error(`${spec.library} is not set up to check ${option} here: the library has no such option`)
  }
  if (spec.requiredScope !== undefined && spec.library !== 'express-oauth2-jwt-bearer') unsupported('a scope')
  if (spec.requireTyp !== undefined && spec.library === 'express-jwt+jwks-rsa') unsupported('typ')

  switch (spec.library) {
    case 'express-jwt+jwks-rsa':
      return expressJwtJwksRsa(spec)
    case 'jose':
      return jose(spec, spec.requireTyp)
    case 'jose-at+jwt':
      return jose(spec, spec.requireTyp ?? 'at+jwt')
    case 'fastify+get-jwks':
      return fastifyGetJwks(spec)
    case 'express-oauth2-jwt-bearer':
      return expressOauth2JwtBearer(spec)
  }
}

/** Sends `GET /api/me` with `Authorization: Bearer <token>` and reports the answer as it came. */
/** One relying party of every library, trusting one issuer: the world of the proof tests. */
export interface RelyingPartyWorldOptions {
  issuer: string
  jwksUri: string
  cacheMaxAgeMs: number
  /** The audience of every service but the at+jwt one, which takes `atAudience` (a URL). */
  audience: string
  atAudience: string
  /** The scope Auth0's SDK service requires. */
  scope: string
}

export async function startEveryRelyingParty(options: RelyingPartyWorldOptions): Promise<RealRelyingParty[]> {
  return Promise.all(
    relyingPartyLibraries.map((library) =>
      startRelyingParty({
        library,
        issuer: options.issuer,
        jwksUri: options.jwksUri,
        audience: library === 'jose-at+jwt' ? options.atAudience : options.audience,
        cacheMaxAgeMs: options.cacheMaxAgeMs,
        ...(library === 'express-oauth2-jwt-bearer' ? {requiredScope: options.scope} : {}),
      }),
    ),
  )
}

export async function probeRelyingParty(rp: Pick<RealRelyingParty, 'url'>, token: string): Promise<ProbeAnswer> {
  const response = await fetch(rp.url, {headers: {authorization: `Bearer ${token}`}})
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text (express's default error page, for one)
  }
  return {status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body}
}

// express-jwt (jsonwebtoken) with jwks-rsa's key provider, as in jwks-rsa's express example: the
// key is looked up by the token's kid, each kid cached for cacheMaxAge; errors go to express's
// default error handler (status from the error, else 500).
async function expressJwtJwksRsa(spec: RelyingPartySpec): Promise<RealRelyingParty> {
  const app = express()
  const secret = jwksRsa.expressJwtSecret({
    jwksUri: spec.jwksUri,
    cache: true,
    cacheMaxAge: spec.cacheMaxAgeMs,
    rateLimit: false,
  }) as GetVerificationKey
  const guard = expressjwt({
    secret,
    algorithms: [...ALGORITHMS],
    issuer: spec.issuer,
    audience: spec.audience,
  })
  app.get('/api/me', guard, subject)
  // No error handler of ours: express's final handler answers each refusal (status and headers
  // from the error, 500 when it has none), as in an application that adds none.
  return listen(createServer(app), spec.library)
}

// Auth0's SDK for APIs (src/drill/express-oauth2-jwt-bearer-app.ts): discovery from the issuer,
// jose 4's remote key set cached for cacheMaxAge, and its own 401/403 errors answered with their
// status and `WWW-Authenticate` headers.
async function expressOauth2JwtBearer(spec: RelyingPartySpec): Promise<RealRelyingParty> {
  const app = expressOauth2JwtBearerApp({
    issuer: spec.issuer,
    audience: spec.audience,
    cacheMaxAgeMs: spec.cacheMaxAgeMs,
    cooldownMs: JOSE_COOLDOWN_MS,
    requiredScope: spec.requiredScope,
    requireTyp: spec.requireTyp,
  })
  return listen(createServer(app), spec.library)
}

// @fastify/jwt (fast-jwt) with get-jwks as in get-jwks' README: the secret callback fetches the
// public key by kid and alg (get-jwks caches by alg+kid+domain for `ttl`, and serves a stale key when
// a refresh fails; src/drill/get-jwks-keys.ts). A key it cannot find is an error fastify answers 500.
async function fastifyGetJwks(spec: RelyingPartySpec): Promise<RealRelyingParty> {
  const keys = getJwksKeys(spec.jwksUri, spec.cacheMaxAgeMs)
  const app = Fastify({logger: false})
  await app.register(fastifyJwt, {
    decode: {complete: true},
    secret: (_request: FastifyRequest, token: TokenOrHeader): Promise<string> =>
      keys.publicKeyPem('header' in token ? token.header : token),
    verify: {
      algorithms: [...ALGORITHMS],
      allowedIss: spec.issuer,
      allowedAud: spec.audience,
      ...(spec.requireTyp === undefined ? {} : {checkTyp: spec.requireTyp}),
    },
  })
  app.get('/api/me', {onRequest: async (request) => void (await request.jwtVerify())}, async (request) => {
    const user = request.user as {sub?: string}
    return {sub: user.sub}
  })
  await app.listen({host: '127.0.0.1', port: 0})
  const port = (app.server.address() as AddressInfo).port
  return {
    id: `${spec.library}@${port}`,
    url: `http://127.0.0.1:${port}/api/me`,
    library: spec.library,
    close: async () => {
      app.server.closeAllConnections()
      await app.close()
    },
  }
}

// jose 6 on node:http: createRemoteJWKSet (cacheMaxAge, a short cooldown) and jwtVerify with issuer
// and audience (and typ when required). jose picks the key by kid, or, without one, the single key
// that fits the alg. Any error is a 401 naming jose's error code.
async function jose(spec: RelyingPartySpec, typ: string | undefined): Promise<RealRelyingParty> {
  const keys = createRemoteJWKSet(new URL(spec.jwksUri), {
    cacheMaxAge: spec.cacheMaxAgeMs,
    cooldownDuration: JOSE_COOLDOWN_MS,
  })
  const server = createServer((req, res) => {
    const refuse = (challenge: string, error: string): void => {
      res.writeHead(401, {'content-type': 'application/json', 'www-authenticate': challenge})
      res.end(JSON.stringify({error}))
    }
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/me') {
      res.writeHead(404).end()
      return
    }
    const [scheme, token] = (req.headers.authorization ?? '').split(' ')
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      refuse('Bearer realm="api"', 'no bearer token')
      return
    }
    jwtVerify(token, keys, {
      issuer: spec.issuer,
      audience: spec.audience,
      algorithms: [...ALGORITHMS],
      ...(typ === undefined ? {} : {typ}),
    }).then(
      ({payload}) => {
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(JSON.stringify({sub: payload.sub}))
      },
      (error: unknown) => {
        const code = error instanceof joseErrors.JOSEError ? error.code : String(error)
        refuse(`Bearer realm="api", error="invalid_token", error_description="${code}"`, code)
      },
    )
  })
  return listen(server, spec.library)
}

const subject: RequestHandler = (req, res) => {
  // express-jwt puts the payload at req.auth.
  const found = (req as unknown as {auth?: {sub?: string}}).auth
  res.json({sub: found?.sub})
}

async function listen(server: Server, library: RelyingPartyLibrary): Promise<RealRelyingParty> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    id: `${library}@${port}`,
    url: `http://127.0.0.1:${port}/api/me`,
    library,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
