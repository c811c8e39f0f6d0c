import {readFile} from 'node:fs/promises'

import {afterEach, describe, expect, it} from 'vitest'

import {defineStep} from '../../../src/playbook/define-step.js'
import {Type} from '../../../src/playbook/step-schema.js'
import {createRegistry} from '../../../src/playbook/registry.js'
import {startRun} from '../../../src/playbook/respond.js'
import {builtinSteps} from '../../../src/playbook/steps/index.js'
import {startWorld, tokensSeen, type ServiceSpec, type World} from '../../adapters/verify/world.js'
import {baseOptions, readJournal, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'

const open: World[] = []
afterEach(async () => {
  for (const world of open.splice(0)) await world.close()
})

async function world(services: ServiceSpec[], options: {keyType?: 'ec' | 'rsa'} = {}): Promise<World> {
  const started = await startWorld(services, options)
  open.push(started)
  return started
}

/** Stands in for key.revoke: removes the key from the issuer's JWKS as a journaled effect, and journals the issuer's result as it does. */
function revokeStep(w: World) {
  return defineStep({
    id: 'test.revoke',
    title: 'Remove the key',
    description: 'Removes the leaked key from the test issuer, through an effect like key.revoke.',
    inputSchema: Type.Record(Type.String(), Type.Never()),
    outputSchema: Type.Object({removed: Type.Boolean()}),
    sideEffects: true,
    plan: () => [{kind: 'http', target: 'PUT /jwks', description: 'remove the leaked key'}],
    run: async (_input, context) => {
      const ref = await context.effect(`${context.incident.id}:revoke:auth-main:remove`, 'Remove the leaked key', async () => {
        w.removeKey()
        return {removed: true}
      })
      await context.record('key.revoke.issuer', {
        issuerId: 'auth-main',
        source: 'jwks-file',
        status: 'changed',
        removed: [{kid: null, thumbprint: null}],
        leakedStillListed: false,
      })
      return {removed: ref.removed === true}
    },
  })
}

async function runPlaybook(w: World, steps: string, options: {dryRun?: boolean; inventory?: boolean} = {}) {
  const home = await tempHome()
  const file = await writePlaybook(home, `inputs:\n  key: {type: string, required: true}\nsteps:\n${steps}`)
  const result = await startRun({
    ...baseOptions(home),
    yes: true,
    dryRun: options.dryRun ?? false,
    playbook: file,
    inputs: {key: w.keyFile},
    inventoryPath: options.inventory === false ? null : w.inventoryFile,
    registry: createRegistry([...builtinSteps(), revokeStep(w)]),
    ui: scriptedUi({}, false),
  })
  const journal = await readJournal(home, result.incident)
  return {home, result, journal}
}

const PROVE_ONCE = `  - id: prove
    uses: containment.verify
    with: {key: "\${{ inputs.key }}"}
`

describe('containment.verify', () => {
  it('journals the evidence of each probe and JWKS fetch, and outputs what is exposed', async () => {
    // Given a relying party that trusts an issuer still publishing the key
    const w = await world([{id: 'billing-api', cacheSeconds: 60}])
    // When the step checks once
    const {result, journal} = await runPlaybook(w, PROVE_ONCE)
    // Then it succeeds with the state of things: exposed, the clock not started
    const step = result.steps[0]
    expect(step?.status).toBe('succeeded')
    expect(step?.outputs).toMatchObject({
      contained: false,
      outcome: 'not-proven',
      services: {contained: 0, exposed: 1, unknown: 0, undiscriminating: 0},
      exposed: ['billing-api'],
      unknown: [],
      undiscriminating: [],
      deadline: null,
      clock: {containedBy: null, deadline: null, waitFor: null, tokenLifetimeSeconds: 3600},
      probesPossible: true,
      checks: 1,
    })
    // And the journal holds the evidence: URL, time, status, body hash, the canary's jti
    const probes = journal.filter((event) => event.type === 'evidence.probe')
    expect(probes.map((event) => [event.data.role, event.data.outcome])).toEqual([
      ['canary', 'accepted'],
      ['negative-control', 'rejected'],
    ])
    expect(probes[0]?.data).toMatchObject({
      step: 'prove',
      round: 1,
      phase: 'check',
      kid: 'prod-1',
      service: 'billing-api',
      url: w.rp('billing-api').url,
      method: 'GET',
      httpStatus: 200,
      outcome: 'accepted',
      bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      jti: w.rp('billing-api').requests[0]?.jti,
    })
    expect(Date.parse(String(probes[0]?.data.checkedAt))).not.toBeNaN()
    expect(journal.find((event) => event.type === 'evidence.jwks')?.data).toMatchObject({
      url: w.issuer.url('/jwks'),
      httpStatus: 200,
      servesLeakedKey: true,
      bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    expect(journal.find((event) => event.type === 'containment.verdict')?.data).toMatchObject({
      contained: false,
      outcome: 'not-proven',
      exposed: ['billing-api'],
    })
    // And the whole result is an artifact
    const artifact = JSON.parse(await readFile(String(step?.outputs?.artifact), 'utf8')) as {services: {id: string}[]}
    expect(artifact.services.map((service) => service.id)).toEqual(['billing-api'])
  })

  it('after a journaled removal, waits until every cache expired, with the clock started at the removal', async () => {
    // Given a playbook that checks, removes the key (a journaled effect), then proves containment
    const w = await world([
      {id: 'fast', cacheSeconds: 1},
      {id: 'slow', cacheSeconds: 2},
    ])
    const {result, journal} = await runPlaybook(
      w,
      `${PROVE_ONCE}  - id: revoke
    uses: test.revoke
  - id: proven
    uses: containment.verify
    with: {key: "\${{ inputs.key }}", untilContained: true, interval: 100ms, deadline: 15s, tokenLifetime: 15m}
`,
    )
    // Then the run completes, everything contained
    expect(result.status).toBe('completed')
    const outputs = result.steps.find((step) => step.id === 'proven')?.outputs
    expect(outputs).toMatchObject({contained: true, services: {contained: 2, exposed: 0, unknown: 0}, exposed: []})
    // And the clock started when the journal says the key was removed, not at the step's first check
    const removal = journal.find((event) => event.type === 'key.revoke.issuer' && event.data.issuerId === 'auth-main')
    const verdict = journal.filter((event) => event.type === 'containment.verdict').at(-1)
    const clock = verdict?.data.clock as {issuers: {removedAt: string; source: string}[]; containedBy: string; deadline: string}
    expect(clock.issuers[0]).toMatchObject({removedAt: removal?.ts, source: 'journal'})
    expect(Date.parse(clock.containedBy)).toBe(Date.parse(String(removal?.ts)) + 2000)
    expect(Date.parse(clock.deadline)).toBe(Date.parse(clock.containedBy) + 15 * 60_000)
    expect(outputs?.deadline).toBe(clock.deadline)
    // And it proved it with rejected canaries, journaled round by round
    const lastRound = journal.filter((event) => event.type === 'evidence.probe' && event.data.step === 'proven').slice(-2)
    expect(lastRound.map((event) => [event.data.service, event.data.outcome])).toEqual([
      ['fast', 'rejected'],
      ['slow', 'rejected'],
    ])
  })

  it('fails with the exposed service named when a cache outlives the deadline', async () => {
    const w = await world([{id: 'forever-api', cacheSeconds: 1, forever: true}])
    const {result, journal} = await runPlaybook(
      w,
      `${PROVE_ONCE}  - id: revoke
    uses: test.revoke
  - id: proven
    uses: containment.verify
    with: {key: "\${{ inputs.key }}", untilContained: true, interval: 200ms, deadline: 1s}
`,
    )
    expect(result.status).toBe('failed')
    const step = result.steps.find((outcome) => outcome.id === 'proven')
    expect(step?.error?.code).toBe('ERR_NOT_CONTAINED')
    expect(step?.error?.message).toMatch(/still exposed: forever-api/)
    // And the evidence of the failed proof is in the journal all the same
    expect(journal.filter((event) => event.type === 'evidence.probe' && event.data.step === 'proven').length).toBeGreaterThan(1)
  })

  it('never writes the private key or a canary token to the journal, the artifact or the outputs', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 60}], {keyType: 'rsa'})
    const {home, result} = await runPlaybook(w, PROVE_ONCE)
    const journalText = await readFile(`${home}/incidents/${result.incident}/journal.jsonl`, 'utf8')
    const artifact = await readFile(String(result.steps[0]?.outputs?.artifact), 'utf8')
    const text = [journalText, artifact, JSON.stringify(result)].join('\n')
    const needles = [...w.needles(), ...tokensSeen(w)]
    expect(needles.length).toBeGreaterThanOrEqual(7)
    expect(needles.filter((needle) => text.includes(needle))).toEqual([])
  })

  it('plans its fetches and probes in a dry run and makes none of them', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 60}])
    const {result} = await runPlaybook(w, PROVE_ONCE, {dryRun: true})
    expect(result.steps[0]?.plan).toEqual([
      expect.objectContaining({kind: 'http', target: `GET ${w.issuer.url('/jwks')}`}),
      expect.objectContaining({
        kind: 'http',
        target: `GET ${w.rp('billing-api').url}`,
        description: expect.stringContaining('Canary token'),
      }),
    ])
    expect(w.issuer.requests).toEqual([])
    expect(w.rp('billing-api').requests).toEqual([])
  })

  it('is skipped without an inventory', async () => {
    const w = await world([{id: 'billing-api', cacheSeconds: 60}])
    const {result} = await runPlaybook(w, PROVE_ONCE, {inventory: false})
    expect(result.steps[0]).toMatchObject({status: 'skipped', reason: expect.stringContaining('no inventory')})
    expect(w.rp('billing-api').requests).toEqual([])
  })
})
