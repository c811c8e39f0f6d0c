// Key sets built to exhaust jwkr: nested thousands of levels deep (the recursive walks that follow a
// parse — hashing, redaction, JSON output — overflowed the stack in `verify`), or holding 300,000
// `{}` entries under the 1 MiB cap (`locate --json` reported each and died at 1.3 GB). Served by a
// real HTTP server, kept in a jwks-file key source, or given as the key itself: each is refused or
// reported clearly, with the right exit code and no stack.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../src/adapters/idp/create-issuer-key-store.js'
import {MAX_JWKS_KEYS, MAX_NESTING_DEPTH} from '../../src/core/nesting.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {failureOf} from '../adapters/idp/helpers/secrecy.js'
import {makeTestKey, startJwksServer, type JwksServer, type TestKey} from '../helpers/jwks-server.js'
import {exitCodeOf, run} from '../helpers/run.js'

const DEEP = 20_000
/** A JWKS whose only key has a member nested 20,000 lists deep. */
const deepJwks = `{"keys":[{"kty":"RSA","n":"x","e":"AQAB","x5c":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}]}`
/** 300,000 empty entries: 900 KB, under every size cap. */
const wideJwks = `{"keys":[${Array(300_000).fill('{}').join(',')}]}`

let server: JwksServer
let leaked: TestKey
let dir: string
let keyFile: string

function inventoryFor(path: string): string {
  const file = join(dir, `inventory${path.replace(/\W/g, '-')}.yaml`)
  writeFileSync(
    file,
    `version: 1
issuers:
  - id: auth
    issuer: ${server.origin}/auth
    jwksUri: ${server.url(path)}
    keySource: {type: manual}
services:
  - id: billing
    team: payments
    contacts: {slack: "#payments"}
    trusts: [auth]
    jwksUri: ${server.url(path)}
`,
  )
  return file
}

beforeAll(async () => {
  server = await startJwksServer()
  leaked = await makeTestKey('prod-1')
  server.route('/deep', {text: deepJwks, headers: {'content-type': 'application/json'}})
  server.route('/wide', {text: wideJwks, headers: {'content-type': 'application/json'}})
  dir = mkdtempSync(join(tmpdir(), 'jwkr-hostile-jwks-'))
  keyFile = join(dir, 'leaked.json')
  writeFileSync(keyFile, JSON.stringify(leaked.privateJwk))
})

afterAll(async () => {
  await server.close()
})

describe('a served JWKS nested 20,000 levels deep', () => {
  it('jwkr verify reports the endpoint as unreadable, exit 4, no stack', {timeout: 60_000}, async () => {
    const {stdout, error} = await run<unknown>(['verify', '--key', keyFile, '--inventory', inventoryFor('/deep'), '--json'])
    const result = JSON.parse(stdout) as {contained: boolean; endpoints: Array<{url: string; reason: string}>}
    expect(exitCodeOf(error)).toBe(4)
    expect(result.contained).toBe(false)
    expect(result.endpoints[0]?.reason).toMatch(new RegExp(`nests lists and mappings more than ${MAX_NESTING_DEPTH} levels deep`))
  })

  it('jwkr services locate says so for the issuer', {timeout: 60_000}, async () => {
    const {stdout, error} = await run(['services', 'locate', '--key', keyFile, '--inventory', inventoryFor('/deep'), '--json'])
    expect(exitCodeOf(error)).toBe(0)
    const result = JSON.parse(stdout) as {issuers: Array<{status: string; error: {message: string} | null}>}
    expect(result.issuers[0]).toMatchObject({status: 'unknown', error: {message: expect.stringMatching(/nests lists/)}})
  })
})

describe(`a served JWKS of 300,000 empty entries`, () => {
  it(
    `jwkr services locate --json reports the endpoint as holding more than ${MAX_JWKS_KEYS} entries`,
    {timeout: 60_000},
    async () => {
      const {stdout, error} = await run(['services', 'locate', '--key', keyFile, '--inventory', inventoryFor('/wide'), '--json'])
      expect(exitCodeOf(error)).toBe(0)
      const result = JSON.parse(stdout) as {issuers: Array<{status: string; error: {message: string} | null}>}
      expect(result.issuers[0]).toMatchObject({
        status: 'unknown',
        error: {message: `The JWKS holds 300,000 entries; jwkr reads at most ${MAX_JWKS_KEYS.toLocaleString('en')}.`},
      })
      expect(stdout.length).toBeLessThan(100_000)
    },
  )
})

describe('the same sets as the key, or in a jwks-file key source', () => {
  it.each([
    [
      'nested 20,000 deep',
      deepJwks,
      /^The JSON nests lists and mappings more than 64 levels deep; no key is shaped like that\.$/,
    ],
    ['of 300,000 entries', wideJwks, /^The JWKS holds 300,000 entries; jwkr reads at most 1,000\.$/],
  ])('jwkr key inspect refuses a set %s with ERR_INPUT_TOO_LARGE', {timeout: 60_000}, async (_, text, message) => {
    const file = join(dir, `key-${text.length}.json`)
    writeFileSync(file, text)
    const {stdout, error} = await run(['key', 'inspect', file, '--json'])
    expect(exitCodeOf(error)).toBe(1)
    const {error: body} = JSON.parse(stdout) as {error: {code: string; message: string}}
    expect(body.code).toBe('ERR_INPUT_TOO_LARGE')
    expect(body.message).toMatch(message)
  })

  it.each([
    ['nested 20,000 deep', deepJwks, /keys\.json nests lists and mappings more than 64 levels deep: it is no key set\.$/],
    ['of 300,000 entries', wideJwks, /keys\.json holds 300,000 entries; jwkr reads at most 1,000\.$/],
  ])('a jwks-file key source refuses a file %s with ERR_KEY_SOURCE_INVALID', async (_, text, message) => {
    writeFileSync(join(dir, 'keys.json'), text)
    const source = createIssuerKeyStore(
      {id: 'auth', issuer: 'https://auth.example.com', keySource: {type: 'jwks-file', path: 'keys.json'}},
      {env: {}, secrets: new SecretRegistry(), baseDir: dir, artifactsDir: join(dir, 'artifacts')},
    )
    const error = await failureOf(() => source.listKeys())
    expect(error.code).toBe('ERR_KEY_SOURCE_INVALID')
    expect(error.message).toMatch(message)
  })
})
