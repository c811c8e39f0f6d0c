// A real OpenID Provider for tests: panva's oidc-provider (the certified Node implementation) on
// 127.0.0.1, signing with the PRIVATE JWKS a test gives it and publishing the public halves at its
// jwks_uri, as an identity provider does. `setKeys` restarts it on the same port with a new key set
// (what a rotation looks like from a relying party), `stop`/`start` make it unreachable and back (an
// outage), and `issueAccessToken` gets a JWT access token (RFC 9068) through a real client_credentials
// grant. `signToken` mints a token the way an attacker holding any private JWK would.
import {randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {exportJWK, generateKeyPair, importJWK, SignJWT, type JWK} from 'jose'
import Provider, {type Adapter, type AdapterPayload, type Configuration} from 'oidc-provider'

export interface PrivateJwks {
  keys: JWK[]
}

export interface OidcIssuerOptions {
  /** The PRIVATE signing keys, as oidc-provider's `jwks` configuration takes them. */
  jwks: PrivateJwks
  /** The audience (resource indicator) of access tokens from `issueAccessToken`. */
  audience?: string
  /** The scopes the resource server offers; `issueAccessToken` may ask for any of them. */
  scopes?: string[]
}

export interface OidcIssuer {
  /** `http://127.0.0.1:PORT`, the `iss` of its tokens. */
  readonly issuer: string
  /** From its discovery document (oidc-provider's default: `${issuer}/jwks`). */
  readonly jwksUri: string
  readonly discoveryUrl: string
  /** How many times its JWKS endpoint was asked for, since it started (restarts included). */
  readonly jwksRequests: number
  /** Restarts the provider on the same port with a new private key set, as a rotation would. */
  setKeys(jwks: PrivateJwks): Promise<void>
  /** Stops listening (connections refused), keeping its port and keys: an outage. */
  stop(): Promise<void>
  /** Listens again on the same port after `stop`. */
  start(): Promise<void>
  /** A JWT access token (typ at+jwt) from a real client_credentials grant, signed with its RS256 key. */
  issueAccessToken(options?: {scope?: string}): Promise<string>
  close(): Promise<void>
}

const CLIENT = {id: 'canary-test-client', secret: 'canary-test-client-secret-0123456789abcdef'}

/** Starts oidc-provider on 127.0.0.1 (port 0) with the given private signing keys. */
export async function startOidcIssuer(options: OidcIssuerOptions): Promise<OidcIssuer> {
  const audience = options.audience ?? 'https://api.example.test/'
  const scopes = options.scopes ?? ['read:me']
  const adapter = memoryAdapter()
  let jwksRequests = 0
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  let server: Server | undefined

  const listen = async (port: number): Promise<number> => {
    const next = createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname === '/jwks') jwksRequests += 1
      // No keep-alive: a client must not reuse a socket that a restart (`setKeys`, `stop`) cuts, or
      // its next fetch fails with 'other side closed' instead of reaching the restarted provider.
      res.setHeader('connection', 'close')
      if (handler) handler(req, res)
      else res.writeHead(503).end()
    })
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject)
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject)
        resolve()
      })
    })
    server = next
    return (next.address() as AddressInfo).port
  }

  const shut = async (): Promise<void> => {
    const current = server
    server = undefined
    if (!current) return
    await new Promise<void>((resolve) => {
      current.close(() => resolve())
      current.closeAllConnections()
    })
  }

  const port = await listen(0)
  const issuer = `http://127.0.0.1:${port}`

  const configure = (jwks: PrivateJwks): void => {
    const provider = new Provider(issuer, configuration(jwks, audience, scopes, adapter))
    handler = provider.callback()
  }
  configure(options.jwks)

  // The discovery document is the source of truth for where the keys are published.
  const discoveryUrl = `${issuer}/.well-known/openid-configuration`
  const discovery = (await (await fetch(discoveryUrl)).json()) as {jwks_uri: string; issuer: string}
  if (discovery.issuer !== issuer) throw new Error(`oidc-provider says its issuer is ${discovery.issuer}`)

  return {
    issuer,
    jwksUri: discovery.jwks_uri,
    discoveryUrl,
    get jwksRequests() {
      return jwksRequests
    },
    async setKeys(jwks) {
      await shut()
      configure(jwks)
      await listen(port)
    },
    stop: shut,
    async start() {
      if (!server) await listen(port)
    },
    async issueAccessToken({scope = scopes.join(' ')} = {}) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({grant_type: 'client_credentials', resource: audience, scope}),
      })
      const body = (await response.json()) as {access_token?: string; error?: string}
      if (!response.ok || !body.access_token) {
        throw new Error(`oidc-provider refused the grant: ${response.status} ${JSON.stringify(body)}`)
      }
      return body.access_token
    },
    close: shut,
  }
}

function configuration(
  jwks: PrivateJwks,
  audience: string,
  scopes: string[],
  adapter: new (model: string) => Adapter,
): Configuration {
  return {
    jwks: structuredClone(jwks) as Configuration['jwks'],
    adapter,
    cookies: {keys: [randomUUID()]},
    ttl: {ClientCredentials: 300},
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    features: {
      devInteractions: {enabled: false},
      clientCredentials: {enabled: true},
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new Error(`unknown resource ${resource}`)
          return {scope: scopes.join(' '), audience, accessTokenFormat: 'jwt'}
        },
      },
    },
  }
}

/**
 * An adapter keeping the provider's state in one issuer's memory, across its restarts as a database
 * would (oidc-provider's own in-memory adapter warns on every instance and dies with it).
 */
function memoryAdapter(): new (model: string) => Adapter {
  const store = new Map<string, AdapterPayload>()
  return class MemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`
    }

    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      store.set(this.key(id), payload)
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return store.get(this.key(id))
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return [...store.values()].find((payload) => payload.userCode === userCode)
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return [...store.values()].find((payload) => payload.uid === uid)
    }

    async consume(id: string): Promise<void> {
      const payload = store.get(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.key(id))
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, payload] of store) if (payload.grantId === grantId) store.delete(key)
    }
  }
}

export interface TokenOptions {
  /** The `kid` header: the private JWK's own kid when left out, none at all when null. */
  kid?: string | null
  /** The `alg` header: the JWK's `alg`, else RS256 for RSA, ES256/ES384/ES512 for EC, EdDSA for OKP. */
  alg?: string
  /** The `typ` header; left out when not given. */
  typ?: string
  iss: string
  aud: string | string[]
  sub?: string
  scope?: string
  /** Seconds from now; 300 when not given. */
  expiresIn?: number
  /** Any other claims. */
  claims?: Record<string, unknown>
}

/**
 * A token signed with any private JWK, as an attacker holding a leaked key would mint one: whatever
 * header and claims the caller chooses, signed by jose.
 */
export async function signToken(privateJwk: JWK, options: TokenOptions): Promise<string> {
  const alg = options.alg ?? defaultAlg(privateJwk)
  const kid = options.kid === undefined ? privateJwk.kid : (options.kid ?? undefined)
  const header = {alg, ...(kid === undefined ? {} : {kid}), ...(options.typ === undefined ? {} : {typ: options.typ})}
  const claims = {...options.claims, ...(options.scope === undefined ? {} : {scope: options.scope})}
  const key = await importJWK(privateJwk, alg)
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuer(options.iss)
    .setAudience(options.aud)
    .setSubject(options.sub ?? 'canary')
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 300))
    .sign(key)
}

function defaultAlg(jwk: JWK): string {
  if (jwk.alg) return jwk.alg
  if (jwk.kty === 'RSA') return 'RS256'
  if (jwk.kty === 'EC') return {'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512'}[jwk.crv ?? ''] ?? 'ES256'
  if (jwk.kty === 'OKP') return 'EdDSA'
  throw new Error(`no default alg for a ${jwk.kty} key`)
}

/** A fresh private JWK (RSA keys are 2048 bits) with the given kid, for issuer key sets and attackers. */
export async function generatePrivateJwk(kid: string, alg: 'RS256' | 'ES256' | 'PS256' = 'RS256'): Promise<JWK> {
  const {privateKey} = await generateKeyPair(alg, {extractable: true})
  return {...(await exportJWK(privateKey)), kid, alg, use: 'sig'}
}
