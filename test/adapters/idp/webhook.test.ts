// The webhook key source against a receiver double that verifies the HMAC signature, deduplicates by
// Idempotency-Key and generates the replacement itself (docs/webhook-protocol.md): one signed change
// request per stage, the receiver's public JWK checked (public only, the leaked key's kind, a new key)
// before it is recorded, a retry or resume that never makes the receiver generate a second key, and
// errors translated without echoing a private value.
import {createHmac, generateKeyPairSync} from 'node:crypto'

import {calculateJwkThumbprint} from 'jose'
import {beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {IdpHttpSettings} from '../../../src/adapters/idp/idp-client.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import type {KeyFamily} from '../../../src/core/key/replacement-kind.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'
import {server} from '../../helpers/msw.js'
import {createWebhookState, webhookHandlers, type WebhookMockState} from '../../mocks/webhook.js'
import {makeKey, type KeyKind, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {errorTexts, expectNoNeedles, failureOf, requestTexts} from './helpers/secrecy.js'

const SECRET = 'whsec-test-0f1e2d3c'
const issuer: InventoryIssuer = {
  id: 'legacy',
  issuer: 'https://legacy.example.com',
  keySource: {type: 'webhook', url: 'https://hooks.example.com/jwkr/key-change'},
}
const RSA_FAMILY: KeyFamily = {kty: 'RSA', crv: null, alg: 'RS256', use: 'sig', bits: 2048, reference: false}

let leaked: TestKey
let state: WebhookMockState
let sleeps: number[]

function source(
  env: Record<string, string | undefined> = {JWKR_WEBHOOK_SECRET: SECRET},
  http: IdpHttpSettings = {},
): IssuerKeyStore {
  return createIssuerKeyStore(issuer, {
    env,
    secrets: new SecretRegistry(),
    now: () => new Date('2025-03-01T12:00:00Z'),
    http: {sleep: async (ms) => void sleeps.push(ms), ...http},
  })
}

function request(family: KeyFamily | undefined = RSA_FAMILY, key: TestKey = leaked): RotateRequest {
  return {
    issuerId: issuer.id,
    incidentId: 'inc-4',
    leaked: {thumbprint: key.thumbprint, kid: 'legacy-1'},
    ...(family ? {family} : {}),
    reason: 'key committed to a public repository',
  }
}

const bodies = () => state.requests.map((item) => JSON.parse(item.body) as Record<string, unknown>)
/** The Idempotency-Key of each request sent, in order. */
const keysSent = () => state.requests.map((item) => item.headers['idempotency-key'])
const keys = (...stages: string[]) => stages.map((stage) => `inc-4:rotate:legacy:${stage}`)

beforeEach(async () => {
  leaked ??= await makeKey('RSA')
  sleeps = []
  state = createWebhookState({secret: SECRET})
  server.use(...webhookHandlers(state))
})

describe('rotating through a webhook', () => {
  it('asks the receiver to generate the replacement, records the public JWK it reports, and names it in the later stages', async () => {
    // When the key is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then the receiver accepted add, switch-signing and remove, each signed and keyed by its effect
    expect(state.applied.map((change) => [change.body.stage, change.idempotencyKey])).toEqual([
      ['add', 'inc-4:rotate:legacy:add'],
      ['switch-signing', 'inc-4:rotate:legacy:switch-signing'],
      ['remove', 'inc-4:rotate:legacy:remove'],
    ])
    const first = state.requests[0]
    expect(first?.headers['x-jwkr-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET)
        .update(first?.body ?? '')
        .digest('hex')}`,
    )
    expect(first?.headers['content-type']).toBe('application/json')
    // And "add" asked for a key of the leaked key's kind, carrying no key at all
    expect(state.applied[0]?.body).toEqual({
      version: 2,
      type: 'jwkr.key-change',
      operation: 'rotate',
      stage: 'add',
      incident: 'inc-4',
      issuer: {id: 'legacy', iss: 'https://legacy.example.com'},
      leaked: {thumbprint: leaked.thumbprint, kid: 'legacy-1'},
      generate: {kty: 'RSA', alg: 'RS256', crv: null, use: 'sig', minBits: 2048},
      replacement: null,
      reason: 'key committed to a public repository',
      sentAt: '2025-03-01T12:00:00.000Z',
    })
    // And the receiver made exactly one key, which is the replacement jwkr recorded and named afterwards
    expect(state.generated).toHaveLength(1)
    const made = state.generated[0]!.publicJwk
    const thumbprint = await calculateJwkThumbprint({kty: 'RSA', n: made.n as string, e: made.e as string}, 'sha256')
    const named = {kid: made.kid, thumbprint}
    expect(state.applied.slice(1).map((change) => [change.body.generate, change.body.replacement])).toEqual([
      [null, named],
      [null, named],
    ])
    expect(result).toMatchObject({
      outcome: 'changed',
      added: [named],
      removed: [{kid: 'legacy-1', thumbprint: leaked.thumbprint}],
      reportedReplacement: {...named, alg: 'RS256'},
      signingSwitched: null,
      stages: ['add', 'switch-signing', 'remove'],
    })
    expect(result.warnings.join(' ')).toMatch(/keeps its private key.*baseline/)
    expect(result.warnings.join(' ')).toContain('cannot see')
  })

  it.each<[KeyKind, Partial<KeyFamily>, Record<string, unknown>]>([
    ['EC', {kty: 'EC', crv: 'P-256', alg: null, use: null}, {kty: 'EC', alg: 'ES256', crv: 'P-256', use: null, minBits: null}],
    [
      'OKP',
      {kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig'},
      {kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519', use: 'sig', minBits: null},
    ],
  ])('asks for an %s replacement of the leaked curve and accepts one', async (kind, family, generate) => {
    const key = await makeKey(kind)
    const result = await source().rotate(request({...RSA_FAMILY, bits: null, ...family}, key), new LedgerRunner().run)
    expect(state.applied[0]?.body.generate).toEqual(generate)
    expect(result.reportedReplacement?.kid).toBe(state.generated[0]?.publicJwk.kid)
  })

  it('asks for at least the leaked modulus, rounded up to a whole 1024 bits', async () => {
    await source().rotate(request({...RSA_FAMILY, bits: 3000}), new LedgerRunner().run)
    expect(state.applied[0]?.body.generate).toMatchObject({minBits: 3072})
  })

  it('revokes with a single remove request, asking for no key and naming none', async () => {
    const result = await source().revoke(request(), new LedgerRunner().run)
    expect(
      state.applied.map((change) => [change.body.operation, change.body.stage, change.body.generate, change.body.replacement]),
    ).toEqual([['revoke', 'remove', null, null]])
    expect(state.generated).toEqual([])
    expect(result.added).toEqual([])
    expect(result.reportedReplacement).toBeUndefined()
  })

  it('plans the three requests and makes none', () => {
    expect(
      source()
        .planRotate(request())
        .map((call) => call.description),
    ).toEqual([
      expect.stringContaining('"add"'),
      expect.stringContaining('"switch-signing"'),
      expect.stringContaining('"remove"'),
    ])
    expect(source().planRevoke(request())).toHaveLength(1)
    expect(source().capabilities.takesGeneratedKey).toBe(false)
    expect(state.requests).toEqual([])
  })
})

describe('checking the key the receiver reports', () => {
  async function rejected(answer: WebhookMockState['addAnswer']) {
    state.addAnswer = answer
    const runner = new LedgerRunner()
    const error = await failureOf(() => source().rotate(request(), runner.run))
    // Nothing after "add" was asked, and "add" is not recorded done (a resume asks again)
    expect(bodies().map((body) => body.stage)).toEqual(['add'])
    expect(runner.done.size).toBe(0)
    return error
  }

  it('refuses a private JWK, naming the members and never their values', async () => {
    const error = await rejected((key) => ({id: 'chg_1', publicJwk: key.privateJwk}))
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
    expect(error.message).toContain('(d, p, q, dp, dq, qi)')
    expect(error.hint).toMatch(/discarded/)
    expectNoNeedles(errorTexts(error), privateNeedles(state.generated[0]!.privateJwk))
  })

  it('refuses private members anywhere in the answer, not only in publicJwk', async () => {
    const error = await rejected((key) => ({...key.privateJwk}))
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
    expectNoNeedles(errorTexts(error), privateNeedles(state.generated[0]!.privateJwk))
  })

  it('refuses the leaked key itself', async () => {
    const error = await rejected(() => ({publicJwk: {...leaked.publicJwk, kid: 'legacy-2', alg: 'RS256'}}))
    expect([error.code, error.message]).toEqual(['ERR_IDP_BAD_RESPONSE', expect.stringContaining('is the leaked key itself')])
  })

  it('refuses a key of another family, naming the kind that was asked for', async () => {
    const ec = generateKeyPairSync('ec', {namedCurve: 'P-256'}).publicKey.export({format: 'jwk'})
    const error = await rejected(() => ({publicJwk: {...ec, kid: 'k-ec', alg: 'ES256'}}))
    expect(error.code).toBe('ERR_IDP_BAD_RESPONSE')
    expect(error.message).toContain('is an EC P-256 key, and the leaked key is an RSA key')
    expect(error.hint).toContain('a new RSA key with alg RS256, at least 2048 bits')
  })

  it.each<[string, (key: {publicJwk: Record<string, unknown>}) => Record<string, unknown>, string]>([
    ['another alg', (key) => ({publicJwk: {...key.publicJwk, alg: 'PS256'}}), 'names alg "PS256", not RS256'],
    ['no alg', ({publicJwk: {alg: _alg, ...rest}}) => ({publicJwk: rest}), "must have required property 'alg'"],
    ['the leaked kid', (key) => ({publicJwk: {...key.publicJwk, kid: 'legacy-1'}}), 'reuses the leaked key\'s kid "legacy-1"'],
    ['another use', (key) => ({publicJwk: {...key.publicJwk, use: 'enc'}}), 'is for use "enc"'],
    ['no publicJwk', () => ({id: 'chg_1'}), "(the body) must have required property 'publicJwk'"],
    [
      'a 1024-bit modulus',
      () => ({
        publicJwk: {
          ...generateKeyPairSync('rsa', {modulusLength: 1024}).publicKey.export({format: 'jwk'}),
          kid: 'k',
          alg: 'RS256',
        },
      }),
      'has a 1024-bit modulus, smaller than the 2048 bits asked for',
    ],
  ])('refuses %s', async (_name, answer, message) => {
    const error = await rejected(answer)
    expect(error.code).toBe('ERR_IDP_BAD_RESPONSE')
    expect(error.message).toContain(message)
  })

  it('asks for no key for a shared secret (oct), which has no public half, and sends nothing', async () => {
    const error = await failureOf(() =>
      source().rotate(
        request({kty: 'oct', crv: null, alg: 'HS256', use: null, bits: 256, reference: false}),
        new LedgerRunner().run,
      ),
    )
    expect(error.code).toBe('ERR_KEY_UNSUPPORTED')
    expect(state.requests).toEqual([])
  })

  it('says so when it is not told which kind of key to ask for', async () => {
    const error = await failureOf(() => source().rotate(request(null as unknown as undefined), new LedgerRunner().run))
    expect(error.code).toBe('ERR_USAGE')
    expect(state.requests).toEqual([])
  })
})

describe('repeats never make a second key', () => {
  it('sends "add" again under the same Idempotency-Key after a timeout, and records the one key the receiver made', async () => {
    // Given a receiver that applies the first request but answers it too late
    state.slowFirst = {times: 1, ms: 400}
    // When the key is rotated with a short timeout
    const result = await source(undefined, {timeoutMs: 100}).rotate(request(), new LedgerRunner().run)
    // Then "add" was sent twice with one key, and the receiver generated one key, the one recorded
    expect(keysSent()).toEqual(keys('add', 'add', 'switch-signing', 'remove'))
    expect(state.requests[0]?.body).toBe(state.requests[1]?.body)
    expect(state.generated).toHaveLength(1)
    expect(result.reportedReplacement?.kid).toBe(state.generated[0]?.publicJwk.kid)
    expect(sleeps).toHaveLength(1)
  })

  it('sends a write again after a 503 with the same Idempotency-Key', async () => {
    state.failures.push({status: 503, times: 1, match: 'POST'})
    await source().rotate(request(), new LedgerRunner().run)
    expect(keysSent()).toEqual(keys('add', 'add', 'switch-signing', 'remove'))
    expect(state.generated).toHaveLength(1)
  })

  /** A rotation whose process died right after the receiver answered `stage` (not journaled), then resumed by a new one. */
  async function resumedAfterCrashAt(stage: string) {
    const runner = new LedgerRunner()
    runner.crashAfter = stage
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    return source().rotate(request(), runner.run)
  }

  it('on resume after a crash right after "add", asks again and gets the same key back', async () => {
    const result = await resumedAfterCrashAt('add')
    // Then "add" was sent twice under one key, the receiver made one key, and it is the one recorded
    expect(keysSent()).toEqual(keys('add', 'add', 'switch-signing', 'remove'))
    expect(state.generated).toHaveLength(1)
    expect(result.reportedReplacement?.kid).toBe(state.generated[0]?.publicJwk.kid)
  })

  it('on resume after a crash after "switch-signing", reads the key from the journal and sends only what is left', async () => {
    const result = await resumedAfterCrashAt('switch-signing')
    expect(keysSent()).toEqual(keys('add', 'switch-signing', 'switch-signing', 'remove'))
    expect(state.applied).toHaveLength(3)
    expect(bodies()[3]?.replacement).toEqual({
      kid: result.reportedReplacement?.kid,
      thumbprint: result.reportedReplacement?.thumbprint,
    })
  })
})

describe('webhook errors', () => {
  it('names JWKR_WEBHOOK_SECRET when it is missing', async () => {
    const error = await failureOf(() => source({}).rotate(request(), new LedgerRunner().run))
    expect([error.code, error.message]).toEqual(['ERR_IDP_CREDENTIALS_MISSING', expect.stringContaining('JWKR_WEBHOOK_SECRET')])
    expect(state.requests).toEqual([])
  })

  it('reports a signature the receiver refuses (401) without the secret', async () => {
    const error = await failureOf(() =>
      source({JWKR_WEBHOOK_SECRET: 'whsec-wrong-secret'}).rotate(request(), new LedgerRunner().run),
    )
    expect(error.code).toBe('ERR_IDP_AUTH')
    expect(error.hint).toContain('JWKR_WEBHOOK_SECRET')
    expectNoNeedles(errorTexts(error), ['whsec-wrong-secret'])
  })

  it.each([
    [403, 1, 'ERR_IDP_FORBIDDEN'],
    [404, 1, 'ERR_IDP_NOT_FOUND'],
    [409, 1, 'ERR_IDP_CONFLICT'],
    [502, 3, 'ERR_IDP_UNAVAILABLE'],
  ])('translates %i (failing %i times) into %s', async (status, times, code) => {
    state.failures.push({status, times})
    expect((await failureOf(() => source().rotate(request(), new LedgerRunner().run))).code).toBe(code)
    expect(state.requests).toHaveLength(times)
  })

  it('waits out a 429 with Retry-After', async () => {
    state.failures.push({status: 429, times: 1, retryAfter: 1})
    await source().rotate(request(), new LedgerRunner().run)
    expect(sleeps).toEqual([1000])
    expect(state.applied).toHaveLength(3)
  })

  it('never sends the secret or a private value of either key', async () => {
    const result = await source().rotate(request(), new LedgerRunner().run)
    const needles = [SECRET, ...privateNeedles(leaked.privateJwk), ...privateNeedles(state.generated[0]!.privateJwk)]
    expectNoNeedles([...requestTexts(state.requests), JSON.stringify(result)], needles)
  })
})
