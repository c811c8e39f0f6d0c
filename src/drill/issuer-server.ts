// The drill's identity provider: an OpenID discovery document, the JWKS served straight from the
// world's JWKS file (the `jwks-file` key store jwkr rotates, re-read on every request), and a token
// endpoint that mints tokens for the world's test users. It signs with the newest key in that file
// whose private half it can find in its key folders — so once jwkr publishes a replacement and
// writes its private JWK into one of them (world/keys/, or the drill incident's artifacts), new
// tokens carry the new kid, as a real issuer switched to the new key would.
import {appendFile, readdir, readFile, stat} from 'node:fs/promises'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {join} from 'node:path'
import {randomUUID} from 'node:crypto'

import {calculateJwkThumbprint, importJWK, SignJWT, type CryptoKey, type JWK} from 'jose'

import {canonicalizeJwk} from '../core/key/canonical-key.js'
import {parseFields, pathOf, readBody, sendJson, startLoopbackServer} from './loopback-server.js'

export const DISCOVERY_PATH = '/.well-known/openid-configuration'
export const JWKS_PATH = '/jwks.json'
export const TOKEN_PATH = '/token'

export interface DrillUser {
  /** The `sub` of its tokens. */
  sub: string
  email: string
}

export interface IssuerServerOptions {
  /** The JWKS file the issuer publishes (and jwkr's jwks-file key store changes). */
  jwksFile: string
  /** Folders searched (two levels deep) for private JWK files to sign with. */
  keyDirs: string[]
  /** Where each minted token's jti is appended (JSON lines), for `tokens scan --issued-log`. */
  issuedLog: string
  users: DrillUser[]
  /** The `aud` of a token minted without one: every service, so one token works everywhere. */
  audiences: string[]
  /** Default 300 s. */
  tokenLifetimeSeconds?: number
  /** Cache-Control max-age of the JWKS (default 5 s). */
  jwksMaxAgeSeconds?: number
  now?: () => Date
}

export interface MintedToken {
  token: string
  jti: string
  kid: string | null
  sub: string
  /** Epoch seconds. */
  exp: number
}

export interface IssuerServer {
  /** The `iss` of its tokens: `http://127.0.0.1:PORT`. */
  issuer: string
  discoveryUrl: string
  jwksUri: string
  tokenUrl: string
  /** Mints a token as the token endpoint does (for a known user only), with the scopes asked for. */
  mint(sub: string, options?: {audience?: string | string[]; scope?: string}): Promise<MintedToken>
  close(): Promise<void>
}

/** Private key files larger than this are not keys. */
const MAX_KEY_FILE_BYTES = 64 * 1024
const KEY_DIR_DEPTH = 2

/**
 * @example const issuer = await startIssuerServer({jwksFile, keyDirs: [keysDir], issuedLog, users, audiences: ['billing-api']})
 */
export async function startIssuerServer(options: IssuerServerOptions): Promise<IssuerServer> {
  const now = options.now ?? (() => new Date())
  const lifetime = options.tokenLifetimeSeconds ?? 300
  let issuer = ''
  let issued: Promise<void> = Promise.resolve()

  const mint = async (sub: string, audience: string | string[] = options.audiences, scope?: string): Promise<MintedToken> => {
    if (!options.users.some((user) => user.sub === sub)) throw new UnknownUser(sub)
    const signer = await signingKey(options.jwksFile, options.keyDirs)
    const iat = Math.floor(now().getTime() / 1000)
    const jti = randomUUID()
    const exp = iat + lifetime
    const token = await new SignJWT(scope === undefined ? {} : {scope})
      .setProtectedHeader({alg: signer.alg, typ: 'JWT', ...(signer.kid === null ? {} : {kid: signer.kid})})
      .setIssuer(issuer)
      .setSubject(sub)
      .setAudience(audience)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(signer.key)
    const line = `${JSON.stringify({jti, sub, aud: audience, iat, exp, kid: signer.kid})}\n`
    issued = issued.then(() => appendFile(options.issuedLog, line, {mode: 0o600}))
    await issued
    return {token, jti, kid: signer.kid, sub, exp}
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = pathOf(request)
    if (request.method === 'GET' && path === DISCOVERY_PATH) {
      return sendJson(response, 200, {
        issuer,
        jwks_uri: `${issuer}${JWKS_PATH}`,
        token_endpoint: `${issuer}${TOKEN_PATH}`,
        grant_types_supported: ['password'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      })
    }
    if (request.method === 'GET' && path === JWKS_PATH) {
      // Served as the file is, byte for byte, like a static file behind a web server.
      const text = await readFile(options.jwksFile, 'utf8')
      response.writeHead(200, {
        'content-type': 'application/jwk-set+json',
        'cache-control': `public, max-age=${options.jwksMaxAgeSeconds ?? 5}`,
      })
      return void response.end(text)
    }
    if (path === TOKEN_PATH) {
      if (request.method !== 'POST') return sendJson(response, 405, {error: 'invalid_request'}, {allow: 'POST'})
      return tokenEndpoint(request, response)
    }
    sendJson(response, 404, {error: 'not_found'})
  }

  const tokenEndpoint = async (request: IncomingMessage, response: ServerResponse) => {
    const fields = parseFields(await readBody(request), request.headers['content-type'])
    const grant = fields.grant_type
    if (grant !== undefined && grant !== 'password') {
      return sendJson(response, 400, {
        error: 'unsupported_grant_type',
        error_description: 'Only grant_type=password is supported.',
      })
    }
    const sub = fields.username ?? fields.sub
    if (sub === undefined || sub === '') {
      return sendJson(response, 400, {error: 'invalid_request', error_description: 'username (or sub) is required.'})
    }
    const audience = fields.audience ?? fields.aud
    try {
      const minted = await mint(
        sub,
        audience === undefined || audience === '' ? undefined : audience,
        fields.scope === undefined || fields.scope === '' ? undefined : fields.scope,
      )
      sendJson(
        response,
        200,
        {access_token: minted.token, token_type: 'Bearer', expires_in: lifetime},
        {'cache-control': 'no-store', pragma: 'no-cache'},
      )
    } catch (error) {
      if (error instanceof UnknownUser)
        return sendJson(response, 400, {error: 'invalid_grant', error_description: 'Unknown user.'})
      if (error instanceof NoSigningKey)
        return sendJson(response, 503, {error: 'temporarily_unavailable', error_description: error.message})
      throw error
    }
  }

  const server = await startLoopbackServer(handle)
  issuer = server.origin
  return {
    issuer,
    discoveryUrl: `${issuer}${DISCOVERY_PATH}`,
    jwksUri: `${issuer}${JWKS_PATH}`,
    tokenUrl: `${issuer}${TOKEN_PATH}`,
    mint: (sub, mintOptions) => mint(sub, mintOptions?.audience, mintOptions?.scope),
    close: async () => {
      await server.close()
      await issued.catch(() => undefined)
    },
  }
}

class UnknownUser extends Error {}
class NoSigningKey extends Error {}

/** The newest signing key of the JWKS file (the last entry) whose private JWK is in the key folders. */
async function signingKey(jwksFile: string, keyDirs: string[]): Promise<{key: CryptoKey; alg: string; kid: string | null}> {
  const document = JSON.parse(await readFile(jwksFile, 'utf8')) as {keys?: unknown[]}
  const privates = await privateKeysIn(keyDirs)
  for (const raw of [...(document.keys ?? [])].reverse()) {
    const published = raw as JWK
    if (published.use === 'enc') continue
    const thumbprint = await thumbprintOf(published)
    const privateJwk = thumbprint === null ? undefined : privates.get(thumbprint)
    if (!privateJwk) continue
    const alg = published.alg ?? privateJwk.alg ?? defaultAlg(privateJwk)
    const key = (await importJWK({...privateJwk, alg}, alg)) as CryptoKey
    return {key, alg, kid: typeof published.kid === 'string' ? published.kid : null}
  }
  throw new NoSigningKey('The issuer holds the private half of no key its JWKS publishes.')
}

/** Private JWKs found in the folders, by the thumbprint of their public half. */
async function privateKeysIn(dirs: string[]): Promise<Map<string, JWK>> {
  const found = new Map<string, JWK>()
  const visit = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, {withFileTypes: true}).catch(() => [])
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory() && depth < KEY_DIR_DEPTH) await visit(path, depth + 1)
      if (!entry.isFile() || !entry.name.endsWith('.json')) continue
      const size = (await stat(path).catch(() => undefined))?.size ?? Infinity
      if (size > MAX_KEY_FILE_BYTES) continue
      let value: unknown
      try {
        value = JSON.parse(await readFile(path, 'utf8'))
      } catch {
        continue
      }
      const jwk = value as JWK
      if (jwk === null || typeof jwk !== 'object' || typeof jwk.d !== 'string') continue
      const thumbprint = await thumbprintOf(jwk)
      if (thumbprint !== null) found.set(thumbprint, jwk)
    }
  }
  for (const dir of dirs) await visit(dir, 0)
  return found
}

async function thumbprintOf(jwk: unknown): Promise<string | null> {
  try {
    return await calculateJwkThumbprint(canonicalizeJwk(jwk).thumbprintJwk, 'sha256')
  } catch {
    return null
  }
}

function defaultAlg(jwk: JWK): string {
  if (jwk.kty === 'EC') return ({'P-384': 'ES384', 'P-521': 'ES512'} as Record<string, string>)[jwk.crv ?? ''] ?? 'ES256'
  if (jwk.kty === 'OKP') return 'EdDSA'
  return 'RS256'
}
