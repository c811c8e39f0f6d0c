// `inventory validate` names the variables each key store will need (core/inventory/credentials.ts);
// the adapters in src/adapters/idp read them. The two lists live apart (core cannot import adapters),
// so this test reads the adapters' sources and holds the lists together: a variable renamed in an
// adapter, or a new one it reads, fails here instead of validate naming the wrong thing.
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {KEY_STORE_CREDENTIALS} from '../../../src/core/inventory/credentials.js'
import {projectRoot} from '../../helpers/run.js'

const IDP = join(projectRoot, 'src/adapters/idp')

/** The sources of a key store type's adapter: idp/<type>*.ts, and the GitHub client for github-file. */
function adapterSources(type: string): string {
  const files = readdirSync(IDP)
    .filter((name) => name.startsWith(`${type}`) && name.endsWith('.ts'))
    .map((name) => join(IDP, name))
  if (type === 'github-file') files.push(join(projectRoot, 'src/adapters/github/client.ts'))
  return files.map((file) => readFileSync(file, 'utf8')).join('\n')
}

/** Credential-like variables a source reads: env.X, env['X'], or a name passed as a string literal. */
function credentialsRead(source: string): Set<string> {
  const names = [
    ...source.matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]*)/g),
    ...source.matchAll(/'([A-Z][A-Z0-9_]*_(?:TOKEN|SECRET|CLIENT_ID))'/g),
  ]
  return new Set(names.map((match) => match[1] as string).filter((name) => /_(TOKEN|SECRET|CLIENT_ID)$/.test(name)))
}

describe('the credentials validate names and the ones the adapters read', () => {
  const types = Object.entries(KEY_STORE_CREDENTIALS).filter(([, sets]) => sets.length > 0)

  it.each(types)('%s: every variable validate names is read by its adapter, and no other credential', (type, sets) => {
    const source = adapterSources(type)
    const named = new Set(sets.flat())
    expect(source.length, `no adapter source for ${type}`).toBeGreaterThan(0)
    expect([...credentialsRead(source)].sort()).toEqual([...named].sort())
  })

  it('reads names from a source the way the adapters write them', () => {
    expect(
      [
        ...credentialsRead("secrets.add(deps.env.AUTH0_TOKEN); env['X_SECRET']; requireEnv(env, 'KEYCLOAK_CLIENT_SECRET', 'x')"),
      ].sort(),
    ).toEqual(['AUTH0_TOKEN', 'KEYCLOAK_CLIENT_SECRET', 'X_SECRET'])
  })
})
