import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {InventoryValidateResult} from '../../src/commands/inventory/validate.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

const PASSWORD = 'pa55word-9f8e7d'

function writeInventory(lines: string[], name = 'jwkr.inventory.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'jwkr-inventory-validate-')), name)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const broken = [
  'version: 1',
  'issuers:',
  '  - id: auth-main',
  `    issuer: https://ops:${PASSWORD}@auth.example.com`,
  '    keySource: {type: vault, address: https://vault.example.com}',
  'services:',
  '  - id: billing',
  '    team: payments',
  '    contacts: {email: payments@example.com}',
  '    trusts: [auth-mian]',
]

/** Four services: a declared cache, a verifier, and two with neither (lines 12 and 16). */
const cacheInventory = [
  'version: 1',
  'issuers:',
  '  - {id: auth, issuer: https://auth.example.com, keySource: {type: manual}}',
  'services:',
  '  - id: billing',
  '    team: payments',
  '    contacts: {email: payments@example.com}',
  '    trusts: [auth]',
  '    jwksCacheSeconds: 300',
  '    probe: {url: https://billing.example.com/me}',
  '  - {id: reports, team: data, contacts: {email: data@example.com}, trusts: [auth], verifier: go-jwx, probe: {url: https://reports.example.com}}',
  '  # two services that say nothing about their JWKS cache',
  '  - id: legacy',
  '    team: it',
  '    contacts: {email: it@example.com}',
  '    trusts: [auth]',
  '    probe: {url: https://legacy.example.com}',
  '  - {id: batch, team: data, contacts: {email: data@example.com}, trusts: [auth], probe: {url: https://batch.example.com}}',
]

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

describe('jwkr inventory validate', () => {
  it('says what is wrong in words, with did-you-mean, and names its own FILE argument for a missing file (issue 15)', async () => {
    const file = writeInventory([
      'version: 1',
      'issuers:',
      '  - id: auth',
      '    issuer: https://auth.example.com',
      '    jwks: https://auth.example.com/jwks',
      '    keySource: {type: manual}',
      'services:',
      '  - {id: billing, team: payments, contacts: {}, trusts: [auth], probe: {url: https://billing.example.com/me, token: {aud: []}}}',
    ])
    const {stderr, error} = await run(['inventory', 'validate', file])
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`${file}:5:5: unknown property 'jwks' (did you mean 'jwksUri'?)`)
    expect(stderr).toContain("'aud' is empty: list at least 1 item")
    expect(stderr).not.toMatch(/must NOT/)
    const missing = await run(['inventory', 'validate', join(dirname(file), 'nope.yaml')])
    expect(exitCodeOf(missing.error)).toBe(1)
    expect(missing.stderr).toContain('→ Name it: jwkr inventory validate FILE (or set JWKR_INVENTORY), or draft one')
    expect(missing.stderr).not.toContain('--inventory')
  })

  it('says valid and exits 0 for the shipped example', async () => {
    const file = join(projectRoot, 'examples/jwkr.inventory.yaml')
    const {stdout, error} = await run(['inventory', 'validate', file])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout.split('\n')[0]).toMatch(new RegExp(`^valid: ${escape(file)} \\(8 issuers, 3 services, \\d+ warnings\\)$`))
  })

  it('prints every problem as file:line:column on stderr, exits 1, and never repeats a credential', async () => {
    // Given an inventory with a password in a URL, a vault source without its key, and a typo in trusts
    const file = writeInventory(broken)
    // When it is validated
    const {stdout, stderr, error} = await run(['inventory', 'validate', file])
    // Then each problem is one compiler-style line, and the exit code is 1
    expect(exitCodeOf(error)).toBe(1)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^${escape(file)}:4:13: 'issuer' holds credentials \\(user:password@ in the URL\\): remove them; `),
      ),
      `${file}:5:16: missing required property 'key'`,
      `${file}:10:14: trusts 'auth-mian', which is not an issuer id in this inventory (did you mean 'auth-main'?)`,
      `3 problems in ${file}`,
    ])
    expect(stderr).not.toContain(PASSWORD)
  })

  it('--json gives {valid, problems} and exits 1', async () => {
    const file = writeInventory(broken)
    const {stdout, error} = await run(['inventory', 'validate', file, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    const result = JSON.parse(stdout) as InventoryValidateResult
    expect(result).toMatchObject({valid: false, file, issuers: null, services: null, warnings: []})
    expect(result.problems.map((problem) => [problem.line, problem.column, problem.path])).toEqual([
      [4, 13, 'issuers[0].issuer'],
      [5, 16, 'issuers[0].keySource'],
      [10, 14, 'services[0].trusts[0]'],
    ])
    expect(stdout).not.toContain(PASSWORD)
  })

  it('--json for a valid file gives valid: true and the counts', async () => {
    const file = writeInventory([
      'version: 1',
      'issuers:',
      '  - {id: a, issuer: https://a.example.com, keySource: {type: manual}}',
    ])
    const {stdout, error} = await run(['inventory', 'validate', file, '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect(JSON.parse(stdout)).toEqual({valid: true, file, issuers: 1, services: 0, problems: [], warnings: [], credentials: []})
  })

  it('warns, without failing, about each service whose cache lifetime the clock would have to assume', async () => {
    // Given a valid inventory with one service giving jwksCacheSeconds, one naming its verifier, and two giving neither
    const file = writeInventory(cacheInventory)
    // When it is validated
    const {stdout, stderr, error} = await run(['inventory', 'validate', file])
    // Then it is valid and exits 0, and each service without either is warned about at its id, compiler-style
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout.trim()).toBe(`valid: ${file} (1 issuer, 4 services, 2 warnings)`)
    const advice = 'the containment clock will assume 600 s; set jwksCacheSeconds or verifier'
    expect(stderr.trim().split('\n')).toEqual([
      `${file}:13:9: warning: service 'legacy' gives neither jwksCacheSeconds nor verifier: ${advice}`,
      `${file}:18:10: warning: service 'batch' gives neither jwksCacheSeconds nor verifier: ${advice}`,
    ])
  })

  it('--json carries the warnings with their positions, and still exits 0', async () => {
    // Given the same inventory
    const file = writeInventory(cacheInventory)
    // When it is validated with --json
    const {stdout, error} = await run(['inventory', 'validate', file, '--json'])
    // Then the document is valid, with no problem and the two warnings
    expect(exitCodeOf(error)).toBe(0)
    const result = JSON.parse(stdout) as InventoryValidateResult
    expect(result).toMatchObject({valid: true, file, issuers: 1, services: 4, problems: []})
    expect(result.warnings.map((warning) => [warning.line, warning.column, warning.path])).toEqual([
      [13, 9, 'services[2].id'],
      [18, 10, 'services[3].id'],
    ])
    expect(result.warnings[0]?.message).toBe(
      "service 'legacy' gives neither jwksCacheSeconds nor verifier: the containment clock will assume 600 s; set jwksCacheSeconds or verifier",
    )
  })

  it('without FILE checks JWKR_INVENTORY, else ./jwkr.inventory.yaml, else says how to get one', async () => {
    // Given an inventory named by JWKR_INVENTORY
    const file = writeInventory(['version: 1', 'issuers: []'], 'ops.yaml')
    process.env.JWKR_INVENTORY = file
    expect(exitCodeOf((await run(['inventory', 'validate'])).error)).toBe(0)
    // And, without it, one in the working directory
    delete process.env.JWKR_INVENTORY
    const local = writeInventory(['version: 1', 'issuers: [{}]'])
    process.chdir(join(local, '..'))
    const found = await run(['inventory', 'validate'])
    expect(exitCodeOf(found.error)).toBe(1)
    expect(found.stderr).toContain(`${local}:2:11: missing required property 'id'`)
    // When there is neither
    process.chdir(mkdtempSync(join(tmpdir(), 'jwkr-empty-')))
    const {stderr, error} = await run(['inventory', 'validate'])
    // Then it fails with ERR_INVENTORY_NOT_FOUND and points at --inventory and the example
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(
      'No inventory: no --inventory given, JWKR_INVENTORY is not set, and there is no ./jwkr.inventory.yaml.',
    )
    expect(stderr).toContain('examples/jwkr.inventory.yaml')
  })

  it('says the file does not exist (ERR_INVENTORY_NOT_FOUND in the --json error document)', async () => {
    const missing = '/nonexistent/jwkr.inventory.yaml'
    const {stdout, error} = await run(['inventory', 'validate', missing, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    expect(JSON.parse(stdout).error).toMatchObject({code: 'ERR_INVENTORY_NOT_FOUND', message: `No inventory at ${missing}.`})
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('jwkr inventory validate: what is valid but breaks later (issue 15)', () => {
  const CREDENTIALS = [
    'AUTH0_TOKEN',
    'OKTA_TOKEN',
    'KEYCLOAK_TOKEN',
    'KEYCLOAK_CLIENT_ID',
    'KEYCLOAK_CLIENT_SECRET',
    'SLACK_TOKEN',
  ]
  const saved = new Map<string, string | undefined>()
  beforeEach(() => {
    for (const name of CREDENTIALS) {
      saved.set(name, process.env[name])
      delete process.env[name]
    }
  })
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  /** A valid inventory with one service that has a probe, a cache lifetime and contacts, plus `extra` lines. */
  function inventoryWith(issuerSource: string, ...extra: string[]): string {
    return writeInventory([
      'version: 1',
      'issuers:',
      `  - {id: auth, issuer: https://auth.example.com, keySource: ${issuerSource}}`,
      'services:',
      '  - {id: billing, team: payments, contacts: {slack: "#pay"}, trusts: [auth], probe: {url: https://b.example.com/me}, jwksCacheSeconds: 5m}',
      ...extra,
    ])
  }

  async function warningsOf(file: string): Promise<InventoryValidateResult> {
    const {stdout, error} = await run(['inventory', 'validate', file, '--json'])
    expect(exitCodeOf(error)).toBe(0)
    return JSON.parse(stdout) as InventoryValidateResult
  }

  it('warns at its path about a jwks-file that does not exist, naming the path it resolved', async () => {
    // Given an issuer whose JWKS file is missing
    const file = inventoryWith('{type: jwks-file, path: ./keys/auth.jwks.json}')
    // When it is validated
    const {stdout, stderr, error} = await run(['inventory', 'validate', file])
    // Then it is valid, with one warning at the path
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain('(1 issuer, 1 service, 1 warning)')
    const resolved = join(dirname(file), 'keys/auth.jwks.json')
    expect(stderr.trim()).toBe(
      `${file}:3:85: warning: issuer 'auth': the JWKS file ./keys/auth.jwks.json does not exist (${resolved}): ` +
        "rotating this issuer's key would fail; fix the path (it is relative to the inventory file) or create the file",
    )
    // And none once the file is there
    mkdirSync(dirname(resolved))
    writeFileSync(resolved, '{"keys":[]}')
    expect((await warningsOf(file)).warnings).toEqual([])
  })

  it('warns about a templates folder that does not exist', async () => {
    const file = inventoryWith('{type: manual}', 'templates: ./incident-templates')
    const {warnings} = await warningsOf(file)
    expect(warnings.map((warning) => [warning.path, warning.line])).toEqual([['templates', 6]])
    expect(warnings[0]?.message).toMatch(
      /^the templates folder \.\/incident-templates does not exist \(.+\): reports and messages would fail/,
    )
    mkdirSync(join(dirname(file), 'incident-templates'))
    expect((await warningsOf(file)).warnings).toEqual([])
  })

  it('warns about a service log path that does not exist (token triage would read nothing there)', async () => {
    const file = writeInventory([
      'version: 1',
      'issuers: [{id: auth, issuer: https://auth.example.com, keySource: {type: manual}}]',
      'services:',
      '  - {id: billing, team: payments, contacts: {slack: "#pay"}, trusts: [auth], probe: {url: https://b.example.com/me}, jwksCacheSeconds: 5m, logs: ./logs/billing}',
    ])
    const {warnings} = await warningsOf(file)
    expect(warnings.map((warning) => warning.message)).toEqual([
      `service 'billing': the log path ${join(dirname(file), 'logs/billing')} does not exist: token triage would read nothing there`,
    ])
  })

  it('warns about a service without a probe and one without a cache lifetime, saying the 600 s assumed', async () => {
    const file = writeInventory([
      'version: 1',
      'issuers: [{id: auth, issuer: https://auth.example.com, keySource: {type: manual}}]',
      'services:',
      '  - {id: billing, team: payments, contacts: {slack: "#pay"}, trusts: [auth], jwksCacheSeconds: 5m}',
      '  - {id: orders, team: shop, contacts: {slack: "#shop"}, trusts: [auth], probe: {url: https://o.example.com/me}}',
    ])
    const {warnings} = await warningsOf(file)
    expect(warnings.map((warning) => [warning.path, warning.message.split(':')[0]])).toEqual([
      ['services[0].id', "service 'billing' has no probe"],
      ['services[1].id', "service 'orders' gives neither jwksCacheSeconds nor verifier"],
    ])
    expect(warnings[1]?.message).toContain('the containment clock will assume 600 s')
  })

  it('warns about a Slack channel written without its #', async () => {
    const file = inventoryWith('{type: manual}', 'notify: {slack: {channel: sec-incidents}}')
    process.env.SLACK_TOKEN = 'xoxb-set'
    const {warnings} = await warningsOf(file)
    expect(warnings.map((warning) => [warning.path, warning.message])).toEqual([
      ['notify.slack.channel', "'sec-incidents' is not a Slack channel: write it with its '#' (#sec-incidents)"],
    ])
  })

  it('names the credentials each key source and notification needs and whether they are set, never their values', async () => {
    // Given an Auth0 issuer (its token set), an Okta issuer (its token not set), a Keycloak issuer with half a client, and Slack
    const token = 'auth0-mgmt-token-5e1f0c9a'
    const clientId = 'jwkr-admin-client-77b3'
    process.env.AUTH0_TOKEN = token
    process.env.KEYCLOAK_CLIENT_ID = clientId
    const file = writeInventory([
      'version: 1',
      'issuers:',
      '  - {id: a0, issuer: https://a0.example.com, keySource: {type: auth0, domain: example.eu.auth0.com}}',
      '  - {id: okta, issuer: https://okta.example.com, keySource: {type: okta, domain: example.okta.com, authServerId: aus1}}',
      '  - {id: kc, issuer: https://sso.example.com/realms/staff, keySource: {type: keycloak, baseUrl: https://sso.example.com, realm: staff}}',
      'notify: {slack: {channel: "#sec"}}',
    ])
    // When it is validated, with --json and without
    const json = await run(['inventory', 'validate', file, '--json'])
    const human = await run(['inventory', 'validate', file])
    // Then --json lists each need with each variable set or not
    const result = JSON.parse(json.stdout) as InventoryValidateResult
    expect(result.credentials).toEqual([
      {
        subject: "issuer 'a0' (keySource auth0)",
        path: 'issuers[0].keySource.type',
        anyOf: [[{name: 'AUTH0_TOKEN', set: true}]],
        satisfied: true,
      },
      {
        subject: "issuer 'okta' (keySource okta)",
        path: 'issuers[1].keySource.type',
        anyOf: [[{name: 'OKTA_TOKEN', set: false}]],
        satisfied: false,
      },
      {
        subject: "issuer 'kc' (keySource keycloak)",
        path: 'issuers[2].keySource.type',
        anyOf: [
          [{name: 'KEYCLOAK_TOKEN', set: false}],
          [
            {name: 'KEYCLOAK_CLIENT_ID', set: true},
            {name: 'KEYCLOAK_CLIENT_SECRET', set: false},
          ],
        ],
        satisfied: false,
      },
      {
        subject: 'notify.slack (the Slack channel)',
        path: 'notify.slack',
        anyOf: [[{name: 'SLACK_TOKEN', set: false}]],
        satisfied: false,
      },
    ])
    // And a warning for each need that is not met, at its line, naming the variables to export
    expect(result.warnings.map((warning) => [warning.line, warning.message])).toEqual([
      [
        4,
        "issuer 'okta' (keySource okta) needs OKTA_TOKEN, which is not set in this environment: export it before a response " +
          '(credentials come from the environment, never from the inventory)',
      ],
      [
        5,
        "issuer 'kc' (keySource keycloak) needs KEYCLOAK_TOKEN, or KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET, not set in this " +
          'environment (missing: KEYCLOAK_TOKEN, KEYCLOAK_CLIENT_SECRET): export them before a response (credentials come from the environment, never from the inventory)',
      ],
      [6, expect.stringMatching(/^notify\.slack \(the Slack channel\) needs SLACK_TOKEN, which is not set/)],
    ])
    // And the terminal output says the same in lines, with no value anywhere
    expect(human.stdout).toContain("  issuer 'a0' (keySource auth0): AUTH0_TOKEN set\n")
    expect(human.stdout).toContain("  issuer 'okta' (keySource okta): OKTA_TOKEN not set\n")
    expect(human.stderr).toContain(`${file}:4:68: warning: issuer 'okta' (keySource okta) needs OKTA_TOKEN`)
    for (const output of [json.stdout, json.stderr, human.stdout, human.stderr]) {
      expect(output).not.toContain(token)
      expect(output).not.toContain(clientId)
    }
  })
})
