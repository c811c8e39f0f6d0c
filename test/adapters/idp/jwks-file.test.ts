// The jwks-file key source against real files in a temporary folder: the replacement appended,
// the leaked key removed by canonical thumbprint (whatever its kid or padding), everything else kept
// in order and layout, atomic writes with 0600 backups that never keep the leaked key's private
// members, private members refused (by the read-only precheck too, which writes nothing), and a
// resumed rotation that never adds the replacement twice.
import {mkdtemp, readdir, readFile, rm, stat, writeFile, chmod} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {JWK} from 'jose'
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {createIssuerKeyStore} from '../../../src/adapters/idp/create-issuer-key-store.js'
import type {IssuerKeyStore, RotateRequest} from '../../../src/adapters/idp/issuer-key-store.js'
import type {InventoryIssuer} from '../../../src/core/inventory/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from '../../core/key/samples.js'
import {makeKey, type TestKey} from './helpers/keys.js'
import {LedgerRunner, SimulatedCrash} from '../../helpers/ledger-runner.js'
import {errorTexts, expectNoNeedles, failureOf} from './helpers/secrecy.js'

let leaked: TestKey
let replacement: TestKey
let others: TestKey[]
let dir: string
let file: string
let artifacts: string

const issuer = (path: string): InventoryIssuer => ({
  id: 'auth-main',
  issuer: 'https://auth.example.com',
  keySource: {type: 'jwks-file', path},
})

function source(secrets = new SecretRegistry()): IssuerKeyStore {
  return createIssuerKeyStore(issuer('keys/auth-main.jwks.json'), {env: {}, secrets, baseDir: dir, artifactsDir: artifacts})
}

function request(kid: string | null = 'leaked-1'): RotateRequest {
  return {
    issuerId: 'auth-main',
    incidentId: 'inc-1',
    leaked: {thumbprint: leaked.thumbprint, kid},
    replacement: {publicJwk: {...replacement.publicJwk, alg: 'RS256', use: 'sig'}, kid: replacement.thumbprint},
    reason: 'key pasted into a chat',
  }
}

const entry = (key: TestKey, kid: string, extra: Record<string, unknown> = {}) => ({
  kid,
  use: 'sig',
  alg: key.publicJwk.kty === 'RSA' ? 'RS256' : 'ES256',
  ...key.publicJwk,
  ...extra,
})

async function writeJwks(document: unknown, layout: 'pretty' | 'compact' = 'pretty'): Promise<string> {
  const text = layout === 'pretty' ? `${JSON.stringify(document, null, 2)}\n` : JSON.stringify(document)
  await writeFile(file, text)
  return text
}

const readJwks = async () =>
  JSON.parse(await readFile(file, 'utf8')) as {keys: Array<Record<string, unknown>>} & Record<string, unknown>

beforeAll(async () => {
  ;[leaked, replacement, ...others] = await Promise.all([makeKey('RSA'), makeKey('RSA'), makeKey('EC'), makeKey('OKP')])
})

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwkr-jwks-file-'))
  artifacts = join(dir, 'incident', 'artifacts')
  await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'keys')))
  file = join(dir, 'keys', 'auth-main.jwks.json')
})

afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('rotating a key in a JWKS file', () => {
  it('appends the replacement and removes the leaked key, keeping the rest in order and layout', async () => {
    // Given a served JWKS with two other keys around the leaked one, and members jwkr does not know
    const [ec, okp] = others as [TestKey, TestKey]
    const original = await writeJwks({
      keys: [entry(ec, 'ec-1', {'x-team': 'payments'}), entry(leaked, 'leaked-1'), entry(okp, 'okp-1')],
      'x-generated-by': 'keyctl 2.1',
    })
    // When the leaked key is rotated
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then the file holds the other keys unchanged and in order, then the replacement
    const after = await readJwks()
    expect(after.keys.map((key) => key.kid)).toEqual(['ec-1', 'okp-1', replacement.thumbprint])
    expect(after.keys[0]).toEqual(entry(ec, 'ec-1', {'x-team': 'payments'}))
    expect(after.keys[2]).toEqual({...replacement.publicJwk, alg: 'RS256', use: 'sig', kid: replacement.thumbprint})
    expect(after['x-generated-by']).toBe('keyctl 2.1')
    expect(Object.keys(after)).toEqual(['keys', 'x-generated-by'])
    // And in the same layout: two-space indent, trailing newline
    const text = await readFile(file, 'utf8')
    expect(text).toBe(`${JSON.stringify(after, null, 2)}\n`)
    // And the version each write replaced is backed up with mode 0600
    const backups = join(artifacts, 'jwks-file')
    expect((await readdir(backups)).sort()).toEqual(['auth-main.before-add.json', 'auth-main.before-remove.json'])
    expect(await readFile(join(backups, 'auth-main.before-add.json'), 'utf8')).toBe(original)
    expect((await stat(join(backups, 'auth-main.before-add.json'))).mode & 0o777).toBe(0o600)
    // And no temporary file is left next to the JWKS
    expect(await readdir(join(dir, 'keys'))).toEqual(['auth-main.jwks.json'])
    expect(result).toMatchObject({
      outcome: 'changed',
      added: [{kid: replacement.thumbprint, thumbprint: replacement.thumbprint}],
      removed: [{thumbprint: leaked.thumbprint}],
      signingSwitched: null,
      stages: ['add', 'remove'],
    })
    expect(result.warnings[0]).toContain('cannot switch signing')
  })

  it('removes the leaked key by thumbprint whatever its kid, padding or number of copies', async () => {
    // Given the leaked key twice: once under another kid, once with a zero-padded modulus
    const padded = Buffer.concat([Buffer.from([0]), Buffer.from(String(leaked.publicJwk.n), 'base64url')]).toString('base64url')
    await writeJwks({
      keys: [entry(leaked, 'renamed-by-ops'), {...entry(leaked, 'legacy'), n: padded}, entry(others[0] as TestKey, 'ec-1')],
    })
    // When it is revoked under the kid the responder knows
    const result = await source().revoke(request('leaked-1'), new LedgerRunner().run)
    // Then both copies are gone and the other key stays
    expect((await readJwks()).keys.map((key) => key.kid)).toEqual(['ec-1'])
    expect(result.stages).toEqual(['remove'])
  })

  it('keeps a compact file compact and its permissions as they were', async () => {
    await writeJwks({keys: [entry(leaked, 'leaked-1')]}, 'compact')
    await chmod(file, 0o640)
    await source().rotate(request(), new LedgerRunner().run)
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain('\n')
    expect(JSON.parse(text).keys).toHaveLength(1)
    expect((await stat(file)).mode & 0o777).toBe(0o640)
  })

  it('changes nothing when the file does not hold the leaked key', async () => {
    const original = await writeJwks({keys: [entry(others[0] as TestKey, 'ec-1')]})
    const result = await source().rotate(request(), new LedgerRunner().run)
    expect(result.outcome).toBe('not-found')
    expect(await readFile(file, 'utf8')).toBe(original)
  })

  it('lists public keys only, by thumbprint, skipping secret and unreadable entries', async () => {
    await writeJwks({
      keys: [
        entry(leaked, 'leaked-1'),
        {kty: 'oct', kid: 'hmac', k: 'c2VjcmV0LXNoYXJlZC1rZXktMTIzNDU2Nzg5MA'},
        {kty: 'XYZ', kid: 'future'},
      ],
    })
    const keys = await source().listKeys()
    expect(keys.map((key) => [key.kid, key.thumbprint])).toEqual([['leaked-1', leaked.thumbprint]])
    expect(keys[0]?.publicJwk).toEqual({kty: 'RSA', n: leaked.publicJwk.n, e: 'AQAB', kid: 'leaked-1', alg: 'RS256', use: 'sig'})
  })
})

describe('private members in a JWKS file', () => {
  it('refuses a replacement that holds private members, writing nothing', async () => {
    const original = await writeJwks({keys: [entry(leaked, 'leaked-1')]})
    const error = await failureOf(() =>
      source().rotate({...request(), replacement: {publicJwk: replacement.privateJwk, kid: 'x'}}, new LedgerRunner().run),
    )
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
    expect(await readFile(file, 'utf8')).toBe(original)
    expectNoNeedles(errorTexts(error), privateNeedles(replacement.privateJwk))
  })

  it('strips the leaked key private members at the first write when the file published them', async () => {
    // Given the JWKS itself published the leaked private key (the leak)
    await writeJwks({keys: [{...leaked.privateJwk, kid: 'leaked-1'}, entry(others[0] as TestKey, 'ec-1')]})
    // When the first stage ran and the run then stopped
    const runner = new LedgerRunner()
    runner.crashAfter = 'add'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // Then the served file no longer holds the private members, even before the key is removed
    expectNoNeedles([await readFile(file, 'utf8')], privateNeedles(leaked.privateJwk))
    expect((await readJwks()).keys.map((key) => key.kid)).toEqual(['leaked-1', 'ec-1', replacement.thumbprint])
    // And the backup, 0600, holds no private member of the leaked key either: it names them, and keeps the rest
    const backupFile = join(artifacts, 'jwks-file', 'auth-main.before-add.json')
    expect((await stat(backupFile)).mode & 0o777).toBe(0o600)
    const backupText = await readFile(backupFile, 'utf8')
    expectNoNeedles([backupText], privateNeedles(leaked.privateJwk))
    const backup = JSON.parse(backupText) as {keys: Array<Record<string, unknown>>; jwkr: Record<string, unknown>}
    expect(backup.keys).toEqual([
      {kty: 'RSA', n: leaked.publicJwk.n, e: leaked.publicJwk.e, kid: 'leaked-1'},
      entry(others[0] as TestKey, 'ec-1'),
    ])
    expect(backup.jwkr.removedPrivateMembers).toEqual([{key: 1, kid: 'leaked-1', members: ['d', 'p', 'q', 'dp', 'dq', 'qi']}])
    expect(backup.jwkr.note).toContain("restoring it publishes the key's public members only")
    // And the resumed rotation (the file already stripped) still learns from the backup that the key was public
    const result = await source().rotate(request(), runner.run)
    expect(result.warnings.join(' ')).toContain("published the leaked key's private members")
    expect(result.warnings.join(' ')).toContain('leave them out')
    expectNoNeedles([JSON.stringify(result)], privateNeedles(leaked.privateJwk))
    // And no backup of the rotation holds them, and restoring one publishes the leaked key's public members only
    const backups = await readdir(join(artifacts, 'jwks-file'))
    expect(backups.sort()).toEqual(['auth-main.before-add.json', 'auth-main.before-remove.json'])
    for (const name of backups)
      expectNoNeedles([await readFile(join(artifacts, 'jwks-file', name), 'utf8')], privateNeedles(leaked.privateJwk))
    await writeFile(file, backupText)
    expect((await source().listKeys()).map((key) => key.thumbprint)).toEqual([
      leaked.thumbprint,
      (others[0] as TestKey).thumbprint,
    ])
    expectNoNeedles([await readFile(file, 'utf8')], privateNeedles(leaked.privateJwk))
  })

  it('a revocation keeps no private member of the leaked key in its backup either', async () => {
    // Given the file published the leaked key with its private members
    await writeJwks({keys: [{...leaked.privateJwk, kid: 'leaked-1'}, entry(others[0] as TestKey, 'ec-1')]})
    // When the key is revoked there
    const result = await source().revoke(request(), new LedgerRunner().run)
    // Then its only backup names the members it left out and holds none of them
    expect(result.warnings.join(' ')).toContain("published the leaked key's private members")
    const backupText = await readFile(join(artifacts, 'jwks-file', 'auth-main.before-remove.json'), 'utf8')
    expectNoNeedles([backupText], privateNeedles(leaked.privateJwk))
    expect(backupText).toContain('"removedPrivateMembers"')
  })

  it('leaves a leaked symmetric key out of the backup entirely (it has no public half)', async () => {
    // Given a JWKS that holds a shared secret, which leaked
    const secret = {kty: 'oct', k: 'c2hhcmVkLXNlY3JldC10aGF0LWxlYWtlZC1pbi1hLWNoYXQtMDEyMzQ1Njc', kid: 'hs-1', alg: 'HS256'}
    const {calculateJwkThumbprint} = await import('jose')
    const thumbprint = await calculateJwkThumbprint({kty: 'oct', k: secret.k}, 'sha256')
    await writeJwks({keys: [secret, entry(others[0] as TestKey, 'ec-1')]})
    // When it is revoked there
    await source().revoke({...request('hs-1'), leaked: {thumbprint, kid: 'hs-1'}}, new LedgerRunner().run)
    // Then neither the file nor the backup holds it, and the backup says which entry it left out
    const backup = JSON.parse(await readFile(join(artifacts, 'jwks-file', 'auth-main.before-remove.json'), 'utf8')) as {
      keys: Array<Record<string, unknown>>
      jwkr: {removedPrivateMembers: unknown[]}
    }
    expect(backup.keys.map((key) => key.kid)).toEqual(['ec-1'])
    expect(backup.jwkr.removedPrivateMembers).toEqual([{key: 1, kid: 'hs-1', members: ['k']}])
    expectNoNeedles([JSON.stringify(backup), await readFile(file, 'utf8')], privateNeedles(secret))
  })

  it('a resumed rotation still warns from a backup an older jwkr wrote with the members in it', async () => {
    // Given an older jwkr's backup (members in it) and the file as its first write left it: stripped, replacement added
    const original = {keys: [{...leaked.privateJwk, kid: 'leaked-1'}]}
    const {mkdir} = await import('node:fs/promises')
    await mkdir(join(artifacts, 'jwks-file'), {recursive: true})
    await writeFile(join(artifacts, 'jwks-file', 'auth-main.before-add.json'), JSON.stringify(original), {mode: 0o600})
    await writeJwks({keys: [entry(leaked, 'leaked-1'), {...request().replacement!.publicJwk, kid: replacement.thumbprint}]})
    // When the rotation is resumed
    const result = await source().rotate(request(), new LedgerRunner().run)
    // Then it still says the key was published with its private members, quoting none
    expect(result.outcome).toBe('changed')
    expect(result.warnings.join(' ')).toContain("published the leaked key's private members")
    expectNoNeedles([JSON.stringify(result)], privateNeedles(leaked.privateJwk))
  })

  it('refuses to rewrite a file that publishes private members of another key', async () => {
    const other = others[0] as TestKey
    const original = await writeJwks({keys: [entry(leaked, 'leaked-1'), {...other.privateJwk, kid: 'ec-1'}]})
    const secrets = new SecretRegistry()
    const error = await failureOf(() => source(secrets).rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_JWKS_PRIVATE_MEMBERS')
    expect(error.message).toContain('kid ec-1')
    expect(await readFile(file, 'utf8')).toBe(original)
    expectNoNeedles(errorTexts(error), privateNeedles(other.privateJwk))
    expect(secrets.leaks(String(other.privateJwk.d))).toBe(true)
  })
})

describe('the precheck: what a change would find, read-only', () => {
  it('refuses what rotate refuses, with the same error, naming kid and member names only, and writes nothing', async () => {
    // Given a file that also publishes the private members of another key
    const other = others[0] as TestKey
    const original = await writeJwks({keys: [entry(leaked, 'leaked-1'), {...other.privateJwk, kid: 'ec-1'}]})
    // When it is prechecked, and then rotated
    const checked = await failureOf(() => source().precheck!({leaked: request().leaked}))
    const rotated = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    // Then both refuse alike, naming the key and its member, quoting no value
    expect([checked.code, checked.message, checked.hint]).toEqual([rotated.code, rotated.message, rotated.hint])
    expect(checked.message).toContain('key 2 (kid ec-1): d')
    expectNoNeedles(errorTexts(checked), privateNeedles(other.privateJwk))
    // And nothing was written: no file change, no backup
    expect(await readFile(file, 'utf8')).toBe(original)
    await expect(readdir(artifacts)).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('says not-found when the file lacks the key, and ready when it holds it or the replacement made before', async () => {
    // Given a file without the leaked key
    await writeJwks({keys: [entry(others[0] as TestKey, 'ec-1')]})
    // Then the precheck says not found, with the result rotate would return
    const missing = await source().precheck!({leaked: request().leaked})
    const rotated = await source().rotate(request(), new LedgerRunner().run)
    expect(missing).toEqual({outcome: 'not-found', result: rotated})
    expect(rotated.outcome).toBe('not-found')
    // And a file holding the replacement an earlier attempt added is a change under way
    await writeJwks({keys: [{...request().replacement!.publicJwk, kid: replacement.thumbprint}]})
    expect(await source().precheck!({leaked: request().leaked, replacementThumbprint: replacement.thumbprint})).toEqual({
      outcome: 'ready',
    })
    expect((await source().precheck!({leaked: request().leaked})).outcome).toBe('not-found')
  })
})

describe('resuming a JWKS file rotation', () => {
  it('finds the replacement already appended instead of appending it again', async () => {
    // Given a run that crashed right after appending the replacement
    await writeJwks({keys: [entry(leaked, 'leaked-1')]})
    const runner = new LedgerRunner()
    runner.crashAfter = 'add'
    await expect(source().rotate(request(), runner.run)).rejects.toBeInstanceOf(SimulatedCrash)
    // When it is resumed, and run once more
    await source().rotate(request(), runner.run)
    const settled = await readFile(file, 'utf8')
    await source().rotate(request(), runner.run)
    // Then the replacement is in the file once, the leaked key is gone, and the last run wrote nothing
    expect((await readJwks()).keys.map((key) => key.kid)).toEqual([replacement.thumbprint])
    expect(runner.events.filter((item) => item.stage === 'add').map((item) => item.event)).toEqual([
      'applied',
      'recovered',
      'replayed',
    ])
    expect(await readFile(file, 'utf8')).toBe(settled)
  })
})

describe('planning a JWKS file change', () => {
  it('names both writes and writes nothing', async () => {
    const original = await writeJwks({keys: [entry(leaked, 'leaked-1')]})
    const plan = source().planRotate(request())
    expect(plan.map((call) => [call.kind, call.target])).toEqual([
      ['file', file],
      ['file', file],
    ])
    expect(plan[1]?.description).toContain(leaked.thumbprint)
    expect(await readFile(file, 'utf8')).toBe(original)
    await expect(stat(artifacts)).rejects.toThrow()
  })
})

describe('JWKS file errors', () => {
  it('says when the file is missing', async () => {
    const error = await failureOf(() => source().listKeys())
    expect([error.code, error.message]).toEqual(['ERR_KEY_SOURCE_INVALID', `The JWKS file ${file} does not exist.`])
  })

  it('never echoes a broken file that holds private values', async () => {
    await writeFile(file, `{"keys": [{"kty": "RSA", "d": "${String(leaked.privateJwk.d)}", "n": `)
    const secrets = new SecretRegistry()
    const error = await failureOf(() => source(secrets).listKeys())
    expect(error.code).toBe('ERR_KEY_SOURCE_INVALID')
    expectNoNeedles(errorTexts(error), privateNeedles(leaked.privateJwk).slice(0, 4))
    expect(secrets.leaks(String(leaked.privateJwk.d))).toBe(true)
  })

  it('leaves the file as it was when the backup cannot be written', async () => {
    // Given an artifacts folder that cannot be created (a file stands in its way)
    const original = await writeJwks({keys: [entry(leaked, 'leaked-1')]})
    await writeFile(join(dir, 'incident'), 'not a folder')
    // When a rotation is tried
    const error = await failureOf(() => source().rotate(request(), new LedgerRunner().run))
    // Then it fails with a clear error, before touching the JWKS
    expect([error.code, error.message]).toEqual(['ERR_KEY_SOURCE_WRITE', expect.stringContaining('ENOTDIR')])
    expect(await readFile(file, 'utf8')).toBe(original)
  })

  it('refuses a document without a keys array', async () => {
    await writeFile(file, JSON.stringify([entry(leaked, 'leaked-1')]))
    expect((await failureOf(() => source().listKeys())).message).toContain('no "keys" array')
  })
})

describe('a private JWKS file: the signer’s own key set', () => {
  function privateSource(secrets = new SecretRegistry()): IssuerKeyStore {
    const signer: InventoryIssuer = {
      id: 'auth-main',
      issuer: 'https://auth.example.com',
      keySource: {type: 'jwks-file', path: 'keys/auth-main.jwks.json', private: true},
    }
    return createIssuerKeyStore(signer, {env: {}, secrets, baseDir: dir, artifactsDir: artifacts})
  }

  it('puts the replacement private key first, removes the leaked one, keeps the file 0600, and calls no other key exposed', async () => {
    // Given the signer's private key set (the leaked key and another private key), mode 0600
    const other = others[0] as TestKey
    await writeJwks({
      keys: [
        {...leaked.privateJwk, kid: 'leaked-1'},
        {...other.privateJwk, kid: 'ec-1'},
      ],
    })
    await chmod(file, 0o600)
    // And the replacement jwkr generated, in its 0600 file
    const keyFile = join(dir, 'replacement.private.jwk.json')
    await writeFile(keyFile, JSON.stringify({...replacement.privateJwk, alg: 'RS256', use: 'sig'}), {mode: 0o600})
    const secrets = new SecretRegistry()
    // When the key is rotated there
    const result = await privateSource(secrets).rotate(
      {...request(), replacement: {...request().replacement!, privateKeyFile: keyFile}},
      new LedgerRunner().run,
    )
    // Then the set starts with the replacement's private key, keeps the other one, and lost the leaked one
    const {keys} = await readJwks()
    expect(keys.map((key) => key.kid)).toEqual([replacement.thumbprint, 'ec-1'])
    expect(keys[0]?.d).toBe(replacement.privateJwk.d)
    expect(keys[1]?.d).toBe(other.privateJwk.d)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    // And its backups keep the signer's other private key, but none of the leaked key's private members
    for (const name of await readdir(join(artifacts, 'jwks-file'))) {
      const backup = JSON.parse(await readFile(join(artifacts, 'jwks-file', name), 'utf8')) as {keys: JWK[]}
      expectNoNeedles([JSON.stringify(backup)], privateNeedles(leaked.privateJwk))
      expect(backup.keys.find((key) => key.kid === 'ec-1')?.d).toBe(other.privateJwk.d)
    }
    // And nothing is called exposed, the result says to reload the signer, and it quotes no private value
    expect(result.warnings.join(' ')).toContain('restart or reload the signer')
    expect(result.warnings.join(' ')).not.toContain('exposed')
    expectNoNeedles(
      [JSON.stringify(result)],
      [...privateNeedles(leaked.privateJwk), ...privateNeedles(replacement.privateJwk), ...privateNeedles(other.privateJwk)],
    )
    expect(secrets.leaks(String(replacement.privateJwk.d))).toBe(true)
  })

  it('refuses to rotate without the replacement private key file, writing nothing', async () => {
    const original = await writeJwks({keys: [{...leaked.privateJwk, kid: 'leaked-1'}]})
    const error = await failureOf(() => privateSource().rotate(request(), new LedgerRunner().run))
    expect(error.code).toBe('ERR_USAGE')
    expect(await readFile(file, 'utf8')).toBe(original)
  })
})
