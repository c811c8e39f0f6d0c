// tokens.invalidate through the engine: the denylist in the artifacts, a file and a real Redis,
// Keycloak sessions revoked through its double, sources without revocation reported with what to do
// by hand, a plan that makes no call, and a resume that keeps the same not-before and adds nothing.
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, expect, it} from 'vitest'

import {REVOKED_SET} from '../../../src/guard/redis-denylist.js'
import type {DenylistDocument} from '../../../src/core/containment/denylist.js'
import {resumeRun, startRun} from '../../../src/playbook/respond.js'
import type {TokensInvalidateOutput} from '../../../src/playbook/steps/tokens-invalidate.js'
import {createContainmentWorld, type ContainmentWorld} from '../../helpers/containment-world.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {describeRedis, redisAvailable, startRedisServer, type RedisServer} from '../../helpers/redis-server.js'

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
  denylistFile: {type: string, required: false}
steps:
  - id: invalidate
    uses: tokens.invalidate
    with:
      key: "\${{ inputs.key }}"
      issuers: [sso, auth-zero]
      denylistFile: "\${{ inputs.denylistFile }}"
      logoutAll: true
`

let redis: RedisServer
let world: ContainmentWorld
let home: string

beforeAll(async () => {
  if (!redisAvailable) return
  redis = await startRedisServer()
})

afterAll(async () => {
  if (!redisAvailable) return
  await redis.stop()
})

beforeEach(async () => {
  if (!redisAvailable) return
  world = await createContainmentWorld()
  home = await tempHome()
  await redis.client().flushall()
})

afterEach(async () => {
  if (!redisAvailable) return
  await world.close()
})

async function invalidate(dryRun = false) {
  const result = await startRun({
    ...baseOptions(home),
    playbook: await writePlaybook(home, PLAYBOOK),
    inputs: {key: world.keyFile, denylistFile: join(world.dir, 'denylist.json')},
    inventoryPath: world.inventory,
    dryRun,
    yes: true,
    env: {...world.env, REDIS_URL: redis.url},
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  return {result, incidentDir: join(home, 'incidents', result.incident)}
}

describeRedis('tokens.invalidate', () => {
  it('writes the denylist everywhere, revokes Keycloak sessions and says what to do at Auth0', async () => {
    // When the step runs
    const {result, incidentDir} = await invalidate()
    // Then it succeeds; the artifact, the file and Redis hold the key
    const step = result.steps[0]
    expect(step?.status, JSON.stringify(step?.error)).toBe('succeeded')
    const outputs = step?.outputs as TokensInvalidateOutput
    expect(outputs.artifact).toBe(join(incidentDir, 'artifacts', 'denylist.json'))
    expect(outputs.denylist.map((write) => [write.kind, write.status])).toEqual([
      ['file', 'written'],
      ['file', 'written'],
      ['redis', 'written'],
    ])
    for (const file of [outputs.artifact, join(world.dir, 'denylist.json')]) {
      const document = JSON.parse(await readFile(file, 'utf8')) as DenylistDocument
      expect(document.entries.map((entry) => [entry.iss, entry.incident, entry.notBefore])).toEqual([
        ['https://tenant.eu.auth0.com/', result.incident, outputs.notBefore],
        ['https://sso.example.com/realms/acme', result.incident, outputs.notBefore],
      ])
    }
    expect(await redis.client().smembers(REVOKED_SET)).toEqual([world.leaked.thumbprint])
    // And Keycloak's realm refuses tokens from before the not-before, with every session ended
    expect(world.keycloak.notBefore).toBe(Math.floor(Date.parse(outputs.notBefore) / 1000))
    expect(world.keycloak.sessions).toBe(0)
    // And Auth0 is reported as not supported, with the steps to take by hand
    expect(outputs.sessions.map((change) => [change.issuerId, change.status])).toEqual([
      ['auth-zero', 'unsupported'],
      ['sso', 'done'],
    ])
    expect(outputs.sessions[0]?.byHand).toContain('Auth0 has no tenant-wide revocation')
    // And the evidence is journaled, without any private value
    const journal = await readJournal(home, result.incident)
    expect(journal.filter((event) => event.type === 'tokens.denylist')).toHaveLength(3)
    expect(journal.filter((event) => event.type === 'tokens.sessions')).toHaveLength(2)
    for (const needle of world.needles) expect(JSON.stringify(journal)).not.toContain(needle)
  })

  it('plans the writes and calls, and makes none in a dry run', async () => {
    const before = await world.snapshot()
    // When dry-run
    const {result} = await invalidate(true)
    // Then nothing was written or requested, and Redis is untouched
    expect(result.steps[0]?.status).toBe('planned')
    expect(world.requests()).toEqual([])
    expect(await world.snapshot()).toEqual(before)
    expect(await redis.client().exists(REVOKED_SET)).toBe(0)
    const journal = await readJournal(home, result.incident)
    const calls = (journal.find((event) => event.type === 'step.planned')?.data.calls ?? []) as Array<{
      kind: string
      target: string
    }>
    expect(calls.map((call) => call.kind)).toEqual(['file', 'file', 'http', 'manual', 'http', 'http', 'http'])
  })

  it('resumed after a crash, keeps its not-before and adds nothing twice', async () => {
    // Given a run that died right after Keycloak's not-before was set
    const first = await invalidate()
    const firstOutputs = first.result.steps[0]?.outputs as Record<string, unknown>
    const journalFile = join(first.incidentDir, 'journal.jsonl')
    const lines = (await readFile(journalFile, 'utf8')).split('\n').filter(Boolean)
    const cut = lines.findIndex((line) => line.includes('"effect.done"') && line.includes(':sessions:sso:not-before'))
    expect(cut).toBeGreaterThan(0)
    await writeFile(journalFile, `${lines.slice(0, cut + 1).join('\n')}\n`)
    // When it is resumed (later)
    const resumed = await resumeRun({
      ...baseOptions(home),
      id: first.result.incident,
      yes: true,
      env: {...world.env, REDIS_URL: redis.url},
      registry: registryWith(),
      ui: scriptedUi({}, false),
      now: () => new Date(Date.now() + 60_000),
    })
    // Then the not-before is the one fixed the first time, and the realm's not-before was set once
    expect(resumed.status).toBe('completed')
    const outputs = resumed.steps[0]?.outputs as Record<string, unknown>
    expect(outputs.notBefore).toBe(firstOutputs.notBefore)
    expect(world.keycloak.requests.filter((item) => item.method === 'PUT')).toHaveLength(1)
    // And the denylists hold each entry once
    const document = JSON.parse(await readFile(join(world.dir, 'denylist.json'), 'utf8')) as DenylistDocument
    expect(document.entries).toHaveLength(2)
    expect(await redis.client().scard(REVOKED_SET)).toBe(1)
  })
})
