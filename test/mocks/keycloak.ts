// msw double of the Keycloak Admin REST API parts that manage realm keys and revocation, as the
// server implements them: bearer tokens with realm-management roles (or a client-credentials token
// from /realms/{realm}/protocol/openid-connect/token), GET /keys ({active, keys: [{providerId,
// providerPriority, kid, status, type, algorithm, publicKey, certificate}]} with base64 DER bodies),
// key-provider components (GET with type/name filters, POST → 201 + Location, PUT, DELETE), the
// realm's notBefore (GET/PUT), push-revocation and logout-all (GlobalRequestResult), and Keycloak's
// error bodies. GET /admin/serverinfo lists the key providers' config properties, with the "Key size"
// options POST /components checks keySize against (400 "'Key size' should be 1024, 2048 or 4096",
// as Keycloak's ConfigurationValidationHelper answers); generated RSA keys have the size asked for.
// Client-credentials tokens expire after `tokenLifespan` seconds (expires_in), after
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
  /** The "Key size" options of the RSA providers (Keycloak < 25: 1024/2048/4096; built at run time since). */
  rsaKeySizes: string[]
  /** What GET /admin/serverinfo answers: the metadata, or 403 / 404 as an older or locked-down server does. */
  serverInfo: 'listed' | 403 | 404
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
    rsaKeySizes: ['1024', '2048', '4096'],
    serverInfo: 'listed',
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
    http.get(`${state.baseUrl}/admin/serverinfo`, async ({request}) => {
      await recordRequest(state, request)
      if (rolesOf(state, request) === undefined) return unauthorized()
      if (state.serverInfo !== 'listed') {
        return HttpResponse.json(
          {error: state.serverInfo === 403 ? 'HTTP 403 Forbidden' : 'HTTP 404 Not Found'},
          {status: state.serverInfo},
        )
      }
      return HttpResponse.json({componentTypes: {[KEY_PROVIDER_TYPE]: keyProviderTypes(state)}})
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
      const error = invalidComponent(state, body)
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
    const roles = rolesOf(state, request)
    if (roles === undefined) return unauthorized()
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

/** The realm-management roles of the request's bearer token; undefined for none, an unknown or an expired one. */
function rolesOf(state: KeycloakMockState, request: Request): string[] | undefined {
  const token = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
  if (token === undefined || (state.tokenExpiry[token] ?? Infinity) <= state.now()) return undefined
  return state.tokens[token]
}

function unauthorized(): Response {
  return HttpResponse.json({error: 'HTTP 401 Unauthorized'}, {status: 401, headers: {'www-authenticate': 'Bearer'}})
}

/** ConfigPropertyRepresentation, as the server info lists a provider's settings. */
function property(name: string, label: string, type: string, defaultValue: string, options?: string[]) {
  return {
    name,
    label,
    helpText: `${label} of the generated keys`,
    type,
    defaultValue,
    ...(options ? {options} : {}),
    secret: false,
    required: false,
    readOnly: false,
  }
}

/** componentTypes["org.keycloak.keys.KeyProvider"] of GET /admin/serverinfo (the generated providers jwkr uses). */
function keyProviderTypes(state: KeycloakMockState) {
  const common = [
    property('priority', 'Priority', 'String', '0'),
    property('enabled', 'Enabled', 'boolean', 'true'),
    property('active', 'Active', 'boolean', 'true'),
  ]
  const rsa = (id: string, algorithms: string[]) => ({
    id,
    helpText: 'Generates RSA keys and creates a self-signed certificate',
    properties: [
      ...common,
      property('keySize', 'Key size', 'List', '2048', state.rsaKeySizes),
      property('algorithm', 'Algorithm', 'List', algorithms[0] ?? '', algorithms),
    ],
    metadata: {},
  })
  return [
    rsa('rsa-generated', ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']),
    rsa('rsa-enc-generated', ['RSA-OAEP', 'RSA1_5', 'RSA-OAEP-256']),
    {
      id: 'ecdsa-generated',
      helpText: 'Generates ECDSA keys',
      properties: [...common, property('ecdsaEllipticCurveKey', 'Elliptic Curve', 'List', 'P-256', ['P-256', 'P-384', 'P-521'])],
      metadata: {},
    },
    {
      id: 'eddsa-generated',
      helpText: 'Generates EdDSA keys',
      properties: [...common, property('eddsaEllipticCurveKey', 'Elliptic Curve', 'List', 'Ed25519', ['Ed25519', 'Ed448'])],
      metadata: {},
    },
  ]
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

function invalidComponent(state: KeycloakMockState, body: Record<string, unknown>): string | undefined {
  if (body.providerType !== KEY_PROVIDER_TYPE) return 'providerType must be org.keycloak.keys.KeyProvider'
  if (typeof body.providerId !== 'string' || !GENERATED.includes(body.providerId))
    return `Unknown provider ${String(body.providerId)}`
  const config = body.config
  if (config === null || typeof config !== 'object') return 'config is required'
  for (const values of Object.values(config)) {
    if (!Array.isArray(values) || values.some((value) => typeof value !== 'string'))
      return 'config values must be lists of strings'
  }
  const keySize = (config as Record<string, string[]>).keySize?.[0]
  const rsa = body.providerId === 'rsa-generated' || body.providerId === 'rsa-enc-generated'
  if (rsa && keySize !== undefined && !state.rsaKeySizes.includes(keySize)) {
    return `'Key size' should be ${state.rsaKeySizes.slice(0, -1).join(', ')} or ${state.rsaKeySizes.at(-1)}`
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
    const key = await makeKey('RSA', randomUUID(), {modulusLength: Number(config.keySize?.[0] ?? 2048)})
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
