// `jwkr respond` on the day, with no inventory but --discover: in a drill world (a live issuer with
// a jwks-file key source, relying parties using jose, Slack and GitHub on 127.0.0.1) whose services'
// configuration and Backstage catalog are written at test time, services.locate discovers the
// inventory, the journal says what was discovered and from where, and the run locates and contains
// the key: it is gone from the issuer's JWKS and every service's probe proves it rejected.
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {calculateJwkThumbprint, type JWK} from 'jose'

import {buildWorld, ISSUER_ID, type World} from '../../src/drill/build-world.js'
import {tempHome} from '../drill/helpers.js'
import {spawnJwkr, type Finished} from '../helpers/spawn-jwkr.js'

/** The configuration an organisation like the drill world's would have: code per service, one catalog. */
function worldTree(world: World): Record<string, string> {
  const teams = [...new Set(world.services.map((service) => service.team))]
  const catalog = [
    ...teams.map((team) =>
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Group',
        `metadata: {name: ${team}, annotations: {slack.com/channel: ${team}-oncall}}`,
        `spec: {type: team, profile: {email: ${team}@drill.example}, children: []}`,
      ].join('\n'),
    ),
    [
      'apiVersion: backstage.io/v1alpha1',
      'kind: API',
      'metadata:',
      `  name: ${ISSUER_ID}`,
      '  annotations:',
      `    jwkr.dev/issuer: ${world.urls.issuer}`,
      `    jwkr.dev/key-source: "{type: jwks-file, path: ${world.jwksPath}}"`,
      'spec: {type: openapi, lifecycle: production, owner: identity, definition: x}',
    ].join('\n'),
    ...world.services.map((service) =>
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata:',
        `  name: ${service.id}`,
        '  annotations:',
        `    jwkr.dev/probe: ${service.url}`,
        ...(service.reloadUrl ? [`    jwkr.dev/cache-bust: POST ${service.reloadUrl}`] : []),
        `spec: {type: service, lifecycle: production, owner: ${service.team}}`,
      ].join('\n'),
    ),
  ]
  const files: Record<string, string> = {'catalog/catalog-info.yaml': `${catalog.join('\n---\n')}\n`}
  for (const service of world.services) {
    files[`${service.id}/package.json`] = JSON.stringify({name: service.id, dependencies: {jose: '^6'}})
    files[`${service.id}/src/auth.js`] = [
      "import {createRemoteJWKSet, jwtVerify} from 'jose'",
      `const JWKS = createRemoteJWKSet(new URL('${world.urls.jwks}'), {cacheMaxAge: ${service.cacheSeconds * 1000}})`,
      `export const verify = (token) => jwtVerify(token, JWKS, {issuer: '${world.urls.issuer}'})`,
      '',
    ].join('\n')
  }
  return files
}

function respond(world: World, home: string, tree: string): Promise<Finished> {
  return spawnJwkr(['respond', '--key', world.leakPath, '--discover', tree, '--yes', '--home', home, '--json'], {
    cwd: home,
    env: {...world.env, JWKR_INVENTORY: ''},
  })
}

async function thumbprints(jwksPath: string): Promise<string[]> {
  const {keys} = JSON.parse(await readFile(jwksPath, 'utf8')) as {keys: JWK[]}
  return Promise.all(keys.map((key) => calculateJwkThumbprint(key, 'sha256')))
}

describe('respond --discover without an inventory', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('discovers the inventory, journals it with provenance, and locates and contains the key', {timeout: 240_000}, async () => {
    // Given a drill world whose issuer publishes the leaked key, and its organisation's configuration
    const {home: worldHome, remove} = await tempHome()
    cleanups.push(remove)
    const world = await buildWorld({home: worldHome, scenario: 'basic', services: 2, cacheSeconds: [1, 1]})
    cleanups.push(world.close)
    const {home, remove: removeHome} = await tempHome()
    cleanups.push(removeHome)
    const tree = join(home, 'org')
    for (const [path, text] of Object.entries(worldTree(world))) {
      await mkdir(dirname(join(tree, path)), {recursive: true})
      await writeFile(join(tree, path), text)
    }
    expect(await thumbprints(world.jwksPath)).toContain(world.leak.thumbprint)

    // When a responder runs respond with no inventory, pointing --discover at it
    const result = await respond(world, home, tree)

    // Then the run proved containment (exit 0)
    expect(result.code, `${result.stdout.slice(0, 2000)}\n${result.stderr.slice(-2000)}`).toBe(0)
    const run = JSON.parse(result.stdout) as {incident: string; outcome: {status: string}}
    expect(run.outcome.status).toBe('proven')
    // And the leaked key is gone from the issuer's JWKS (the key source discovery found in the catalog)
    expect(await thumbprints(world.jwksPath)).not.toContain(world.leak.thumbprint)
    // And the journal says what was discovered and from where
    const journal = (await readFile(join(home, 'incidents', run.incident, 'journal.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {type: string; data: Record<string, unknown>})
    const discovered = journal.find((event) => event.type === 'inventory.discovered')?.data as {
      file: string
      sources: Array<{kind: string; target: string}>
      issuers: Array<{issuer: string; keySource: string; from: string[]}>
      services: Array<{id: string; from: Record<string, string[]>}>
    }
    expect(discovered.sources).toEqual([expect.objectContaining({kind: 'paths', target: tree})])
    expect(discovered.issuers).toEqual([
      expect.objectContaining({
        issuer: world.urls.issuer,
        keySource: 'jwks-file',
        from: expect.arrayContaining([expect.stringContaining('api:default/drill-auth')]) as string[],
      }),
    ])
    const first = world.services[0]?.id as string
    expect(discovered.services.find((service) => service.id === first)?.from).toMatchObject({
      // Paths as seen from where respond ran (its working directory holds the tree)
      trusts: [join('org', first, 'src/auth.js:2')],
      probe: [expect.stringContaining(`component:default/${first}`) as string],
    })
    expect(await readdir(join(home, 'incidents', run.incident, 'artifacts'))).toContain('discovered.inventory.yaml')
    // And the steps after locate used the discovered inventory (none was skipped for want of one)
    expect(
      journal.filter((event) => event.type === 'step.skipped' && String(event.data.reason).startsWith('no inventory')),
    ).toEqual([])
  })
})
