// `jwkr key revoke`: removes the leaked key where it is published, adds nothing, refuses where the
// IdP would keep signing with it (Auth0 current key), and shares rotate's dry-run and --yes rules.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {KeyChangeOutcome} from '../../src/services/contain-key.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {withIncidentJournal} from '../../src/incident/incident-journal.js'
import {startRun} from '../../src/playbook/respond.js'
import {createContainmentWorld, withEnv, type ContainmentWorld} from '../helpers/containment-world.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'
import {exitCodeOf, run} from '../helpers/run.js'

let world: ContainmentWorld
let restoreEnv: () => void
let savedCwd: string

beforeEach(async () => {
  world = await createContainmentWorld()
  restoreEnv = withEnv({...world.env, JWKR_INVENTORY: undefined})
  savedCwd = process.cwd()
  process.chdir(world.dir)
})

afterEach(async () => {
  process.chdir(savedCwd)
  restoreEnv()
  await world.close()
})

describe('jwkr key revoke', () => {
  it('removes the key from the JWKS file and the Keycloak realm without adding any key', async () => {
    // When the key is revoked at the file issuer and the realm
    const {result, stdout, stderr, error} = await run<KeyChangeOutcome>([
      'key',
      'revoke',
      '--key',
      world.keyFile,
      '--issuer',
      'auth-main',
      '--issuer',
      'sso',
      '--yes',
      '--json',
    ])
    // Then both lost the key and gained nothing
    expect(error).toBeUndefined()
    const jwks = JSON.parse(await readFile(world.jwksFile, 'utf8')) as {keys: Array<{kid: string}>}
    expect(jwks.keys.map((key) => key.kid)).toEqual(['other-1'])
    expect(world.keycloak.components).toEqual([])
    expect(result?.issuers.map((issuer) => [issuer.issuerId, issuer.status, issuer.result?.added])).toEqual([
      ['sso', 'changed', []],
      ['auth-main', 'changed', []],
    ])
    // And no replacement was generated, while the file's backup is kept
    expect(result?.replacement).toBeNull()
    expect((await readdir(world.dir)).filter((name) => name.startsWith('jwkr-replacement'))).toEqual([])
    expect(await readFile(join(world.dir, 'jwkr-artifacts', 'jwks-file', 'auth-main.before-remove.json'), 'utf8')).toBe(
      world.jwksText,
    )
    // And no private value shows
    for (const needle of world.needles) expect(`${stdout}${stderr}`).not.toContain(needle)
  })

  it('refuses at Auth0 while the leaked key is current, saying to rotate instead (exit 1)', async () => {
    // Given the Auth0 tenant signs with the leaked key
    // When revoking there
    const {stdout, error} = await run(['key', 'revoke', '--key', world.keyFile, '--issuer', 'auth-zero', '--yes'])
    // Then it fails with the reason and the command that works, and nothing was revoked
    expect(exitCodeOf(error)).toBe(1)
    expect(stdout).toContain('Auth0 revokes only a previously used key')
    expect(stdout).toContain('jwkr key rotate')
    expect(world.auth0.requests.map((item) => item.method)).not.toContain('PUT')
  })

  it('dry run: plans the removal per issuer and touches nothing', async () => {
    // Given the folder as it is
    const before = await world.snapshot()
    // When the revocation is dry-run at every issuer
    const {result, error} = await run<KeyChangeOutcome>(['key', 'revoke', '--key', world.keyFile, '--all', '--dry-run', '--json'])
    // Then no request was made and no file changed, and the diff removes the leaked key only
    expect(error).toBeUndefined()
    expect(world.requests()).toEqual([])
    expect(await world.snapshot()).toEqual(before)
    expect(result?.jwksDiffs[0]).toMatchObject({added: [], removed: [{kid: 'leaked-1'}], kept: 1})
    expect(result?.issuers.find((issuer) => issuer.issuerId === 'sso')?.plan.map((call) => call.target)).toContain(
      'DELETE https://sso.example.com/admin/realms/acme/components/{leaked provider id}',
    )
  })

  it('refuses without a terminal unless --yes is given', async () => {
    // When revoking without --yes
    const before = await world.snapshot()
    const {stderr, error} = await run(['key', 'revoke', '--key', world.keyFile, '--issuer', 'auth-main'])
    // Then it exits 1, says so, and the file is unchanged
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('needs --yes')
    expect(await world.snapshot()).toEqual(before)
  })
})

describe('jwkr key revoke --incident, for an incident of the workspace', () => {
  /** An incident (a run stopped before its first change) whose journal then gets `events` for the file issuer's removal. */
  async function incidentWith(events: Array<{type: string; data: Record<string, unknown>}>) {
    const home = await tempHome()
    const file = await writePlaybook(home, 'steps:\n  - id: first\n    uses: test.echo\n')
    const {incident} = await startRun({...baseOptions(home), playbook: file, registry: registryWith(), ui: scriptedUi({}, false)})
    const key = `${incident}:revoke:auth-main:remove`
    await withIncidentJournal(home, incident, {secrets: new SecretRegistry()}, async (journal) => {
      for (const event of events) await journal.append(event.type, {step: 'revoke', key, ...event.data})
    })
    const revoke = () =>
      run<KeyChangeOutcome>([
        'key',
        'revoke',
        '--key',
        world.keyFile,
        '--issuer',
        'auth-main',
        '--incident',
        incident,
        '--home',
        home,
        '--yes',
        '--json',
      ])
    const effectEvents = async () =>
      (await readJournal(home, incident)).filter((event) => event.data.key === key).map((event) => [event.type, event.data.step])
    return {revoke, effectEvents}
  }

  it('does not make again a change the incident records as done', async () => {
    // Given an incident whose run already removed the key at auth-main
    const before = await world.snapshot()
    const incident = await incidentWith([
      {type: 'effect.intent', data: {description: 'Remove the key'}},
      {type: 'effect.done', data: {ref: {thumbprint: 'recorded'}}},
    ])
    // When the key is revoked there again for that incident
    const {error} = await incident.revoke()
    // Then the file is not written again and the journal holds no second attempt
    expect(error).toBeUndefined()
    expect(await world.snapshot()).toEqual(before)
    expect(await incident.effectEvents()).toEqual([
      ['effect.intent', 'revoke'],
      ['effect.done', 'revoke'],
    ])
  })

  it('settles a change left unknown by looking at the issuer, and journals what it did as the command', async () => {
    // Given an incident whose run died while removing the key at auth-main (intent, no result)
    const incident = await incidentWith([{type: 'effect.intent', data: {description: 'Remove the key'}}])
    // When the key is revoked for that incident
    const {error} = await incident.revoke()
    // Then the file no longer has it: the issuer said it was not removed, so it was removed now, once
    expect(error).toBeUndefined()
    const jwks = JSON.parse(await readFile(world.jwksFile, 'utf8')) as {keys: Array<{kid: string}>}
    expect(jwks.keys.map((key) => key.kid)).toEqual(['other-1'])
    expect(await incident.effectEvents()).toEqual([
      ['effect.intent', 'revoke'],
      ['effect.intent', 'jwkr key revoke'],
      ['effect.done', 'jwkr key revoke'],
    ])
    // And a second revoke for the incident finds it done
    await incident.revoke()
    expect((await incident.effectEvents()).length).toBe(3)
  })
})
