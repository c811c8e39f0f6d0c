// Keycloak realm keys through the Admin REST API. A key belongs to a key-provider component (its
// `providerId` in GET …/keys). Rotation adds a generated provider with a higher priority (it signs
// at once), then disables and deletes the leaked key's provider: a PASSIVE key is still published
// in the realm JWKS, so making it passive is not enough. Sessions: the realm's not-before, pushed
// to clients with an admin URL, and optionally logout-all (keycloak-sessions.ts). The admin client and its
// token live in keycloak-realm.ts and keycloak-token.ts.
import {JwkrError} from '../../core/errors.js'
import type {InventoryIssuer} from '../../core/inventory/types.js'
import {findByThumbprint, sourceKeyFromPem} from './key-material.js'
import {chooseRsaKeySize, KEY_PROVIDER_TYPE, keySizeNote, offeredRsaKeySizes} from './keycloak-key-size.js'
import type {
  ChangeResult,
  EffectRunner,
  IssuerKeyStore,
  IssuerKeyStoreDeps,
  PlannedCall,
  RotateRequest,
  SourceKey,
  SourceKeyStatus,
} from './issuer-key-store.js'
import {connectKeycloakRealm, type KeycloakRealm} from './keycloak-realm.js'
import {planRealmSessions, revokeRealmSessions} from './keycloak-sessions.js'
import {keyRef, notFoundResult} from './rotation.js'

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

export function createKeycloakKeyStore(
  issuer: InventoryIssuer,
  config: {baseUrl: string; realm: string},
  deps: IssuerKeyStoreDeps,
): IssuerKeyStore {
  const realm = connectKeycloakRealm(issuer, config, deps)
  return {
    type: 'keycloak',
    capabilities: {takesGeneratedKey: false, switchesSigning: true, removesKey: true, revokesSessions: true},
    listKeys: (signal) => listKeys(realm, signal),
    planRotate: (request) => [
      listCall(realm),
      {
        kind: 'http',
        target: `GET ${realm.root}/admin/serverinfo`,
        description:
          'For an RSA key: read the key sizes the generated provider accepts, and keep the leaked size if it is one (else the nearest of 2048 bits or more).',
      },
      {
        kind: 'http',
        target: `POST ${realm.admin}/components`,
        description: `Add a generated key provider "${componentName(request)}" of the leaked key's type with a higher priority: it signs from now on.`,
      },
      ...removeCalls(realm, request),
    ],
    rotate: (request, run, signal) => rotate(realm, request, run, signal),
    planRevoke: (request) => [listCall(realm), ...removeCalls(realm, request)],
    revoke: (request, run, signal) => revoke(realm, request, run, signal),
    planRevokeSessions: (request) => planRealmSessions(realm, request),
    revokeSessions: (request, run, signal) => revokeRealmSessions(realm, request, run, signal),
  }
}

/** The leaked key's provider, found by the snapshot stage, with the keys listed before any change. */
interface LeakedProvider {
  stages: string[]
  snapshot: KeycloakSnapshot & {componentId: string}
  before: SourceKey[]
}

async function findLeakedProvider(
  realm: KeycloakRealm,
  request: RotateRequest,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<LeakedProvider | ChangeResult> {
  const stages = ['snapshot']
  const snapshot = await snapshotStage(realm, request, run, signal)
  if (!snapshot.found || snapshot.componentId === null)
    return notFoundResult(realm.issuerId, 'keycloak', request.leaked.thumbprint, realm.where, stages)
  return {stages, snapshot: {...snapshot, componentId: snapshot.componentId}, before: await listKeys(realm, signal)}
}

async function rotate(realm: KeycloakRealm, request: RotateRequest, run: EffectRunner, signal?: AbortSignal) {
  const leaked = await findLeakedProvider(realm, request, run, signal)
  if (!('snapshot' in leaked)) return leaked
  const {stages, snapshot, before} = leaked
  const {componentId, note} = await addStage(realm, request, snapshot, run, signal)
  stages.push('add-provider')
  await removeStages(realm, snapshot.componentId, run, stages, signal)
  const keys = await listKeys(realm, signal)
  const added = keys.find((key) => key.ref?.componentId === componentId)
  const warnings = [...(note ? [note] : []), ...sharedProviderWarnings(before, snapshot, request.leaked.thumbprint)]
  if (!added)
    warnings.push(`The new provider (component ${componentId}) lists no key yet: check the realm keys before relying on it.`)
  return result(realm, request, snapshot, keys, added, stages, warnings)
}

async function revoke(realm: KeycloakRealm, request: RotateRequest, run: EffectRunner, signal?: AbortSignal) {
  const leaked = await findLeakedProvider(realm, request, run, signal)
  if (!('snapshot' in leaked)) return leaked
  const {stages, snapshot, before} = leaked
  await removeStages(realm, snapshot.componentId, run, stages, signal)
  const keys = await listKeys(realm, signal)
  const warnings = sharedProviderWarnings(before, snapshot, request.leaked.thumbprint)
  const signer = keys.find((key) => key.status === 'active' && key.ref?.algorithm === snapshot.algorithm)
  if (!signer) {
    warnings.push(
      `No other active ${snapshot.algorithm ?? ''} key is left in ${realm.where}: Keycloak will sign with a fallback key it generates. Add a provider (jwkr key rotate does).`,
    )
  }
  return {...result(realm, request, snapshot, keys, undefined, stages, warnings), signingSwitched: signer !== undefined || null}
}

async function listKeys(realm: KeycloakRealm, signal?: AbortSignal): Promise<SourceKey[]> {
  const {client, realmPath} = realm
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

async function snapshotStage(
  realm: KeycloakRealm,
  request: RotateRequest,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<KeycloakSnapshot> {
  const read = async (): Promise<KeycloakSnapshot> => {
    const keys = await listKeys(realm, signal)
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
  return run('snapshot', `Record the keys of ${realm.where} before changing them`, read, read)
}

/**
 * Adds a generated provider of the leaked key's kind, with a priority above every listed key. An
 * RSA key gets a size Keycloak accepts (keycloak-key-size.ts); the note says when it differs.
 */
async function addStage(
  realm: KeycloakRealm,
  request: RotateRequest,
  snapshot: KeycloakSnapshot,
  run: EffectRunner,
  signal?: AbortSignal,
): Promise<{componentId: string; note: string | null}> {
  const {client, realmPath, admin} = realm
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
        snapshot.keyType === 'RSA' ? chooseRsaKeySize(snapshot.size, await offeredRsaKeySizes(client, providerId, signal)) : null
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
async function removeStages(
  realm: KeycloakRealm,
  componentId: string,
  run: EffectRunner,
  stages: string[],
  signal?: AbortSignal,
): Promise<void> {
  const {client, realmPath, admin, secrets} = realm
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
  realm: KeycloakRealm,
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
      `The leaked key is still listed in ${realm.where} after its provider was removed: check the realm's key providers by hand.`,
    )
  return {
    issuerId: realm.issuerId,
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

const listCall = (realm: KeycloakRealm): PlannedCall => ({
  kind: 'http',
  target: `GET ${realm.admin}/keys`,
  description: "List the realm's keys; find the leaked key's provider component by thumbprint.",
})
const removeCalls = (realm: KeycloakRealm, request: RotateRequest): PlannedCall[] => [
  {
    kind: 'http',
    target: `PUT ${realm.admin}/components/{leaked provider id}`,
    description: `Disable the provider of the leaked key (thumbprint ${request.leaked.thumbprint}).`,
  },
  {
    kind: 'http',
    target: `DELETE ${realm.admin}/components/{leaked provider id}`,
    description:
      'Delete it: a passive or disabled provider would keep the key in the database, and a passive key stays in the JWKS.',
  },
]

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
