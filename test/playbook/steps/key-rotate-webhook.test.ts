// key.rotate at an issuer behind a webhook receiver that generates the replacement itself
// (docs/webhook-protocol.md), through the engine and the CLI, in a live world: the issuer's JWKS on a
// real local server that the receiver double updates as it applies each stage, and a relying party on
// jose's createRemoteJWKSet. jwkr records the key the receiver reported as the replacement, holds no
// private half of it, and proves containment from the baseline; a receiver that answers with a private
// key, the leaked key or a key of another kind makes the step fail with a clear error, and no private
// value shows anywhere.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {calculateJwkThumbprint, type JWK} from 'jose'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {startRun} from '../../../src/playbook/respond.js'
import type {KeyChangeStepOutput} from '../../../src/playbook/steps/key-rotate.js'
import {privateNeedles} from '../../core/key/samples.js'
import {snapshot, withEnv} from '../../helpers/containment-world.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../../helpers/jwks-server.js'
import {server} from '../../helpers/msw.js'
import {startRelyingParty, type RelyingParty} from '../../helpers/relying-party.js'
import {exitCodeOf, run} from '../../helpers/run.js'
import {createWebhookState, webhookHandlers, type WebhookMockState} from '../../mocks/webhook.js'

const ISS = 'https://legacy.example.com'
const SECRET = 'whsec-e2e-7a6b5c4d'
const LEAKED = {kid: 'legacy-1', alg: 'RS256', use: 'sig'} as const

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
steps:
  - id: baseline
    uses: containment.verify
    with: {key: "\${{ inputs.key }}", baseline: true, timeout: 2s}
  - id: rotate
    uses: key.rotate
    with: {key: "\${{ inputs.key }}"}
  - id: prove
    uses: containment.verify
    with:
      key: "\${{ inputs.key }}"
      controlKey: "\${{ steps.rotate.outputs.replacement.privateKeyFile }}"
      untilContained: true
      deadline: 20s
      interval: 250ms
      timeout: 2s
`

let dir: string
let home: string
let jwks: JwksServer
let rp: RelyingParty
let leaked: TestKey
let receiver: WebhookMockState
let keyFile: string
let inventory: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwkr-webhook-'))
  home = await tempHome()
  leaked = await makeTestKey(LEAKED.kid, 'rsa')
  keyFile = join(dir, 'leaked.json')
  await writeFile(keyFile, JSON.stringify({...leaked.privateJwk, alg: LEAKED.alg, use: LEAKED.use}))
  // The issuer serves the leaked key; the receiver publishes the key it makes on "add" and drops the leaked one on "remove".
  const published = {...leaked.publicJwk, alg: LEAKED.alg, use: LEAKED.use}
  jwks = await startJwksServer()
  jwks.serve('/legacy/jwks', {keys: [published]})
  receiver = createWebhookState({secret: SECRET})
  receiver.onApplied = (change, made) => {
    if (made) jwks.serve('/legacy/jwks', {keys: [published, made.publicJwk]})
    if (change.body.stage === 'remove') {
      const next = receiver.generated[0]?.publicJwk
      jwks.serve('/legacy/jwks', {keys: next ? [next] : []})
    }
  }
  server.use(...webhookHandlers(receiver))
  rp = await startRelyingParty({
    jwksUri: jwks.url('/legacy/jwks'),
    issuer: ISS,
    audience: 'billing-api',
    cacheMaxAgeMs: 500,
    cooldownMs: 100,
  })
  inventory = join(dir, 'jwkr.inventory.yaml')
  await writeFile(
    inventory,
    `version: 1
issuers:
  - id: legacy
    issuer: ${ISS}
    jwksUri: ${jwks.url('/legacy/jwks')}
    keySource: {type: webhook, url: ${receiver.url}}
services:
  - id: billing-api
    team: payments
    contacts: {slack: "#payments"}
    trusts: [legacy]
    probe: {url: "${rp.url}", method: GET}
    jwksCacheSeconds: 1
`,
  )
})

afterEach(async () => {
  await rp.close()
  await jwks.close()
  await rm(dir, {recursive: true, force: true})
})

/** Everything jwkr wrote for an incident: its journal and every artifact. */
async function written(incident: string): Promise<string[]> {
  return [JSON.stringify(await snapshot(join(home, 'incidents', incident)))]
}

function needles(): string[] {
  return [SECRET, ...privateNeedles(leaked.privateJwk), ...receiver.generated.flatMap((key) => privateNeedles(key.privateJwk))]
}

function expectNowhere(texts: string[]): void {
  expect(receiver.generated.length).toBeGreaterThan(0)
  const found = needles().filter((needle) => texts.some((text) => text.includes(needle)))
  expect(found, 'private values in output').toEqual([])
}

describe('key.rotate at a webhook issuer', () => {
  it('records the key the receiver generated as the replacement, and proves containment from the baseline', async () => {
    // When the playbook runs: baseline, rotation through the receiver, proof
    const playbook = await writePlaybook(home, PLAYBOOK)
    const result = await startRun({
      ...baseOptions(home),
      playbook,
      inputs: {key: keyFile},
      inventoryPath: inventory,
      yes: true,
      env: {JWKR_WEBHOOK_SECRET: SECRET},
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    // Then every step succeeded
    expect(
      result.steps.map((step) => [step.id, step.status]),
      JSON.stringify(result.steps.map((step) => step.error)),
    ).toEqual([
      ['baseline', 'succeeded'],
      ['rotate', 'succeeded'],
      ['prove', 'succeeded'],
    ])
    // And the replacement is the one key the receiver made, whose private half jwkr does not have
    expect(receiver.generated).toHaveLength(1)
    const made = receiver.generated[0]!.publicJwk as JWK
    const thumbprint = await calculateJwkThumbprint(made, 'sha256')
    const outputs = result.steps[1]?.outputs as KeyChangeStepOutput
    expect(outputs.replacement).toEqual({kid: made.kid, thumbprint, alg: 'RS256', privateKeyFile: null})
    expect(outputs.issuers[0]).toMatchObject({issuerId: 'legacy', status: 'changed', added: [{kid: made.kid, thumbprint}]})
    // And the journal names it as the replacement, generated by the receiver
    const journal = await readJournal(home, result.incident)
    expect(journal.filter((event) => event.type === 'key.replacement').map((event) => event.data)).toEqual([
      {
        step: 'rotate',
        issuerId: 'legacy',
        kid: made.kid,
        thumbprint,
        alg: 'RS256',
        privateKeyFile: null,
        generatedBy: 'receiver',
      },
    ])
    // And the proof rests on the baseline acceptance: no control token was signed, no key file was written
    const proved = journal.filter((event) => event.type === 'containment.service' && event.data.phase === 'check')
    expect(proved.at(-1)?.data).toMatchObject({service: 'billing-api', status: 'contained', basis: 'probe'})
    expect(journal.filter((event) => event.type === 'evidence.probe' && event.data.role === 'control')).toEqual([])
    expect(Object.keys(await snapshot(join(home, 'incidents', result.incident))).filter((path) => path.includes('keys'))).toEqual(
      [],
    )
    // And no private value of the leaked key or of the receiver's key was written
    expectNowhere(await written(result.incident))
  })

  it.each<[string, WebhookMockState['addAnswer'], string, string]>([
    [
      'a private JWK',
      (key) => ({id: 'chg_1', publicJwk: key.privateJwk}),
      'ERR_JWKS_PRIVATE_MEMBERS',
      'holds private members (d, p, q, dp, dq, qi)',
    ],
    [
      'the leaked key itself',
      () => ({publicJwk: {...leaked.publicJwk, kid: 'legacy-2', alg: 'RS256'}}),
      'ERR_IDP_BAD_RESPONSE',
      'is the leaked key itself',
    ],
    [
      'a key of another family',
      () => ({publicJwk: {...otherFamily, kid: 'legacy-2', alg: 'ES256'}}),
      'ERR_IDP_BAD_RESPONSE',
      'is an EC P-256 key, and the leaked key is an RSA key',
    ],
  ])(
    'fails the rotation, exit non-zero, when the receiver answers with %s, and prints no private value',
    async (_name, answer, code, message) => {
      // Given a receiver that answers "add" wrongly
      receiver.addAnswer = answer
      // When the step runs alone from the command line
      const restore = withEnv({JWKR_WEBHOOK_SECRET: SECRET})
      const {stdout, stderr, error} = await run([
        'step',
        'run',
        'key.rotate',
        '--with',
        JSON.stringify({key: keyFile, issuers: ['legacy']}),
        '--inventory',
        inventory,
        '--home',
        home,
        '--yes',
      ]).finally(restore)
      // Then it fails (exit 3: a step failed) saying why, and asked nothing after "add"
      expect(exitCodeOf(error)).toBe(3)
      expect(stdout + stderr).toContain(message)
      expect(receiver.requests.map((request) => JSON.parse(request.body).stage)).toEqual(['add'])
      // And the journal holds the issuer's error with its code and what to do
      const incident = /Incident (\d{4}-\d{2}-\d{2}-[a-z0-9]+)/.exec(stdout + stderr)?.[1]
      expect(incident).toBeDefined()
      const failed = (await readJournal(home, incident!)).find((event) => event.type === 'key.rotate.issuer')
      expect(failed?.data).toMatchObject({
        issuerId: 'legacy',
        status: 'failed',
        error: {code, message: expect.stringContaining(message)},
      })
      expect(JSON.stringify(failed?.data.error)).toMatch(/receiver/)
      // And no private value shows on stdout, stderr, in the journal or the artifacts
      expectNowhere([stdout, stderr, ...(await written(incident!))])
    },
  )
})

const otherFamily = (await makeTestKey('other', 'ec')).publicJwk
