// key.revoke through the engine: the leaked key removed at the file issuer and the Keycloak realm,
// nothing generated, a plan that makes no call, and a retry after a failed stage that repeats no
// stage already done.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {resumeRun, startRun} from '../../../src/playbook/respond.js'
import {createContainmentWorld, type ContainmentWorld} from '../../helpers/containment-world.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
steps:
  - id: revoke
    uses: key.revoke
    with:
      key: "\${{ inputs.key }}"
      issuers: [auth-main, sso]
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

async function revoke(dryRun = false) {
  const result = await startRun({
    ...baseOptions(home),
    playbook: await writePlaybook(home, PLAYBOOK),
    inputs: {key: world.keyFile},
    inventoryPath: world.inventory,
    dryRun,
    yes: true,
    env: world.env,
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  return {result, artifacts: join(home, 'incidents', result.incident, 'artifacts')}
}

const jwksKids = async () =>
  (JSON.parse(await readFile(world.jwksFile, 'utf8')) as {keys: Array<{kid: string}>}).keys.map((key) => key.kid)
const keycloakLines = () =>
  world.keycloak.requests.map((item) => `${item.method} ${item.path.replace(/components\/[\w-]+/, 'components/ID')}`)

describe('key.revoke', () => {
  it('removes the key at both issuers and generates nothing', async () => {
    // When the step runs
    const {result, artifacts} = await revoke()
    // Then both issuers lost the key, nothing was added, and no key file exists
    expect(result.steps[0]?.status).toBe('succeeded')
    expect(result.steps[0]?.outputs).toMatchObject({replacement: null, changed: ['sso', 'auth-main'], notFound: []})
    expect(await jwksKids()).toEqual(['other-1'])
    expect(world.keycloak.components).toEqual([])
    expect(await readdir(artifacts)).not.toContain('keys')
    // And no private value is in the journal
    const journal = JSON.stringify(await readJournal(home, result.incident))
    for (const needle of world.needles) expect(journal).not.toContain(needle)
  })

  it('plans without a call and changes nothing in a dry run', async () => {
    const before = await world.snapshot()
    // When dry-run
    const {result} = await revoke(true)
    // Then nothing was requested or written
    expect(result.steps[0]?.status).toBe('planned')
    expect(world.requests()).toEqual([])
    expect(await world.snapshot()).toEqual(before)
  })

  it('resumed after Keycloak failed mid-way, repeats no stage already done', async () => {
    // Given Keycloak failing the delete once (after the provider was disabled and the file changed)
    world.keycloak.failures.push({status: 500, times: 1, match: 'DELETE'})
    const {result} = await revoke()
    expect(result.status).toBe('failed')
    expect(await jwksKids()).toEqual(['other-1'])
    // When the incident is resumed
    const resumed = await resumeRun({
      ...baseOptions(home),
      id: result.incident,
      yes: true,
      env: world.env,
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    // Then it completes; the disable was made once, only the failed delete was made again
    expect(resumed.status).toBe('completed')
    expect(keycloakLines().filter((line) => line.startsWith('PUT'))).toEqual(['PUT /admin/realms/acme/components/ID'])
    expect(keycloakLines().filter((line) => line.startsWith('DELETE'))).toHaveLength(2)
    expect(world.keycloak.components).toEqual([])
    // And the file issuer's change was not made again (its stage is journaled once)
    const journal = await readJournal(home, result.incident)
    expect(
      journal.filter((event) => event.type === 'effect.intent' && String(event.data.key).endsWith(':revoke:auth-main:remove')),
    ).toHaveLength(1)
  })
})
