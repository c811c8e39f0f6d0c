// key.rotate through the engine: a real jwks-file issuer and a Keycloak realm (msw), the replacement
// generated once per incident into the artifacts (0600), a plan that makes no call, a resume after a
// crash between stages that never makes a second key or provider, a resume after a kill that left a
// torn key file and temp files, and no private value (leaked or generated) in the journal, the
// outputs, the artifacts or any request. No key is generated where nothing will publish it (a file
// that also exposes other keys, or lacks the leaked one), and the plan says what the run would refuse.
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {Ajv2020} from 'ajv/dist/2020.js'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {RunResult} from '../../../src/playbook/engine.js'
import {resumeRun, startRun} from '../../../src/playbook/respond.js'
import {keyRotate, type KeyChangeStepOutput} from '../../../src/playbook/steps/key-rotate.js'
import {privateNeedles} from '../../core/key/samples.js'
import {createContainmentWorld, snapshot, type ContainmentWorld} from '../../helpers/containment-world.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {run} from '../../helpers/run.js'

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
  issuers: {type: array, required: false}
steps:
  - id: rotate
    uses: key.rotate
    with:
      key: "\${{ inputs.key }}"
      issuers: "\${{ inputs.issuers }}"
`

let world: ContainmentWorld
let home: string

beforeEach(async () => {
  world = await createContainmentWorld()
  home = await tempHome()
})

afterEach(async () => {
  await world.close()
})

async function rotate(inputs: Record<string, unknown>, options: {dryRun?: boolean} = {}) {
  const playbook = await writePlaybook(home, PLAYBOOK)
  const result = await startRun({
    ...baseOptions(home),
    playbook,
    inputs: {key: world.keyFile, ...inputs},
    inventoryPath: world.inventory,
    dryRun: options.dryRun ?? false,
    yes: true,
    env: world.env,
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  const incidentDir = join(home, 'incidents', result.incident)
  return {result, incidentDir, artifacts: join(incidentDir, 'artifacts'), journal: await readJournal(home, result.incident)}
}

/** Cuts the incident's journal right after the first `type` event of the effect key ending in `key`: a crash there. */
async function crashAfter(incidentDir: string, type: 'effect.intent' | 'effect.done', key: string): Promise<void> {
  const journalFile = join(incidentDir, 'journal.jsonl')
  const lines = (await readFile(journalFile, 'utf8')).split('\n').filter(Boolean)
  const cut = lines.findIndex((line) => line.includes(`"${type}"`) && line.includes(key))
  expect(cut).toBeGreaterThan(0)
  await writeFile(journalFile, `${lines.slice(0, cut + 1).join('\n')}\n`)
}

const resume = (id: string) =>
  resumeRun({...baseOptions(home), id, yes: true, env: world.env, registry: registryWith(), ui: scriptedUi({}, false)})

const jwksKids = async () =>
  (JSON.parse(await readFile(world.jwksFile, 'utf8')) as {keys: Array<{kid: string}>}).keys.map((key) => key.kid)

describe('key.rotate', () => {
  it('rotates at the named issuers, keeps the new private key in the artifacts only, and journals the evidence', async () => {
    // When the step rotates at the jwks-file issuer and the Keycloak realm
    const {result, artifacts, journal, incidentDir} = await rotate({issuers: ['auth-main', 'sso']})
    // Then it succeeds with outputs that fit its schema
    const [step] = result.steps
    expect(step?.status, JSON.stringify(step?.error)).toBe('succeeded')
    const outputs = step?.outputs as KeyChangeStepOutput
    expect(new Ajv2020({strict: false}).validate(keyRotate.outputSchema, outputs)).toBe(true)
    expect(outputs.changed).toEqual(['sso', 'auth-main'])
    // And the new private key is in the artifacts, mode 0600, and the JWKS publishes its public half
    const keyFile = join(artifacts, 'keys', 'rotate.private.jwk.json')
    expect(outputs.replacement).toMatchObject({privateKeyFile: keyFile, alg: 'RS256'})
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(await jwksKids()).toEqual(['other-1', outputs.replacement?.kid])
    expect(await readFile(join(artifacts, 'jwks-file', 'auth-main.before-add.json'), 'utf8')).toBe(world.jwksText)
    // And Keycloak signs with a provider named after the incident, the leaked one gone
    expect(world.keycloak.components.map((component) => component.name)).toEqual([`jwkr-${result.incident}-sso`])
    // And the journal holds the replacement's path and thumbprint, and each issuer's result
    expect(journal.find((event) => event.type === 'key.replacement')?.data).toEqual({
      step: 'rotate',
      kid: outputs.replacement?.kid,
      thumbprint: outputs.replacement?.thumbprint,
      alg: 'RS256',
      privateKeyFile: keyFile,
    })
    expect(
      journal.filter((event) => event.type === 'key.rotate.issuer').map((event) => [event.data.issuerId, event.data.status]),
    ).toEqual([
      ['sso', 'changed'],
      ['auth-main', 'changed'],
    ])
    // And no private value of either key is in the journal, the outputs, the other artifacts or a request
    const generated = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, unknown>
    const files = await snapshot(incidentDir)
    delete files['artifacts/keys/rotate.private.jwk.json']
    const written = [
      JSON.stringify(journal),
      JSON.stringify(outputs),
      JSON.stringify(files),
      ...world.keycloak.requests.map((item) => item.body),
    ]
    for (const needle of [...world.needles, ...privateNeedles(generated)]) {
      for (const text of written) expect(text).not.toContain(needle)
    }
  })

  it('locates the key first when no issuers are given, and acts only where it is published', async () => {
    // When the step runs without issuers (services.locate did not say)
    const {result} = await rotate({})
    // Then it acted on the Auth0 tenant and the file issuer, and never called Keycloak
    const outputs = result.steps[0]?.outputs as KeyChangeStepOutput
    expect(outputs.issuers.map((issuer) => issuer.issuerId)).toEqual(['auth-zero', 'auth-main'])
    expect(world.keycloak.requests).toEqual([])
    expect(world.auth0.keys.find((key) => key.kid === 'leaked-1')?.revoked).toBe(true)
  })

  it('plans every call from the inventory alone and makes none in a dry run', async () => {
    // Given the world as it is
    const before = await world.snapshot()
    // When the step is dry-run without issuers
    const {result, journal} = await rotate({}, {dryRun: true})
    // Then nothing was asked of any server and no file changed
    expect(result.steps[0]?.status).toBe('planned')
    expect(world.requests()).toEqual([])
    expect(await world.snapshot()).toEqual(before)
    // And the plan names the locate fetches, the key file, and each issuer's changes
    const calls = (journal.find((event) => event.type === 'step.planned')?.data.calls ?? []) as Array<{
      kind: string
      target: string
    }>
    const targets = calls.map((call) => call.target)
    expect(targets).toContain(`GET ${world.jwks.url('/auth-main/jwks')}`)
    expect(calls.find((call) => call.kind === 'file' && call.target.endsWith('keys/rotate.private.jwk.json'))).toBeDefined()
    expect(targets).toContain('POST https://tenant.eu.auth0.com/api/v2/keys/signing/rotate')
    expect(targets).toContain('POST https://sso.example.com/admin/realms/acme/components')
    expect(targets).toContain(world.jwksFile)
  })

  it('after a crash between stages, resumes without a second key, provider or file change', async () => {
    // Given a rotation whose process died right after Keycloak created the new provider, before that was journaled
    const first = await rotate({issuers: ['auth-main', 'sso']})
    const firstOutputs = first.result.steps[0]?.outputs as KeyChangeStepOutput
    await crashAfter(first.incidentDir, 'effect.intent', ':rotate:sso:add-provider')
    // When the incident is resumed
    const resumed = await resume(first.result.incident)
    // Then it completes with the same replacement key
    expect(resumed.status).toBe('completed')
    const outputs = resumed.steps[0]?.outputs as KeyChangeStepOutput
    expect(outputs.replacement).toEqual(firstOutputs.replacement)
    // And Keycloak's provider was found again, not added twice
    expect(world.keycloak.requests.filter((item) => item.method === 'POST' && item.path.endsWith('/components'))).toHaveLength(1)
    expect(world.keycloak.components.filter((component) => component.name.startsWith('jwkr-'))).toHaveLength(1)
    const journal = await readJournal(home, first.result.incident)
    expect(
      journal.find((event) => event.type === 'effect.done' && String(event.data.key).endsWith(':add-provider'))?.data.recovered,
    ).toBe(true)
    // And one key was generated, once: one key file, one replacement in the JWKS, the first backup kept
    expect(
      journal.filter((event) => event.type === 'effect.intent' && String(event.data.key).endsWith(':replacement')),
    ).toHaveLength(1)
    expect(await readdir(join(first.artifacts, 'keys'))).toEqual(['rotate.private.jwk.json'])
    expect(await jwksKids()).toEqual(['other-1', firstOutputs.replacement?.kid])
    expect(await readFile(join(first.artifacts, 'jwks-file', 'auth-main.before-add.json'), 'utf8')).toBe(world.jwksText)
  })

  it('resumed after a kill just as the key file was created (empty, temp files left), makes a new key and finishes', async () => {
    // Given a rotation killed right after its key file was created: the journal ends at the key's
    // intent, nothing is published yet, the file is empty, and the dead process's temp files lie about
    const first = await rotate({issuers: ['auth-main']})
    const id = first.result.incident
    const journalFile = join(first.incidentDir, 'journal.jsonl')
    const lines = (await readFile(journalFile, 'utf8')).split('\n').filter(Boolean)
    const cut = lines.findIndex((line) => line.includes('"effect.intent"') && line.includes(':replacement'))
    expect(cut).toBeGreaterThan(0)
    await writeFile(journalFile, `${lines.slice(0, cut + 1).join('\n')}\n`)
    await writeFile(world.jwksFile, world.jwksText)
    await rm(join(first.artifacts, 'jwks-file'), {recursive: true, force: true})
    const keyFile = join(first.artifacts, 'keys', 'rotate.private.jwk.json')
    await writeFile(keyFile, '', {mode: 0o600})
    const dead = spawn(process.execPath, ['-e', ''])
    await once(dead, 'exit')
    const leftovers = [
      join(first.artifacts, 'keys', `.rotate.private.jwk.json.${dead.pid}.0123456789ab.tmp`),
      join(first.incidentDir, `.playbook.yaml.${dead.pid}.abcdef012345.tmp`),
    ]
    for (const path of leftovers) await writeFile(path, '{"kty":"RSA","n":"cut sh')
    // When the incident is resumed
    const resumed = await run<RunResult>(['incident', 'resume', id, '--home', home, '--yes', '--json'])
    // Then it completes, with a new whole key (0600) published and the leaked key removed
    expect(resumed.error?.message).toBeUndefined()
    expect(resumed.result?.status).toBe('completed')
    const outputs = resumed.result?.steps[0]?.outputs as KeyChangeStepOutput
    const stored = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, unknown>
    expect(stored.kid).toBe(outputs.replacement?.kid)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(await jwksKids()).toEqual(['other-1', outputs.replacement?.kid])
    // And the journal says why the file was discarded, and the key's generation got its result
    const journal = await readJournal(home, id)
    expect(journal.find((event) => event.type === 'key.replacement.discarded')?.data).toMatchObject({
      privateKeyFile: keyFile,
      reason: expect.stringContaining('never published') as unknown,
    })
    const generation = journal.filter((event) => String(event.data.key).endsWith(':replacement'))
    expect(generation.map((event) => event.type)).toEqual(['effect.intent', 'effect.intent', 'effect.done'])
    // And the temp files are gone, each named in the resume's journal event
    expect(journal.find((event) => event.type === 'incident.resumed')?.data.removedTempFiles).toEqual(
      leftovers.map((path) => relative(first.incidentDir, path)).sort(),
    )
    expect(await readdir(join(first.artifacts, 'keys'))).toEqual(['rotate.private.jwk.json'])
    expect((await readdir(first.incidentDir)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    // And no private value of the new key was printed or journaled
    for (const needle of privateNeedles(stored)) {
      for (const text of [resumed.stdout, resumed.stderr, JSON.stringify(journal)]) expect(text).not.toContain(needle)
    }
  })

  it('is wired into the standard playbook after locate, with tokens.invalidate, and a dry run of it calls nothing', async () => {
    // When the built-in playbook is dry-run with the inventory
    const result = await startRun({
      ...baseOptions(home),
      playbook: 'leaked-signing-key',
      inputs: {key: world.keyFile},
      inventoryPath: world.inventory,
      dryRun: true,
      yes: true,
      env: world.env,
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    // Then rotate and invalidate come after locate and are planned, and no server was asked anything
    const ids = result.steps.map((step) => step.id)
    expect(ids.indexOf('rotate')).toBeGreaterThan(ids.indexOf('locate'))
    expect(ids.indexOf('invalidate')).toBeGreaterThan(ids.indexOf('rotate'))
    const byId = new Map(result.steps.map((step) => [step.id, step]))
    expect(byId.get('rotate')).toMatchObject({status: 'planned', uses: 'key.rotate'})
    expect(byId.get('invalidate')).toMatchObject({status: 'planned', uses: 'tokens.invalidate'})
    expect(byId.get('rotate')?.plan?.map((call) => call.target)).toContain(
      'POST https://sso.example.com/admin/realms/acme/components',
    )
    expect(world.requests()).toEqual([])
  })
})

describe('key.rotate where nothing will publish a new key', () => {
  const exposeOther = () =>
    writeFile(
      world.jwksFile,
      JSON.stringify({
        keys: [
          {kid: 'other-1', ...world.other.privateJwk},
          {kid: 'leaked-1', ...world.leaked.publicJwk},
        ],
      }),
    )

  it('refuses a file that also exposes another key before generating anything, and its plan says so', async () => {
    // Given the file issuer's JWKS also publishes the other key's private member
    await exposeOther()
    const fileBefore = await readFile(world.jwksFile, 'utf8')
    // When the step is planned, then run
    const planned = await rotate({issuers: ['auth-main']}, {dryRun: true})
    const {result, artifacts, journal, incidentDir} = await rotate({issuers: ['auth-main']})
    // Then the plan names the refusal (kid and member names only) instead of the writes, and no key file
    const calls = (planned.journal.find((event) => event.type === 'step.planned')?.data.calls ?? []) as Array<{
      kind: string
      target: string
      description: string
    }>
    expect(calls).toEqual([
      {
        kind: 'none',
        target: 'auth-main',
        description: expect.stringContaining('publishes private members of other keys too (key 1 (kid other-1): d)') as unknown,
      },
    ])
    // And the run fails at that issuer with the same refusal, having generated no key and changed nothing
    const [step] = result.steps
    expect(step?.status).toBe('failed')
    expect(step?.error?.code).toBe('ERR_CONTAINMENT_INCOMPLETE')
    expect(journal.find((event) => event.type === 'key.rotate.issuer')?.data).toMatchObject({
      issuerId: 'auth-main',
      status: 'failed',
      stages: [],
      error: {code: 'ERR_JWKS_PRIVATE_MEMBERS'},
    })
    expect(journal.filter((event) => event.type === 'key.replacement' || event.type === 'effect.intent')).toEqual([])
    await expect(readdir(join(artifacts, 'keys'))).rejects.toMatchObject({code: 'ENOENT'})
    await expect(readdir(join(artifacts, 'jwks-file'))).rejects.toMatchObject({code: 'ENOENT'})
    expect(await readFile(world.jwksFile, 'utf8')).toBe(fileBefore)
    // And no private value of either key is in the journals, the outputs or the incident's files
    const written = [
      JSON.stringify(journal),
      JSON.stringify(planned.journal),
      JSON.stringify(result),
      JSON.stringify(await snapshot(incidentDir)),
    ]
    for (const needle of [...world.needles, ...privateNeedles(world.other.privateJwk)]) {
      for (const text of written) expect(text).not.toContain(needle)
    }
  })

  it('skips, generating no key, when the file no longer holds the leaked key', async () => {
    // Given the file lacks the leaked key
    await writeFile(world.jwksFile, JSON.stringify({keys: [{kid: 'other-1', ...world.other.publicJwk}]}))
    // When the step runs there
    const {result, artifacts, journal} = await rotate({issuers: ['auth-main']})
    // Then it is skipped saying why, with no key file and no replacement journaled
    expect(result.steps[0]?.status).toBe('skipped')
    expect(journal.find((event) => event.type === 'step.skipped')?.data.reason).toContain(
      'the key was not found in the key source of auth-main: nothing was rotated',
    )
    expect(journal.filter((event) => event.type === 'key.replacement')).toEqual([])
    await expect(readdir(join(artifacts, 'keys'))).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('resumed after the leaked key was removed but before the step ended, finishes with its key, not "not found"', async () => {
    // Given a rotation whose process died right after the file's remove stage was journaled
    const first = await rotate({issuers: ['auth-main']})
    const firstOutputs = first.result.steps[0]?.outputs as KeyChangeStepOutput
    await crashAfter(first.incidentDir, 'effect.done', ':rotate:auth-main:remove')
    // When the incident is resumed (the file holds the replacement and no longer the leaked key)
    const resumed = await resume(first.result.incident)
    // Then the step succeeds with the same replacement, changed there, and one key file
    expect(resumed.status).toBe('completed')
    const outputs = resumed.steps[0]?.outputs as KeyChangeStepOutput
    expect(outputs.changed).toEqual(['auth-main'])
    expect(outputs.replacement).toEqual(firstOutputs.replacement)
    expect(await readdir(join(first.artifacts, 'keys'))).toEqual(['rotate.private.jwk.json'])
  })
})

describe('key.rotate with a key source changed by hand', () => {
  it('hands the manual instructions to the person at the terminal, and refuses without one', async () => {
    const {containmentContext} = await import('../../../src/services/key-change.js')
    const asked: string[] = []
    const base = {
      secrets: undefined as never,
      env: {},
      incident: {id: 'inc', dir: '/tmp', artifactsDir: '/tmp/a', drill: false},
      effect: (async () => ({})) as never,
      signal: new AbortController().signal,
      now: () => new Date(),
      progress: () => undefined,
    }
    const withPerson = containmentContext(
      {...base, askPerson: async (title: string, lines: string[]) => asked.push(`${title}: ${lines.join(' / ')}`) > 0} as never,
      {version: 1, issuers: [], services: []},
    )
    expect(await withPerson.confirm?.({title: 'Remove the leaked key', steps: ['delete it']})).toBe(true)
    expect(asked).toEqual(['Remove the leaked key: delete it'])
    expect(containmentContext(base as never, {version: 1, issuers: [], services: []}).confirm).toBeUndefined()
  })
})
