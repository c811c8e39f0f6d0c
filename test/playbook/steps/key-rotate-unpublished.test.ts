// A replacement key that was generated and stored but is not published must never make key.rotate
// succeed. Here a writer with a stale copy of the JWKS file (a second process, a deploy) puts the old
// file back right after jwkr added the replacement: jwkr then removes the leaked key, and the file ends
// with neither. Before, the step reported the rotation as succeeded with that replacement.
import {readFile, writeFile} from 'node:fs/promises'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {calculateJwkThumbprint, type JWK} from 'jose'

import type {EngineObserver} from '../../../src/playbook/engine.js'
import {startRun} from '../../../src/playbook/respond.js'
import {createContainmentWorld, type ContainmentWorld} from '../../helpers/containment-world.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'

const PLAYBOOK = `inputs:
  key: {type: string, required: true}
steps:
  - id: rotate
    uses: key.rotate
    with:
      key: "\${{ inputs.key }}"
      issuers: [auth-main]
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

/** Puts the JWKS file as it was back once jwkr journaled that it added the replacement there. */
function staleWriter(): EngineObserver {
  return {
    name: 'stale-writer',
    async onEvent(event) {
      const key = String(event.data.key ?? '')
      if (event.type === 'effect.done' && key.includes('auth-main') && key.endsWith(':add')) {
        await writeFile(world.jwksFile, world.jwksText)
      }
    },
  }
}

describe('key.rotate with a replacement that does not stay published', () => {
  it('fails, saying the replacement is not published, instead of succeeding', async () => {
    // Given a jwks-file issuer whose file is put back by a stale writer right after jwkr added the replacement
    const result = await startRun({
      ...baseOptions(home),
      playbook: await writePlaybook(home, PLAYBOOK),
      inputs: {key: world.keyFile},
      inventoryPath: world.inventory,
      yes: true,
      env: world.env,
      registry: registryWith(),
      ui: scriptedUi({}, false),
      observers: [staleWriter()],
    })
    // Then the file holds no replacement
    const {keys} = JSON.parse(await readFile(world.jwksFile, 'utf8')) as {keys: JWK[]}
    const replacement = (await readJournal(home, result.incident)).find((event) => event.type === 'key.replacement')?.data
    const published = await Promise.all(keys.map((key) => calculateJwkThumbprint(key, 'sha256')))
    expect(published).not.toContain(replacement?.thumbprint)
    // And the step failed at that issuer, saying why and what to do, never succeeded
    const rotate = result.steps.find((step) => step.id === 'rotate')
    expect(rotate?.status).toBe('failed')
    expect(rotate?.error?.code).toBe('ERR_CONTAINMENT_INCOMPLETE')
    expect(rotate?.error?.message).toContain(
      `the replacement ${String(replacement?.kid)} was written to its key source but is not there now`,
    )
    const issuer = (await readJournal(home, result.incident)).find((event) => event.type === 'key.rotate.issuer')?.data
    expect(issuer).toMatchObject({issuerId: 'auth-main', status: 'failed', error: {code: 'ERR_KEY_SOURCE_WRITE'}})
    expect(String((issuer?.error as {hint: string}).hint)).toMatch(/Publish the public half of .*by hand/)
  })

  it('succeeds with its replacement when the file keeps it', async () => {
    const result = await startRun({
      ...baseOptions(home),
      playbook: await writePlaybook(home, PLAYBOOK),
      inputs: {key: world.keyFile},
      inventoryPath: world.inventory,
      yes: true,
      env: world.env,
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    const rotate = result.steps.find((step) => step.id === 'rotate')
    expect(rotate?.status).toBe('succeeded')
    expect(rotate?.outputs?.replacement).toMatchObject({privateKeyFile: expect.stringContaining('.private.jwk.json')})
  })
})
