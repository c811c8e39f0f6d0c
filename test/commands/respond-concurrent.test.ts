// Two `jwkr respond` processes started at once for the same leaked key, against a drill world (a live
// issuer with a jwks-file key source, relying parties, Slack and GitHub on 127.0.0.1): exactly one
// opens an incident and rotates; the other finds that incident and refuses, naming it and saying how
// to continue it. Before, both opened an incident and the second generated a replacement that was
// never published.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {buildWorld, type World} from '../../src/drill/build-world.js'
import {tempHome} from '../drill/helpers.js'
import {spawnJwkr, type Finished} from '../helpers/spawn-jwkr.js'

function respond(world: World, home: string): Promise<Finished> {
  return spawnJwkr(['respond', '--key', world.leakPath, '--inventory', world.inventoryPath, '--yes', '--home', home, '--json'], {
    env: world.env,
  })
}

async function thumbprints(jwksPath: string): Promise<string[]> {
  const {keys} = JSON.parse(await readFile(jwksPath, 'utf8')) as {keys: JWK[]}
  return Promise.all(keys.map((key) => calculateJwkThumbprint(key, 'sha256')))
}

describe('two respond runs for one key', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it(
    'started at once: exactly one proceeds and rotates once; the other refuses, naming the open incident',
    {timeout: 180_000},
    async () => {
      // Given a drill world whose issuer publishes the leaked key
      const {home: worldHome, remove} = await tempHome()
      cleanups.push(remove)
      const world = await buildWorld({home: worldHome, scenario: 'basic', services: 2, cacheSeconds: [1, 1]})
      cleanups.push(world.close)
      const before = await thumbprints(world.jwksPath)
      expect(before).toContain(world.leak.thumbprint)
      const {home, remove: removeHome} = await tempHome()
      cleanups.push(removeHome)

      // When two responders run `jwkr respond` on the same key at the same moment
      const results = await Promise.all([respond(world, home), respond(world, home)])

      // Then one incident was opened
      const incidents = await readdir(join(home, 'incidents'))
      expect(incidents, results.map((r) => r.stderr).join('\n---\n')).toHaveLength(1)
      const [id] = incidents
      // And exactly one run proceeded; the other exited 1, naming that incident and how to continue it
      const refused = results.filter((result) => result.code === 1)
      const proceeded = results.filter((result) => result.code !== 1)
      expect(refused, results.map((r) => `${r.code}: ${r.stdout.slice(0, 400)}`).join('\n')).toHaveLength(1)
      expect(proceeded).toHaveLength(1)
      const refusal = JSON.parse(refused[0]?.stdout ?? '{}') as {error: {code: string; message: string; hint: string}}
      expect(refusal.error.code).toBe('ERR_INCIDENT_OPEN')
      expect(refusal.error.message).toContain(`already has an unfinished incident: ${id}`)
      expect(refusal.error.hint).toContain(`jwkr incident resume ${id}`)
      expect(JSON.parse(proceeded[0]?.stdout ?? '{}')).toMatchObject({incident: id})
      // And the key was rotated once: the leaked key removed, one replacement added, one replacement generated
      const after = await thumbprints(world.jwksPath)
      expect(after).not.toContain(world.leak.thumbprint)
      const added = after.filter((thumbprint) => !before.includes(thumbprint))
      expect(added).toHaveLength(1)
      const generated = (await readdir(join(home, 'incidents', id as string, 'artifacts', 'keys'))).filter((name) =>
        name.endsWith('.private.jwk.json'),
      )
      expect(generated).toHaveLength(1)
    },
  )
})
