import {spawnSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {chmod, copyFile, mkdir, mkdtemp, readFile, stat, truncate, writeFile} from 'node:fs/promises'
import {availableParallelism, tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import {SignJWT} from 'jose'
import {describe, expect, it} from 'vitest'

import {loadKeySource} from '../../src/services/identify.js'
import {
  scanTokens,
  SMALL_INPUT_BYTES,
  startTriageWorkers,
  triageThreadsFor,
  type ScanTokensOptions,
} from '../../src/services/triage.js'
import {JwkrError} from '../../src/core/errors.js'
import type {LoadedKey} from '../../src/core/key/types.js'
import {SecretRegistry} from '../../src/core/secrets.js'
import {leakedNeedles} from '../core/key/samples.js'
import {projectRoot} from '../helpers/run.js'
import {
  canaryLog,
  EXPECTED,
  ISSUED_JSONL,
  ISSUED_TXT,
  keyFile,
  keyJwk,
  keyNeedles,
  LOGS,
  sourcesOf,
  tokenNeedles,
  type LeakedName,
} from '../adapters/tokens/token-fixtures.js'

const NOW = new Date('2024-05-10T00:00:00Z')

async function leakedKey(source: string, secrets = new SecretRegistry()): Promise<LoadedKey> {
  return (await loadKeySource(source, {secrets})).keys[0] as LoadedKey
}

function scan(key: LoadedKey, paths: string[], options: Partial<ScanTokensOptions> = {}) {
  return scanTokens(key, paths, {secrets: new SecretRegistry(), threads: 0, now: () => NOW, ...options})
}

describe('scanTokens on the fixture logs (every token form, gzip, a nested folder)', () => {
  it.each(['rs256', 'es256', 'eddsa'] as LeakedName[])(
    'classifies every %s token planted, with and without the issued log',
    async (name) => {
      // Given the leaked key and the logs folder
      const key = await leakedKey(keyFile(name))
      const expected = EXPECTED[name]
      // When it is scanned without an issued log, valid tokens are all "signed"
      const plain = await scan(key, [LOGS])
      expect(plain.counts).toEqual({
        'suspected-forgery': 0,
        'signed-with-leaked-key': expected.signed + expected.forged,
        'kid-match-bad-signature': expected.bad,
        other: expected.tokens - expected.signed - expected.forged - expected.bad,
        'outside-window': 0,
      })
      expect(plain).toMatchObject({
        tokens: expected.tokens,
        sources: 5,
        mode: 'named',
        problems: [],
        skipped: {unreadable: 0},
      })
      // And with the issued log (plain or JSON lines), valid tokens it does not hold are suspected forgeries
      for (const issuedLog of [ISSUED_TXT, ISSUED_JSONL]) {
        const checked = await scan(key, [LOGS], {issuedLog})
        expect(checked.counts).toMatchObject({'suspected-forgery': expected.forged, 'signed-with-leaked-key': expected.signed})
        expect(checked.issuedLog).toEqual({path: issuedLog, jtis: 10})
      }
      expect(plain.subjects).toBe(expected.subjects.length)
    },
  )

  it('gives each example its source path:line, in the plain files, the nested folder and the gzip file', async () => {
    const key = await leakedKey(keyFile('rs256'))
    const result = await scan(key, [LOGS], {issuedLog: ISSUED_TXT, maxExamples: 20})
    expect(result.examples).toHaveLength(11)
    expect(result.examples.filter((example) => example.class === 'suspected-forgery').map((example) => example.source)).toEqual(
      sourcesOf('rsBob'),
    )
    // alice is planted in access.log (twice) and nested/deeper/packed.txt; erin in the gzip file
    expect(result.examples.filter((example) => example.source.endsWith('.gz:1'))).toHaveLength(1)
    expect(sourcesOf('rsErinLong')[0]).toMatch(/archive\/2024\/app\.log\.gz:1$/)
    for (const source of [
      ...sourcesOf('rsAlice'),
      ...sourcesOf('rsNoKid'),
      ...sourcesOf('rsErinLong'),
      ...sourcesOf('rsFrankNoExp'),
      ...sourcesOf('rsCarolJwk'),
    ]) {
      expect(result.examples.map((example) => example.source)).toContain(source)
    }
    for (const source of [...sourcesOf('rsForged'), ...sourcesOf('rsNone'), ...sourcesOf('rsHmac')]) {
      expect(result.examples.find((example) => example.source === source)?.class).toBe('kid-match-bad-signature')
    }
  })

  it('sums up the valid tokens: iat range, issuers, audiences, lifetime, tokens without exp', async () => {
    const result = await scan(await leakedKey(keyFile('rs256')), [LOGS])
    expect(result).toMatchObject({
      iat: {first: '2024-05-01T10:00:00.000Z', last: '2024-05-09T10:00:00.000Z'},
      issuers: ['https://auth.example.com'],
      audiences: ['api.example.com'],
      longestRemainingLifetime: {
        seconds: Date.UTC(2099, 0, 1) / 1000 - NOW.getTime() / 1000,
        expires: '2099-01-01T00:00:00.000Z',
      },
      withoutExpiry: 1,
    })
  })

  it('returns the same result on two worker threads, with tiny blocks and ranges crossing every token', async () => {
    // Given the reference: one pass on the calling thread with the default sizes
    const key = await leakedKey(keyFile('rs256'))
    const reference = await scan(key, [LOGS], {issuedLog: ISSUED_TXT, maxExamples: 50})
    // When the same logs are scanned by two workers, in 61-byte blocks and 100-byte ranges (every token crosses one)
    const split = await scan(key, [LOGS], {
      issuedLog: ISSUED_TXT,
      maxExamples: 50,
      threads: 2,
      sizes: {blockBytes: 61, rangeBytes: 100, maxTokenBytes: 1024, chunkBytes: 64},
    })
    // Then everything but the thread count and the buffer size is the same
    expect({...split, io: null}).toEqual({...reference, io: null})
    expect(split.io).toEqual({threads: 2, bufferBytes: 61 + 1024})
  })

  it('writes the affected subjects as CSV, mode 0600, replacing a wider-open file', async () => {
    // Given a subjects file that already exists, readable by everyone
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-tokens-'))
    const out = join(dir, 'subjects.csv')
    await writeFile(out, 'old\n')
    await chmod(out, 0o644)
    // When the scan writes the subjects there
    await scan(await leakedKey(keyFile('rs256')), [LOGS], {subjectsOut: out})
    // Then it holds one row per subject, most tokens first, and only the user may read it
    expect(await readFile(out, 'utf8')).toBe(
      'sub,count,firstSeen,lastSeen\r\n' +
        'alice,3,2024-05-01T10:00:00.000Z,2024-05-01T10:00:00.000Z\r\n' +
        'bob,1,2024-05-02T10:00:00.000Z,2024-05-02T10:00:00.000Z\r\n' +
        'carol,1,2024-05-03T10:00:00.000Z,2024-05-03T10:00:00.000Z\r\n' +
        'dave,1,2024-05-05T10:00:00.000Z,2024-05-05T10:00:00.000Z\r\n' +
        'erin,1,2024-05-09T10:00:00.000Z,2024-05-09T10:00:00.000Z\r\n' +
        'frank,1,2024-05-05T10:00:00.000Z,2024-05-05T10:00:00.000Z\r\n',
    )
    expect((await stat(out)).mode & 0o777).toBe(0o600)
  })

  it('keeps only tokens issued in the --since/--until window', async () => {
    const key = await leakedKey(keyFile('rs256'))
    // Between May 2 and May 5, 10:00 (both ends included): bob, carol, dave, frank, and the three bad signatures (May 4);
    // alice ×3 (May 1) and erin (May 9) fall outside
    const result = await scan(key, [LOGS], {since: new Date('2024-05-02T00:00:00Z'), until: new Date('2024-05-05T10:00:00Z')})
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 4, 'kid-match-bad-signature': 3, 'outside-window': 4})
    expect(result.subjects).toBe(4)
    expect(result.window).toEqual({since: '2024-05-02T00:00:00.000Z', until: '2024-05-05T10:00:00.000Z'})
  })

  it('without a kid, decodes every header and verifies every token whose alg fits (finding the token without kid too)', async () => {
    // Given the RS256 key with its kid removed (as a PEM key would be)
    const {kid: _kid, ...jwk} = keyJwk('rs256')
    const key = await leakedKey(JSON.stringify(jwk))
    const result = await scan(key, [LOGS])
    expect(result.mode).toBe('all')
    // Then the 7 valid tokens with a kid plus the one without are signed; the rest cannot be told from other keys' tokens
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 8, 'kid-match-bad-signature': 0, other: 12})
    expect(result.examples.map((example) => example.source)).toContain(sourcesOf('rsNoKid')[0])
  })

  it('verifies with the public half alone', async () => {
    const {d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk} = keyJwk('es256')
    const result = await scan(await leakedKey(JSON.stringify(publicJwk)), [LOGS])
    expect(result.counts['signed-with-leaked-key']).toBe(EXPECTED.es256.signed + EXPECTED.es256.forged)
  })

  it('finds HS256 tokens of a leaked shared secret (oct key)', async () => {
    // Given an oct key with a kid, and a log with a token it signed and one another secret signed
    const secret = new Uint8Array(32).fill(7)
    const jwk = {kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'shared-1', alg: 'HS256'}
    const good = await new SignJWT({sub: 'svc'}).setProtectedHeader({alg: 'HS256', kid: 'shared-1'}).sign(secret)
    const bad = await new SignJWT({sub: 'svc'})
      .setProtectedHeader({alg: 'HS256', kid: 'shared-1'})
      .sign(new Uint8Array(32).fill(8))
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-tokens-'))
    await writeFile(join(dir, 'a.log'), `x ${good}\ny ${bad}\n`)
    const result = await scan(await leakedKey(JSON.stringify(jwk)), [dir])
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 1, 'kid-match-bad-signature': 1})
  })

  it('reads stdin, plain or gzip (told by its magic bytes), in chunks that never split a token', async () => {
    const key = await leakedKey(keyFile('rs256'))
    const text = await readFile(join(LOGS, 'access.log'))
    for (const input of [text, gzipSync(text)]) {
      const result = await scan(key, ['-'], {
        stdin: Readable.from([input.subarray(0, 100), input.subarray(100)]),
        sizes: {chunkBytes: 97},
      })
      // alice twice and dave (no kid) are signed with the key; the forged kid is a bad signature; ivan's EdDSA token is another key's
      expect(result.counts).toMatchObject({'signed-with-leaked-key': 3, 'kid-match-bad-signature': 1, other: 1})
      expect(result.examples[0]?.source).toMatch(/^stdin:\d+$/)
      expect(result.examples.map((example) => example.source)).toEqual(
        expect.arrayContaining(
          sourcesOf('rsAlice')
            .filter((source) => source.includes('access.log'))
            .map((source) => source.replace(/^.*:/, 'stdin:')),
        ),
      )
    }
  })

  it('counts what a truncated gzip file held before it breaks, and says so', async () => {
    // Given a gzip log cut short
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-tokens-'))
    const text = await readFile(join(LOGS, 'access.log'))
    const gz = gzipSync(Buffer.concat([text, Buffer.alloc(256 * 1024, 0x20)]))
    await writeFile(join(dir, 'rotated.log.1'), gz.subarray(0, gz.length - 40))
    // When it is scanned
    const result = await scan(await leakedKey(keyFile('rs256')), [dir])
    // Then the tokens before the break count, and the problem is reported
    expect(result.counts['signed-with-leaked-key']).toBe(3)
    expect(result.problems).toEqual([
      `${join(dir, 'rotated.log.1')}: the gzip data is truncated or corrupt; the tokens before that point are counted.`,
    ])
  })

  it('reads a file full of NUL bytes as text (nothing is skipped for looking binary), and hidden files', async () => {
    // Given a hidden copy of access.log, and a core dump: ten NUL bytes, then the same lines
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-tokens-'))
    await mkdir(join(dir, '.old'))
    await copyFile(join(LOGS, 'access.log'), join(dir, '.old', 'access.log'))
    await writeFile(join(dir, 'core.dump'), Buffer.concat([Buffer.alloc(10), await readFile(join(LOGS, 'access.log'))]))
    // When the folder is scanned
    const result = await scan(await leakedKey(keyFile('rs256')), [dir])
    // Then both are read, and the core dump's tokens count as much as the log's
    expect(result).toMatchObject({sources: 2, skipped: {unreadable: 0}})
    expect(result.counts['signed-with-leaked-key']).toBe(2 * 3)
  })

  it('reads a log with a single NUL byte in a line, and finds the token after it', async () => {
    // Given a log whose second line holds a NUL byte (a partly written line after a crash) before a token
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-tokens-'))
    const lines = (await readFile(join(LOGS, 'access.log'), 'latin1')).split('\n')
    lines[1] = `${lines[1]?.slice(0, 10)}\0${lines[1]?.slice(10)}`
    await writeFile(join(dir, 'app.log'), Buffer.from(lines.join('\n'), 'latin1'))
    // When it is scanned
    const result = await scan(await leakedKey(keyFile('rs256')), [join(dir, 'app.log')])
    // Then it is not skipped: it counts as one source, with every token of access.log, the one after the NUL included
    expect(result).toMatchObject({sources: 1, skipped: {unreadable: 0}})
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 3, 'kid-match-bad-signature': 1, other: 1})
    expect(result.examples.map((example) => example.source)).toContain(`${join(dir, 'app.log')}:2`)
  })

  it('never carries a whole token, a signature or a private value of the key into its result', async () => {
    const secrets = new SecretRegistry()
    const key = await leakedKey(keyFile('rs256'), secrets)
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-tokens-'))
    const result = await scan(key, [LOGS], {
      secrets,
      issuedLog: ISSUED_TXT,
      maxExamples: 100,
      subjectsOut: join(dir, 's.csv'),
      threads: 2,
    })
    const text = JSON.stringify(result) + (await readFile(join(dir, 's.csv'), 'utf8'))
    expect(result.examples.length).toBeGreaterThan(5)
    expect(leakedNeedles(text, [...tokenNeedles(), ...keyNeedles('rs256')])).toEqual([])
  })

  it('fails before reading anything for a missing path, no path, stdin twice, or a key it cannot verify with', async () => {
    const key = await leakedKey(keyFile('rs256'))
    await expect(scan(key, [join(LOGS, 'nope.log')])).rejects.toMatchObject({
      code: 'ERR_INPUT_NOT_FOUND',
      message: expect.stringContaining('nope.log'),
    })
    await expect(scan(key, [])).rejects.toMatchObject({code: 'ERR_USAGE', exitCode: 2})
    await expect(scan(key, ['-', '-'])).rejects.toMatchObject({code: 'ERR_USAGE'})
    // A JWT names a key without carrying it
    const {privateKey} = generateKeyPairSync('ed25519')
    const jwt = await new SignJWT({}).setProtectedHeader({alg: 'EdDSA', kid: 'k'}).sign(privateKey)
    const reference = await leakedKey(jwt)
    const error = await scan(reference, [LOGS]).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(JwkrError)
    expect(error).toMatchObject({code: 'ERR_KEY_INVALID', message: expect.stringContaining('kid "k"')})
  })
})

describe("scanTokens and jwkr's own canaries", () => {
  it('leaves canaries out of the counts, the subjects and the CSV, and counts them apart', async () => {
    // Given access.log with four canaries of the leaked key mixed in (minted, its broken control, told by jti, told by sub)
    const {dir, log, plain, canaries} = await canaryLog()
    const key = await leakedKey(keyFile('rs256'))
    // When both logs are scanned with the issued log, which holds no canary jti
    const reference = await scan(key, [plain], {issuedLog: ISSUED_TXT, maxExamples: 50})
    const out = join(dir, 'subjects.csv')
    const result = await scan(key, [log], {issuedLog: ISSUED_TXT, maxExamples: 50, subjectsOut: out})
    // Then the canaries are counted apart, and every triage figure is that of the log without them
    expect(result.canaries).toBe(canaries)
    expect(reference.canaries).toBe(0)
    expect(result.counts).toEqual(reference.counts)
    expect(result.counts['suspected-forgery']).toBe(0)
    expect(result.tokens).toBe(reference.tokens + canaries)
    expect(result.subjects).toBe(reference.subjects)
    expect({...result.iat, firstForgeryAt: result.firstForgeryAt}).toEqual({
      ...reference.iat,
      firstForgeryAt: reference.firstForgeryAt,
    })
    // And no canary is an example, and jwkr-canary is no affected subject
    expect(result.examples).toHaveLength(reference.examples.length)
    expect(JSON.stringify(result.examples)).not.toContain(Buffer.from('"sub":"jwkr-canary"').toString('base64url').slice(0, 20))
    const csv = await readFile(out, 'utf8')
    expect(csv).not.toContain('jwkr-canary')
    expect(csv).not.toContain('probe-account')
    expect(csv.split('\r\n')[1]).toMatch(/^alice,2,/)
  })
})

describe('how many worker threads a scan uses when not told (triageThreadsFor)', () => {
  /** A file of `bytes` zeros that takes no disk (a hole), so the limit can be crossed cheaply. */
  async function holeFile(bytes: number, folder?: string): Promise<string> {
    const path = join(folder ?? (await mkdtemp(join(tmpdir(), 'jwkr-threads-'))), 'big.log')
    await writeFile(path, '')
    await truncate(path, bytes)
    return path
  }

  it('scans plain files under SMALL_INPUT_BYTES in all on the calling thread, and starts no workers for them', async () => {
    // Given a log file far under the limit
    const key = await leakedKey(keyFile('rs256'))
    const small = join(LOGS, 'access.log')
    // When it is scanned without a thread count
    const result = await scanTokens(key, [small], {secrets: new SecretRegistry(), now: () => NOW})
    // Then it was scanned here, and classified as on workers
    expect(result.io.threads).toBe(0)
    expect(await triageThreadsFor([small])).toBe(0)
    expect(await startTriageWorkers(undefined, [small])).toBeUndefined()
    const onWorkers = await scan(key, [small], {threads: 2})
    expect({...result, io: null}).toEqual({...onWorkers, io: null})
  })

  it('scans a folder of plain files under SMALL_INPUT_BYTES in all on the calling thread', async () => {
    // Given a folder of two logs, one of them in a hidden folder (the scan reads those too)
    const perCore = Math.min(8, availableParallelism())
    const folder = await mkdtemp(join(tmpdir(), 'jwkr-threads-'))
    await mkdir(join(folder, '.rotated'))
    await copyFile(join(LOGS, 'access.log'), join(folder, 'access.log'))
    await copyFile(join(LOGS, 'app.jsonl'), join(folder, '.rotated', 'app.jsonl'))
    expect(await triageThreadsFor([folder])).toBe(0)
    // When it is scanned without a thread count, it is scanned here, and found as on workers
    const key = await leakedKey(keyFile('rs256'))
    const result = await scanTokens(key, [folder], {secrets: new SecretRegistry(), now: () => NOW})
    expect(result.io.threads).toBe(0)
    expect(result.tokens).toBeGreaterThan(0)
    const onWorkers = await scan(key, [folder], {threads: 2})
    expect({...result, io: null}).toEqual({...onWorkers, io: null})
    // But once its files add up to the limit, it gets the workers
    const {size} = await stat(folder + '/access.log').then(async (one) => ({
      size: one.size + (await stat(join(folder, '.rotated', 'app.jsonl'))).size,
    }))
    await holeFile(SMALL_INPUT_BYTES - size, join(folder, '.rotated'))
    expect(await triageThreadsFor([folder])).toBe(perCore)
    // And so does a folder holding a gzip file (the fixtures' logs), or more files than are summed up front
    expect(await triageThreadsFor([LOGS])).toBe(perCore)
    const many = await mkdtemp(join(tmpdir(), 'jwkr-threads-'))
    await Promise.all(Array.from({length: 1001}, (_, index) => writeFile(join(many, `${index}.log`), 'x\n')))
    expect(await triageThreadsFor([many])).toBe(perCore)
  })

  it('gives one worker per core (at most 8) to files of SMALL_INPUT_BYTES or more, gzip files, pipes, stdin and paths it cannot read', async () => {
    const perCore = Math.min(8, availableParallelism())
    // Just under the limit in two files, and at the limit in one
    const under = [await holeFile(SMALL_INPUT_BYTES / 2), await holeFile(SMALL_INPUT_BYTES / 2 - 1)]
    expect(await triageThreadsFor(under)).toBe(0)
    const big = await holeFile(SMALL_INPUT_BYTES)
    expect(await triageThreadsFor([big])).toBe(perCore)
    expect(await triageThreadsFor([...under, join(LOGS, 'access.log')])).toBe(perCore)
    // stdin, a missing path, a gzip file (however small: what it holds is not known)
    const gzip = join(await mkdtemp(join(tmpdir(), 'jwkr-threads-')), 'rotated.log.1')
    await writeFile(gzip, gzipSync('a log line\n'))
    expect(await triageThreadsFor([gzip])).toBe(perCore)
    // A named pipe with no writer yet: looked at, never opened (an open would wait for the writer, and
    // block the thread for good: asked in a child process with a deadline, so that fails, not hangs)
    const fifo = join(await mkdtemp(join(tmpdir(), 'jwkr-threads-')), 'pipe')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const asked = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import {triageThreadsFor} from './src/services/triage.ts'; console.log(await triageThreadsFor([process.argv[1]]))`,
        fifo,
      ],
      {cwd: projectRoot, encoding: 'utf8', timeout: 20_000},
    )
    expect({status: asked.status, threads: asked.stdout.trim()}).toEqual({status: 0, threads: String(perCore)})
    expect(await triageThreadsFor(['-'])).toBe(perCore)
    expect(await triageThreadsFor([join(LOGS, 'no-such.log')])).toBe(perCore)
    // And the big file is scanned on them (its zeros hold no token)
    const key = await leakedKey(keyFile('rs256'))
    const result = await scanTokens(key, [big], {secrets: new SecretRegistry(), now: () => NOW})
    expect(result.io.threads).toBe(perCore)
    expect({tokens: result.tokens, bytesRead: result.bytesRead}).toEqual({tokens: 0, bytesRead: SMALL_INPUT_BYTES})
    // A thread count given wins either way
    const workers = await startTriageWorkers(1, [join(LOGS, 'access.log')])
    expect(workers?.size).toBe(1)
    await workers?.close()
  }, 30_000)
})
