import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import type {LocateResult} from '../../src/core/inventory/locate.js'
import {closedPortUrl, makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../helpers/jwks-server.js'
import {printOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, run} from '../helpers/run.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

let server: JwksServer
let leaked: TestKey
let impostor: TestKey
let leakyKey: TestKey
let downUrl: string
let dir: string
let keyFile: string
let inventoryFile: string

/** Every private value the tests handle: the leaked key's, and those a careless JWKS serves. */
function needles(): string[] {
  return [leaked, leakyKey].flatMap((key) =>
    PRIVATE_MEMBERS.flatMap((member) => {
      const value = (key.privateJwk as Record<string, unknown>)[member]
      return typeof value === 'string' ? [value] : []
    }),
  )
}

function expectNoSecrets(...outputs: string[]): void {
  const text = outputs.join('\n')
  for (const needle of needles()) expect(text).not.toContain(needle)
}

beforeAll(async () => {
  // Given a live world on loopback:
  //  - auth-main, found by OIDC discovery, serves the leaked key under a renamed kid;
  //  - auth-other serves a different key that reuses the leaked kid (a collision, not a match);
  //  - auth-down names a JWKS on a port where nothing listens;
  //  - billing-api trusts auth-main; reports trusts auth-down; search trusts auth-other;
  //  - ledger serves its own JWKS, which carelessly holds a private RSA key.
  server = await startJwksServer()
  leaked = await makeTestKey('prod-1')
  impostor = await makeTestKey('prod-1')
  leakyKey = await makeTestKey('ledger-2023', 'rsa')
  const other = await makeTestKey('main-2025')
  downUrl = await closedPortUrl('/jwks')
  server.serve('/auth-main/.well-known/openid-configuration', {
    issuer: `${server.origin}/auth-main`,
    jwks_uri: server.url('/auth-main/certs'),
  })
  server.serve('/auth-main/certs', {keys: [other.publicJwk, {...leaked.publicJwk, kid: 'renamed-2024'}]})
  server.serve('/other/jwks', {keys: [impostor.publicJwk]})
  server.serve('/ledger/jwks', {keys: [leakyKey.privateJwk]})

  dir = mkdtempSync(join(tmpdir(), 'jwkr-services-locate-'))
  keyFile = join(dir, 'leaked.json')
  writeFileSync(keyFile, JSON.stringify(leaked.privateJwk))
  inventoryFile = join(dir, 'jwkr.inventory.yaml')
  writeFileSync(
    inventoryFile,
    `version: 1
issuers:
  - id: auth-main
    issuer: ${server.origin}/auth-main
    keySource: {type: manual}
  - id: auth-other
    issuer: ${server.origin}/other
    jwksUri: ${server.url('/other/jwks')}
    keySource: {type: manual}
  - id: auth-down
    issuer: https://down.example.com
    jwksUri: ${downUrl}
    keySource: {type: manual}
services:
  - id: billing-api
    team: payments
    contacts: {slack: "#payments-oncall", email: payments@example.com}
    trusts: [auth-main]
  - id: reports
    team: data
    contacts: {email: data@example.com}
    trusts: [auth-down]
  - id: search
    team: discovery
    contacts: {slack: "#search"}
    trusts: [auth-other]
  - id: ledger
    team: finance
    contacts: {slack: "#ledger"}
    trusts: []
    jwksUri: ${server.url('/ledger/jwks')}
`,
  )
})

afterAll(async () => {
  await server.close()
})

let savedEnv: string | undefined
let savedCwd: string
beforeEach(() => {
  savedEnv = process.env.JWKR_INVENTORY
  savedCwd = process.cwd()
  delete process.env.JWKR_INVENTORY
})
afterEach(() => {
  if (savedEnv === undefined) delete process.env.JWKR_INVENTORY
  else process.env.JWKR_INVENTORY = savedEnv
  process.chdir(savedCwd)
})

const locate = (...extra: string[]) =>
  run(['services', 'locate', '--key', keyFile, '--inventory', inventoryFile, '--timeout', '2s', ...extra])

describe('jwkr services locate', () => {
  it('shows who publishes the key (by thumbprint, under a renamed kid), who depends on it, what failed, and exits 0', async () => {
    // When the leaked key is located against the inventory
    const {stdout, stderr, error} = await locate()
    // Then an unreachable endpoint does not fail the command
    expect(exitCodeOf(error)).toBe(0)
    // And the verdict names the publishing issuer, the kid it serves the key under, and the dependent with its owner
    expect(stdout).toContain(`Leaked key ${leaked.thumbprint} (kid prod-1)`)
    expect(stdout).toContain('Published by 1 issuer (auth-main); 1 service depends on it.')
    expect(stdout).toMatch(/auth-main\tYES, as kid renamed-2024/)
    expect(stdout).toContain('billing-api (payments, #payments-oncall)')
    expect(stdout).toMatch(/auth-other\tno\t/)
    expect(stdout).toContain('Trusts auth-main, which publishes the leaked key as kid "renamed-2024".')
    // And the endpoint that is down is listed with its error, and the issuer behind it is unknown, not "no"
    expect(stdout).toMatch(new RegExp(`${escape(downUrl)}\\tissuer auth-down\\tThe connection was refused`))
    expect(stdout).toContain('1 issuer could not be checked (auth-down)')
    expect(stdout).toContain('if it does: reports')
    // And the findings come critical first: the JWKS serving private members, then the kid collision
    const findings = stdout.slice(stdout.indexOf('Findings'))
    const critical = findings.indexOf(`CRITICAL\t${server.url('/ledger/jwks')} serves private key material (d, p, q, dp, dq, qi)`)
    const collision = findings.indexOf(`warning\t${server.url('/other/jwks')} serves another key under the leaked kid "prod-1"`)
    expect(critical).toBeGreaterThan(-1)
    expect(collision).toBeGreaterThan(critical)
    // And progress went to stderr, and no private value was printed anywhere
    expect(stderr).toContain('Checking 3 issuers and 1 service JWKS (timeout 2s)…')
    expectNoSecrets(stdout, stderr)
  })

  for (const columns of [80, 120]) {
    it(`fits a ${columns}-column terminal: tables wrap, nothing runs past the edge (issue 15: ~330 columns)`, async () => {
      // When the same locate runs on a terminal that wide
      const {exitCode, screen} = await printOnTerminal(
        ['services', 'locate', '--key', keyFile, '--inventory', inventoryFile, '--timeout', '2s'],
        columns,
      )
      // Then it succeeds, every line fits, and the facts are all there
      expect(exitCode).toBe(0)
      const widest = Math.max(...screen.split('\n').map((line) => line.length))
      expect(widest).toBeLessThanOrEqual(columns)
      expect(screen).toContain('Published by 1 issuer (auth-main); 1 service depends on it.')
      expect(screen).toMatch(/auth-main\s+YES, as kid/)
      expect(screen).toContain('CRITICAL')
      expect(screen).not.toMatch(/[│┌]/)
    })
  }

  it('--json prints the locate document', async () => {
    // When it runs with --json
    const {stdout, stderr, error} = await locate('--json')
    expect(exitCodeOf(error)).toBe(0)
    expect(stderr).toBe('')
    const result = JSON.parse(stdout) as LocateResult
    // Then the document has the shape
    expect(result.thumbprint).toBe(leaked.thumbprint)
    expect(result.issuers.map(({id, publishes, kid, status}) => ({id, publishes, kid, status}))).toEqual([
      {id: 'auth-main', publishes: true, kid: 'renamed-2024', status: 'publishes'},
      {id: 'auth-other', publishes: false, kid: null, status: 'does-not-publish'},
      {id: 'auth-down', publishes: null, kid: null, status: 'unknown'},
    ])
    expect(result.issuers[0]).toMatchObject({jwksUri: server.url('/auth-main/certs'), error: null})
    expect(result.issuers[2]?.error?.code).toBe('connection-refused')
    expect(result.services).toEqual([
      {
        id: 'billing-api',
        team: 'payments',
        contacts: {slack: '#payments-oncall', email: 'payments@example.com'},
        reasons: [expect.objectContaining({kind: 'trusts-publishing-issuer', issuer: 'auth-main', kid: 'renamed-2024'})],
      },
    ])
    const byUrl = new Map(result.endpoints.map((endpoint) => [endpoint.url, endpoint]))
    expect(byUrl.get(server.url('/auth-main/certs'))).toMatchObject({
      ok: true,
      httpStatus: 200,
      servesLeakedKey: true,
      error: null,
    })
    expect(byUrl.get(downUrl)).toMatchObject({
      ok: false,
      httpStatus: null,
      servesLeakedKey: false,
      error: {code: 'connection-refused'},
    })
    expect(byUrl.get(server.url('/ledger/jwks'))?.privateMembersServed).toEqual([
      {kid: 'ledger-2023', thumbprint: leakyKey.thumbprint, members: ['d', 'p', 'q', 'dp', 'dq', 'qi']},
    ])
    for (const endpoint of result.endpoints) {
      expect(Object.keys(endpoint)).toEqual(
        expect.arrayContaining([
          'url',
          'ok',
          'httpStatus',
          'error',
          'keys',
          'servesLeakedKey',
          'privateMembersServed',
          'durationMs',
        ]),
      )
    }
    expect(result.findings[0]).toMatchObject({severity: 'critical', kind: 'jwks-serves-private-members'})
    expect(result.findings.map((finding) => finding.kind)).toEqual(expect.arrayContaining(['kid-collision', 'issuer-unchecked']))
    // And no private value is in it
    expectNoSecrets(stdout)
  })

  it('--strict exits 1 when an endpoint failed, saying which', async () => {
    const {stdout, stderr, error} = await locate('--strict')
    expect(exitCodeOf(error)).toBe(1)
    // The report is still printed, then the error names the endpoint
    expect(stdout).toContain('Published by 1 issuer (auth-main)')
    expect(stderr).toContain(`Error: 1 endpoint could not be read (--strict): ${downUrl} (The connection was refused`)
    expectNoSecrets(stdout, stderr)
  })

  it('--strict --json prints the one result document, with the failed endpoint in it, and exits 1', async () => {
    const {stdout, stderr, error} = await locate('--strict', '--json')
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toBe('')
    const result = JSON.parse(stdout) as LocateResult
    expect(result.thumbprint).toBe(leaked.thumbprint)
    expect(result.endpoints.filter((endpoint) => !endpoint.ok).map((endpoint) => endpoint.url)).toEqual([downUrl])
  })

  it('--strict exits 0 when every endpoint answered', async () => {
    // Given an inventory of the endpoints that answer
    const file = join(dir, 'healthy.yaml')
    writeFileSync(
      file,
      `version: 1\nissuers:\n  - {id: auth-main, issuer: ${server.origin}/auth-main, keySource: {type: manual}}\n`,
    )
    const {stdout, error} = await run(['services', 'locate', '--key', keyFile, '--inventory', file, '--strict', '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect((JSON.parse(stdout) as LocateResult).issuers[0]?.publishes).toBe(true)
  })

  it('--format mermaid prints the graph of issuers, services and the key', async () => {
    const {stdout, error} = await locate('--format', 'mermaid')
    expect(exitCodeOf(error)).toBe(0)
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toBe('graph LR')
    expect(stdout).toContain('I0["auth-main<br/>publishes it as kid renamed-2024"]:::publishes')
    expect(stdout).toContain('I0 ==>|"publishes"| K')
    expect(stdout).toContain('I0 -->|"trusted by"| S0')
    expect(stdout).toContain('S0["billing-api<br/>team payments<br/>#35;payments-oncall"]:::dependent')
    expect(stdout).toContain('I2["auth-down<br/>unknown: connection-refused"]:::unknown')
    expect(stdout).not.toContain('│')
    expectNoSecrets(stdout)
  })

  it('picks the leaked key from a JWKS with --kid, and matches it by thumbprint', async () => {
    // Given a JWKS holding another private key first, and the leaked one second
    const decoy = await makeTestKey('decoy-key')
    const file = join(dir, 'two-keys.json')
    writeFileSync(file, JSON.stringify({keys: [decoy.privateJwk, leaked.privateJwk]}))
    // When the leaked one is picked by kid
    const {stdout, error} = await run([
      'services',
      'locate',
      '--key',
      file,
      '--kid',
      'prod-1',
      '--inventory',
      inventoryFile,
      '--json',
    ])
    // Then that is the key located
    expect(exitCodeOf(error)).toBe(0)
    const result = JSON.parse(stdout) as LocateResult
    expect(result.thumbprint).toBe(leaked.thumbprint)
    expect(result.issuers[0]?.publishes).toBe(true)
    for (const member of PRIVATE_MEMBERS) {
      const value = (decoy.privateJwk as Record<string, unknown>)[member]
      if (typeof value === 'string') expect(stdout).not.toContain(value)
    }
  })

  it('refuses a --timeout that is not a positive duration as a usage error, before fetching anything', async () => {
    const before = server.requests.length
    for (const timeout of ['5', '0s', 'soon']) {
      const {stderr, error} = await run([
        'services',
        'locate',
        '--key',
        keyFile,
        '--inventory',
        inventoryFile,
        '--timeout',
        timeout,
      ])
      expect(exitCodeOf(error)).toBe(2)
      expect(stderr).toContain(`--timeout ${timeout} is not a positive duration.`)
    }
    expect(server.requests.length).toBe(before)
  })

  it('without an inventory fails with ERR_INVENTORY_NOT_FOUND and says where to start', async () => {
    // Given no --inventory, no JWKR_INVENTORY and no ./jwkr.inventory.yaml
    process.chdir(mkdtempSync(join(tmpdir(), 'jwkr-no-inventory-')))
    // When the key is located
    const {stdout, stderr, error} = await run(['services', 'locate', '--key', keyFile])
    // Then it fails with the hint, before fetching anything
    expect(exitCodeOf(error)).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain('No inventory: no --inventory given')
    expect(stderr).toContain('Pass --inventory FILE (or set JWKR_INVENTORY)')
    expect(stderr).toContain('examples/jwkr.inventory.yaml')
    const json = await run(['services', 'locate', '--key', keyFile, '--json'])
    expect(JSON.parse(json.stdout).error.code).toBe('ERR_INVENTORY_NOT_FOUND')
    expectNoSecrets(stdout, stderr, json.stdout)
  })

  it('refuses an invalid inventory with every problem and its position, before fetching anything', async () => {
    // Given an inventory whose service trusts an issuer that is not there
    const file = join(dir, 'typo.yaml')
    writeFileSync(
      file,
      `version: 1\nissuers:\n  - {id: main, issuer: ${server.url('/never')}, jwksUri: ${server.url('/never/jwks')}, keySource: {type: manual}}\n` +
        'services:\n  - {id: api, team: t, contacts: {slack: "#t"}, trusts: [mian]}\n',
    )
    const before = server.requests.length
    // When the key is located with it
    const {stderr, error} = await run(['services', 'locate', '--key', keyFile, '--inventory', file])
    // Then it fails with ERR_INVENTORY_INVALID naming the problem at file:line:column, and nothing was fetched
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`The inventory ${file} has 1 problem:`)
    expect(stderr).toContain(`${file}:5:58: trusts 'mian', which is not an issuer id in this inventory (did you mean 'main'?)`)
    expect(server.requests.length).toBe(before)
    expectNoSecrets(stderr)
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('jwkr services locate --discover', () => {
  it('with no inventory, discovers one from the folders given and locates the key with it', async () => {
    // Given a service whose code fetches auth-main's JWKS, and no inventory
    const tree = mkdtempSync(join(tmpdir(), 'jwkr-locate-discover-'))
    mkdirSync(join(tree, 'billing-api', 'src'), {recursive: true})
    writeFileSync(join(tree, 'billing-api', 'package.json'), '{"name": "billing-api"}')
    writeFileSync(
      join(tree, 'billing-api', 'src', 'auth.ts'),
      `const JWKS = createRemoteJWKSet(new URL('${server.url('/auth-main/certs')}'))\nawait jwtVerify(t, JWKS, {issuer: '${server.origin}/auth-main'})\n`,
    )
    // When locate runs with --discover instead of --inventory
    const {result, stderr, error} = await run<LocateResult>([
      'services',
      'locate',
      '--key',
      keyFile,
      '--discover',
      tree,
      '--json',
    ])
    // Then the discovered issuer publishes the key and the service depends on it
    expect(error).toBeUndefined()
    expect(result?.issuers.map((issuer) => [issuer.issuer, issuer.publishes])).toEqual([[`${server.origin}/auth-main`, true]])
    expect(result?.services.map((service) => service.id)).toEqual(['billing-api'])
    expectNoSecrets(stderr, JSON.stringify(result))
  })

  it('with no inventory and nothing to discover from, says how to give one', async () => {
    const {stderr, error} = await run(['services', 'locate', '--key', keyFile])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain('No inventory')
    expect(stderr).toContain('--discover PATH')
  })
})
