// Keycloak realm keys through the Admin REST API. A key belongs to a key-provider component (its
// `providerId` in GET …/keys). Rotation adds a generated provider with a higher priority (it signs
// at once), then disables and deletes the leaked key's provider: a PASSIVE key is still published
// in the realm JWKS, so making it passive is not enough. Sessions: the realm's not-before, pushed
// to clients with an admin URL, and optionally logout-all (the documented "compromised keys" steps).
import {isJwkrError, JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {createIdpClient, firstString, requireCredential, type IdpClient} from './idp-client.js'
import {findByThumbprint, sourceKeyFromPem} from './key-material.js'
import {chooseRsaKeySize, KEY_PROVIDER_TYPE, keySizeNote, offeredRsaKeySizes} from './keycloak-key-size.js'
import type {
  ChangeResult,
  EffectRunner,
  KeySource,
  KeySourceDeps,
  PlannedCall,
  RotateRequest,
  SessionAction,
  SessionRequest,
  SessionResult,
  SourceKey,
  SourceKeyStatus,
} from './key-source.js'
import {keyRef, notFoundResult} from './rotation.js'

export const KEYCLOAK_TOKEN_HINT =
  'export KEYCLOAK_TOKEN=… (an admin access token), or KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET of a confidential client with a ' +
  'service account (token from realm KEYCLOAK_AUTH_REALM, default master), whose token jwkr renews as it expires (a ' +
  'KEYCLOAK_TOKEN cannot be renewed, and master realm tokens live 60 s by default). It needs the realm-management roles ' +
  'manage-realm, and manage-users for logout-all.'

const STATUSES: Record<string, SourceKeyStatus> = {ACTIVE: 'active', PASSIVE: 'passive', DISABLED: 'disabled'}
/** Config members of a component that hold secrets (imported private keys, keystore passwords). */
const SECRET_CONFIG = /private|secret|password/i

/** What the realm held before jwkr changed it (the ref of the `snapshot` stage). */
interface KeycloakSnapshot extends Record<string, unknown> {
  found: boolean
  kid: string | null
  componentId: string | null
  algorithm: string | null
  keyType: string | null
  /** Bits of an RSA modulus, the curve of an EC/OKP key. */
  size: number | null
  crv: string | null
  maxPriority: number
}

export function createKeycloakKeySource(
  issuer: InventoryIssuer,
  config: {baseUrl: string; realm: string},
  deps: KeySourceDeps,
): KeySource {
  const {secrets} = deps
  for (const name of ['KEYCLOAK_TOKEN', 'KEYCLOAK_CLIENT_SECRET']) secrets.add(deps.env[name])
  const now = deps.now ?? (() => new Date())
  const root = config.baseUrl.replace(/\/+$/, '')
  const realmPath = `/admin/realms/${encodeURIComponent(config.realm)}`
  const token = tokenSource(root, deps, () => api)
  const api: IdpClient = createIdpClient({
    service: 'Keycloak Admin API',
    baseUrl: root,
    auth: async () => ({authorization: `Bearer ${await token.get()}`}),
    authHint: `The credential was refused (expired token or wrong client). ${KEYCLOAK_TOKEN_HINT}`,
    forbiddenHint: `The admin lacks a role. ${KEYCLOAK_TOKEN_HINT}`,
    errorMessage: (body) => firstString(body, ['errorMessage'], ['error_description'], ['error']),
    secrets,
    fetch: deps.fetch,
    http: deps.http,
  })
  const client = retryWithNewToken(api, token)
  const admin = `${root}${realmPath}`
  const where = `Keycloak realm ${config.realm}`

  async function listKeys(signal?: AbortSignal): Promise<SourceKey[]> {
    const {body} = await client.request('GET', `${realmPath}/keys`, {signal})
    const keys = (body as {keys?: unknown} | null)?.keys
    if (!Array.isArray(keys)) {
      throw new JwkrError('ERR_IDP_BAD_RESPONSE', `GET ${realmPath}/keys did not answer with the realm's keys.`, {
        hint: 'Check the inventory: keycloak {baseUrl} is the server root (with /auth on Keycloak before 17).',
      })
    }
    const listed: SourceKey[] = []
    for (const item of keys as Array<Record<string, unknown>>) {
      // Symmetric keys (HMAC, AES) are listed without material: they have no public thumbprint.
      const material =
        typeof item.publicKey === 'string' ? item.publicKey : typeof item.certificate === 'string' ? item.certificate : null
      if (material === null) continue
      const facts = {
        kid: typeof item.kid === 'string' ? item.kid : null,
        status: STATUSES[String(item.status)] ?? 'unknown',
        alg: typeof item.algorithm === 'string' ? item.algorithm : null,
        use: typeof item.use === 'string' ? item.use.toLowerCase() : null,
        ref: {
          componentId: item.providerId ?? null,
          priority: typeof item.providerPriority === 'number' ? item.providerPriority : null,
          algorithm: item.algorithm ?? null,
          type: item.type ?? null,
        },
      }
      listed.push(await sourceKeyFromPem(material, typeof item.publicKey === 'string' ? 'public-key' : 'certificate', facts))
    }
    return listed
  }

  async function snapshotStage(request: RotateRequest, run: EffectRunner, signal?: AbortSignal): Promise<KeycloakSnapshot> {
    const read = async (): Promise<KeycloakSnapshot> => {
      const keys = await listKeys(signal)
      const leaked = findByThumbprint(keys, request.leaked.thumbprint)
      const jwk = (leaked?.publicJwk ?? {}) as Record<string, unknown>
      return {
        found: leaked !== undefined,
        kid: leaked?.kid ?? null,
        componentId: typeof leaked?.ref?.componentId === 'string' ? leaked.ref.componentId : null,
        algorithm: typeof leaked?.ref?.algorithm === 'string' ? leaked.ref.algorithm : null,
        keyType: typeof jwk.kty === 'string' ? jwk.kty : null,
        size: typeof jwk.n === 'string' ? Buffer.from(jwk.n, 'base64url').length * 8 : null,
        crv: typeof jwk.crv === 'string' ? jwk.crv : null,
        maxPriority: Math.max(0, ...keys.map((key) => (typeof key.ref?.priority === 'number' ? key.ref.priority : 0))),
      }
    }
    return run('snapshot', `Record the keys of ${where} before changing them`, read, read)
  }

  /**
   * Adds a generated provider of the leaked key's kind, with a priority above every listed key. An
   * RSA key gets a size Keycloak accepts (keycloak-key-size.ts); the note says when it differs.
   */
  async function addStage(
    request: RotateRequest,
    snapshot: KeycloakSnapshot,
    run: EffectRunner,
    signal?: AbortSignal,
  ): Promise<{componentId: string; note: string | null}> {
    const name = componentName(request)
    const find = async () => {
      const {body} = await client.request('GET', `${realmPath}/components`, {query: {type: KEY_PROVIDER_TYPE, name}, signal})
      const found = Array.isArray(body) ? (body as Array<Record<string, unknown>>).find((item) => item.name === name) : undefined
      if (typeof found?.id !== 'string') return undefined
      const keySize = Number(firstValue((found.config as Record<string, unknown> | undefined)?.keySize)) || null
      return {componentId: found.id, keySize, keySizeNote: keySize === null ? null : keySizeNote(snapshot.size, keySize)}
    }
    const ref = await run(
      'add-provider',
      `POST ${admin}/components (${name})`,
      async () => {
        const providerId = providerIdFor(snapshot)
        const size =
          snapshot.keyType === 'RSA'
            ? chooseRsaKeySize(snapshot.size, await offeredRsaKeySizes(client, providerId, signal))
            : null
        const json = providerFor(name, snapshot, providerId, size?.bits)
        const response = await client.request('POST', `${realmPath}/components`, {json, signal})
        const id = response.headers.get('location')?.split('/').pop()
        const found = id ? {componentId: id} : await find()
        if (!found)
          throw new JwkrError('ERR_IDP_BAD_RESPONSE', `Keycloak created the key provider "${name}" but did not say where.`, {
            hint: 'Check the realm keys in the admin console.',
          })
        return {componentId: found.componentId, keySize: size?.bits ?? null, keySizeNote: size?.note ?? null}
      },
      find,
    )
    return {componentId: String(ref.componentId), note: typeof ref.keySizeNote === 'string' ? ref.keySizeNote : null}
  }

  /** Disables, then deletes, the leaked key's provider. A component already gone counts as done. */
  async function removeStages(componentId: string, run: EffectRunner, stages: string[], signal?: AbortSignal): Promise<void> {
    const componentPath = `${realmPath}/components/${encodeURIComponent(componentId)}`
    const read = async () => {
      const response = await client.request('GET', componentPath, {signal, accept: [404]})
      if (response.status === 404) return null
      const component = response.body as {config?: Record<string, unknown>}
      for (const [member, values] of Object.entries(component.config ?? {})) {
        if (SECRET_CONFIG.test(member) && Array.isArray(values)) for (const value of values) secrets.add(String(value))
      }
      return component
    }
    await run(
      'disable-leaked',
      `PUT ${admin}/components/${componentId} (enabled: false)`,
      async () => {
        const component = await read()
        if (component === null) return {componentId, gone: true}
        const disabled = {...component, config: {...component.config, enabled: ['false'], active: ['false']}}
        await client.request('PUT', componentPath, {json: disabled, signal})
        return {componentId}
      },
      async () => {
        const component = await read()
        return component === null || firstValue(component.config?.enabled) === 'false' ? {componentId} : undefined
      },
    )
    stages.push('disable-leaked')
    await run(
      'delete-leaked',
      `DELETE ${admin}/components/${componentId}`,
      async () => {
        await client.request('DELETE', componentPath, {signal, accept: [404]})
        return {componentId}
      },
      async () => ((await read()) === null ? {componentId} : undefined),
    )
    stages.push('delete-leaked')
  }

  function result(
    request: RotateRequest,
    snapshot: KeycloakSnapshot,
    keys: SourceKey[],
    added: SourceKey | undefined,
    stages: string[],
    warnings: string[],
  ): ChangeResult {
    const leakedStillListed = findByThumbprint(keys, request.leaked.thumbprint) !== undefined
    if (leakedStillListed)
      warnings.push(
        `The leaked key is still listed in ${where} after its provider was removed: check the realm's key providers by hand.`,
      )
    return {
      issuerId: issuer.id,
      source: 'keycloak',
      outcome: 'changed',
      added: added ? [keyRef(added)] : [],
      removed: [{kid: snapshot.kid, thumbprint: request.leaked.thumbprint}],
      signingSwitched: added ? added.status === 'active' : null,
      leakedStillListed,
      stages,
      warnings,
    }
  }

  /** Other keys served by the leaked key's provider go with it: say which. */
  function sharedProviderWarnings(keys: SourceKey[], snapshot: KeycloakSnapshot, thumbprint: string): string[] {
    const others = keys.filter((key) => key.ref?.componentId === snapshot.componentId && key.thumbprint !== thumbprint)
    return others.length === 0
      ? []
      : [`The leaked key's provider also served ${others.map((key) => `kid ${key.kid ?? '?'}`).join(', ')}: removed with it.`]
  }

  const listCall: PlannedCall = {
    kind: 'http',
    target: `GET ${admin}/keys`,
    description: "List the realm's keys; find the leaked key's provider component by thumbprint.",
  }
  const removeCalls = (request: RotateRequest): PlannedCall[] => [
    {
      kind: 'http',
      target: `PUT ${admin}/components/{leaked provider id}`,
      description: `Disable the provider of the leaked key (thumbprint ${request.leaked.thumbprint}).`,
    },
    {
      kind: 'http',
      target: `DELETE ${admin}/components/{leaked provider id}`,
      description:
        'Delete it: a passive or disabled provider would keep the key in the database, and a passive key stays in the JWKS.',
    },
  ]

  const source: KeySource = {
    type: 'keycloak',
    capabilities: {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: true},
    listKeys,
    planRotate: (request) => [
      listCall,
      {
        kind: 'http',
        target: `GET ${root}/admin/serverinfo`,
        description:
          'For an RSA key: read the key sizes the generated provider accepts, and keep the leaked size if it is one (else the nearest of 2048 bits or more).',
      },
      {
        kind: 'http',
        target: `POST ${admin}/components`,
        description: `Add a generated key provider "${componentName(request)}" of the leaked key's type with a higher priority: it signs from now on.`,
      },
      ...removeCalls(request),
    ],
    async rotate(request, run, signal) {
      const stages = ['snapshot']
      const snapshot = await snapshotStage(request, run, signal)
      if (!snapshot.found || snapshot.componentId === null)
        return notFoundResult(issuer.id, 'keycloak', request.leaked.thumbprint, where, stages)
      const before = await listKeys(signal)
      const {componentId, note} = await addStage(request, snapshot, run, signal)
      stages.push('add-provider')
      await removeStages(snapshot.componentId, run, stages, signal)
      const keys = await listKeys(signal)
      const added = keys.find((key) => key.ref?.componentId === componentId)
      const warnings = [...(note ? [note] : []), ...sharedProviderWarnings(before, snapshot, request.leaked.thumbprint)]
      if (!added)
        warnings.push(`The new provider (component ${componentId}) lists no key yet: check the realm keys before relying on it.`)
      return result(request, snapshot, keys, added, stages, warnings)
    },
    planRevoke: (request) => [listCall, ...removeCalls(request)],
    async revoke(request, run, signal) {
      const stages = ['snapshot']
      const snapshot = await snapshotStage(request, run, signal)
      if (!snapshot.found || snapshot.componentId === null)
        return notFoundResult(issuer.id, 'keycloak', request.leaked.thumbprint, where, stages)
      const before = await listKeys(signal)
      await removeStages(snapshot.componentId, run, stages, signal)
      const keys = await listKeys(signal)
      const warnings = sharedProviderWarnings(before, snapshot, request.leaked.thumbprint)
      const signer = keys.find((key) => key.status === 'active' && key.ref?.algorithm === snapshot.algorithm)
      if (!signer) {
        warnings.push(
          `No other active ${snapshot.algorithm ?? ''} key is left in ${where}: Keycloak will sign with a fallback key it generates. Add a provider (jwkr key rotate does).`,
        )
      }
      return {...result(request, snapshot, keys, undefined, stages, warnings), signingSwitched: signer !== undefined || null}
    },
    planRevokeSessions: (request) => [
      {
        kind: 'http',
        target: `PUT ${admin}`,
        description: `Set the realm's not-before to ${(request.notBefore ?? now()).toISOString()}: refresh tokens, offline tokens and SSO sessions issued before are refused.`,
      },
      {
        kind: 'http',
        target: `POST ${admin}/push-revocation`,
        description: 'Push the not-before to every client with an admin URL.',
      },
      ...(request.logoutAll
        ? [{kind: 'http' as const, target: `POST ${admin}/logout-all`, description: 'End every user session of the realm.'}]
        : []),
    ],
    async revokeSessions(request, run, signal) {
      return revokeRealmSessions(request, run, signal)
    },
  }

  async function revokeRealmSessions(request: SessionRequest, run: EffectRunner, signal?: AbortSignal): Promise<SessionResult> {
    const notBefore = Math.floor((request.notBefore ?? now()).getTime() / 1000)
    const actions: SessionAction[] = []
    const warnings: string[] = []
    await run(
      'not-before',
      `PUT ${admin} (notBefore ${notBefore})`,
      async () => {
        await client.request('PUT', realmPath, {json: {notBefore}, signal})
        return {notBefore}
      },
      async () => {
        const {body} = await client.request('GET', realmPath, {signal})
        const current = (body as {notBefore?: unknown} | null)?.notBefore
        return typeof current === 'number' && current >= notBefore ? {notBefore: current} : undefined
      },
    )
    actions.push({
      action: 'not-before',
      ok: true,
      detail: `Tokens issued before ${new Date(notBefore * 1000).toISOString()} are refused by Keycloak.`,
    })
    // Pushing the same not-before again changes nothing, so an interrupted push is simply sent again.
    const pushed = await run(
      'push-revocation',
      `POST ${admin}/push-revocation`,
      () => globalRequest('push-revocation', signal),
      async () => undefined,
    )
    actions.push(describePush('push-revocation', pushed, warnings))
    if (request.logoutAll) {
      const loggedOut = await run(
        'logout-all',
        `POST ${admin}/logout-all`,
        () => globalRequest('logout-all', signal),
        async () => undefined,
      )
      actions.push(describePush('logout-all', loggedOut, warnings))
    }
    warnings.push(
      'Relying parties that verify access tokens locally never hear of the not-before: they accept them until they expire (deny them: jwkr tokens invalidate).',
    )
    return {issuerId: issuer.id, source: 'keycloak', actions, warnings}
  }

  async function globalRequest(
    action: string,
    signal?: AbortSignal,
  ): Promise<{successRequests: string[]; failedRequests: string[]}> {
    const {body} = await client.request('POST', `${realmPath}/${action}`, {signal})
    const record = (body ?? {}) as Record<string, unknown>
    const urls = (value: unknown) =>
      Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
    return {successRequests: urls(record.successRequests), failedRequests: urls(record.failedRequests)}
  }

  return source
}

function describePush(action: string, result: Record<string, unknown>, warnings: string[]): SessionAction {
  const success = Array.isArray(result.successRequests) ? (result.successRequests as string[]) : []
  const failed = Array.isArray(result.failedRequests) ? (result.failedRequests as string[]) : []
  if (failed.length > 0)
    warnings.push(
      `${action}: Keycloak could not reach ${failed.join(', ')}; those clients keep their sessions until they expire.`,
    )
  if (success.length === 0 && failed.length === 0) warnings.push(`${action}: no client has an admin URL, so no client was told.`)
  return {action, ok: failed.length === 0, detail: `${success.length} client(s) told, ${failed.length} unreachable.`}
}

/** One name per incident and issuer: found again on resume instead of adding a second provider. */
function componentName(request: {incidentId: string; issuerId: string}): string {
  return `jwkr-${request.incidentId}-${request.issuerId}`
}

/** The generated provider that makes a key of the leaked key's kind. */
function providerIdFor(snapshot: KeycloakSnapshot): string {
  const algorithm = snapshot.algorithm ?? ''
  if (snapshot.keyType === 'RSA') return algorithm.startsWith('RSA-OAEP') ? 'rsa-enc-generated' : 'rsa-generated'
  if (snapshot.keyType === 'EC' && algorithm.startsWith('ES')) return 'ecdsa-generated'
  if (snapshot.keyType === 'OKP' && algorithm === 'EdDSA') return 'eddsa-generated'
  throw new JwkrError(
    'ERR_IDP_UNSUPPORTED',
    `jwkr cannot generate a Keycloak replacement for a ${snapshot.keyType ?? 'unknown'} ${algorithm} key.`,
    {
      hint: 'Add a key provider of that kind in the admin console, then run jwkr key revoke for this issuer.',
    },
  )
}

/** The component to POST (Keycloak's config values are lists of strings); `keySize` for RSA providers. */
function providerFor(
  name: string,
  snapshot: KeycloakSnapshot,
  providerId: string,
  keySize: number | undefined,
): Record<string, unknown> {
  const algorithm = snapshot.algorithm ?? ''
  const specific: Record<string, string[]> =
    providerId === 'ecdsa-generated'
      ? {ecdsaEllipticCurveKey: [snapshot.crv ?? 'P-256']}
      : providerId === 'eddsa-generated'
        ? {eddsaEllipticCurveKey: [snapshot.crv ?? 'Ed25519']}
        : {keySize: [String(keySize ?? 2048)], algorithm: [algorithm || 'RS256']}
  return {
    name,
    providerId,
    providerType: KEY_PROVIDER_TYPE,
    config: {priority: [String(snapshot.maxPriority + 100)], enabled: ['true'], active: ['true'], ...specific},
  }
}

function firstValue(value: unknown): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined
}

/** Refresh a fetched token this long before Keycloak says it expires (at most half its life). */
const TOKEN_REFRESH_MARGIN_MS = 30_000

interface AdminToken {
  /** The bearer token to send. */
  get(): Promise<string>
  /** Forgets the token Keycloak refused; false when no other can be had (KEYCLOAK_TOKEN, or the grant itself failed). */
  renew(): boolean
}

/**
 * The admin bearer token: KEYCLOAK_TOKEN as given, or one fetched with the client-credentials grant
 * of KEYCLOAK_CLIENT_ID / KEYCLOAK_CLIENT_SECRET and fetched again before its `expires_in` runs out
 * (the master realm's access tokens live 60 s by default; a guided run lasts longer).
 */
function tokenSource(root: string, deps: KeySourceDeps, client: () => IdpClient): AdminToken {
  const {env, secrets} = deps
  const now = () => (deps.now ?? (() => new Date()))().getTime()
  const fixed = Boolean(env.KEYCLOAK_TOKEN?.trim() || !env.KEYCLOAK_CLIENT_ID?.trim())
  let cached: {value: string; refreshAt: number} | undefined
  return {
    async get() {
      if (cached && now() < cached.refreshAt) return cached.value
      if (fixed) {
        const value = requireCredential(env, 'KEYCLOAK_TOKEN', `the Keycloak Admin API at ${root}`, secrets)
        cached = {value, refreshAt: Infinity}
        return value
      }
      const fetchedAt = now()
      const {value, lifetimeMs} = await fetchToken(root, deps, client())
      cached = {value, refreshAt: fetchedAt + lifetimeMs - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2)}
      return value
    },
    renew() {
      // Nothing cached: the refusal came from the token endpoint itself, and asking again will not help.
      if (fixed || cached === undefined) return false
      cached = undefined
      return true
    },
  }
}

/** One client-credentials grant: the token (registered as a secret) and how long Keycloak says it lives. */
async function fetchToken(root: string, deps: KeySourceDeps, client: IdpClient): Promise<{value: string; lifetimeMs: number}> {
  const {env, secrets} = deps
  const clientId = env.KEYCLOAK_CLIENT_ID?.trim() ?? ''
  const clientSecret = requireCredential(env, 'KEYCLOAK_CLIENT_SECRET', `the Keycloak client ${clientId}`, secrets)
  const realm = env.KEYCLOAK_AUTH_REALM?.trim() || 'master'
  const form = new URLSearchParams({grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret})
  const {body} = await client.request('POST', `/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`, {
    body: form.toString(),
    contentType: 'application/x-www-form-urlencoded',
    anonymous: true,
  })
  const {access_token: token, expires_in: expiresIn} = (body ?? {}) as {access_token?: unknown; expires_in?: unknown}
  if (typeof token !== 'string' || token === '') {
    throw new JwkrError('ERR_IDP_BAD_RESPONSE', `Keycloak's token endpoint (realm ${realm}) answered without an access_token.`, {
      hint: KEYCLOAK_TOKEN_HINT,
    })
  }
  secrets.add(token)
  // Without expires_in (RFC 6749 makes it optional), assume the master realm's default of 60 s.
  const seconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn >= 0 ? expiresIn : 60
  return {value: token, lifetimeMs: seconds * 1000}
}

/**
 * The admin client, sending a request once more with a new token when Keycloak answers 401 (the
 * token expired or was revoked early). A 401 means nothing was applied, so writes are safe to resend.
 */
function retryWithNewToken(api: IdpClient, token: AdminToken): IdpClient {
  return {
    baseUrl: api.baseUrl,
    async request(method, path, options) {
      try {
        return await api.request(method, path, options)
      } catch (error) {
        if (!isJwkrError(error) || error.code !== 'ERR_IDP_AUTH' || options?.anonymous || !token.renew()) throw error
        return api.request(method, path, options)
      }
    },
  }
}
