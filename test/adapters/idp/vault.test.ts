// The Vault key source against the identity OIDC double: rotate with verification_ttl 0 so the
// leaked key leaves .well-known/keys at once, a leaked next key rotated past, errors translated
// (Vault's 403 and its 400 for an unknown key), and a resumed rotation that rotates once.
import {beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {server} from '../../helpers/msw.js'
import {addNamedKey, createVaultState, vaultHandlers, type VaultMockState} from '../../mocks/vault.js'
import {makeKey, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {requestLines} from './helpers/mock-kit.js'
import {errorTexts, expectNoNeedles, failureOf, requestTexts} from './helpers/secrecy.js'

const TOKEN = 'hvs.vault-token-CAESIJ9x'
const issuer: InventoryIssuer = {
  id: 'vault-oidc',
  issuer: 'https://vault.example.com:8200/v1/identity/oidc',
  keySource: {type: 'vault', address: 'https://vault.example.com:8200', key: 'app-key'},
}
const WELL_KNOWN = 'GET /v1/identity/oidc/.well-known/keys'
const ROTATE = 'POST /v1/identity/oidc/key/app-key/rotate'

let leaked: TestKey
let state: VaultMockState
let sleeps: number[]

function source(env: Record<string, string | undefined> = {VAULT_TOKEN: TOKEN}, secrets = new SecretRegistry()): IssuerKeyStore {
  return createIssuerKeyStore(issuer, {env, secrets, http: {sleep: async (ms) => void sleeps.push(ms)}})
}

function request(kid: string | null = null): RotateRequest {
  return {
    issuerId: issuer.id,
    incidentId: 'inc-3',
    leaked: {thumbprint: leaked.thumbprint, kid},
    reason: 'storage snapshot leaked',
  }
}

const published = async () => (await source().listKeys()).map((key) => key.thumbprint)

beforeEach(async () => {
  leaked ??= await makeKey('RSA')
  sleeps = []
  state = createVaultState({tokens: {[TOKEN]: {rotate: true}, 'hvs.read-only': {rotate: false}}})
  server.use(...vaultHandlers(state))
})

describe('rotating a leaked Vault OIDC key', () => {
  it('rotates with verification_ttl 0, and the leaked key leaves the key set at once', async () => {
    // Given the named key signs with the leaked key
    await addNamedKey(state, 'app-key', leaked.publicJwk)
    expect(await published()).toContain(leaked.thumbprint)
    state.requests.length = 0
    // When it is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then one rotation with {"verification_ttl": 0} and the token, and the leaked key is gone
    expect(requestLines(state)).toEqual([WELL_KNOWN, WELL_KNOWN, ROTATE, WELL_KNOWN, WELL_KNOWN])
    const rotate = state.requests.find((item) => item.method === 'POST')
    expect(JSON.parse(rotate?.body ?? '')).toEqual({verification_ttl: 0})
    expect(rotate?.headers['x-vault-token']).toBe(TOKEN)
    expect(state.requests.find((item) => item.method === 'GET')?.headers['x-vault-token']).toBeUndefined()
    expect(await published()).not.toContain(leaked.thumbprint)
    expect(result).toMatchObject({
      outcome: 'changed',
      removed: [{thumbprint: leaked.thumbprint}],
      signingSwitched: true,
      leakedStillListed: false,
    })
    expect(result.added).toHaveLength(1)
  })

  it('rotates past a leaked next key so that it never signs', async () => {
    // Given the leaked key is the pre-published next key
    const named = await addNamedKey(state, 'app-key')
    state.publicKeys[named.next] = {...leaked.publicJwk, kid: named.next}
    // When it is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then two rotations were needed, and it is gone
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(await published()).not.toContain(leaked.thumbprint)
    expect(result.stages).toEqual(['snapshot', 'rotate-1', 'rotate-2'])
  })

  it('refuses a plain revoke: Vault removes a key only by rotating', async () => {
    await addNamedKey(state, 'app-key', leaked.publicJwk)
    const error = await failureOf(() => source().revoke(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_UNSUPPORTED')
    expect(requestLines(state)).toEqual([WELL_KNOWN])
  })

  it('changes nothing when Vault does not publish the leaked key', async () => {
    await addNamedKey(state, 'app-key')
    const result = await source().rotate(request(), new LedgerRunner().run)
    expect(result.outcome).toBe('not-found')
    expect(requestLines(state)).toEqual([WELL_KNOWN])
  })
})

describe('resuming a Vault rotation', () => {
  it('recognises the rotation made before a crash', async () => {
    // Given the leaked key was next and the run crashed right after the first rotation
    const named = await addNamedKey(state, 'app-key')
    state.publicKeys[named.next] = {...leaked.publicJwk, kid: named.next}
    const runner = new LedgerRunner()
    runner.crashAfter = 'rotate-1'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it is resumed, then run again
    await source().rotate(request(), runner.run)
    await source().rotate(request(), runner.run)
    // Then the first rotation was found by the key it created: two rotations in all
    expect(requestLines(state).filter((line) => line === ROTATE)).toHaveLength(2)
    expect(runner.events.filter((item) => item.stage === 'rotate-1').map((item) => item.event)).toEqual(['applied', 'recovered'])
  })
})

describe('planning a Vault change', () => {
  it('lists the calls and makes none', () => {
    expect(
      source()
        .planRotate(request())
        .map((call) => call.target),
    ).toEqual([
      'GET https://vault.example.com:8200/v1/identity/oidc/.well-known/keys',
      'POST https://vault.example.com:8200/v1/identity/oidc/key/app-key/rotate',
    ])
    expect(state.requests).toEqual([])
  })
})

describe('Vault errors', () => {
  beforeEach(async () => {
    await addNamedKey(state, 'app-key', leaked.publicJwk)
  })

  it('names VAULT_TOKEN when it is missing, after reading the public key set only', async () => {
    const error = await failureOf(() => source({}).rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_IDP_CREDENTIALS_MISSING')
    expect(error.message).toContain('VAULT_TOKEN')
    expect(requestLines(state).every((line) => line === WELL_KNOWN)).toBe(true)
  })

  it('translates "permission denied" (403) and names the policy', async () => {
    const error = await failureOf(() => source({VAULT_TOKEN: 'hvs.read-only'}).rotate(request(), new LedgerRunner().run))
    expect([error.code, error.message]).toEqual(['ERR_IDP_FORBIDDEN', expect.stringContaining('permission denied')])
    expect(error.hint).toContain('identity/oidc/key/<name>/rotate')
    expectNoNeedles(errorTexts(error), ['hvs.read-only'])
  })

  it('translates an unknown named key (Vault answers 400) into ERR_IDP_NOT_FOUND', async () => {
    const typo = createIssuerKeyStore(
      {...issuer, keySource: {type: 'vault', address: 'https://vault.example.com:8200', key: 'app-kee'}},
      {env: {VAULT_TOKEN: TOKEN}, secrets: new SecretRegistry()},
    )
    // The leaked key is published (by app-key), so the rotation of the misspelt key is attempted
    const error = await failureOf(() => typo.rotate(request(), new LedgerRunner().run))
    expect([error.code, error.message]).toEqual(['ERR_IDP_NOT_FOUND', expect.stringContaining('no named key found at "app-kee"')])
  })

  it('translates 409 and 503', async () => {
    state.failures.push({status: 409, times: 1, match: ROTATE})
    expect((await failureOf(() => source().rotate(request(), new LedgerRunner().run))).code).toBe('ERR_IDP_CONFLICT')
    state.failures.push({status: 503, times: 5, match: WELL_KNOWN})
    expect((await failureOf(() => source().listKeys())).code).toBe('ERR_IDP_UNAVAILABLE')
  })

  it('waits out a rate-limit quota (429 + Retry-After) and rotates once', async () => {
    state.failures.push({status: 429, times: 1, retryAfter: 2, match: ROTATE})
    await source().rotate(request(), new LedgerRunner().run)
    expect(sleeps).toEqual([2000])
    expect(Object.keys(state.publicKeys)).toHaveLength(3)
  })

  it('never sends or reports the token or a private value', async () => {
    const result = await source().rotate(request(), new LedgerRunner().run)
    state.failures.push({status: 500, times: 5})
    const error = await failureOf(() => source().listKeys())
    const needles = [TOKEN, ...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((member) => String(leaked.privateJwk[member]))]
    expectNoNeedles([...requestTexts(state.requests, ['x-vault-token']), JSON.stringify(result), ...errorTexts(error)], needles)
  })
})
