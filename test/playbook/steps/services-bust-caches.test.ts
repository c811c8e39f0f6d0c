// services.bust-caches: a ✓ only when a cache-bust hook was called and answered; with nothing to call
// the step is skipped, saying why, and when every hook fails the step fails.
import {createServer, type Server} from 'node:http'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startRun} from '../../../src/playbook/respond.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'

let hook: Server
let hookUrl = ''
let calls = 0

beforeAll(async () => {
  hook = createServer((_request, response) => {
    calls += 1
    response.writeHead(204).end()
  })
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  const address = hook.address()
  hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/admin/jwks/reload`
})
afterAll(async () => {
  await new Promise((resolve) => hook.close(resolve))
})

/** An inventory with the given services (each `[id, cacheBust url or null]`). */
async function inventory(home: string, services: Array<[string, string | null]>): Promise<string> {
  const file = join(home, 'inventory.yaml')
  const lines = services.flatMap(([id, url]) => [
    `  - id: ${id}`,
    '    team: t',
    '    contacts: {email: t@example.com}',
    '    trusts: [auth]',
    ...(url ? [`    cacheBust: {url: "${url}", method: POST}`] : []),
  ])
  await writeFile(
    file,
    [
      'version: 1',
      'issuers:',
      '  - id: auth',
      '    issuer: https://auth.example.com',
      '    jwksUri: https://auth.example.com/jwks.json',
      '    keySource: {type: manual}',
      'services:',
      ...lines,
      '',
    ].join('\n'),
  )
  return file
}

async function bust(services: Array<[string, string | null]>, only?: string[]) {
  const home = await tempHome()
  const file = await writePlaybook(
    home,
    `steps:
  - id: bust
    uses: services.bust-caches
    onFailure: continue
${only ? `    with: {services: ${JSON.stringify(only)}}\n` : ''}`,
  )
  const result = await startRun({
    ...baseOptions(home),
    yes: true,
    playbook: file,
    registry: registryWith(),
    inventoryPath: await inventory(home, services),
    ui: scriptedUi({}, false),
  })
  return {result, step: result.steps[0], events: await readJournal(home, result.incident)}
}

describe('services.bust-caches', () => {
  it('is skipped, saying no service declares a hook, when none in scope has one', async () => {
    // Given two dependent services, neither with a cache-bust hook
    // When the step runs
    const {step, events} = await bust([
      ['billing', null],
      ['reports', null],
    ])
    // Then it is skipped (not succeeded), its reason in words, and nothing was called
    expect(step).toMatchObject({status: 'skipped', outputs: null})
    expect(step?.reason).toMatch(/^no cache-bust hook: none of billing, reports declares one/)
    expect(events.some((event) => event.type === 'effect.intent')).toBe(false)
  })

  it('is skipped when no service depends on the key (locate found no dependent)', async () => {
    // Given a hook, but an empty list of dependents from locate
    const {step} = await bust([['billing', hookUrl]], [])
    // Then there is nothing to bust
    expect(step).toMatchObject({status: 'skipped', reason: 'no dependent service: no cache to bust'})
  })

  it('fails when every hook it called failed, and succeeds only with a hook that answered', async () => {
    // Given one service whose hook nobody answers, and then one whose hook answers 204
    const before = calls
    const dead = await bust([['billing', 'http://127.0.0.1:9/reload']])
    const alive = await bust([
      ['billing', hookUrl],
      ['reports', null],
    ])
    // Then the first fails, naming the service; the second succeeds with what it busted and what it could not
    expect(dead.step?.status).toBe('failed')
    expect(dead.step?.error?.message).toMatch(/^No cache-bust hook worked: billing/)
    expect(alive.step).toMatchObject({status: 'succeeded', outputs: {busted: ['billing'], failed: [], withoutHook: ['reports']}})
    expect(calls - before).toBe(1)
  })
})
