import {mkdtemp, mkdir, writeFile, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../../src/core/errors.js'
import {inventorySchema} from '../../../src/core/inventory/inventory-schema.js'
import {checkInventory} from '../../../src/core/inventory/load-inventory.js'
import {loadInventory} from '../../../src/services/inventory.js'
import {ISSUER_KEY_STORE_TYPES} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {formatProblems} from '../../../src/core/yaml/load-yaml-document.js'
import {projectRoot} from '../../helpers/run.js'

const EXAMPLE = join(projectRoot, 'examples/jwkr.inventory.yaml')

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'jwkr-inventory-'))
}

/** One file with every kind of mistake the loader knows, each on its own line. */
const BAD = `version: 1
issuers:
  - id: auth-main
    issuer: https://auth.example.com
    keySource: {type: jwks-file, path: ./keys.json, domain: example.com}
  - id: auth-main
    issuer: ftp://auth.example.com
    jwksUri: https://admin:hunter2-secret@auth.example.com/jwks
    keySource: {type: okat}
  - id: sso
    issuer: https://sso.example.com
    discovery: https://sso.example.com/.well-known/openid-configuration?access_token=tok-4f9a8c77e1
    keySource: {type: keycloak, baseUrl: https://sso.example.com}
  - id: okta
    issuer: not a url
    keySource: {type: okta, domain: example.okta.com}
services:
  - id: billing
    team: payments
    contacts: {slack: "#payments-oncall"}
    trusts: [auth-mian, nobody]
    probe: {url: https://billing.example.com/me, method: PUT, headers: {Authorization: Bearer probe-cred-77aa}}
    jwksCacheSeconds: -5
    repo: not-a-repo
  - id: billing
    team: payments
    contact: {email: oncall@example.com}
    trusts: [sso]
notify:
  slack: {}
`

const CREDENTIALS = ['hunter2-secret', 'tok-4f9a8c77e1', 'probe-cred-77aa']

describe('checkInventory', () => {
  it('reports every problem of one bad file at once, each at its line and column', () => {
    // Given an inventory with a mistake of every kind on its own line
    const secrets = new SecretRegistry()
    // When it is checked
    const {inventory, problems} = checkInventory(BAD, 'bad.yaml', {secrets})
    // Then there is no inventory, and every problem is reported in document order with its position
    expect(inventory).toBeUndefined()
    const env =
      'credentials never live in the inventory: jwkr reads them from the environment (AUTH0_TOKEN, OKTA_TOKEN, VAULT_TOKEN, GITHUB_TOKEN, …)'
    expect(formatProblems(problems).split('\n')).toEqual([
      "bad.yaml:5:53: unknown property 'domain' (expected one of type, path, private)",
      "bad.yaml:6:9: duplicate issuer id 'auth-main' (first used at line 3)",
      "bad.yaml:7:13: 'issuer' must be an http or https URL (got ftp:)",
      `bad.yaml:8:14: 'jwksUri' holds credentials (user:password@ in the URL): remove them; ${env}`,
      "bad.yaml:9:23: unknown keySource type 'okat' (did you mean 'okta'?); the known types are jwks-file, github-file, auth0, keycloak, okta, vault, webhook, manual",
      `bad.yaml:12:16: 'discovery' holds a credential in its query (access_token): remove it; ${env}`,
      "bad.yaml:13:16: missing required property 'realm'",
      "bad.yaml:15:13: 'issuer' is not a valid URL",
      "bad.yaml:16:16: missing required property 'authServerId'",
      "bad.yaml:21:14: trusts 'auth-mian', which is not an issuer id in this inventory (did you mean 'auth-main'?)",
      "bad.yaml:21:25: trusts 'nobody', which is not an issuer id in this inventory; the issuers are auth-main, sso, okta",
      'bad.yaml:22:58: \'method\' must be one of GET, POST, HEAD (got "PUT")',
      `bad.yaml:22:73: probe header 'Authorization' holds a credential: remove it; the probe sends the canary token itself, and ${env}`,
      "bad.yaml:23:23: 'jwksCacheSeconds' must be 0 or more (got -5)",
      'bad.yaml:24:11: \'repo\' must be a GitHub repository written owner/name (got "not-a-repo")',
      "bad.yaml:25:5: missing required property 'contacts'",
      "bad.yaml:25:9: duplicate service id 'billing' (first used at line 18)",
      "bad.yaml:27:5: unknown property 'contact' (did you mean 'contacts'?)",
      "bad.yaml:30:10: missing required property 'channel'",
    ])
    // And each problem carries the path of the value it concerns
    expect(problems.find((problem) => problem.line === 9)?.path).toBe('issuers[1].keySource.type')
    // And the credentials it found are never quoted, and are registered so no output can repeat them
    const text = JSON.stringify(problems)
    for (const credential of CREDENTIALS) {
      expect(text).not.toContain(credential)
      expect(secrets.leaks(`… ${credential} …`)).toBe(true)
    }
  })

  it('registers every credential of a URL that holds both user:password@ and one in its query', () => {
    // Given a JWKS URL with both kinds
    const secrets = new SecretRegistry()
    const text = BAD.replace(/jwksUri: \S+/, 'jwksUri: https://svc:pw-12345@auth.example/jwks?access_token=tok-both-kinds-9d1e')
    // When it is checked, then its problem is the user:password@, and both credentials are registered
    checkInventory(text, 'bad.yaml', {secrets})
    expect(secrets.leaks('… pw-12345 …')).toBe(true)
    expect(secrets.leaks('… tok-both-kinds-9d1e …')).toBe(true)
  })

  it('reports a YAML syntax error at its position and nothing else', () => {
    // Given a flow mapping that is never closed
    const text = 'version: 1\nissuers:\n  - {id: a, issuer: https://a.example\nservices: []\n'
    // When it is checked
    const {inventory, problems} = checkInventory(text, 'broken.yaml')
    // Then only the syntax problem is reported, with its line and column
    expect(inventory).toBeUndefined()
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.every((problem) => problem.file === 'broken.yaml' && problem.line >= 3 && problem.column >= 1)).toBe(true)
    expect(problems.some((problem) => /flow|indent|end/i.test(problem.message))).toBe(true)
  })

  it("takes an Okta issuer's OAuth clients as a list of client ids, and refuses anything else at its position", () => {
    // Given an Okta issuer that names its clients, and one that names them wrongly
    const text = `version: 1
issuers:
  - {id: a, issuer: https://a.example.com, keySource: {type: okta, domain: example.okta.com, authServerId: default, clients: [0oa-web, 0oa-mobile]}}
  - {id: b, issuer: https://b.example.com, keySource: {type: okta, domain: example.okta.com, authServerId: default, clients: 0oa-web}}
`
    // When it is checked
    const {problems} = checkInventory(text, 'clients.yaml')
    // Then only the second is refused, at its clients
    expect(problems.map((problem) => [problem.line, problem.path])).toEqual([[4, 'issuers[1].keySource.clients']])
    const good = checkInventory(text.split('\n').slice(0, 3).join('\n'), 'clients.yaml')
    expect(good.inventory?.issuers[0]?.keySource).toMatchObject({clients: ['0oa-web', '0oa-mobile']})
  })

  it('names the version it expects and the sections it needs', () => {
    const {problems} = checkInventory('version: 2\nservices: []\n', 'v2.yaml')
    expect(formatProblems(problems).split('\n')).toEqual([
      "v2.yaml:1:1: missing required property 'issuers'",
      "v2.yaml:1:10: 'version' must be 1 (got 2)",
    ])
  })

  it('accepts a bare host name or an https URL as an Auth0/Okta domain, but no credentials in either', () => {
    // Given two auth0 issuers written both ways, and one with a password before the host
    const text = `version: 1
issuers:
  - {id: a, issuer: https://a.example.com, keySource: {type: auth0, domain: tenant.eu.auth0.com}}
  - {id: b, issuer: https://b.example.com, keySource: {type: auth0, domain: "https://tenant.eu.auth0.com"}}
  - {id: c, issuer: https://c.example.com, keySource: {type: okta, domain: "ops:pa55-w0rd-x@example.okta.com", authServerId: default}}
`
    // When it is checked
    const {problems} = checkInventory(text, 'hosts.yaml')
    // Then only the one with credentials is refused, without quoting them
    expect(problems.map((problem) => [problem.line, problem.column, problem.message.split(':')[0]])).toEqual([
      [5, 76, "'domain' holds credentials (user"],
    ])
    expect(JSON.stringify(problems)).not.toContain('pa55-w0rd-x')
  })
})

describe('services[].verifier and services[].probe.token', () => {
  const service = (lines: string[]) =>
    [
      'version: 1',
      'issuers:',
      '  - {id: auth, issuer: https://auth.example.com, keySource: {type: manual}}',
      'services:',
      '  - id: billing',
      '    team: payments',
      '    contacts: {slack: "#payments-oncall"}',
      '    trusts: [auth]',
      ...lines,
      '',
    ].join('\n')

  it('accepts a verifier and a canary shape, and keeps them as written', () => {
    // Given a service naming its verifier and the shape of its tokens (aud as a list, scp, extra claims)
    const text = service([
      '    verifier: get-jwks',
      '    probe:',
      '      url: https://billing.example.com/me',
      '      method: GET',
      '      token:',
      '        aud: [https://billing.example.com, billing]',
      '        typ: at+jwt',
      '        scp: [billing.read]',
      '        alg: ES256',
      '        claims: {tenant: acme, azp: web}',
    ])
    // When it is checked
    const {inventory, problems} = checkInventory(text, 'ok.yaml')
    // Then there is no problem, and both fields reach the inventory unchanged
    expect(problems).toEqual([])
    expect(inventory?.services[0]?.verifier).toBe('get-jwks')
    expect(inventory?.services[0]?.probe?.token).toEqual({
      aud: ['https://billing.example.com', 'billing'],
      typ: 'at+jwt',
      scp: ['billing.read'],
      alg: 'ES256',
      claims: {tenant: 'acme', azp: 'web'},
    })
  })

  it('refuses an unknown verifier (with a guess) and a malformed canary shape, each at its line', () => {
    // Given a misspelt verifier, an empty aud list, scp as a string and an unknown token field
    const text = service([
      '    verifier: jwks-rsaa',
      '    probe:',
      '      url: https://billing.example.com/me',
      '      method: GET',
      '      token:',
      '        aud: []',
      '        scp: billing.read',
      '        colour: blue',
    ])
    // When it is checked
    const {inventory, problems} = checkInventory(text, 'bad.yaml')
    // Then each is reported where it is written
    expect(inventory).toBeUndefined()
    expect(formatProblems(problems).split('\n')).toEqual([
      "bad.yaml:9:15: unknown verifier 'jwks-rsaa' (did you mean 'jwks-rsa'?); the known verifiers are jwks-rsa, jose, get-jwks, spring-security, envoy, istio, go-jwx, microsoft-identitymodel",
      "bad.yaml:14:14: 'aud' is empty: list at least 1 item",
      'bad.yaml:15:14: \'scp\' must be a list (got "billing.read")',
      "bad.yaml:16:9: unknown property 'colour' (expected one of aud, typ, scope, scp, alg, claims)",
    ])
  })

  it('refuses the claims jwkr sets itself inside probe.token.claims, at the line of each', () => {
    // Given extra claims that try to set sub, exp and aud next to an allowed one
    const text = service([
      '    probe:',
      '      url: https://billing.example.com/me',
      '      method: GET',
      '      token:',
      '        claims:',
      '          tenant: acme',
      '          sub: alice',
      '          exp: 9999999999',
      '          aud: billing',
    ])
    // When it is checked
    const {inventory, problems} = checkInventory(text, 'claims.yaml')
    // Then each reserved name is refused at its key, saying who sets it, and aud points at probe.token.aud
    expect(inventory).toBeUndefined()
    const why = 'jwkr sets iss, sub, aud, jti, iat, exp, nbf itself (they label the canary and bound its life)'
    expect(formatProblems(problems).split('\n')).toEqual([
      `claims.yaml:15:11: probe.token.claims must not set 'sub': ${why}`,
      `claims.yaml:16:11: probe.token.claims must not set 'exp': ${why}`,
      `claims.yaml:17:11: probe.token.claims must not set 'aud': ${why}; give the audience as probe.token.aud`,
    ])
    expect(problems.map((problem) => problem.path)).toEqual([
      'services[0].probe.token.claims.sub',
      'services[0].probe.token.claims.exp',
      'services[0].probe.token.claims.aud',
    ])
  })
})

describe('the example inventory', () => {
  it('is valid, and shows every keySource type and every service field', async () => {
    // Given the commented example that ships with the package
    const text = await readFile(EXAMPLE, 'utf8')
    // When it is checked
    const {inventory, problems} = checkInventory(text, EXAMPLE)
    // Then it has no problem
    expect(problems).toEqual([])
    // And it uses every keySource type, every issuer field, every service field and every top-level section
    const schema = inventorySchema as {properties: Record<string, {items?: {properties: Record<string, unknown>}}>}
    expect(new Set(inventory?.issuers.map((issuer) => issuer.keySource.type))).toEqual(new Set(ISSUER_KEY_STORE_TYPES))
    const issuerFields = new Set(inventory?.issuers.flatMap((issuer) => Object.keys(issuer)))
    expect([...issuerFields].sort()).toEqual(Object.keys(schema.properties.issuers?.items?.properties ?? {}).sort())
    const serviceFields = new Set(inventory?.services.flatMap((service) => Object.keys(service)))
    expect([...serviceFields].sort()).toEqual(Object.keys(schema.properties.services?.items?.properties ?? {}).sort())
    expect(Object.keys(inventory ?? {}).sort()).toEqual(Object.keys(schema.properties).sort())
    // And its relative paths are resolved against the examples folder
    const examples = join(projectRoot, 'examples')
    expect(inventory?.issuers[0]?.keySource).toEqual({type: 'jwks-file', path: join(examples, 'keys/auth-main.jwks.json')})
    expect(inventory?.services[0]?.logs).toEqual(['/var/log/billing/access.log', join(examples, 'logs/billing')])
    expect(inventory?.templates).toBe(join(examples, 'jwkr-templates'))
  })
})

describe('loadInventory', () => {
  it('resolves a relative jwks-file path against the inventory’s folder, not the working directory', async () => {
    // Given an inventory in a sub-folder naming ./keys/main.jwks.json, and no services section
    const dir = await tempDir()
    await mkdir(join(dir, 'ops'))
    const file = join(dir, 'ops', 'jwkr.inventory.yaml')
    await writeFile(
      file,
      'version: 1\nissuers:\n  - id: main\n    issuer: https://auth.example.com\n    keySource: {type: jwks-file, path: ./keys/main.jwks.json}\n',
    )
    // When it is loaded
    const inventory = await loadInventory(file)
    // Then the path points into ops/, and services default to none
    expect(inventory.issuers[0]?.keySource).toEqual({type: 'jwks-file', path: join(dir, 'ops', 'keys', 'main.jwks.json')})
    expect(inventory.services).toEqual([])
  })

  it('refuses an invalid file with ERR_INVENTORY_INVALID listing every problem', async () => {
    // Given the bad inventory on disk
    const dir = await tempDir()
    const file = join(dir, 'jwkr.inventory.yaml')
    await writeFile(file, BAD)
    // When it is loaded
    const error = await loadInventory(file).catch((caught: unknown) => caught)
    // Then the error lists every problem with its position, in the message and in details
    expect(error).toBeInstanceOf(JwkrError)
    const failure = error as JwkrError
    expect(failure.code).toBe('ERR_INVENTORY_INVALID')
    expect(failure.message).toContain(`The inventory ${file} has 19 problems:`)
    expect(failure.message).toContain(`${file}:9:23: unknown keySource type 'okat'`)
    expect((failure.details?.problems as unknown[]).length).toBe(19)
    expect(failure.hint).toContain('jwkr inventory validate')
    for (const credential of CREDENTIALS) expect(failure.message).not.toContain(credential)
  })

  it('says where to start when the file does not exist', async () => {
    const missing = join(await tempDir(), 'nope.yaml')
    const error = (await loadInventory(missing).catch((caught: unknown) => caught)) as JwkrError
    expect(error.code).toBe('ERR_INVENTORY_NOT_FOUND')
    expect(error.message).toBe(`No inventory at ${missing}.`)
    expect(error.hint).toContain('--inventory')
    expect(error.hint).toContain('examples/jwkr.inventory.yaml')
  })
})

describe('writing an inventory (issue 15)', () => {
  const base = (service: string, notify = '') => `version: 1
issuers:
  - id: auth-main
    issuer: https://auth.example.com
    jwksUri: https://auth.example.com/jwks
    keySource: {type: manual}
services:
${service}${notify}`

  it('takes durations for jwksCacheSeconds, defaults probe.method to GET, and takes a single logs path', () => {
    const {inventory, problems, warnings} = checkInventory(
      base(`  - id: billing
    team: payments
    contacts: {slack: "#payments"}
    trusts: [auth-main]
    probe: {url: https://billing.example.com/me}
    jwksCacheSeconds: 10m
    logs: logs/access.log
  - id: reports
    team: data
    contacts: {slack: "#data"}
    trusts: [auth-main]
    probe: {url: https://reports.example.com/me, method: HEAD}
    jwksCacheSeconds: 1h30m
`),
      '/srv/inv/jwkr.inventory.yaml',
    )
    expect(problems).toEqual([])
    expect(warnings).toEqual([])
    const [billing, reports] = inventory?.services ?? []
    expect(billing?.jwksCacheSeconds).toBe(600)
    expect(billing?.probe?.method).toBe('GET')
    expect(billing?.logs).toEqual(['/srv/inv/logs/access.log'])
    expect(reports?.jwksCacheSeconds).toBe(5400)
    expect(reports?.probe?.method).toBe('HEAD')
  })

  it('refuses a cache lifetime that is neither seconds nor a duration', () => {
    const {problems} = checkInventory(
      base(`  - id: billing
    team: payments
    contacts: {slack: "#payments"}
    trusts: [auth-main]
    jwksCacheSeconds: ten minutes
`),
      'inv.yaml',
    )
    expect(problems.map((problem) => problem.path)).toContain('services[0].jwksCacheSeconds')
  })

  it('warns about what is valid but breaks later: no probe, an assumed cache lifetime, a channel without #', () => {
    const {problems, warnings} = checkInventory(
      base(
        `  - id: billing
    team: payments
    contacts: {slack: payments-oncall}
    trusts: [auth-main]
`,
        `notify:
  slack: {channel: sec-incidents}
`,
      ),
      'inv.yaml',
    )
    expect(problems).toEqual([])
    const messages = warnings.map((warning) => `${warning.line}: ${warning.message}`)
    expect(messages).toEqual([
      expect.stringMatching(
        /^\d+: service 'billing' gives neither jwksCacheSeconds nor verifier: the containment clock will assume 600 s/,
      ),
      expect.stringMatching(
        /^\d+: service 'billing' has no probe: containment can be proven for it only by its JWKS cache running out/,
      ),
      expect.stringMatching(/^\d+: 'payments-oncall' is not a Slack channel: write it with its '#' \(#payments-oncall\)$/),
      expect.stringMatching(/^\d+: 'sec-incidents' is not a Slack channel: write it with its '#' \(#sec-incidents\)$/),
    ])
  })
})
