// `jwkr tokens scan` end to end on the committed log fixtures: what a responder reads, the --json
// document, the subjects CSV, the window, stdin through the real binary, the errors, and that no whole
// token, signature or private value of the key is ever printed.
import {spawnSync} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdtemp, readFile, stat, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {SignJWT, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {SMALL_INPUT_BYTES, type TokenScanResult} from '../../src/services/triage.js'
import {leakedNeedles} from '../core/key/samples.js'
import {
  canaryLog,
  EXPECTED,
  ISSUED_TXT,
  keyFile,
  keyJwk,
  keyNeedles,
  LOGS,
  sourcesOf,
  tokenNeedles,
} from '../adapters/tokens/token-fixtures.js'
import {namedPipeOf} from '../helpers/fifo.js'
import {exitCodeOf, projectRoot, run} from '../helpers/run.js'

function scan(...args: string[]) {
  const key = args.includes('--key') ? [] : ['--key', keyFile('rs256')]
  return run<TokenScanResult>(['tokens', 'scan', ...key, '--threads', '0', ...args])
}

describe('jwkr tokens scan', () => {
  it('prints the verdict, the counts per class, who is affected, examples and what to do next', async () => {
    // Given the logs and the issuer's issued jtis
    // When they are scanned for the leaked RS256 key
    const {stdout, stderr, error} = await scan(LOGS, '--issued-log', ISSUED_TXT)
    // Then the forgery comes first, as the verdict
    expect(exitCodeOf(error)).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toContain('1 valid token was never issued by the issuer: the key has been used by someone else.')
    // And a table counts each class
    expect(stdout).toMatch(/suspected-forgery\t1$/m)
    expect(stdout).toMatch(/signed-with-leaked-key\t7$/m)
    expect(stdout).toMatch(/kid-match-bad-signature\t3$/m)
    expect(stdout).toMatch(/other \(not this key\)\t9$/m)
    // And the valid tokens are summed up
    expect(stdout).toContain(
      'Issued (iat) 2024-05-01T10:00:00.000Z – 2024-05-09T10:00:00.000Z; the first forgery 2024-05-02T10:00:00.000Z',
    )
    expect(stdout).toContain('Subjects 6; issuers https://auth.example.com; audiences api.example.com')
    expect(stdout).toMatch(/The last of them expires 2099-01-01T00:00:00\.000Z \(in [\d,]+ days\)\./)
    expect(stdout).toContain('1 token has no exp')
    // And examples show where, without their signature
    expect(stdout).toContain(`suspected-forgery  ${sourcesOf('rsBob')[0]}`)
    // And the next steps say what to do
    expect(stdout).toContain('Treat the forgeries as an active attack')
    expect(stdout).toContain('Notify the 6 affected subjects: rerun with --subjects-out FILE')
    expect(stdout).toContain('someone is probing')
    expect(stdout).toContain(`Read 5 files (`)
    expect(stdout).toContain('found 20 tokens.')
  })

  it('prints one JSON document with the same data under --json', async () => {
    const {stdout, result, error} = await scan(LOGS, '--issued-log', ISSUED_TXT, '--max-examples', '2', '--json')
    expect(exitCodeOf(error)).toBe(0)
    const document = JSON.parse(stdout) as TokenScanResult
    expect(document).toEqual(result)
    expect(document).toMatchObject({
      key: {kid: 'leaked-rs256-2024'},
      mode: 'named',
      tokens: EXPECTED.rs256.tokens,
      counts: {'suspected-forgery': 1, 'signed-with-leaked-key': 7, 'kid-match-bad-signature': 3, other: 9, 'outside-window': 0},
      subjects: 6,
      issuedLog: {path: ISSUED_TXT, jtis: 10},
      subjectsOut: null,
    })
    expect(document.examples).toHaveLength(2)
    // An example is header.payload: two parts, no signature
    for (const example of document.examples) expect(example.token.split('.')).toHaveLength(2)
  })

  it('writes the affected subjects to --subjects-out (mode 0600) and points to it', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'jwkr-subjects-')), 'subjects.csv')
    const {stdout, error} = await scan(LOGS, '--subjects-out', out)
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain(`Notify the 6 affected subjects listed in ${out}.`)
    const rows = (await readFile(out, 'utf8')).trim().split('\r\n')
    expect(rows[0]).toBe('sub,count,firstSeen,lastSeen')
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual(EXPECTED.rs256.subjects)
    expect((await stat(out)).mode & 0o777).toBe(0o600)
  })

  it('keeps to the --since/--until window, and shows what fell outside it', async () => {
    const {stdout, error} = await scan(LOGS, '--since', '2024-05-02', '--until', '2024-05-05T10:00:00Z')
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toMatch(/signed-with-leaked-key\t4$/m)
    expect(stdout).toMatch(/outside --since\/--until\t4$/m)
    const json = await scan(LOGS, '--since', '2024-05-02', '--json')
    expect((json.result as TokenScanResult).window).toEqual({since: '2024-05-02T00:00:00.000Z', until: null})
  })

  it('never prints a whole token, a signature or a private value of the key, in text or JSON', async () => {
    const needles = [...tokenNeedles(), ...keyNeedles('rs256')]
    for (const json of [false, true]) {
      const {stdout, stderr, error} = await scan(
        LOGS,
        '--issued-log',
        ISSUED_TXT,
        '--max-examples',
        '100',
        ...(json ? ['--json'] : []),
      )
      expect(exitCodeOf(error)).toBe(0)
      expect(stdout).toContain('eyJhbGciOiJSUzI1NiIsImtpZCI6ImxlYWtlZC1yczI1Ni0yMDI0In0.')
      expect(leakedNeedles(stdout + stderr, needles)).toEqual([])
    }
  })

  it('never prints a private key that a token carries, in its jwk header or a claim, in text or JSON', async () => {
    // Given tokens signed with the leaked RS256 key and with a leaked HS256 secret, each carrying its own
    // private JWK in its header (as `jwk`) and in a claim: whoever holds the key can write that
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-embedded-'))
    const rsa = keyJwk('rs256') as JWK
    const oct = {kty: 'oct', kid: 'hs-1', k: randomBytes(64).toString('base64url')}
    await writeFile(join(dir, 'oct.json'), JSON.stringify(oct))
    const rsToken = await new SignJWT({sub: 'mallory', jti: 'm-1', key: rsa})
      .setProtectedHeader({alg: 'RS256', kid: rsa.kid, jwk: rsa})
      .sign(createPrivateKey({key: rsa as never, format: 'jwk'}))
    const hsToken = await new SignJWT({sub: 'eve', jti: 'e-1', key: oct})
      .setProtectedHeader({alg: 'HS256', kid: 'hs-1', jwk: oct})
      .sign(Buffer.from(oct.k, 'base64url'))
    await writeFile(join(dir, 'access.log'), `GET /a Bearer ${rsToken}\nGET /b Bearer ${hsToken}\n`)
    /** Every base64url run of the output, decoded: the private values would be inside the JSON of a header. */
    const decoded = (text: string) =>
      [...text.matchAll(/[\w-]{16,}/g)].map(([run]) => Buffer.from(run, 'base64url').toString('latin1')).join('\n')
    for (const [key, needles] of [
      [keyFile('rs256'), keyNeedles('rs256')],
      [join(dir, 'oct.json'), [oct.k]],
    ] as const) {
      for (const json of [false, true]) {
        // When the log is scanned for that key
        const {stdout, stderr, error} = await scan(join(dir, 'access.log'), '--key', key, ...(json ? ['--json'] : []))
        // Then the token is an example, its private members shown as REDACTED and found nowhere
        expect(exitCodeOf(error), stderr).toBe(0)
        expect(decoded(stdout)).toContain('"REDACTED"')
        expect(leakedNeedles(stdout + stderr + decoded(stdout + stderr), [...needles])).toEqual([])
      }
    }
  })

  it("reports jwkr's own canaries apart, as canaries seen, and leaves them out of the counts and the subjects", async () => {
    // Given a log made now with four canaries mixed in, and the issued log (which holds no canary jti)
    const {dir, log, plain, canaries} = await canaryLog()
    const out = join(dir, 'subjects.csv')
    // When it is scanned, in text and in JSON
    const text = await scan(log, '--issued-log', ISSUED_TXT, '--subjects-out', out)
    const json = await scan(log, '--issued-log', ISSUED_TXT, '--json')
    const reference = await scan(plain, '--issued-log', ISSUED_TXT, '--json')
    // Then the text says how many canaries were seen, and no forgery
    expect(exitCodeOf(text.error)).toBe(0)
    expect(text.stdout).toContain(`canaries seen: ${canaries} (told by their label`)
    expect(text.stdout).not.toContain('never issued by the issuer')
    expect(text.stdout).toContain('Notify the 2 affected subjects listed in')
    // And the JSON carries them as canaries, with every count that of the log without them
    const document = json.result as TokenScanResult
    const without = reference.result as TokenScanResult
    expect(document.canaries).toBe(canaries)
    expect(document.counts).toEqual(without.counts)
    expect(document.subjects).toBe(without.subjects)
    // And the subjects CSV lists alice and dave (whose token has no kid) only
    expect(
      (await readFile(out, 'utf8'))
        .trim()
        .split('\r\n')
        .slice(1)
        .map((row) => row.split(',')[0]),
    ).toEqual(['alice', 'dave'])
  })

  it('scans a small log on the main thread unless --threads says otherwise, and keeps --threads 0 for a big one', async () => {
    const threadsOf = async (...args: string[]) => {
      const {result, error} = await run<TokenScanResult>(['tokens', 'scan', '--key', keyFile('rs256'), '--json', ...args])
      expect(exitCodeOf(error)).toBe(0)
      return result?.io.threads
    }
    // A small plain file: no workers; asked for two, two
    expect(await threadsOf(join(LOGS, 'access.log'))).toBe(0)
    expect(await threadsOf(join(LOGS, 'access.log'), '--threads', '2')).toBe(2)
    // A file as big as the limit (a hole: no disk) gets the workers, unless told 0
    const big = join(await mkdtemp(join(tmpdir(), 'jwkr-threads-')), 'big.log')
    await writeFile(big, '')
    await truncate(big, SMALL_INPUT_BYTES)
    expect(await threadsOf(big)).toBeGreaterThan(0)
    expect(await threadsOf(big, '--threads', '0')).toBe(0)
  }, 30_000)

  it('says so when no token is signed with the key', async () => {
    const {stdout, error} = await scan(join(LOGS, 'proxy.log'), '--key', keyFile('es256'))
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain('No token in the logs is signed with the leaked key.')
    expect(stdout).toContain('Scan the logs of every service that trusts the issuer')
  })

  it('takes --kid, repeatable, for the kids the key is published under, and picks the key from a JWKS by one of them', async () => {
    // Given a log made now with two tokens under the kid the issuer publishes the key as (not the key file's kid):
    // one signed with the leaked key, one with another key
    const leaked = createPrivateKey({key: keyJwk('rs256') as never, format: 'jwk'})
    const other = generateKeyPairSync('rsa', {modulusLength: 2048})
    const token = (sub: string, key: typeof leaked): Promise<string> =>
      new SignJWT({sub, jti: sub, iat: 1714557600}).setProtectedHeader({alg: 'RS256', kid: 'issuer-kid-7'}).sign(key)
    const dir = await mkdtemp(join(tmpdir(), 'jwkr-kids-'))
    const log = join(dir, 'access.log')
    await writeFile(log, `a ${await token('pat', leaked)}\nb ${await token('mallory', other.privateKey)}\n`)
    // And a JWKS holding another public key and the leaked one
    const jwks = join(dir, 'jwks.json')
    const publicJwk = (key: typeof leaked, kid: string) => ({...createPublicKey(key).export({format: 'jwk'}), kid})
    await writeFile(
      jwks,
      JSON.stringify({keys: [publicJwk(other.privateKey, 'other-1'), publicJwk(leaked, 'leaked-rs256-2024')]}),
    )
    // When the log is scanned with the published kid (and one more), from the key file and from the JWKS
    for (const key of [keyFile('rs256'), jwks]) {
      const {stdout, result, error} = await scan(
        log,
        '--key',
        key,
        '--kid',
        'issuer-kid-7',
        '--kid',
        'leaked-rs256-2024',
        '--json',
      )
      // Then the kid names the key: the valid token is signed with it, the other claims it with a bad signature
      expect(exitCodeOf(error)).toBe(0)
      expect(JSON.parse(stdout)).toMatchObject({
        key: {kid: 'leaked-rs256-2024', kids: ['leaked-rs256-2024', 'issuer-kid-7']},
        counts: {'signed-with-leaked-key': 1, 'kid-match-bad-signature': 1, other: 0},
      })
      expect((result as TokenScanResult).key.thumbprint).not.toBeNull()
    }
    // And the text names the published kids
    const text = await scan(log, '--kid', 'issuer-kid-7')
    expect(text.stdout).toContain('(kid leaked-rs256-2024; published as issuer-kid-7)')
    // And a JWKS without a key of any given kid is an error that lists what it holds
    const none = await scan(log, '--key', jwks, '--kid', 'issuer-kid-7')
    expect(exitCodeOf(none.error)).toBe(1)
    expect(none.stderr).toMatch(/^Error: No key matches kid "issuer-kid-7"\.\n→ The input holds 2 keys: other-1 /)
  })

  it.each([
    [['nope.log'], 1, /^Error: No such file or directory: nope\.log\.\n→ Name the log files/],
    [[], 2, /^Error: No logs to scan\.\n→ /],
    [[LOGS, '--since', 'last tuesday'], 2, /^Error: --since 'last tuesday' is not a time\.\n→ Give an ISO 8601/],
    [
      [LOGS, '--since', '2024-05-09', '--until', '2024-05-01'],
      2,
      /^Error: --since \(2024-05-09T00:00:00\.000Z\) is after --until/,
    ],
    [[LOGS, '--issued-log', 'missing.txt'], 1, /^Error: Cannot read the issued log missing\.txt \(ENOENT\)\.\n→ /],
  ])('fails with a message and a hint for %j (exit %i)', async (args, exitCode, message) => {
    const {stdout, stderr, error} = await scan(...args)
    expect(exitCodeOf(error)).toBe(exitCode)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
  })
})

describe('jwkr tokens scan - (stdin, end to end through bin/dev.js)', () => {
  function jwkr(args: string[], input: Buffer): {stdout: string; stderr: string; status: number | null} {
    const result = spawnSync(process.execPath, [join(projectRoot, 'bin/dev.js'), 'tokens', 'scan', ...args], {
      cwd: projectRoot,
      input,
      encoding: 'utf8',
      env: {...process.env, NO_COLOR: '1', DEBUG: ''},
      timeout: 60_000,
    })
    return {stdout: result.stdout, stderr: result.stderr, status: result.status}
  }

  it('reads logs piped into stdin, gzip or not, on worker threads', async () => {
    const text = await readFile(join(LOGS, 'access.log'))
    for (const input of [text, gzipSync(text)]) {
      const {stdout, stderr, status} = jwkr(['--key', keyFile('rs256'), '-', '--json'], input)
      expect({status, stderr}).toEqual({status: 0, stderr: ''})
      const result = JSON.parse(stdout) as TokenScanResult
      expect(result.counts).toMatchObject({'signed-with-leaked-key': 3, 'kid-match-bad-signature': 1, other: 1})
      expect(result.examples.map((example) => example.source)).toEqual(['stdin:2', 'stdin:5', 'stdin:4', 'stdin:6'])
      expect(result.io.threads).toBeGreaterThan(0)
      expect(leakedNeedles(stdout, [...tokenNeedles(), ...keyNeedles('rs256')])).toEqual([])
    }
    // Two runs of the CLI from its sources: each takes 3 s quiet and 9 s or more on a loaded CI machine.
  }, 60_000)

  it('reads a named pipe given as a path (`<(zcat …)`) as it reads stdin', async () => {
    // Given the log written into a named pipe by another process
    const pipe = await namedPipeOf(join(LOGS, 'access.log'))
    // When the pipe is scanned by its path
    const {stdout, stderr, status} = jwkr(['--key', keyFile('rs256'), pipe.path, '--json'], Buffer.alloc(0))
    await pipe.written
    // Then it finds what the file holds, on the file's lines
    expect({status, stderr}).toEqual({status: 0, stderr: ''})
    const result = JSON.parse(stdout) as TokenScanResult
    expect(result.sources).toBe(1)
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 3, 'kid-match-bad-signature': 1, other: 1})
    expect(result.examples.map((example) => example.source)).toEqual([2, 5, 4, 6].map((line) => `${pipe.path}:${line}`))
    expect(leakedNeedles(stdout, [...tokenNeedles(), ...keyNeedles('rs256')])).toEqual([])
  })

  it('refuses stdin that is a folder, with a hint and exit 1', async () => {
    const folder = openSync(await mkdtemp(join(tmpdir(), 'jwkr-scan-')), 'r')
    try {
      const result = spawnSync(
        process.execPath,
        [join(projectRoot, 'bin/dev.js'), 'tokens', 'scan', '--key', keyFile('rs256'), '-'],
        {
          cwd: projectRoot,
          stdio: [folder, 'pipe', 'pipe'],
          encoding: 'utf8',
          env: {...process.env, NO_COLOR: '1', DEBUG: ''},
          timeout: 60_000,
        },
      )
      expect(result.status).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^Error: stdin is a folder, not a log\.\n→ Name the folder instead of "-"/)
      expect(leakedNeedles(result.stderr, keyNeedles('rs256'))).toEqual([])
    } finally {
      closeSync(folder)
    }
  })

  it('refuses to read both the key and the logs from stdin', () => {
    const {stdout, stderr, status} = jwkr(['--key', '-', '-'], Buffer.alloc(0))
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^Error: stdin cannot hold both the key and the logs\.\n→ /)
  })
})
