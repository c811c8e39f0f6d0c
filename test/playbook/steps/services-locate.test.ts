import {Ajv2020} from 'ajv/dist/2020.js'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocateResult} from '../../../src/core/inventory/locate.js'
import {startRun} from '../../../src/playbook/respond.js'
import {servicesLocate} from '../../../src/playbook/steps/services-locate.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../../helpers/engine-harness.js'
import {closedPortUrl, makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../../helpers/jwks-server.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

let server: JwksServer
let leaked: TestKey
let leakyKey: TestKey
let downUrl: string
let dir: string
let keyFile: string
let inventoryFile: string

function needles(): string[] {
  return [leaked, leakyKey].flatMap((key) =>
    PRIVATE_MEMBERS.flatMap((member) => {
      const value = (key.privateJwk as Record<string, unknown>)[member]
      return typeof value === 'string' ? [value] : []
    }),
  )
}

beforeAll(async () => {
  // Given auth-main publishing the leaked key under a renamed kid (found through the well-known
  // discovery path), auth-down whose JWKS is unreachable, and a service whose own JWKS leaks a private key
  server = await startJwksServer()
  leaked = await makeTestKey('prod-1')
  leakyKey = await makeTestKey('ledger-2023', 'rsa')
  downUrl = await closedPortUrl('/jwks')
  server.serve('/auth-main/.well-known/openid-configuration', {
    issuer: `${server.origin}/auth-main`,
    jwks_uri: server.url('/auth-main/certs'),
  })
  server.serve('/auth-main/certs', {keys: [{...leaked.publicJwk, kid: 'renamed-2024'}]})
  server.serve('/ledger/jwks', {keys: [leakyKey.privateJwk]})
  dir = mkdtempSync(join(tmpdir(), 'jwkr-step-locate-'))
  keyFile = join(dir, 'leaked.json')
  writeFileSync(keyFile, JSON.stringify(leaked.privateJwk))
  inventoryFile = join(dir, 'jwkr.inventory.yaml')
  writeFileSync(
    inventoryFile,
    `version: 1
issuers:
  - {id: auth-main, issuer: ${server.origin}/auth-main, keySource: {type: manual}}
  - {id: auth-down, issuer: https://down.example.com, jwksUri: ${downUrl}, keySource: {type: manual}}
services:
  - {id: billing-api, team: payments, contacts: {slack: "#payments-oncall"}, trusts: [auth-main]}
  - {id: reports, team: data, contacts: {email: data@example.com}, trusts: [auth-down]}
  - {id: ledger, team: finance, contacts: {slack: "#ledger"}, trusts: [], jwksUri: ${server.url('/ledger/jwks')}}
`,
  )
})

afterAll(async () => {
  await server.close()
})

const LOCATE_PLAYBOOK = `inputs:
  key: {type: string, required: true}
  strict: {type: boolean, default: false}
steps:
  - id: locate
    uses: services.locate
    onFailure: continue
    with:
      key: "\${{ inputs.key }}"
      timeout: 2s
      strict: "\${{ inputs.strict }}"
`

async function runLocate(options: {inventoryPath?: string | null; dryRun?: boolean; strict?: boolean} = {}) {
  const home = await tempHome()
  const file = await writePlaybook(home, LOCATE_PLAYBOOK)
  const result = await startRun({
    ...baseOptions(home),
    playbook: file,
    inputs: {key: keyFile, strict: options.strict ?? false},
    inventoryPath: options.inventoryPath === undefined ? inventoryFile : options.inventoryPath,
    dryRun: options.dryRun ?? false,
    registry: registryWith(),
    ui: scriptedUi({}, false),
  })
  return {home, result, journal: await readJournal(home, result.incident)}
}

describe('services.locate', () => {
  it('finds the publishing issuer and the dependents, saves the locate document, and journals every endpoint', async () => {
    // When the step runs against the live endpoints
    const {result, journal} = await runLocate()
    // Then it succeeds although one endpoint is down, with outputs that fit its schema
    const [step] = result.steps
    expect(step?.status).toBe('succeeded')
    const outputs = step?.outputs as Record<string, unknown>
    expect(new Ajv2020({strict: false}).validate(servicesLocate.outputSchema, outputs)).toBe(true)
    expect(outputs).toMatchObject({
      thumbprint: leaked.thumbprint,
      publishing: ['auth-main'],
      dependents: ['billing-api'],
      uncheckedIssuers: ['auth-down'],
      failedEndpoints: [downUrl],
      criticalFindings: [expect.stringContaining(`${server.url('/ledger/jwks')} serves private key material`)],
    })
    // And the locate document is an artifact, readable by the user only, with the mermaid graph beside it
    const artifact = outputs.artifact as string
    expect(artifact).toMatch(/artifacts\/locate\.json$/)
    const document = JSON.parse(await readFile(artifact, 'utf8')) as LocateResult
    expect(document.thumbprint).toBe(leaked.thumbprint)
    expect(document.issuers.find((issuer) => issuer.id === 'auth-main')).toMatchObject({publishes: true, kid: 'renamed-2024'})
    expect(outputs.endpoints).toBe(document.endpoints.length)
    expect(outputs.findings).toBe(document.findings.length)
    expect((await stat(artifact)).mode & 0o777).toBe(0o600)
    const graph = await readFile(outputs.graph as string, 'utf8')
    expect(graph.startsWith('graph LR\n')).toBe(true)
    expect(graph).toContain('==>|"publishes"| K')
    // And every endpoint's answer is evidence in the journal
    const evidence = journal.filter((event) => event.type === 'locate.endpoint').map((event) => event.data)
    expect(evidence.map((data) => data.url).sort()).toEqual(document.endpoints.map((endpoint) => endpoint.url).sort())
    expect(evidence.find((data) => data.url === downUrl)).toMatchObject({
      step: 'locate',
      ok: false,
      error: {code: 'connection-refused'},
      attempts: 3,
    })
    expect(evidence.find((data) => data.url === server.url('/auth-main/certs'))).toMatchObject({
      ok: true,
      httpStatus: 200,
      servesLeakedKey: true,
      keys: [{kid: 'renamed-2024', kty: 'EC', thumbprint: leaked.thumbprint}],
    })
    // And no private value, of the leaked key or of the key the JWKS leaks, is in the journal or the artifacts
    const written = [JSON.stringify(journal), await readFile(artifact, 'utf8'), graph].join('\n')
    for (const needle of needles()) expect(written).not.toContain(needle)
  })

  it('plans every URL it would fetch from the inventory alone, and fetches none in a dry run', async () => {
    // Given the server's request count before
    const before = server.requests.length
    // When the step is dry-run
    const {result} = await runLocate({dryRun: true})
    // Then it is planned with every discovery and JWKS URL the inventory names, and nothing was requested
    expect(result.steps[0]?.status).toBe('planned')
    expect(result.steps[0]?.plan?.map((call) => [call.kind, call.target])).toEqual([
      ['http', `GET ${server.origin}/auth-main/.well-known/openid-configuration`],
      ['http', `GET ${server.origin}/.well-known/oauth-authorization-server/auth-main`],
      ['http', `GET ${downUrl}`],
      ['http', `GET ${server.url('/ledger/jwks')}`],
    ])
    expect(result.steps[0]?.plan?.[3]?.description).toBe('JWKS served by service ledger')
    expect(server.requests.length).toBe(before)
  })

  it('is skipped, saying why, when the run has no inventory', async () => {
    const {result} = await runLocate({inventoryPath: null})
    expect(result.steps[0]).toMatchObject({status: 'skipped', reason: expect.stringContaining('no inventory')})
  })

  it('with strict, fails when an endpoint could not be read, after saving what it found', async () => {
    const {result, home} = await runLocate({strict: true})
    expect(result.status).toBe('failed')
    expect(result.steps[0]?.status).toBe('failed')
    expect(result.steps[0]?.error).toMatchObject({code: 'ERR_LOCATE_INCOMPLETE', message: expect.stringContaining(downUrl)})
    const saved = JSON.parse(await readFile(join(home, 'incidents', result.incident, 'artifacts', 'locate.json'), 'utf8'))
    expect(saved.thumbprint).toBe(leaked.thumbprint)
  })

  it('fails with the inventory problems when the inventory is invalid, and its plan says so instead of throwing', async () => {
    // Given an inventory with a typo in trusts
    const bad = join(dir, 'bad.yaml')
    writeFileSync(
      bad,
      'version: 1\nissuers:\n  - {id: main, issuer: https://a.example.com, keySource: {type: manual}}\nservices:\n  - {id: api, team: t, contacts: {slack: "#t"}, trusts: [mian]}\n',
    )
    // When it is planned, then run
    const planned = await runLocate({inventoryPath: bad, dryRun: true})
    const ran = await runLocate({inventoryPath: bad})
    // Then the plan names the problem, and the step fails with ERR_INVENTORY_INVALID at its line and column
    expect(planned.result.steps[0]?.plan).toEqual([
      {
        kind: 'none',
        target: bad,
        description: expect.stringMatching(/^Cannot plan: The inventory .* has 1 problem: The step will fail/),
      },
    ])
    expect(ran.result.steps[0]?.error).toMatchObject({
      code: 'ERR_INVENTORY_INVALID',
      message: expect.stringContaining(`${bad}:5:58: trusts 'mian'`),
    })
  })
})

describe('the standard playbook (leaked-signing-key)', () => {
  it('dry-runs with locate, scan and search planned, and makes no request', async () => {
    // Given an inventory, folders to scan and an organisation
    const home = await tempHome()
    const before = server.requests.length
    // When the standard playbook is dry-run
    const result = await startRun({
      ...baseOptions(home),
      playbook: 'leaked-signing-key',
      inputs: {key: keyFile, scanPaths: [dir], githubOrg: 'example-org'},
      inventoryPath: inventoryFile,
      dryRun: true,
      ui: scriptedUi({}, false),
      env: {GITHUB_API_URL: 'https://ghe.example.com/api/v3'},
    })
    // Then locate, scan and search are planned after the go-ahead, and nothing was fetched
    expect(result.status).toBe('planned')
    const byId = new Map(result.steps.map((step) => [step.id, step]))
    const order = result.steps.map((step) => step.id)
    expect(order.slice(order.indexOf('go-ahead'))).toEqual(expect.arrayContaining(['locate', 'scan', 'search']))
    expect(order.indexOf('locate')).toBeGreaterThan(order.indexOf('go-ahead'))
    // (scan and search follow locate; the baseline check comes after them and token triage, whose token
    // shapes it copies, and before the rotation: it needs the published kid, and comes before any change)
    expect([order.indexOf('scan'), order.indexOf('search')]).toEqual([order.indexOf('locate') + 1, order.indexOf('locate') + 2])
    expect(order.indexOf('baseline')).toBe(order.indexOf('tokens') + 1)
    expect(order.indexOf('rotate')).toBe(order.indexOf('baseline') + 1)
    expect(byId.get('locate')).toMatchObject({status: 'planned', uses: 'services.locate'})
    expect(byId.get('locate')?.plan).toHaveLength(4)
    expect(byId.get('scan')?.plan).toEqual([expect.objectContaining({kind: 'none', target: dir})])
    expect(byId.get('search')?.plan).toEqual([
      expect.objectContaining({kind: 'http', target: 'GET https://ghe.example.com/api/v3/search/code'}),
    ])
    expect(server.requests.length).toBe(before)
  })

  it('skips locate without an inventory, and scan and search without their inputs', async () => {
    const home = await tempHome()
    const result = await startRun({
      ...baseOptions(home),
      playbook: 'leaked-signing-key',
      inputs: {key: keyFile},
      dryRun: true,
      ui: scriptedUi({}, false),
    })
    expect(result.status).toBe('planned')
    const byId = new Map(result.steps.map((step) => [step.id, step]))
    expect(byId.get('locate')).toMatchObject({status: 'skipped', reason: expect.stringContaining('no inventory')})
    expect(byId.get('scan')).toMatchObject({
      status: 'skipped',
      reason: 'its condition is false: the input scanPaths was not given',
    })
    expect(byId.get('search')).toMatchObject({
      status: 'skipped',
      reason: 'its condition is false: the input githubOrg was not given',
    })
  })
})
