import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {decodeJwt, exportJWK, generateKeyPair} from 'jose'
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../src/services/identify.js'
import {scanTokens} from '../../src/services/triage.js'
import {leakedKeyOf} from '../../src/core/inventory/leaked-key.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {makeLogs, type LogSigningKey, type MakeLogsOptions} from '../../src/drill/make-logs.js'

async function signingKey(kid: string): Promise<LogSigningKey> {
  const {privateKey} = await generateKeyPair('RS256', {extractable: true})
  return {kid, privateJwk: {...(await exportJWK(privateKey)), kid, alg: 'RS256'}}
}

const NOW = new Date('2026-11-29T03:00:00Z')
const TOKEN = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g

describe('the drill logs', () => {
  let previous: LogSigningKey
  let leaked: LogSigningKey
  let dir: string
  beforeAll(async () => {
    previous = await signingKey('auth-old')
    leaked = await signingKey('auth-new')
  })
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwkr-logs-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })
  const options = (name: string): MakeLogsOptions => ({
    dir: join(dir, name, 'logs'),
    issuedLog: join(dir, name, 'issued.log'),
    issuer: 'http://127.0.0.1:9',
    services: ['billing-api', 'orders-api', 'profile-api'],
    users: ['alice', 'bob', 'carol', 'dave'].map((sub) => ({sub, email: `${sub}@example.com`})),
    previous,
    leaked,
    now: NOW,
  })

  it('writes a week of traffic, a few hundred lines, plain and JSON, every token inside the week', async () => {
    // Given four users and three services
    // When the logs are made
    const logs = await makeLogs(options('a'))
    const texts = await Promise.all(logs.files.map((file) => readFile(file, 'utf8')))

    // Then there are access logs and a gateway JSON log, small, with tokens issued in the last 7 days
    expect(logs.files.map((file) => file.split('/').slice(-2).join('/')).sort()).toEqual([
      'billing-api/access.log',
      'gateway/requests.jsonl',
      'orders-api/access.log',
      'profile-api/access.log',
    ])
    expect(logs.lines).toBeGreaterThan(60)
    expect(logs.lines).toBeLessThan(600)
    expect(texts.join('').trim().split('\n')).toHaveLength(logs.lines)
    const gateway = texts[logs.files.findIndex((file) => file.endsWith('requests.jsonl'))] ?? ''
    for (const line of gateway.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow()
    const tokens = [...new Set(texts.join('\n').match(TOKEN) ?? [])]
    expect(tokens.length).toBe(
      logs.tokens.issuedWithPrevious + logs.tokens.issuedWithLeaked + logs.tokens.forged + logs.tokens.tampered,
    )
    for (const token of tokens) {
      const {iat} = decodeJwt(token)
      expect(iat).toBeLessThanOrEqual(NOW.getTime() / 1000)
      expect(iat).toBeGreaterThan(NOW.getTime() / 1000 - 8 * 86_400)
    }
    expect(logs.tokens.issuedWithPrevious).toBeGreaterThan(0)
    expect(logs.tokens.issuedWithLeaked).toBeGreaterThan(0)
  })

  it('is the same for the same seed, and different for another', async () => {
    // Given the same keys and time
    // When logs are made twice with seed 1 and once with seed 2
    const first = await makeLogs(options('a'))
    const second = await makeLogs(options('b'))
    const other = await makeLogs({...options('c'), seed: 2})
    const read = async (files: string[]) => Promise.all(files.map((file) => readFile(file, 'utf8')))

    // Then the first two are identical, the third is not
    expect(await read(second.files)).toEqual(await read(first.files))
    expect(await read(other.files)).not.toEqual(await read(first.files))
  })

  it('plants forgeries that jwkr tokens scan tells from the tokens the issuer really issued', async () => {
    // Given the logs, and the leaked key as a file
    const logs = await makeLogs(options('a'))
    const keyFile = join(dir, 'leaked.json')
    await writeFile(keyFile, JSON.stringify(leaked.privateJwk))
    const secrets = new SecretRegistry()
    const key = leakedKeyOf(await loadKeySource(keyFile, {secrets}))

    // When jwkr scans them with the issuer's issued log
    const result = await scanTokens(key, [join(dir, 'a', 'logs')], {
      secrets,
      issuedLog: logs.issuedLog,
      threads: 1,
      now: () => NOW,
    })
    const issued = await readFile(logs.issuedLog, 'utf8')

    // Then the forged tokens are suspected forgeries, the real ones are signed with the key, the edited one fails
    expect(logs.forgedJtis).toHaveLength(3)
    for (const jti of logs.forgedJtis) expect(issued).not.toContain(jti)
    expect(result.counts['suspected-forgery']).toBeGreaterThanOrEqual(3)
    expect(result.counts['signed-with-leaked-key']).toBeGreaterThan(0)
    expect(result.counts['kid-match-bad-signature']).toBe(1)
    expect(result.longestRemainingLifetime?.seconds).toBeGreaterThan(0)
  })
})
