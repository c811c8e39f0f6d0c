// The webhook key source against a receiver double that verifies the HMAC signature and
// deduplicates by Idempotency-Key: one signed change request per stage, the public replacement only,
// errors translated, and a resumed run whose repeat the receiver recognises.
import {createHmac} from 'node:crypto'

import {beforeEach, describe, expect, it} from 'vitest'

import {createKeySource} from '../../../src/adapters/idp/create-key-source.js'
import type {KeySource, RotateRequest} from '../../../src/adapters/idp/key-source.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'
import {server} from '../../helpers/msw.js'
import {createWebhookState, webhookHandlers, type WebhookMockState} from '../../mocks/webhook.js'
import {makeKey, type TestKey} from './helpers/keys.js'
import {MemoryRunner, SimulatedCrash} from './helpers/memory-runner.js'
import {errorTexts, expectNoNeedles, failureOf, requestTexts} from './helpers/secrecy.js'

const SECRET = 'whsec-test-0f1e2d3c'
const issuer: InventoryIssuer = {
  id: 'legacy',
  issuer: 'https://legacy.example.com',
  keySource: {type: 'webhook', url: 'https://hooks.example.com/jwkr/key-change'},
}

let leaked: TestKey
let replacement: TestKey
let state: WebhookMockState
let sleeps: number[]

function source(
  env: Record<string, string | undefined> = {JWKR_WEBHOOK_SECRET: SECRET},
  secrets = new SecretRegistry(),
): KeySource {
  return createKeySource(issuer, {
    env,
    secrets,
    now: () => new Date('2025-03-01T12:00:00Z'),
    http: {sleep: async (ms) => void sleeps.push(ms)},
  })
}

function request(): RotateRequest {
  return {
    issuerId: issuer.id,
    incidentId: 'inc-4',
    leaked: {thumbprint: leaked.thumbprint, kid: 'legacy-1'},
    replacement: {publicJwk: {...replacement.publicJwk, alg: 'RS256', use: 'sig'}, kid: replacement.thumbprint},
    reason: 'key committed to a public repository',
  }
}

beforeEach(async () => {
  leaked ??= await makeKey('RSA')
  replacement ??= await makeKey('RSA')
  sleeps = []
  state = createWebhookState({secret: SECRET})
  server.use(...webhookHandlers(state))
})

describe('rotating through a webhook', () => {
  it('sends one signed change request per stage, carrying the public replacement', async () => {
    // When the key is rotated
    const result = await source().rotate(request(), new MemoryRunner().run)
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
    expect(state.applied[0]?.body).toMatchObject({
      version: 1,
      type: 'jwkr.key-change',
      operation: 'rotate',
      incident: 'inc-4',
      issuer: {id: 'legacy', iss: 'https://legacy.example.com'},
      leaked: {thumbprint: leaked.thumbprint, kid: 'legacy-1'},
      replacement: {
        kid: replacement.thumbprint,
        thumbprint: replacement.thumbprint,
        publicJwk: {kty: 'RSA', n: replacement.publicJwk.n, kid: replacement.thumbprint},
      },
    })
    expect(result).toMatchObject({
      outcome: 'changed',
      added: [{thumbprint: replacement.thumbprint}],
      signingSwitched: null,
      stages: ['add', 'switch-signing', 'remove'],
    })
    expect(result.warnings[0]).toContain('cannot see')
  })

  it('revokes with a single remove request and no replacement', async () => {
    await source().revoke({...request(), replacement: undefined}, new MemoryRunner().run)
    expect(state.applied.map((change) => [change.body.operation, change.body.stage, change.body.replacement])).toEqual([
      ['revoke', 'remove', null],
    ])
  })

  it('refuses a replacement with private members before sending anything', async () => {
    const error = await failureOf(() =>
      source().rotate({...request(), replacement: {publicJwk: replacement.privateJwk, kid: 'oops'}}, new MemoryRunner().run),
    )
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
    expect(state.requests).toEqual([])
    expectNoNeedles(errorTexts(error), privateNeedles(replacement.privateJwk))
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
    expect(state.requests).toEqual([])
  })
})

describe('resuming a webhook rotation', () => {
  it('sends an interrupted stage again under the same Idempotency-Key, and the receiver applies it once', async () => {
    // Given a run that crashed after the receiver accepted "switch-signing"
    const runner = new MemoryRunner()
    runner.crashAfter = 'switch-signing'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it is resumed
    await source().rotate(request(), runner.run)
    // Then "switch-signing" was sent twice with the same key but applied once; "add" was not resent
    const keys = state.requests.map((item) => item.headers['idempotency-key'])
    expect(keys).toEqual([
      'inc-4:rotate:legacy:add',
      'inc-4:rotate:legacy:switch-signing',
      'inc-4:rotate:legacy:switch-signing',
      'inc-4:rotate:legacy:remove',
    ])
    expect(state.applied).toHaveLength(3)
  })
})

describe('webhook errors', () => {
  it('names JWKR_WEBHOOK_SECRET when it is missing', async () => {
    const error = await failureOf(() => source({}).rotate(request(), new MemoryRunner().run))
    expect([error.code, error.message]).toEqual(['ERR_IDP_CREDENTIALS_MISSING', expect.stringContaining('JWKR_WEBHOOK_SECRET')])
    expect(state.requests).toEqual([])
  })

  it('reports a signature the receiver refuses (401) without the secret', async () => {
    const error = await failureOf(() =>
      source({JWKR_WEBHOOK_SECRET: 'whsec-wrong-secret'}).rotate(request(), new MemoryRunner().run),
    )
    expect(error.code).toBe('ERR_IDP_AUTH')
    expect(error.hint).toContain('JWKR_WEBHOOK_SECRET')
    expectNoNeedles(errorTexts(error), ['whsec-wrong-secret'])
  })

  it.each([
    [403, 'ERR_IDP_FORBIDDEN'],
    [404, 'ERR_IDP_NOT_FOUND'],
    [409, 'ERR_IDP_CONFLICT'],
    [502, 'ERR_IDP_UNAVAILABLE'],
  ])('translates %i into %s', async (status, code) => {
    state.failures.push({status, times: 1})
    expect((await failureOf(() => source().rotate(request(), new MemoryRunner().run))).code).toBe(code)
  })

  it('waits out a 429 with Retry-After', async () => {
    state.failures.push({status: 429, times: 1, retryAfter: 1})
    await source().rotate(request(), new MemoryRunner().run)
    expect(sleeps).toEqual([1000])
    expect(state.applied).toHaveLength(3)
  })

  it('never sends the secret or a private value of either key', async () => {
    const result = await source().rotate(request(), new MemoryRunner().run)
    const needles = [SECRET, ...privateNeedles(leaked.privateJwk), ...privateNeedles(replacement.privateJwk)]
    expectNoNeedles([...requestTexts(state.requests), JSON.stringify(result)], needles)
  })
})
