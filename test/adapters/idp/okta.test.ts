// The Okta key source against the authorization-server double: keyRotate until the leaked key is
// EXPIRED, a warning (not silence) that Okta keeps listing it, errors in Okta's shape translated,
// and a resumed rotation that never rotates twice.
import {beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import {planSessions} from '../../../src/services/invalidate.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {createOktaState, newOktaKey, oktaHandlers, type OktaMockKey, type OktaMockState} from '../../mocks/okta.js'
import {makeKey, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {requestLines} from './helpers/mock-kit.js'
import {errorTexts, expectNoNeedles, failureOf, requestTexts} from './helpers/secrecy.js'

const TOKEN = '00okta-api-token-4c3b2a1'
const issuer: InventoryIssuer = {
  id: 'okta-main',
  issuer: 'https://example.okta.com/oauth2/aus1a2b3c4',
  keySource: {type: 'okta', domain: 'example.okta.com', authServerId: 'aus1a2b3c4'},
}
const KEYS = 'GET /api/v1/authorizationServers/aus1a2b3c4/credentials/keys'
const ROTATE = 'POST /api/v1/authorizationServers/aus1a2b3c4/credentials/lifecycle/keyRotate'

let leaked: TestKey
let state: OktaMockState
let sleeps: number[]

function source(env: Record<string, string | undefined> = {OKTA_TOKEN: TOKEN}, secrets = new SecretRegistry()): IssuerKeyStore {
  return createIssuerKeyStore(issuer, {env, secrets, http: {sleep: async (ms) => void sleeps.push(ms)}})
}

function request(kid: string | null = 'okta-leaked'): RotateRequest {
  return {
    issuerId: issuer.id,
    incidentId: 'inc-9',
    leaked: {thumbprint: leaked.thumbprint, kid},
    reason: 'key material in a crash dump',
  }
}

async function server_(leakedStatus: OktaMockKey['status']): Promise<OktaMockKey[]> {
  const other = leakedStatus === 'ACTIVE' ? 'NEXT' : 'ACTIVE'
  const keys = [
    await newOktaKey('EXPIRED'),
    await newOktaKey(other),
    {status: leakedStatus, kid: 'okta-leaked', jwk: leaked.publicJwk},
  ]
  state.servers.aus1a2b3c4 = keys
  return keys
}

beforeEach(async () => {
  leaked ??= await makeKey('RSA')
  sleeps = []
  state = createOktaState({tokens: {[TOKEN]: {admin: true}, '00okta-readonly-admin': {admin: false}}})
  server.use(...oktaHandlers(state))
})

describe('rotating a leaked Okta key', () => {
  it('rotates once, and warns that Okta keeps the EXPIRED key listed', async () => {
    // Given the leaked key is ACTIVE
    const keys = await server_('ACTIVE')
    const next = keys.find((key) => key.status === 'NEXT')
    // When it is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then keyRotate was called once with {"use":"sig"} and SSWS auth
    const rotate = state.requests.filter((item) => `${item.method} ${item.path}` === ROTATE)
    expect(rotate).toHaveLength(1)
    expect(JSON.parse(rotate[0]?.body ?? '')).toEqual({use: 'sig'})
    expect(rotate[0]?.headers.authorization).toBe(`SSWS ${TOKEN}`)
    // And the leaked key is EXPIRED but still listed, which the result says out loud
    expect(state.servers.aus1a2b3c4?.find((key) => key.kid === 'okta-leaked')?.status).toBe('EXPIRED')
    expect(result).toMatchObject({
      outcome: 'changed',
      added: [{kid: next?.kid}],
      removed: [],
      signingSwitched: true,
      leakedStillListed: true,
    })
    expect(result.warnings.join(' ')).toMatch(/EXPIRED.*no API to delete/)
  })

  it('rotates twice when the leaked key is NEXT, so it never signs', async () => {
    await server_('NEXT')
    const result = await source().rotate(request(), new LedgerRunner().run)
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(state.servers.aus1a2b3c4?.find((key) => key.kid === 'okta-leaked')?.status).toBe('EXPIRED')
    expect(result.stages).toEqual(['snapshot', 'rotate-1', 'rotate-2'])
  })

  it('matches the leaked key by thumbprint when the request names another kid', async () => {
    await server_('ACTIVE')
    await source().rotate(request('named-differently'), new LedgerRunner().run)
    expect(state.servers.aus1a2b3c4?.find((key) => key.kid === 'okta-leaked')?.status).toBe('EXPIRED')
  })

  it('does not rotate an already EXPIRED key, and says it stays listed', async () => {
    await server_('EXPIRED')
    const result = await source().rotate(request(), new LedgerRunner().run)
    expect(requestLines(state)).not.toContain(ROTATE)
    expect(result.leakedStillListed).toBe(true)
    expect(result.warnings).toHaveLength(1)
  })

  it('refuses revoke for a key that still signs: Okta cannot remove one key', async () => {
    await server_('ACTIVE')
    const error = await failureOf(() => source().revoke(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_UNSUPPORTED')
    expect(error.hint).toContain('jwkr key rotate')
    expect(requestLines(state)).toEqual([KEYS])
  })
})

describe('resuming an Okta rotation', () => {
  it('recognises the rotation made before a crash by the NEXT key it created', async () => {
    // Given the leaked key was NEXT and the run crashed right after the first rotation
    await server_('NEXT')
    const runner = new LedgerRunner()
    runner.crashAfter = 'rotate-1'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it is resumed, and run once more
    await source().rotate(request(), runner.run)
    await source().rotate(request(), runner.run)
    // Then exactly the two rotations it needed were made
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(runner.events.filter((item) => item.stage === 'rotate-1').map((item) => item.event)).toEqual(['applied', 'recovered'])
    expect(state.servers.aus1a2b3c4).toHaveLength(5)
  })
})

describe('planning an Okta change', () => {
  it('lists the calls and makes none', async () => {
    await server_('ACTIVE')
    expect(
      source()
        .planRotate(request())
        .map((call) => call.target),
    ).toEqual([
      'GET https://example.okta.com/api/v1/authorizationServers/aus1a2b3c4/credentials/keys',
      'POST https://example.okta.com/api/v1/authorizationServers/aus1a2b3c4/credentials/lifecycle/keyRotate',
    ])
    expect(state.requests).toEqual([])
  })
})

describe('revoking the refresh tokens of the clients the inventory names', () => {
  const CLIENT_TOKENS = (clientId: string) => `DELETE /api/v1/authorizationServers/aus1a2b3c4/clients/${clientId}/tokens`
  const withClients = (clients: string[]) =>
    createIssuerKeyStore(
      {...issuer, keySource: {type: 'okta', domain: 'example.okta.com', authServerId: 'aus1a2b3c4', clients}},
      {env: {OKTA_TOKEN: TOKEN}, secrets: new SecretRegistry(), http: {sleep: async () => {}}},
    )
  const sessionRequest = {issuerId: issuer.id, incidentId: 'inc-9', leaked: {thumbprint: 'x', kid: null}, reason: 'leak'}

  beforeEach(async () => {
    await server_('EXPIRED')
    state.clients.aus1a2b3c4 = {'0oa-web': ['rt-1', 'rt-2'], '0oa-mobile': ['rt-3'], '0oa-other': ['rt-4']}
  })

  it('revokes every refresh token of each named client, one journaled effect per client', async () => {
    // Given an inventory that names two of the server's clients
    const okta = withClients(['0oa-web', '0oa-mobile'])
    const runner = new LedgerRunner()
    // When sessions are revoked
    expect(okta.capabilities.revokesSessions).toBe(true)
    const result = await okta.revokeSessions?.(sessionRequest, runner.run)
    // Then each client's tokens were revoked with one DELETE, and the other client's were left alone
    expect(requestLines(state)).toEqual([CLIENT_TOKENS('0oa-web'), CLIENT_TOKENS('0oa-mobile')])
    expect(state.clients.aus1a2b3c4).toEqual({'0oa-web': [], '0oa-mobile': [], '0oa-other': ['rt-4']})
    expect(runner.applied()).toEqual(['refresh-tokens:0oa-web', 'refresh-tokens:0oa-mobile'])
    expect(result?.actions).toEqual([
      {action: 'refresh-tokens:0oa-web', ok: true, detail: 'Every refresh token of client 0oa-web was revoked.'},
      {action: 'refresh-tokens:0oa-mobile', ok: true, detail: 'Every refresh token of client 0oa-mobile was revoked.'},
    ])
    // And the result says what is left: other clients, and access tokens until they expire
    expect(result?.warnings.join('\n')).toContain('Only the clients named in the inventory (0oa-web, 0oa-mobile)')
    expect(result?.warnings.join('\n')).toContain('rely on the denylist')
  })

  it('sends an interrupted revocation again on resume, and repeats none that finished', async () => {
    // Given a run that crashed right after Okta revoked the first client's tokens
    const okta = withClients(['0oa-web', '0oa-mobile'])
    const runner = new LedgerRunner()
    runner.crashAfter = 'refresh-tokens:0oa-web'
    await expect(okta.revokeSessions?.(sessionRequest, runner.run)).rejects.toThrow(SimulatedCrash)
    // When it is resumed, and then run once more
    await okta.revokeSessions?.(sessionRequest, runner.run)
    state.requests.length = 0
    await okta.revokeSessions?.(sessionRequest, runner.run)
    // Then the interrupted revocation was sent again (harmless: Okta answers 204), and nothing after that
    expect(runner.events.map((event) => `${event.stage} ${event.event}`)).toEqual([
      'refresh-tokens:0oa-web applied',
      'refresh-tokens:0oa-web repeated',
      'refresh-tokens:0oa-web applied',
      'refresh-tokens:0oa-mobile applied',
      'refresh-tokens:0oa-web replayed',
      'refresh-tokens:0oa-mobile replayed',
    ])
    expect(state.requests).toEqual([])
    expect(state.clients.aus1a2b3c4?.['0oa-mobile']).toEqual([])
  })

  it('reports a client Okta does not know and still revokes the others', async () => {
    // Given a typo in one client id
    const result = await withClients(['0oa-typo', '0oa-web']).revokeSessions?.(sessionRequest, new LedgerRunner().run)
    // Then that client is reported, and the other lost its tokens
    expect(result?.actions.map((action) => action.ok)).toEqual([false, true])
    expect(result?.warnings[0]).toBe(
      'Okta authorization server aus1a2b3c4 knows no client 0oa-typo: check keySource.clients in the inventory.',
    )
    expect(state.clients.aus1a2b3c4?.['0oa-web']).toEqual([])
  })

  it('without clients in the inventory: revokes nothing, and the steps by hand name the per-client revocation', () => {
    // Given an Okta issuer without clients
    const okta = source()
    // Then it cannot revoke sessions itself, and says how to do it by hand
    expect(okta.capabilities.revokesSessions).toBe(false)
    expect(okta.revokeSessions).toBeUndefined()
    const [planned] = planSessions(
      [{issuer, source: okta, error: null}],
      {thumbprint: 'x', kid: null},
      {notBefore: new Date(0), logoutAll: false},
      {incidentId: 'inc-9', reason: 'leak'},
    )
    expect(planned?.status).toBe('unsupported')
    expect(planned?.byHand).toContain('DELETE /api/v1/authorizationServers/{authServerId}/clients/{clientId}/tokens')
    expect(planned?.byHand).toContain('keySource.clients')
    // And planning with clients lists one DELETE per client
    expect(
      withClients(['0oa-web'])
        .planRevokeSessions?.({...sessionRequest})
        .map((call) => call.target),
    ).toEqual(['DELETE https://example.okta.com/api/v1/authorizationServers/aus1a2b3c4/clients/0oa-web/tokens'])
  })
})

describe('Okta errors', () => {
  it('names OKTA_TOKEN when it is missing', async () => {
    const error = await failureOf(() => source({}).listKeys())
    expect(error.code).toBe('ERR_IDP_CREDENTIALS_MISSING')
    expect(error.message).toContain('OKTA_TOKEN')
  })

  it('translates E0000011 (401), E0000006 (403) and E0000007 (404)', async () => {
    await server_('ACTIVE')
    const unauthorised = await failureOf(() => source({OKTA_TOKEN: '00okta-revoked-token'}).listKeys())
    expect([unauthorised.code, unauthorised.message]).toEqual([
      'ERR_IDP_AUTH',
      expect.stringContaining('Invalid token provided (E0000011)'),
    ])
    expectNoNeedles(errorTexts(unauthorised), ['00okta-revoked-token'])
    const forbidden = await failureOf(() => source({OKTA_TOKEN: '00okta-readonly-admin'}).listKeys())
    expect(forbidden.code).toBe('ERR_IDP_FORBIDDEN')
    const missing = createIssuerKeyStore(
      {...issuer, keySource: {type: 'okta', domain: 'example.okta.com', authServerId: 'ausTYPO'}},
      {env: {OKTA_TOKEN: TOKEN}, secrets: new SecretRegistry()},
    )
    const notFound = await failureOf(() => missing.listKeys())
    expect([notFound.code, notFound.message]).toEqual([
      'ERR_IDP_NOT_FOUND',
      expect.stringContaining('ausTYPO (AuthorizationServer)'),
    ])
  })

  it('translates a 409 into ERR_IDP_CONFLICT', async () => {
    await server_('ACTIVE')
    state.failures.push({status: 409, times: 1, match: ROTATE})
    expect((await failureOf(() => source().rotate(request(), new LedgerRunner().run))).code).toBe('ERR_IDP_CONFLICT')
  })

  it('waits out a 429 by Retry-After and rotates once', async () => {
    await server_('ACTIVE')
    state.failures.push({status: 429, times: 1, retryAfter: 3, match: ROTATE})
    await source().rotate(request(), new LedgerRunner().run)
    expect(sleeps).toEqual([3000])
    expect(state.servers.aus1a2b3c4).toHaveLength(4)
  })

  it('reads X-Rate-Limit-Reset when Okta sends no Retry-After, and does not wait for a distant reset', async () => {
    // Given Okta's window reopens in 45 s, beyond what jwkr waits for
    await server_('ACTIVE')
    state.failures.push({status: 429, times: 1, resetIn: 45, match: ROTATE})
    // When a rotation is tried
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    // Then it stops at once and says when to resume
    expect(error.code).toBe('ERR_IDP_RATE_LIMITED')
    expect(sleeps).toEqual([])
    expect(error.details?.retryAfterMs).toBeGreaterThan(40_000)
  })

  it('never sends or reports the token or a private value', async () => {
    await server_('ACTIVE')
    const result = await source().rotate(request(), new LedgerRunner().run)
    state.failures.push({status: 503, times: 5})
    const error = await failureOf(() => source().listKeys())
    const needles = [TOKEN, ...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => String(leaked.privateJwk[member]))]
    expectNoNeedles([...requestTexts(state.requests, ['authorization']), JSON.stringify(result), ...errorTexts(error)], needles)
  })
})
