// msw double of the Keycloak Admin REST API parts that manage realm keys and revocation, as the
// server implements them: bearer tokens with realm-management roles (or a client-credentials token
// from /realms/{realm}/protocol/openid-connect/token), GET /keys ({active, keys: [{providerId,
// providerPriority, kid, status, type, algorithm, publicKey, certificate}]} with base64 DER bodies),
// key-provider components (GET with type/name filters, POST → 201 + Location, PUT, DELETE), the
// realm's notBefore (GET/PUT), push-revocation and logout-all (GlobalRequestResult), and Keycloak's
// error bodies. Client-credentials tokens expire after `tokenLifespan` seconds (expires_in), after
// which the admin API answers 401 as it does for any unknown token; Keycloak's ({"error": "HTTP 401 Unauthorized"}, {"error": "Realm not found."}, {"errorMessage": …}).
import {generateKeyPairSync, randomUUID} from 'node:crypto'

import {http, HttpResponse, type HttpHandler} from 'msw'

import {certificateBody, certificateFor, makeKey, type TestKey} from '../adapters/idp/helpers/keys.js'
import {recordRequest, retryHeaders, takeFailure, type MockBase} from '../adapters/idp/helpers/mock-kit.js'

export const KEY_PROVIDER_TYPE = 'org.keycloak.keys.KeyProvider'

export interface KeycloakMockComponent {
  id: string
  name: string
  providerId: string
  providerType: string
  parentId: string
  config: Record<string, string[]>
  /** The key the provider holds (server side; never listed whole). */
  key?: {kid: string; type: 'RSA' | 'EC' | 'OKP'; algorithm: string; publicKey: string; certificate?: string}
}

export interface KeycloakMockState extends MockBase {
  realm: string
  realmId: string
  /** Admin bearer tokens and the realm-management roles each has. */
  tokens: Record<string, string[]>
  /** When each token issued by the token endpoint stops being accepted (epoch ms). */
  tokenExpiry: Record<string, number>
  /** Seconds a client-credentials token lives (the master realm's default access token lifespan is 60). */
  tokenLifespan: number
  /** The server's clock (epoch ms). */
  now: () => number
  /** Confidential clients for the client-credentials grant (in realm `authRealm`). */
  clients: Record<string, {secret: string; roles: string[]}>
  authRealm: string
  components: KeycloakMockComponent[]
  notBefore: number
  /** Admin URLs of clients that push-revocation reaches, and those it cannot. */
  adminUrls: {reachable: string[]; unreachable: string[]}
  sessions: number
}

export const KEYCLOAK_ADMIN_ROLES = ['view-realm', 'manage-realm', 'manage-users']

export function createKeycloakState(init: Partial<KeycloakMockState> = {}): KeycloakMockState {
  return {
    baseUrl: 'https://sso.example.com',
    realm: 'acme',
    realmId: randomUUID(),
    tokens: {},
    tokenExpiry: {},
    tokenLifespan: 300,
    now: Date.now,
    clients: {},
    authRealm: 'master',
    components: [],
    notBefore: 0,
    adminUrls: {reachable: ['https://app.example.com/admin'], unreachable: []},
    sessions: 3,
    requests: [],
    failures: [],
    ...init,
  }
}

/** A provider component holding `key` (an imported "rsa" provider, or the given provider id). */
export function keycloakComponent(
  state: KeycloakMockState,
  key: TestKey,
  options: {
    providerId?: string
    algorithm?: string
    priority?: number
    active?: boolean
    enabled?: boolean
    withCertificate?: boolean
  } = {},
): KeycloakMockComponent {
  const type = (key.publicJwk.kty ?? 'RSA') as 'RSA' | 'EC' | 'OKP'
  const certificate = options.withCertificate ? certificateBody(certificateFor(key, state.realm)) : undefined
  return {
    id: randomUUID(),
    name: options.providerId ?? 'rsa',
    providerId: options.providerId ?? 'rsa',
    providerType: KEY_PROVIDER_TYPE,
    parentId: state.realmId,
    config: {
      priority: [String(options.priority ?? 100)],
      enabled: [String(options.enabled ?? true)],
      active: [String(options.active ?? true)],
      // An imported provider keeps its private key in the config; Keycloak masks it when asked.
      privateKey: ['**********'],
    },
    key: {
      kid: key.kid,
      type,
      algorithm: options.algorithm ?? (type === 'RSA' ? 'RS256' : type === 'EC' ? 'ES256' : 'EdDSA'),
      publicKey: key.spki,
      ...(certificate ? {certificate} : {}),
    },
  }
}

export function keycloakHandlers(state: KeycloakMockState): HttpHandler[] {
  const admin = `${state.baseUrl}/admin/realms/:realm`
  return [
    http.post(`${state.baseUrl}/realms/:realm/protocol/openid-connect/token`, async ({request, params}) => {
      await recordRequest(state, request)
      const form = new URLSearchParams(await request.text())
      const client = state.clients[form.get('client_id') ?? '']
      if (params.realm !== state.authRealm) return HttpResponse.json({error: 'Realm does not exist'}, {status: 404})
      if (form.get('grant_type') !== 'client_credentials' || !client || client.secret !== form.get('client_secret')) {
        return HttpResponse.json(
          {error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials'},
          {status: 401},
        )
      }
      const token = `kc-token-${randomUUID()}`
      state.tokens[token] = client.roles
      state.tokenExpiry[token] = state.now() + state.tokenLifespan * 1000
      return HttpResponse.json({
        access_token: token,
        expires_in: state.tokenLifespan,
        token_type: 'Bearer',
        scope: 'profile email',
      })
    }),
    route(state, 'get', `${admin}/keys`, 'view-realm', () => HttpResponse.json(listKeys(state))),
    route(state, 'get', `${admin}/components`, 'view-realm', ({url}) => {
      const type = url.searchParams.get('type')
      const name = url.searchParams.get('name')
      const found = state.components.filter(
        (item) => (type === null || item.providerType === type) && (name === null || item.name === name),
      )
      return HttpResponse.json(found.map(represent))
    }),
    route(state, 'post', `${admin}/components`, 'manage-realm', async ({request}) => {
      const body = (await request.json()) as Record<string, unknown>
      const error = invalidComponent(body)
      if (error) return HttpResponse.json({errorMessage: error}, {status: 400})
      const component = await generatedComponent(state, body)
      state.components.push(component)
      return new HttpResponse(null, {
        status: 201,
        headers: {location: `${state.baseUrl}/admin/realms/${state.realm}/components/${component.id}`},
      })
    }),
    route(state, 'get', `${admin}/components/:id`, 'view-realm', ({params}) => {
      const component = state.components.find((item) => item.id === params.id)
      return component
        ? HttpResponse.json(represent(component))
        : HttpResponse.json({error: 'Could not find component'}, {status: 404})
    }),
    route(state, 'put', `${admin}/components/:id`, 'manage-realm', async ({params, request}) => {
      const component = state.components.find((item) => item.id === params.id)
      if (!component) return HttpResponse.json({error: 'Could not find component'}, {status: 404})
      const body = (await request.json()) as {config?: Record<string, string[]>}
      // Masked secrets sent back are ignored, as Keycloak does; everything else is merged.
      for (const [member, values] of Object.entries(body.config ?? {}))
        if (values[0] !== '**********') component.config[member] = values
      return new HttpResponse(null, {status: 204})
    }),
    route(state, 'delete', `${admin}/components/:id`, 'manage-realm', ({params}) => {
      const index = state.components.findIndex((item) => item.id === params.id)
      if (index < 0) return HttpResponse.json({error: 'Could not find component'}, {status: 404})
      state.components.splice(index, 1)
      return new HttpResponse(null, {status: 204})
    }),
    route(state, 'get', admin, 'view-realm', () =>
      HttpResponse.json({
        id: state.realmId,
        realm: state.realm,
        enabled: true,
        notBefore: state.notBefore,
        accessTokenLifespan: 300,
      }),
    ),
    route(state, 'put', admin, 'manage-realm', async ({request}) => {
      const body = (await request.json()) as {notBefore?: unknown}
      if (typeof body.notBefore === 'number') state.notBefore = body.notBefore
      return new HttpResponse(null, {status: 204})
    }),
    route(state, 'post', `${admin}/push-revocation`, 'manage-realm', () =>
      HttpResponse.json({successRequests: state.adminUrls.reachable, failedRequests: state.adminUrls.unreachable}),
    ),
    route(state, 'post', `${admin}/logout-all`, 'manage-users', () => {
      state.sessions = 0
      return HttpResponse.json({successRequests: state.adminUrls.reachable, failedRequests: state.adminUrls.unreachable})
    }),
  ]
}

type Resolver = (input: {params: Record<string, string>; request: Request; url: URL}) => Response | Promise<Response>

function route(
  state: KeycloakMockState,
  method: 'get' | 'post' | 'put' | 'delete',
  path: string,
  role: string,
  resolve: Resolver,
): HttpHandler {
  return http[method](path, async ({request, params}) => {
    const recorded = await recordRequest(state, request)
    const token = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
    const expired = token !== undefined && (state.tokenExpiry[token] ?? Infinity) <= state.now()
    const roles = token === undefined || expired ? undefined : state.tokens[token]
    if (roles === undefined)
      return HttpResponse.json({error: 'HTTP 401 Unauthorized'}, {status: 401, headers: {'www-authenticate': 'Bearer'}})
    if (params.realm !== state.realm) return HttpResponse.json({error: 'Realm not found.'}, {status: 404})
    if (!roles.includes(role)) return HttpResponse.json({error: 'HTTP 403 Forbidden'}, {status: 403})
    const failure = takeFailure(state, recorded)
    if (failure) {
      const error =
        failure.status === 409 ? {errorMessage: 'Conflict detected. See logs for details'} : {error: `HTTP ${failure.status}`}
      return HttpResponse.json(error, {status: failure.status, headers: retryHeaders(failure)})
    }
    return resolve({params: params as Record<string, string>, request, url: new URL(request.url)})
  })
}

/** GET /keys: every provider's key, with status from its enabled/active config, highest priority first. */
function listKeys(state: KeycloakMockState) {
  const keys = state.components
    .filter((item) => item.providerType === KEY_PROVIDER_TYPE && item.key)
    .map((item) => {
      const status =
        item.config.enabled?.[0] === 'false' ? 'DISABLED' : item.config.active?.[0] === 'false' ? 'PASSIVE' : 'ACTIVE'
      const key = item.key as NonNullable<KeycloakMockComponent['key']>
      return {
        providerId: item.id,
        providerPriority: Number(item.config.priority?.[0] ?? 0),
        kid: key.kid,
        status,
        type: key.type,
        algorithm: key.algorithm,
        publicKey: key.publicKey,
        ...(key.certificate ? {certificate: key.certificate} : {}),
        use: 'SIG',
      }
    })
    .sort((a, b) => b.providerPriority - a.providerPriority)
  const active: Record<string, string> = {}
  for (const key of keys) if (key.status === 'ACTIVE' && !(key.algorithm in active)) active[key.algorithm] = key.kid
  return {active, keys}
}

function represent(component: KeycloakMockComponent) {
  const {key: _key, ...rest} = component
  return rest
}

const GENERATED = ['rsa-generated', 'rsa-enc-generated', 'ecdsa-generated', 'eddsa-generated']

function invalidComponent(body: Record<string, unknown>): string | undefined {
  if (body.providerType !== KEY_PROVIDER_TYPE) return 'providerType must be org.keycloak.keys.KeyProvider'
  if (typeof body.providerId !== 'string' || !GENERATED.includes(body.providerId))
    return `Unknown provider ${String(body.providerId)}`
  const config = body.config
  if (config === null || typeof config !== 'object') return 'config is required'
  for (const values of Object.values(config)) {
    if (!Array.isArray(values) || values.some((value) => typeof value !== 'string'))
      return 'config values must be lists of strings'
  }
  return undefined
}

/** The provider Keycloak creates for a POST: it generates the key itself. */
async function generatedComponent(state: KeycloakMockState, body: Record<string, unknown>): Promise<KeycloakMockComponent> {
  const config = body.config as Record<string, string[]>
  const providerId = body.providerId as string
  const id = randomUUID()
  const component: KeycloakMockComponent = {
    id,
    name: String(body.name ?? providerId),
    providerId,
    providerType: KEY_PROVIDER_TYPE,
    parentId: state.realmId,
    config: {...config},
  }
  if (providerId === 'rsa-generated' || providerId === 'rsa-enc-generated') {
    const key = await makeKey('RSA', randomUUID())
    component.key = {
      kid: key.kid,
      type: 'RSA',
      algorithm: config.algorithm?.[0] ?? 'RS256',
      publicKey: key.spki,
      certificate: certificateBody(certificateFor(key, state.realm)),
    }
  } else {
    const pair =
      providerId === 'ecdsa-generated'
        ? generateKeyPairSync('ec', {namedCurve: curveName(config.ecdsaEllipticCurveKey?.[0])})
        : generateKeyPairSync('ed25519')
    component.key = {
      kid: randomUUID(),
      type: providerId === 'ecdsa-generated' ? 'EC' : 'OKP',
      algorithm:
        providerId === 'ecdsa-generated'
          ? `ES${(config.ecdsaEllipticCurveKey?.[0] ?? 'P-256').slice(2).replace('521', '512')}`
          : 'EdDSA',
      publicKey: pair.publicKey.export({type: 'spki', format: 'der'}).toString('base64'),
    }
  }
  return component
}

function curveName(crv: string | undefined): string {
  return {'P-384': 'secp384r1', 'P-521': 'secp521r1'}[crv ?? ''] ?? 'prime256v1'
}
