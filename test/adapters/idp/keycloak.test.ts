// The Keycloak key source against the Admin REST API double: the leaked key's provider found by
// thumbprint, a generated provider added above it, the leaked provider disabled and deleted, the
// realm's not-before pushed, and a resumed run that never adds a second provider.
import {beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import {chooseRsaKeySize} from '../../../src/adapters/idp/keycloak-key-size.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {
  createKeycloakState,
  KEYCLOAK_ADMIN_ROLES,
  keycloakComponent,
  keycloakHandlers,
  type KeycloakMockState,
} from '../../mocks/keycloak.js'
import {makeKey, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {requestLines} from './helpers/mock-kit.js'
import {errorTexts, expectNoNeedles, failureOf, requestTexts} from './helpers/secrecy.js'

const TOKEN = 'kc-admin-token-77e1c0ffee'
const issuer: InventoryIssuer = {
  id: 'sso',
  issuer: 'https://sso.example.com/realms/acme',
  keySource: {type: 'keycloak', baseUrl: 'https://sso.example.com', realm: 'acme'},
}
const KEYS = 'GET /admin/realms/acme/keys'

let leaked: TestKey
let state: KeycloakMockState
let sleeps: number[]

function source(
  env: Record<string, string | undefined> = {KEYCLOAK_TOKEN: TOKEN},
  secrets = new SecretRegistry(),
): IssuerKeyStore {
  return createIssuerKeyStore(issuer, {
    env,
    secrets,
    now: () => new Date('2025-03-01T12:00:00Z'),
    http: {sleep: async (ms) => void sleeps.push(ms)},
  })
}

function request(kid: string | null = leaked.kid): RotateRequest {
  return {
    issuerId: issuer.id,
    incidentId: 'inc-7',
    leaked: {thumbprint: leaked.thumbprint, kid},
    reason: 'realm key exported to a ticket',
  }
}

function leakedComponentId(): string {
  return state.components.find((item) => item.key?.kid === leaked.kid)?.id ?? 'missing'
}

beforeEach(async () => {
  leaked ??= await makeKey('RSA', 'kc-leaked-kid')
  sleeps = []
  state = createKeycloakState({tokens: {[TOKEN]: KEYCLOAK_ADMIN_ROLES, 'kc-viewer-token': ['view-realm']}})
  state.components.push(
    keycloakComponent(state, leaked, {withCertificate: true}),
    keycloakComponent(state, await makeKey('EC'), {providerId: 'ecdsa-generated', priority: 50}),
  )
  server.use(...keycloakHandlers(state))
})

describe('listing Keycloak realm keys', () => {
  it('reads publicKey bodies and matches keys by thumbprint, with their provider component', async () => {
    const keys = await source().listKeys()
    const found = keys.find((key) => key.thumbprint === leaked.thumbprint)
    expect(found).toMatchObject({
      kid: 'kc-leaked-kid',
      status: 'active',
      ref: {componentId: leakedComponentId(), priority: 100, algorithm: 'RS256'},
    })
    expect(keys).toHaveLength(2)
    expect(state.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('works under a legacy /auth context path', async () => {
    // Given a Keycloak before 17, served under /auth
    const legacy = createKeycloakState({baseUrl: 'https://old-sso.example.com/auth', tokens: {[TOKEN]: KEYCLOAK_ADMIN_ROLES}})
    legacy.components.push(keycloakComponent(legacy, leaked))
    server.use(...keycloakHandlers(legacy))
    const old = createIssuerKeyStore(
      {...issuer, keySource: {type: 'keycloak', baseUrl: 'https://old-sso.example.com/auth/', realm: 'acme'}},
      {env: {KEYCLOAK_TOKEN: TOKEN}, secrets: new SecretRegistry()},
    )
    // When its keys are listed
    const keys = await old.listKeys()
    // Then the admin API was found below the context path
    expect(keys.map((key) => key.thumbprint)).toEqual([leaked.thumbprint])
    expect(legacy.requests.map((item) => item.url)).toEqual(['https://old-sso.example.com/auth/admin/realms/acme/keys'])
  })
})

describe('rotating a leaked Keycloak key', () => {
  it('adds a generated provider above it, then disables and deletes the leaked provider', async () => {
    // Given the realm signs with the leaked key
    const leakedId = leakedComponentId()
    // When it is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then the calls came in the documented order
    expect(requestLines(state)).toEqual([
      KEYS,
      KEYS,
      'GET /admin/serverinfo',
      'POST /admin/realms/acme/components',
      `GET /admin/realms/acme/components/${leakedId}`,
      `PUT /admin/realms/acme/components/${leakedId}`,
      `DELETE /admin/realms/acme/components/${leakedId}`,
      KEYS,
    ])
    // And the new provider is an rsa-generated one of higher priority, created as Keycloak expects
    const created = JSON.parse(state.requests[3]?.body ?? '{}')
    expect(created).toEqual({
      name: 'jwkr-inc-7-sso',
      providerId: 'rsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      config: {priority: ['200'], enabled: ['true'], active: ['true'], keySize: ['2048'], algorithm: ['RS256']},
    })
    expect(JSON.parse(state.requests[5]?.body ?? '{}').config).toMatchObject({enabled: ['false'], active: ['false']})
    // And the leaked key is gone from the realm, the new one signs
    const keys = await source().listKeys()
    expect(keys.find((key) => key.thumbprint === leaked.thumbprint)).toBeUndefined()
    const added = keys.find((key) => key.ref?.componentId === state.components.find((item) => item.name === 'jwkr-inc-7-sso')?.id)
    expect(result).toMatchObject({
      outcome: 'changed',
      added: [{kid: added?.kid, thumbprint: added?.thumbprint}],
      removed: [{kid: 'kc-leaked-kid', thumbprint: leaked.thumbprint}],
      signingSwitched: true,
      leakedStillListed: false,
      stages: ['snapshot', 'add-provider', 'disable-leaked', 'delete-leaked'],
    })
  })

  it('adds an ecdsa-generated provider on the same curve for a leaked EC key', async () => {
    // Given the leaked key is the realm's EC key
    const ecKey = await makeKey('EC', 'kc-ec-kid')
    state.components.push(keycloakComponent(state, ecKey, {providerId: 'ecdsa-generated', priority: 150}))
    // When it is rotated
    await source().rotate({...request(), leaked: {thumbprint: ecKey.thumbprint, kid: 'kc-ec-kid'}}, new LedgerRunner().run)
    // Then the new provider is ecdsa-generated on P-256, above every other key
    const created = JSON.parse(state.requests.find((item) => item.method === 'POST')?.body ?? '{}')
    expect(created).toMatchObject({providerId: 'ecdsa-generated', config: {ecdsaEllipticCurveKey: ['P-256'], priority: ['250']}})
    expect(state.components.some((item) => item.key?.kid === 'kc-ec-kid')).toBe(false)
  })

  it('matches the leaked key by thumbprint when the request names another kid', async () => {
    const result = await source().rotate(request('what-the-ticket-called-it'), new LedgerRunner().run)
    expect(result.removed).toEqual([{kid: 'kc-leaked-kid', thumbprint: leaked.thumbprint}])
    expect(state.components.some((item) => item.key?.kid === 'kc-leaked-kid')).toBe(false)
  })

  it('changes nothing when the realm does not hold the leaked key', async () => {
    state.components.splice(0, 1)
    const result = await source().rotate(request(), new LedgerRunner().run)
    expect(result.outcome).toBe('not-found')
    expect(requestLines(state)).toEqual([KEYS])
  })

  it('warns on revoke when no other key is left to sign with that algorithm', async () => {
    // When only the leaked RS256 key is removed
    const result = await source().revoke(request(), new LedgerRunner().run)
    // Then it is gone, and the result says Keycloak will fall back to a key of its own
    expect(requestLines(state).filter((line) => line.startsWith('POST'))).toEqual([])
    expect(state.components.some((item) => item.key?.kid === 'kc-leaked-kid')).toBe(false)
    expect(result.signingSwitched).toBeNull()
    expect(result.warnings.join(' ')).toContain('fallback key')
  })
})

describe('resuming a Keycloak rotation', () => {
  it('finds the provider it added before a crash instead of adding a second one', async () => {
    // Given a run that crashed right after Keycloak created the new provider
    const runner = new LedgerRunner()
    runner.crashAfter = 'add-provider'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it is resumed, and run once more after that
    await source().rotate(request(), runner.run)
    await source().rotate(request(), runner.run)
    // Then exactly one provider was added, found again by its name, and the leaked one is gone
    expect(state.components.filter((item) => item.name === 'jwkr-inc-7-sso')).toHaveLength(1)
    expect(requestLines(state).filter((line) => line === 'POST /admin/realms/acme/components')).toHaveLength(1)
    expect(runner.events.filter((item) => item.stage === 'add-provider').map((item) => item.event)).toEqual([
      'applied',
      'recovered',
      'replayed',
    ])
    expect(state.components.some((item) => item.key?.kid === 'kc-leaked-kid')).toBe(false)
  })

  it('recognises a deletion made before a crash', async () => {
    const runner = new LedgerRunner()
    runner.crashAfter = 'delete-leaked'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    const result = await source().rotate(request(), runner.run)
    expect(requestLines(state).filter((line) => line.startsWith('DELETE'))).toHaveLength(1)
    expect(result.stages).toEqual(['snapshot', 'add-provider', 'disable-leaked', 'delete-leaked'])
  })
})

describe('revoking Keycloak sessions', () => {
  it('sets the realm not-before, pushes it, and logs everyone out when asked', async () => {
    // Given one client that push-revocation cannot reach
    state.adminUrls.unreachable = ['https://legacy.example.com/admin']
    const notBefore = new Date('2025-03-01T11:59:00Z')
    // When sessions are revoked with logout-all
    const result = await source().revokeSessions?.(
      {issuerId: 'sso', incidentId: 'inc-7', leaked: request().leaked, reason: 'leak', notBefore, logoutAll: true},
      new LedgerRunner().run,
    )
    // Then the realm refuses tokens from before then, clients were told, sessions are gone
    expect(state.notBefore).toBe(notBefore.getTime() / 1000)
    expect(requestLines(state)).toEqual([
      'PUT /admin/realms/acme',
      'POST /admin/realms/acme/push-revocation',
      'POST /admin/realms/acme/logout-all',
    ])
    expect(JSON.parse(state.requests[0]?.body ?? '{}')).toEqual({notBefore: notBefore.getTime() / 1000})
    expect(state.sessions).toBe(0)
    expect(result?.actions.map((action) => [action.action, action.ok])).toEqual([
      ['not-before', true],
      ['push-revocation', false],
      ['logout-all', false],
    ])
    expect(result?.warnings.join(' ')).toContain('https://legacy.example.com/admin')
  })

  it('recognises a not-before set before a crash', async () => {
    const runner = new LedgerRunner()
    runner.crashAfter = 'not-before'
    const sessions = {
      issuerId: 'sso',
      incidentId: 'inc-7',
      leaked: request().leaked,
      reason: 'leak',
      notBefore: new Date('2025-03-01T11:59:00Z'),
    }
    await expect(source().revokeSessions?.(sessions, runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    await source().revokeSessions?.(sessions, runner.run)
    expect(requestLines(state).filter((line) => line === 'PUT /admin/realms/acme')).toHaveLength(1)
    expect(requestLines(state)).toContain('GET /admin/realms/acme')
  })
})

describe('planning a Keycloak change', () => {
  it('lists every call and makes none', () => {
    const calls = [
      ...source().planRotate(request()),
      ...source().planRevoke(request()),
      ...(source().planRevokeSessions?.({...request(), logoutAll: true}) ?? []),
    ]
    expect(calls.map((call) => call.target.split(' ')[0])).toEqual([
      'GET',
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'GET',
      'PUT',
      'DELETE',
      'PUT',
      'POST',
      'POST',
    ])
    expect(state.requests).toEqual([])
  })
})

describe("the replacement's RSA key size", () => {
  let big: TestKey

  /** Rotates the realm's 3072-bit key; returns the rotation and the keySize jwkr asked for. */
  async function rotateBig(run = new LedgerRunner().run) {
    big ??= await makeKey('RSA', 'kc-3072-kid', {modulusLength: 3072})
    state.components.push(keycloakComponent(state, big, {priority: 150}))
    const result = await source().rotate({...request(), leaked: {thumbprint: big.thumbprint, kid: big.kid}}, run)
    const posted = JSON.parse(state.requests.find((item) => item.method === 'POST')?.body ?? '{}') as {
      config?: {keySize?: string[]}
    }
    return {result, keySize: posted.config?.keySize?.[0]}
  }

  it('takes the nearest larger size Keycloak lists when it does not offer the leaked size, and says so', async () => {
    // Given a leaked 3072-bit key and a Keycloak whose rsa-generated provider offers 1024, 2048 and 4096
    const runner = new LedgerRunner()
    // When it is rotated
    const {result, keySize} = await rotateBig(runner.run)
    // Then a 4096-bit key was asked for, Keycloak accepted it, and the rotation says why the size changed
    expect(keySize).toBe('4096')
    const added = state.components.find((item) => item.name === 'jwkr-inc-7-sso')
    expect(Buffer.from(String(added?.key?.publicKey), 'base64').length).toBeGreaterThan(500)
    const note =
      'The replacement is a 4096-bit RSA key, larger than the leaked 3072-bit key: Keycloak accepts 1024, 2048, 4096 bits (its server info).'
    expect(result.warnings).toContain(note)
    // And the journal's add-provider effect holds the size and the reason
    expect(runner.done.get('add-provider')).toMatchObject({keySize: 4096, keySizeNote: note})
  })

  it("keeps the leaked key's size when Keycloak offers it", async () => {
    // Given a Keycloak whose list is built at run time and includes 3072
    state.rsaKeySizes = ['1024', '2048', '3072', '4096']
    // When the 3072-bit key is rotated
    const {result, keySize} = await rotateBig()
    // Then the replacement is 3072 bits too, with nothing to explain
    expect(keySize).toBe('3072')
    expect(result.warnings.filter((warning) => warning.includes('-bit RSA key'))).toEqual([])
  })

  it('chooses among the sizes every Keycloak accepts when the server info cannot be read', async () => {
    // Given the admin may not read the server info
    state.serverInfo = 403
    // When the 3072-bit key is rotated
    const {result, keySize} = await rotateBig()
    // Then 4096 bits was chosen, and the warning says why
    expect(keySize).toBe('4096')
    expect(result.warnings.join('\n')).toContain(
      "Keycloak's server info did not list the sizes it accepts, so jwkr chose among 2048 and 4096 bits",
    )
  })

  it('goes smaller than the leaked key only when Keycloak offers nothing as large, and never below 2048', async () => {
    // Given a Keycloak that offers 1024 and 2048 only
    state.rsaKeySizes = ['1024', '2048']
    // When the 3072-bit key is rotated
    const {result, keySize} = await rotateBig()
    // Then the replacement is 2048 bits, and the warning says it is smaller and why
    expect(keySize).toBe('2048')
    expect(result.warnings.join('\n')).toContain('smaller than the leaked 3072-bit key')
    expect(result.warnings.join('\n')).toContain('Keycloak offers nothing larger')
    // And a server that offers nothing of 2048 bits or more gets nothing at all
    expect(() => chooseRsaKeySize(2048, [512, 1024])).toThrow(expect.objectContaining({code: 'ERR_IDP_UNSUPPORTED'}))
    expect(chooseRsaKeySize(null, null)).toMatchObject({bits: 2048, from: 'known', note: null})
  })

  it('recognises the provider it added before a crash, and its size', async () => {
    // Given a rotation that crashed right after Keycloak created the provider
    const runner = new LedgerRunner()
    runner.crashAfter = 'add-provider'
    await expect(rotateBig(runner.run)).rejects.toThrow(SimulatedCrash)
    // When it is resumed
    const result = await source().rotate({...request(), leaked: {thumbprint: big.thumbprint, kid: big.kid}}, runner.run)
    // Then no second provider was added, and the size is still explained
    expect(state.components.filter((item) => item.name === 'jwkr-inc-7-sso')).toHaveLength(1)
    expect(runner.done.get('add-provider')).toMatchObject({keySize: 4096})
    expect(result.warnings.join('\n')).toContain('The replacement is a 4096-bit RSA key, larger than the leaked 3072-bit key.')
  })
})

describe('Keycloak credentials and errors', () => {
  it('gets a token once with the client-credentials grant', async () => {
    // Given a service-account client instead of a token
    state.clients['jwkr-responder'] = {secret: 'kc-client-secret-5b1d', roles: KEYCLOAK_ADMIN_ROLES}
    const keycloak = source({KEYCLOAK_CLIENT_ID: 'jwkr-responder', KEYCLOAK_CLIENT_SECRET: 'kc-client-secret-5b1d'})
    // When keys are listed twice
    await keycloak.listKeys()
    await keycloak.listKeys()
    // Then one token was fetched from the master realm and used for both
    expect(requestLines(state)).toEqual(['POST /realms/master/protocol/openid-connect/token', KEYS, KEYS])
    expect(state.requests[0]?.headers.authorization).toBeUndefined()
  })

  it('fetches a new token before the last one expires (expires_in)', async () => {
    // Given a service-account client whose tokens live one second, and a clock both sides share
    state.clients['jwkr-responder'] = {secret: 'kc-client-secret-5b1d', roles: KEYCLOAK_ADMIN_ROLES}
    state.tokenLifespan = 1
    let clock = Date.parse('2025-03-01T12:00:00Z')
    state.now = () => clock
    const keycloak = createIssuerKeyStore(issuer, {
      env: {KEYCLOAK_CLIENT_ID: 'jwkr-responder', KEYCLOAK_CLIENT_SECRET: 'kc-client-secret-5b1d'},
      secrets: new SecretRegistry(),
      now: () => new Date(clock),
    })
    // When keys are listed, then again a second later
    await keycloak.listKeys()
    clock += 1000
    await keycloak.listKeys()
    // Then a new token was fetched before the second call, which Keycloak accepted at once
    expect(requestLines(state)).toEqual([
      'POST /realms/master/protocol/openid-connect/token',
      KEYS,
      'POST /realms/master/protocol/openid-connect/token',
      KEYS,
    ])
    expect(state.requests[1]?.headers.authorization).not.toBe(state.requests[3]?.headers.authorization)
  })

  it('sends a request refused with 401 once more with a new token', async () => {
    // Given a service-account token that Keycloak stops accepting before it expires (revoked, or a restart)
    state.clients['jwkr-responder'] = {secret: 'kc-client-secret-5b1d', roles: KEYCLOAK_ADMIN_ROLES}
    const keycloak = source({KEYCLOAK_CLIENT_ID: 'jwkr-responder', KEYCLOAK_CLIENT_SECRET: 'kc-client-secret-5b1d'})
    await keycloak.listKeys()
    state.tokens = {}
    // When the realm is changed with it
    const result = await keycloak.rotate(request(), new LedgerRunner().run)
    // Then the refused call was sent once more with a new token, and the rotation went through
    expect(requestLines(state).slice(2, 5)).toEqual([KEYS, 'POST /realms/master/protocol/openid-connect/token', KEYS])
    expect(state.requests[2]?.headers.authorization).not.toBe(state.requests[4]?.headers.authorization)
    expect(result.outcome).toBe('changed')
  })

  it('gives up after one new token is refused too, and never retries a fixed KEYCLOAK_TOKEN', async () => {
    // Given a client whose tokens the admin API never accepts (they expire as they are issued)
    state.clients['jwkr-responder'] = {secret: 'kc-client-secret-5b1d', roles: KEYCLOAK_ADMIN_ROLES}
    state.tokenLifespan = 0
    // When keys are listed
    const error = await failureOf(() =>
      source({KEYCLOAK_CLIENT_ID: 'jwkr-responder', KEYCLOAK_CLIENT_SECRET: 'kc-client-secret-5b1d'}).listKeys(),
    )
    // Then the 401 is reported after one retry with a second token
    expect(error.code).toBe('ERR_IDP_AUTH')
    expect(requestLines(state)).toEqual([
      'POST /realms/master/protocol/openid-connect/token',
      KEYS,
      'POST /realms/master/protocol/openid-connect/token',
      KEYS,
    ])
    // And a token given as KEYCLOAK_TOKEN is sent once: there is no other to try
    state.requests.length = 0
    await failureOf(() => source({KEYCLOAK_TOKEN: 'kc-expired'}).listKeys())
    expect(requestLines(state)).toEqual([KEYS])
  })

  it('refuses a wrong client secret without quoting it', async () => {
    state.clients['jwkr-responder'] = {secret: 'kc-client-secret-5b1d', roles: KEYCLOAK_ADMIN_ROLES}
    const error = await failureOf(() =>
      source({KEYCLOAK_CLIENT_ID: 'jwkr-responder', KEYCLOAK_CLIENT_SECRET: 'kc-wrong-secret-0000'}).listKeys(),
    )
    expect(error.code).toBe('ERR_IDP_AUTH')
    expect(error.message).toContain('Invalid client')
    expectNoNeedles(errorTexts(error), ['kc-wrong-secret-0000'])
  })

  it('names KEYCLOAK_TOKEN when no credential is set', async () => {
    const error = await failureOf(() => source({}).listKeys())
    expect(error.code).toBe('ERR_IDP_CREDENTIALS_MISSING')
    expect(error.message).toContain('KEYCLOAK_TOKEN')
    expect(state.requests).toEqual([])
  })

  it('translates 401, 403 and 404 as Keycloak sends them', async () => {
    const unauthorised = await failureOf(() => source({KEYCLOAK_TOKEN: 'kc-expired'}).listKeys())
    expect(unauthorised.code).toBe('ERR_IDP_AUTH')
    expect(unauthorised.hint).toContain('KEYCLOAK_TOKEN')
    const forbidden = await failureOf(() => source({KEYCLOAK_TOKEN: 'kc-viewer-token'}).rotate(request(), new LedgerRunner().run))
    expect(forbidden.code).toBe('ERR_IDP_FORBIDDEN')
    expect(forbidden.details).toMatchObject({status: 403, endpoint: 'POST /admin/realms/acme/components'})
    expect(forbidden.hint).toContain('manage-realm')
    const wrongRealm = createIssuerKeyStore(
      {...issuer, keySource: {type: 'keycloak', baseUrl: 'https://sso.example.com', realm: 'acmee'}},
      {env: {KEYCLOAK_TOKEN: TOKEN}, secrets: new SecretRegistry()},
    )
    const notFound = await failureOf(() => wrongRealm.listKeys())
    expect(notFound.code).toBe('ERR_IDP_NOT_FOUND')
    expect(notFound.message).toContain('Realm not found.')
  })

  it('translates a 409 on delete into ERR_IDP_CONFLICT', async () => {
    state.failures.push({status: 409, times: 1, match: 'DELETE'})
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_CONFLICT')
    expect(error.message).toContain('Conflict detected')
  })

  it('waits out a 429 with Retry-After and adds one provider only', async () => {
    state.failures.push({status: 429, times: 1, retryAfter: 1, match: 'POST /admin/realms/acme/components'})
    await source().rotate(request(), new LedgerRunner().run)
    expect(sleeps).toEqual([1000])
    expect(state.components.filter((item) => item.name === 'jwkr-inc-7-sso')).toHaveLength(1)
  })

  it('never sends or reports the token or a private value of the leaked key', async () => {
    const secrets = new SecretRegistry()
    const result = await source({KEYCLOAK_TOKEN: TOKEN}, secrets).rotate(request(), new LedgerRunner().run)
    state.failures.push({status: 500, times: 5})
    const error = await failureOf(() => source({KEYCLOAK_TOKEN: TOKEN}, secrets).listKeys())
    const needles = [TOKEN, ...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => String(leaked.privateJwk[member]))]
    expectNoNeedles([...requestTexts(state.requests, ['authorization']), JSON.stringify(result), ...errorTexts(error)], needles)
  })
})
