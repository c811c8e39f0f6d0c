// The Auth0 key source against the Management API double: keys matched by the thumbprint of each
// certificate's key, rotate-then-revoke in Auth0's order, errors translated, 429 waited out, and a
// resumed rotation that never rotates twice.
import {beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {auth0Handlers, AUTH0_SCOPES, createAuth0State, newAuth0Key, type Auth0MockState} from '../../mocks/auth0.js'
import {certificateFor, makeKey, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {requestLines} from './helpers/mock-kit.js'
import {errorTexts, expectNoNeedles, failureOf, requestTexts} from './helpers/secrecy.js'

const TOKEN = 'auth0-mgmt-token-3f9c2b7a1d'
const issuer: InventoryIssuer = {
  id: 'auth-main',
  issuer: 'https://tenant.eu.auth0.com/',
  keySource: {type: 'auth0', domain: 'tenant.eu.auth0.com'},
}
const LIST = 'GET /api/v2/keys/signing'
const ROTATE = 'POST /api/v2/keys/signing/rotate'

let leaked: TestKey
let state: Auth0MockState
let sleeps: number[]

function source(env: Record<string, string | undefined> = {AUTH0_TOKEN: TOKEN}, secrets = new SecretRegistry()): IssuerKeyStore {
  return createIssuerKeyStore(issuer, {env, secrets, http: {sleep: async (ms) => void sleeps.push(ms)}})
}

function request(kid: string | null = 'leaked-kid'): RotateRequest {
  return {
    issuerId: issuer.id,
    incidentId: 'inc-7',
    leaked: {thumbprint: leaked.thumbprint, kid},
    reason: 'private key posted in a public gist',
  }
}

/** A tenant whose key in `role` is the leaked one. */
async function tenant(role: 'current' | 'next' | 'previous'): Promise<void> {
  const leakedKey = {
    kid: 'leaked-kid',
    cert: certificateFor(leaked),
    current: role === 'current',
    next: role === 'next',
    previous: role === 'previous',
    revoked: false,
  }
  const others = await Promise.all([
    newAuth0Key({revoked: true}),
    ...(role === 'current' ? [] : [newAuth0Key({current: true})]),
    ...(role === 'next' ? [] : [newAuth0Key({next: true})]),
  ])
  state.keys.push(...others, leakedKey)
}

beforeEach(async () => {
  leaked ??= await makeKey('RSA')
  sleeps = []
  state = createAuth0State({tokens: {[TOKEN]: AUTH0_SCOPES, 'auth0-read-only-token': ['read:signing_keys']}})
  server.use(...auth0Handlers(state))
})

describe('listing Auth0 signing keys', () => {
  it('identifies each key by the RFC 7638 thumbprint of its certificate key, not by Auth0 thumbprint field', async () => {
    // Given a tenant whose current key is the leaked one
    await tenant('current')
    // When the keys are listed
    const keys = await source().listKeys()
    // Then the leaked key is found by its canonical thumbprint, with Auth0's flags as status
    const found = keys.find((key) => key.thumbprint === leaked.thumbprint)
    expect(found).toMatchObject({
      kid: 'leaked-kid',
      status: 'active',
      publicJwk: {kty: 'RSA', n: leaked.publicJwk.n, e: 'AQAB', kid: 'leaked-kid'},
    })
    expect(keys.map((key) => key.status).sort()).toEqual(['active', 'disabled', 'next'])
    expect(state.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`)
  })
})

describe('rotating a leaked Auth0 key', () => {
  it('rotates the current key out, then revokes it', async () => {
    // Given the leaked key is the tenant's current signing key
    await tenant('current')
    const next = state.keys.find((key) => key.next)
    // When it is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then Auth0 rotated once and revoked the leaked kid, in that order
    expect(requestLines(state)).toEqual([
      LIST,
      LIST,
      ROTATE,
      LIST,
      LIST,
      LIST,
      'PUT /api/v2/keys/signing/leaked-kid/revoke',
      LIST,
    ])
    expect(state.keys.find((key) => key.kid === 'leaked-kid')).toMatchObject({revoked: true, current: false})
    expect(state.keys.find((key) => key.current)?.kid).toBe(next?.kid)
    expect(result).toMatchObject({
      outcome: 'changed',
      added: [{kid: next?.kid}],
      removed: [{kid: 'leaked-kid', thumbprint: leaked.thumbprint}],
      signingSwitched: true,
      leakedStillListed: false,
      stages: ['snapshot', 'rotate-1', 'revoke'],
    })
  })

  it('rotates twice when the leaked key is the next key, so it never signs', async () => {
    // Given the leaked key is next in line
    await tenant('next')
    // When it is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then two rotations pass it by, and it is revoked
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(state.keys.find((key) => key.kid === 'leaked-kid')).toMatchObject({revoked: true})
    expect(result.stages).toEqual(['snapshot', 'rotate-1', 'rotate-2', 'revoke'])
  })

  it('only revokes a leaked key that is no longer current', async () => {
    // Given the leaked key was the previous one
    await tenant('previous')
    // When it is rotated
    await source().rotate(request(), new LedgerRunner().run)
    // Then no rotation is made, only the revocation
    expect(requestLines(state)).not.toContain(ROTATE)
    expect(state.keys.find((key) => key.kid === 'leaked-kid')?.revoked).toBe(true)
  })

  it('matches the leaked key by thumbprint when the request names another kid', async () => {
    // Given the responder knows the key under another name
    await tenant('previous')
    // When it is revoked under that name
    const result = await source().revoke(request('renamed-in-our-vault'), new LedgerRunner().run)
    // Then the kid Auth0 lists for that key material is revoked
    expect(requestLines(state)).toContain('PUT /api/v2/keys/signing/leaked-kid/revoke')
    expect(result.removed).toEqual([{kid: 'leaked-kid', thumbprint: leaked.thumbprint}])
  })

  it('changes nothing when the tenant does not hold the leaked key', async () => {
    // Given a tenant without the leaked key
    state.keys.push(await newAuth0Key({current: true}), await newAuth0Key({next: true}))
    // When a rotation is asked for
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then nothing is rotated and the result says why
    expect(result.outcome).toBe('not-found')
    expect(requestLines(state)).toEqual([LIST])
    expect(result.warnings[0]).toContain(leaked.thumbprint)
  })

  it('refuses to revoke the current key without rotating, as Auth0 does', async () => {
    // Given the leaked key is current
    await tenant('current')
    // When only a revocation is asked for
    const error = await failureOf(() => source().revoke(request(), new LedgerRunner().run))
    // Then it fails before any change, pointing to key rotate
    expect(error.code).toBe('ERR_IDP_UNSUPPORTED')
    expect(error.hint).toContain('jwkr key rotate')
    expect(requestLines(state).filter((line) => !line.startsWith('GET'))).toEqual([])
  })
})

describe('resuming an Auth0 rotation', () => {
  it('finds the rotation made before a crash instead of rotating again', async () => {
    // Given a run that crashed right after Auth0 rotated, before the result was recorded
    await tenant('current')
    const runner = new LedgerRunner()
    runner.crashAfter = 'rotate-1'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    const keysAfterCrash = state.keys.length
    // When the rotation is resumed, and then run once more
    await source().rotate(request(), runner.run)
    await source().rotate(request(), runner.run)
    // Then Auth0 rotated exactly once, no extra key was made, and the leaked key is revoked
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(1)
    expect(state.keys).toHaveLength(keysAfterCrash)
    expect(requestLines(state).filter((line) => line.startsWith('PUT'))).toHaveLength(1)
    expect(state.keys.find((key) => key.kid === 'leaked-kid')?.revoked).toBe(true)
  })

  it('asks Auth0 whether an interrupted rotation happened, by the key it created', async () => {
    // Given the leaked key was next, and the run crashed right after the first of its two rotations
    await tenant('next')
    const runner = new LedgerRunner()
    runner.crashAfter = 'rotate-1'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When the rotation is resumed
    await source().rotate(request(), runner.run)
    // Then the first rotation is recognised (a key appeared since the snapshot), and only the second is made
    expect(runner.events.filter((item) => item.stage === 'rotate-1').map((item) => item.event)).toEqual(['applied', 'recovered'])
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(state.keys.find((key) => key.kid === 'leaked-kid')).toMatchObject({revoked: true, current: false})
  })
})

describe('planning an Auth0 change', () => {
  it('lists the calls in order and makes none', async () => {
    // Given a tenant
    await tenant('current')
    // When the rotation and the revocation are planned
    const rotate = source().planRotate(request())
    const revoke = source().planRevoke(request())
    // Then every call is listed and no request reached Auth0
    expect(rotate.map((call) => call.target)).toEqual([
      'GET https://tenant.eu.auth0.com/api/v2/keys/signing',
      'POST https://tenant.eu.auth0.com/api/v2/keys/signing/rotate',
      'PUT https://tenant.eu.auth0.com/api/v2/keys/signing/leaked-kid/revoke',
    ])
    expect(revoke).toHaveLength(2)
    expect(state.requests).toEqual([])
  })
})

describe('Auth0 errors', () => {
  it('names AUTH0_TOKEN when it is missing, before any request', async () => {
    await tenant('current')
    const error = await failureOf(() => source({}).listKeys())
    expect(error.code).toBe('ERR_IDP_CREDENTIALS_MISSING')
    expect(error.message).toContain('AUTH0_TOKEN')
    expect(state.requests).toEqual([])
  })

  it('translates a refused token (401) without quoting it', async () => {
    await tenant('current')
    const error = await failureOf(() => source({AUTH0_TOKEN: 'auth0-expired-token-9a8b7c'}).listKeys())
    expect(error.code).toBe('ERR_IDP_AUTH')
    expect(error.message).toContain('Invalid token')
    expect(error.hint).toContain('AUTH0_TOKEN')
    expectNoNeedles(errorTexts(error), ['auth0-expired-token-9a8b7c'])
  })

  it('translates a missing scope (403) and names the scopes', async () => {
    await tenant('previous')
    const error = await failureOf(() => source({AUTH0_TOKEN: 'auth0-read-only-token'}).revoke(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_FORBIDDEN')
    expect(error.message).toContain('update:signing_keys')
    expect(error.hint).toContain('update:signing_keys')
  })

  it.each([
    [404, 'ERR_IDP_NOT_FOUND'],
    [409, 'ERR_IDP_CONFLICT'],
    [503, 'ERR_IDP_UNAVAILABLE'],
  ])('translates %i into %s', async (status, code) => {
    await tenant('current')
    state.failures.push({status, times: 5, match: ROTATE})
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe(code)
    expect(error.details).toMatchObject({status, endpoint: 'POST /api/v2/keys/signing/rotate'})
  })

  it('waits out a 429 for as long as Retry-After says, then carries on', async () => {
    // Given Auth0 rate-limits the first rotate call
    await tenant('current')
    const keysBefore = state.keys.length
    state.failures.push({status: 429, times: 1, retryAfter: 2, match: ROTATE})
    // When the key is rotated
    await source().rotate(request(), new LedgerRunner().run)
    // Then jwkr waited 2 s, sent the call again, and exactly one new key exists
    expect(sleeps).toEqual([2000])
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(state.keys).toHaveLength(keysBefore + 1)
  })

  it('gives up with ERR_IDP_RATE_LIMITED when the limit lasts', async () => {
    await tenant('current')
    state.failures.push({status: 429, times: 10, retryAfter: 1, match: ROTATE})
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_RATE_LIMITED')
    expect(sleeps).toEqual([1000, 1000])
    expect(error.hint).toContain('resume')
  })

  it('does not wait when Retry-After is longer than the bound', async () => {
    await tenant('current')
    state.failures.push({status: 429, times: 1, retryAfter: 3600, match: ROTATE})
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_RATE_LIMITED')
    expect(sleeps).toEqual([])
  })
})

describe('Auth0 secrecy', () => {
  it('never sends or reports the token or a private value of the leaked key', async () => {
    // Given a tenant and a registry that knows the token
    await tenant('current')
    const secrets = new SecretRegistry()
    // When a rotation runs, and a later call fails
    const result = await source({AUTH0_TOKEN: TOKEN}, secrets).rotate(request(), new LedgerRunner().run)
    state.failures.push({status: 503, times: 5})
    const error = await failureOf(() => source({AUTH0_TOKEN: TOKEN}, secrets).listKeys())
    // Then neither shows anywhere but in the Authorization header
    const needles = [
      TOKEN,
      ...Object.entries(leaked.privateJwk)
        .filter(([name]) => !['kty', 'n', 'e'].includes(name))
        .map(([, value]) => String(value)),
    ]
    expectNoNeedles([...requestTexts(state.requests, ['authorization']), JSON.stringify(result), ...errorTexts(error)], needles)
    expect(secrets.leaks(TOKEN)).toBe(true)
  })
})
