// `jwkr inventory init` (issue 15): a commented skeleton without a terminal (or with --yes), the
// questions on a pseudo-terminal; either file passes `jwkr inventory validate`; an existing file is
// kept unless --force.
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import type {InventoryInitResult} from '../../src/commands/inventory/init.js'
import type {InventoryValidateResult} from '../../src/commands/inventory/validate.js'
import {keys, runOnTerminal} from '../helpers/pty.js'
import {exitCodeOf, run} from '../helpers/run.js'

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'jwkr-inventory-init-')), 'jwkr.inventory.yaml')

async function validate(file: string): Promise<InventoryValidateResult> {
  const {stdout, error} = await run(['inventory', 'validate', file, '--json'])
  expect(exitCodeOf(error)).toBe(0)
  return JSON.parse(stdout) as InventoryValidateResult
}

describe('jwkr inventory init without a terminal', () => {
  it('writes a commented skeleton of example values that validates', async () => {
    // Given no inventory yet (and stdin not a terminal: vitest's)
    const file = fresh()
    // When init runs
    const {stdout, error} = await run(['inventory', 'init', file])
    // Then it writes a skeleton, says so, and the file is valid with a probe and a cache lifetime
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain(`Wrote ${file}: a skeleton of example values (example.com) to replace with your own.`)
    const text = readFileSync(file, 'utf8')
    expect(text).toMatch(/^# jwkr inventory: /)
    expect(text).toContain('# Every value below is an example (example.com): replace them with your own.')
    expect(text).toContain('jwksCacheSeconds: 10m')
    const result = await validate(file)
    expect(result).toMatchObject({valid: true, issuers: 1, services: 1, problems: []})
    // Only the environment may be missing something (SLACK_TOKEN for notify.slack), never the file itself
    expect(result.warnings.map((warning) => warning.path)).toEqual(
      result.credentials.filter((check) => !check.satisfied).map((check) => check.path),
    )
  })

  it('--json says what it wrote', async () => {
    const file = fresh()
    const {stdout, error} = await run(['inventory', 'init', file, '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      file,
      interactive: false,
      issuers: 1,
      services: 1,
      warnings: [],
    } satisfies InventoryInitResult)
  })

  it('refuses to overwrite an existing file (ERR_INVENTORY_EXISTS, exit 1) unless --force', async () => {
    // Given an inventory someone wrote
    const file = fresh()
    writeFileSync(file, 'version: 1\nissuers: []\n')
    // When init runs over it
    const {stderr, error} = await run(['inventory', 'init', file])
    // Then it is refused, the file is untouched, and the message says how to go on
    expect(exitCodeOf(error)).toBe(1)
    expect(stderr).toContain(`${file} exists already: jwkr inventory init does not overwrite it.`)
    expect(stderr).toContain('--force')
    expect(readFileSync(file, 'utf8')).toBe('version: 1\nissuers: []\n')
    // And --force replaces it
    expect(exitCodeOf((await run(['inventory', 'init', file, '--force'])).error)).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('id: auth-main')
  })
})

describe('jwkr inventory init on a terminal', {timeout: 120_000}, () => {
  const answer = (question: RegExp, text: string) => ({waitFor: question, send: `${text}${keys.enter}`})

  it('asks for the issuer, its JWKS URL, a first service with its probe and cache lifetime, and the channel; the file validates', async () => {
    // Given no inventory yet
    const file = fresh()
    // When init runs on a terminal and a person answers (a wrong URL first, a channel without its #)
    const {exitCode, screen} = await runOnTerminal(
      ['inventory', 'init', file],
      [
        answer(/Issuer: the iss claim/, 'not a url'),
        answer(/Give a URL, like https:\/\/auth\.example\.com\./, `${'\x7f'.repeat(9)}https://login.acme.test`),
        answer(/JWKS URL/, ''),
        answer(/An id for this issuer/, ''),
        answer(/A first service that trusts it/, 'orders'),
        answer(/The team that owns it/, 'shop'),
        answer(/Slack channel \(empty: none\)/, ''),
        answer(/answers 401 to a bad token/, 'https://orders.acme.test/api/me'),
        answer(/JWKS cache \(a duration\)/, '90s'),
        answer(/where the incident is announced/, 'sec-acme'),
      ],
    )
    // Then it wrote the answers, with the defaults it offered
    expect(exitCode, screen).toBe(0)
    expect(screen).toContain(`Wrote ${file}.`)
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain('example.com')
    for (const line of [
      'issuer: https://login.acme.test ',
      'jwksUri: https://login.acme.test/.well-known/jwks.json ',
      '- id: login ',
      '- id: orders',
      'contacts: {slack: "#shop-oncall"}',
      'trusts: [login]',
      'probe: {url: https://orders.acme.test/api/me}',
      'jwksCacheSeconds: 90s',
      'slack: {channel: "#sec-acme"}',
    ]) {
      expect(text).toContain(line)
    }
    // And the file validates
    expect(await validate(file)).toMatchObject({valid: true, issuers: 1, services: 1})
  })

  it('leaves the service and the channel as commented examples when they are left empty', async () => {
    const file = fresh()
    const {exitCode, screen} = await runOnTerminal(
      ['inventory', 'init', file],
      [
        answer(/Issuer: the iss claim/, 'https://sso.acme.test/realms/staff'),
        answer(/JWKS URL/, 'https://sso.acme.test/realms/staff/protocol/openid-connect/certs'),
        answer(/An id for this issuer/, 'staff'),
        answer(/A first service that trusts it/, ''),
        answer(/where the incident is announced/, '\x7f'),
      ],
    )
    expect(exitCode, screen).toBe(0)
    const text = readFileSync(file, 'utf8')
    expect(text).toContain('services: []')
    expect(text).toContain('# notify:')
    expect(await validate(file)).toMatchObject({valid: true, issuers: 1, services: 0, warnings: []})
  })

  it('Ctrl-C at a question stops with exit 130 and writes nothing', async () => {
    const file = fresh()
    const {exitCode, screen} = await runOnTerminal(
      ['inventory', 'init', file],
      [{waitFor: /Issuer: the iss claim/, send: keys.ctrlC}],
      {},
      60_000,
    )
    expect(exitCode, screen).toBe(130)
    expect(screen).not.toMatch(/Unexpected error|This is a bug/)
    expect(existsSync(file)).toBe(false)
  })
})
