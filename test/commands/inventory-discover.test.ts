// `jwkr inventory discover` over the fixture organisation written to a temporary folder: the draft
// with its provenance (YAML comments and --json), the .gitignore and node_modules rules of the walk,
// --out written atomically, --merge keeping hand edits, and clear errors for bad input.
import {mkdtemp, readFile, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {InventoryDiscoverResult} from '../../src/commands/inventory/discover.js'
import {ACME, writeAcmeTree} from '../helpers/discovery-fixtures.js'
import {exitCodeOf, run} from '../helpers/run.js'

describe('jwkr inventory discover', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-discover-'))
    await writeAcmeTree(join(dir, 'acme'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('prints a valid draft with the file:line of every entry and the values left to resolve', async () => {
    // When discovery reads the organisation's folders
    const {stdout, error} = await run(['inventory', 'discover', join(dir, 'acme')])
    // Then the draft is printed, with provenance beside each entry
    expect(error).toBeUndefined()
    expect(stdout).toContain('version: 1')
    expect(stdout).toMatch(/trusts: \[ auth\.acme\.example \] # .*acme\/orders-api\/src\/auth\.ts:3/)
    expect(stdout).toMatch(/# from: api:default\/auth-main \(.*acme\/catalog\/catalog-info\.yaml:33\)/)
    expect(stdout).toMatch(/# - .*values\.yaml:4: notifications jwksUri = \{\{ \.Values\.global\.authUrl \}\}/)
  })

  it('--json: issuers, services and unresolved values with provenance; --out writes the file', async () => {
    const out = join(dir, 'jwkr.inventory.yaml')
    const {result, error} = await run<InventoryDiscoverResult>([
      'inventory',
      'discover',
      join(dir, 'acme'),
      '--out',
      out,
      '--json',
    ])
    expect(error).toBeUndefined()
    expect(result?.written).toBe(out)
    expect(result?.problems).toEqual([])
    expect(result?.sources).toEqual([{kind: 'paths', target: join(dir, 'acme'), read: 12, findings: 18}])
    const orders = result?.services.find((service) => service.service.id === 'orders-api')
    expect(orders?.from.jwksCacheSeconds).toEqual([{file: join(dir, 'acme/orders-api/src/auth.ts'), line: 3}])
    expect(result?.issuers.find((issuer) => issuer.issuer.id === 'auth.acme.example')?.issuer.jwksUri).toBe(ACME.mainJwks)
    expect(result?.unresolved.map((finding) => finding.field)).toEqual(['jwksUri', 'jwksUri'])
    // And the file holds the same draft
    const written = await readFile(out, 'utf8')
    expect(written).toContain(`# from: api:default/auth-main (${join(dir, 'acme/catalog/catalog-info.yaml')}:33)`)
    const {error: invalid} = await run(['inventory', 'validate', out])
    expect(invalid).toBeUndefined()
  })

  it('walks like code scan: .gitignore and node_modules left out, .env read though hidden', async () => {
    // Given an ignored folder and a dependency that both name a JWKS
    await writeFile(join(dir, 'acme', '.gitignore'), 'scratch/\n')
    for (const folder of ['scratch', 'orders-api/node_modules/jwks-rsa']) {
      await mkdir(join(dir, 'acme', folder), {recursive: true})
      await writeFile(join(dir, 'acme', folder, 'example.js'), "jwksRsa({jwksUri: 'https://elsewhere.example/jwks'})\n")
    }
    const {result} = await run<InventoryDiscoverResult>(['inventory', 'discover', join(dir, 'acme'), '--json'])
    expect(result?.issuers.map((issuer) => issuer.issuer.id)).not.toContain('elsewhere.example')
    expect(result?.issuers.find((issuer) => issuer.issuer.id === 'acme.eu.auth0.com')?.from).toContainEqual({
      file: join(dir, 'acme/profile-api/.env'),
      line: 2,
    })
  })

  it('--merge keeps hand edits and comments, writes back in place and prints what changed', async () => {
    const file = join(dir, 'jwkr.inventory.yaml')
    await writeFile(
      file,
      [
        'version: 1',
        'issuers:',
        `  - {id: main, issuer: ${ACME.mainIssuer}, keySource: {type: jwks-file, path: ./main.jwks.json}} # by hand`,
        'services:',
        '  - id: billing-api',
        '    team: billing # not payments',
        '    contacts: {slack: "#billing"}',
        '    trusts: [main]',
        '',
      ].join('\n'),
    )
    const {stderr, error} = await run(['inventory', 'discover', join(dir, 'acme'), '--merge', file])
    expect(error).toBeUndefined()
    const text = await readFile(file, 'utf8')
    expect(text).toContain('# by hand')
    expect(text).toContain('team: billing # not payments')
    expect(text).toContain('  - id: orders-api')
    expect(stderr).toMatch(/updated +issuers\.main\.jwksUri: "https:\/\/auth\.acme\.example\/\.well-known\/jwks\.json"/)
    expect(stderr).toMatch(/kept +services\.billing-api\.team: "payments" \(the file says "billing"\)/)
    expect(stderr).toMatch(/added +services\.orders-api/)
  })

  it('nothing to read, or a missing folder: a clear error and a non-zero exit', async () => {
    const none = await run(['inventory', 'discover'])
    expect(none.stderr).toContain('Nothing to discover from')
    expect(exitCodeOf(none.error)).toBe(2)
    const missing = await run(['inventory', 'discover', join(dir, 'nope')])
    expect(missing.stderr).toContain('No such file or directory')
    expect(exitCodeOf(missing.error)).toBe(1)
  })
})
