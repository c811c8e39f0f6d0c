// The manual key source: exact instructions in the plan, one confirmation per stage through the
// injected confirm(), a clear failure when nobody can confirm, and no repeat of a confirmed stage.
import {describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {IssuerKeyStoreDeps, ManualInstructions, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'
import {makeKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {expectNoNeedles, failureOf} from './helpers/secrecy.js'

const issuer: InventoryIssuer = {
  id: 'onprem',
  issuer: 'https://idp.internal.example',
  jwksUri: 'https://idp.internal.example/jwks.json',
  keySource: {type: 'manual'},
}

async function setup(deps: Partial<IssuerKeyStoreDeps> = {}) {
  const leaked = await makeKey('EC')
  const replacement = await makeKey('EC')
  const asked: ManualInstructions[] = []
  const answers: boolean[] = []
  const source = createIssuerKeyStore(issuer, {
    env: {},
    secrets: new SecretRegistry(),
    now: () => new Date('2025-03-01T12:00:00Z'),
    confirm: async (instructions) => {
      asked.push(instructions)
      return answers.shift() ?? true
    },
    ...deps,
  })
  const request: RotateRequest = {
    issuerId: 'onprem',
    incidentId: 'inc-2',
    leaked: {thumbprint: leaked.thumbprint, kid: 'onprem-2024'},
    replacement: {publicJwk: replacement.publicJwk, kid: replacement.thumbprint, privateKeyFile: '/secure/new-key.jwk'},
    reason: 'leak',
  }
  return {source, request, asked, answers, leaked, replacement}
}

describe('the manual key source', () => {
  it('plans exact instructions: the JWK to publish, where, and the thumbprint to remove', async () => {
    const {source, request, replacement} = await setup()
    const plan = source.planRotate(request)
    expect(plan.map((call) => call.kind)).toEqual(['manual', 'manual', 'manual'])
    expect(plan[0]?.description).toContain('https://idp.internal.example/jwks.json')
    expect(plan[0]?.description).toContain(String(replacement.publicJwk.x))
    expect(plan[1]?.description).toContain('/secure/new-key.jwk')
    expect(plan[2]?.description).toContain(request.leaked.thumbprint)
  })

  it('plans, before the new key exists (a dry run), in words where its public JWK will be shown, not as {}', async () => {
    const {source, request} = await setup()
    const plan = source.planRotate({
      ...request,
      replacement: {publicJwk: {}, kid: 'the new key’s thumbprint', privateKeyFile: ''},
    })
    expect(plan[0]?.description).toContain('(the new key’s public JWK, generated when the rotation runs and shown here then)')
    expect(plan[0]?.description).not.toContain('{}')
  })

  it('asks the responder to confirm each stage, in order', async () => {
    const {source, request, asked} = await setup()
    const result = await source.rotate(request, new LedgerRunner().run)
    expect(asked.map((item) => item.title)).toEqual([
      'Publish the new public key for issuer onprem',
      'Make issuer onprem sign with the new key',
      'Remove the leaked key from issuer onprem',
    ])
    expect(result).toMatchObject({outcome: 'changed', signingSwitched: true, stages: ['add', 'switch-signing', 'remove']})
  })

  it('fails at once when nobody can confirm', async () => {
    const {source, request} = await setup({confirm: undefined})
    const error = await failureOf(() => source.rotate(request, new LedgerRunner().run))
    expect(error.code).toBe('ERR_APPROVAL_REQUIRED')
    expect(error.message).toContain('unattended')
  })

  it('stops when the responder does not confirm, and does not ask again for confirmed stages', async () => {
    // Given the responder confirms the first stage and declines the second
    const {source, request, asked, answers} = await setup()
    answers.push(true, false)
    const runner = new LedgerRunner()
    const error = await failureOf(() => source.rotate(request, runner.run))
    expect(error.code).toBe('ERR_ABORTED')
    // When the run is resumed
    await source.rotate(request, runner.run)
    // Then the first stage is not asked again
    expect(asked.map((item) => item.title.split(' ')[0])).toEqual(['Publish', 'Make', 'Make', 'Remove'])
  })

  it('asks again for a stage interrupted after confirming (the engine cannot tell)', async () => {
    const {source, request, asked} = await setup()
    const runner = new LedgerRunner()
    runner.crashAfter = 'add'
    await expect(source.rotate(request, runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    await source.rotate(request, runner.run)
    expect(asked.map((item) => item.title.split(' ')[0])).toEqual(['Publish', 'Publish', 'Make', 'Remove'])
  })

  it('an interrupted stage is repeated only as the ledger allows: refused without --yes or a terminal, asked on one', async () => {
    // Given a stage confirmed by hand, then interrupted before its result was journaled
    const {source, request, asked, answers} = await setup()
    answers.push(true)
    const runner = new LedgerRunner({yes: false})
    runner.crashAfter = 'add'
    await expect(source.rotate(request, runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it resumes unattended, without --yes, it is refused before the person is asked again
    const error = await failureOf(() => source.rotate(request, runner.run))
    expect(error.code).toBe('ERR_APPROVAL_REQUIRED')
    expect(asked).toHaveLength(1)
    // And on a terminal whose responder says yes, the stage is asked for again
    const confirmed: string[] = []
    answers.push(true, true, true)
    const attended = new LedgerRunner({yes: false, confirmRepeat: async (description) => Boolean(confirmed.push(description))})
    attended.crashAfter = 'add'
    await expect(source.rotate(request, attended.run)).rejects.toBeInstanceOf(SimulatedCrash)
    await source.rotate(request, attended.run)
    expect(confirmed).toHaveLength(1)
    expect(attended.events.filter((item) => item.stage === 'add').map((item) => item.event)).toEqual([
      'applied',
      'repeated',
      'applied',
    ])
  })

  it('never shows a private value, and refuses a private replacement', async () => {
    const {source, request, asked, replacement, leaked} = await setup()
    await source.rotate(request, new LedgerRunner().run)
    expectNoNeedles(
      [JSON.stringify(asked), JSON.stringify(source.planRotate(request))],
      [...privateNeedles(replacement.privateJwk), ...privateNeedles(leaked.privateJwk)],
    )
    const careless = {...request, replacement: {publicJwk: replacement.privateJwk, kid: 'x'}}
    expectNoNeedles([JSON.stringify(source.planRotate(careless))], privateNeedles(replacement.privateJwk))
    const error = await failureOf(() => source.rotate(careless, new LedgerRunner().run))
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
  })
})
