// Token triage decides by key, not by text: a token a verifier holding the leaked key would accept is
// found and classified however its header is written (leading whitespace, a \u-escaped kid, no kid,
// another kid with an alg that fits the key, a kid the key is published under that differs from the
// one in the key file), and however long its payload is. Logs are written at test time.
import {createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject} from 'node:crypto'
import {closeSync} from 'node:fs'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {compactVerify} from 'jose'
import {beforeAll, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../../src/services/identify.js'
import {scanTokens, type ScanTokensOptions} from '../../../src/services/triage.js'
import {MAX_UNSIGNED_CHARS} from '../../../src/core/tokens/classify-token.js'
import type {LoadedKey} from '../../../src/core/key/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {fifoOf, namedPipeOf} from '../../helpers/fifo.js'
import {keyFile, keyJwk} from './token-fixtures.js'

const NOW = new Date('2024-05-10T00:00:00Z')
const KID = 'leaked-rs256-2024'
const MiB = 1024 * 1024

const leakedPrivate = createPrivateKey({key: keyJwk('rs256') as never, format: 'jwk'})
const leakedPublic = createPublicKey(leakedPrivate)
const otherPrivate = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey

/** An RS256 token whose header is exactly this JSON text (jose would never write it so). */
function rs256(headerJson: string, claims: Record<string, unknown>, privateKey: KeyObject): string {
  const b64 = (text: string): string => Buffer.from(text).toString('base64url')
  const input = `${b64(headerJson)}.${b64(JSON.stringify({iss: 'https://auth.example.com', iat: 1714557600, ...claims}))}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

async function leakedKey(source = keyFile('rs256')): Promise<LoadedKey> {
  return (await loadKeySource(source, {secrets: new SecretRegistry()})).keys[0] as LoadedKey
}

function scan(key: LoadedKey, paths: string[], options: Partial<ScanTokensOptions> = {}) {
  return scanTokens(key, paths, {secrets: new SecretRegistry(), threads: 0, now: () => NOW, maxExamples: 50, ...options})
}

async function logOf(lines: string[]): Promise<{dir: string; log: string}> {
  const dir = await mkdtemp(join(tmpdir(), 'jwkr-by-key-'))
  const log = join(dir, 'access.log')
  await writeFile(log, `${lines.join('\n')}\n`)
  return {dir, log}
}

const line = (token: string): string => `10.0.0.7 - - "GET /api/me HTTP/1.1" 200 Authorization: Bearer ${token}`

describe('token triage by key, whatever the header text', () => {
  const tokens = {
    leadingSpace: rs256(` {"alg":"RS256","kid":"${KID}"}`, {sub: 'space', jti: 's1'}, leakedPrivate),
    spaceInside: rs256(`{ "alg": "RS256", "kid": "${KID}" }`, {sub: 'inside', jti: 'i1'}, leakedPrivate),
    escapedKid: rs256(`{"alg":"RS256","kid":"\\u006ceaked-rs256-2024"}`, {sub: 'escaped', jti: 'e1'}, leakedPrivate),
    escapedKidForged: rs256(`{"alg":"RS256","kid":"\\u006ceaked-rs256-2024"}`, {sub: 'mallory', jti: 'm1'}, otherPrivate),
    noKid: rs256('{"alg":"RS256","typ":"JWT"}', {sub: 'nokid', jti: 'n1'}, leakedPrivate),
    unknownKid: rs256('{"alg":"RS256","kid":"rotated-2025"}', {sub: 'unknown', jti: 'u1'}, leakedPrivate),
    unknownKidOtherKey: rs256('{"alg":"RS256","kid":"rotated-2025"}', {sub: 'someone', jti: 'o1'}, otherPrivate),
  }

  it('finds and classifies a leading-space header, a \\u-escaped kid, no kid, and another kid whose alg fits', async () => {
    // Given a log made now with tokens a jose verifier given the leaked key accepts, whose headers are
    // written in every way that does not encode to `eyJ…"kid":"leaked-rs256-2024"`, and two signed by another key
    for (const name of ['leadingSpace', 'spaceInside', 'escapedKid', 'noKid', 'unknownKid'] as const) {
      await expect(compactVerify(tokens[name], leakedPublic)).resolves.toBeTruthy()
    }
    const {dir, log} = await logOf(Object.values(tokens).map(line))
    // When it is scanned for the leaked key (whose file has the kid leaked-rs256-2024)
    const subjectsOut = join(dir, 'subjects.csv')
    const result = await scan(await leakedKey(), [log], {subjectsOut})
    // Then the five signed with the key are signed-with-leaked-key; the \u-escaped kid with another
    // key's signature claims the key (a bad signature); the other kid with another key's signature is another key's token
    expect(result.counts).toEqual({
      'suspected-forgery': 0,
      'signed-with-leaked-key': 5,
      'kid-match-bad-signature': 1,
      other: 1,
      'outside-window': 0,
    })
    expect(result.tokens).toBe(7)
    // And each is an example at its line, and a subject to notify
    const sources = result.examples.map((example) => [example.class, example.source])
    expect(sources).toEqual(
      expect.arrayContaining([
        ['signed-with-leaked-key', `${log}:1`],
        ['signed-with-leaked-key', `${log}:2`],
        ['signed-with-leaked-key', `${log}:3`],
        ['kid-match-bad-signature', `${log}:4`],
        ['signed-with-leaked-key', `${log}:5`],
        ['signed-with-leaked-key', `${log}:6`],
      ]),
    )
    const csv = await readFile(subjectsOut, 'utf8')
    expect(
      csv
        .trim()
        .split('\r\n')
        .slice(1)
        .map((row) => row.split(',')[0]),
    ).toEqual(['escaped', 'inside', 'nokid', 'space', 'unknown'])
  })

  it('finds the same on two workers, in tiny blocks and ranges, and from stdin in tiny chunks', async () => {
    // Given the same log
    const {log} = await logOf(Object.values(tokens).map(line))
    const key = await leakedKey()
    const reference = await scan(key, [log])
    // When it is read by two workers in 61-byte blocks and 100-byte ranges, and from stdin in 97-byte chunks
    const split = await scan(key, [log], {threads: 2, sizes: {blockBytes: 61, rangeBytes: 100, maxTokenBytes: 1024}})
    const piped = await scan(key, ['-'], {stdin: Readable.from([await readFile(log)]), sizes: {chunkBytes: 97}})
    // Then the counts are the same
    expect(split.counts).toEqual(reference.counts)
    expect(piped.counts).toEqual(reference.counts)
    expect(split.examples).toEqual(reference.examples)
  })

  it("finds the same from stdin's descriptor, a real pipe read directly, with tokens across every chunk", async () => {
    // Given the log repeated 40 times, in a pipe another process writes
    const {log} = await logOf(Array.from({length: 40}, () => Object.values(tokens).map(line)).flat())
    const key = await leakedKey()
    const reference = await scan(key, [log])
    const pipe = await fifoOf(log)
    try {
      // When two workers scan it from the descriptor in 97-byte chunks (each token is longer: it spans several reads)
      const never = (): Readable => {
        throw new Error('the stream was made')
      }
      const piped = await scan(key, ['-'], {stdin: {fd: pipe.fd, stream: never}, threads: 2, sizes: {chunkBytes: 97}})
      // Then the counts and the examples' lines are the file's
      expect(piped.counts).toEqual(reference.counts)
      expect(piped.tokens).toBe(reference.tokens)
      expect(piped.examples.map((example) => example.source.replace('stdin:', ''))).toEqual(
        reference.examples.map((example) => example.source.replace(`${log}:`, '')),
      )
    } finally {
      closeSync(pipe.fd)
    }
  })

  it('finds the same in a named pipe given as a path (mkfifo, or `<(zcat …)`) as in the file', async () => {
    // Given the log repeated 40 times, and a named pipe another process writes it into
    const {log} = await logOf(Array.from({length: 40}, () => Object.values(tokens).map(line)).flat())
    const key = await leakedKey()
    const reference = await scan(key, [log])
    const pipe = await namedPipeOf(log)
    // When two workers scan the pipe by its path, in 97-byte chunks
    const piped = await scan(key, [pipe.path], {threads: 2, sizes: {chunkBytes: 97}})
    await pipe.written
    // Then it is one source, with the file's counts and the examples on the file's lines
    expect(piped.sources).toBe(1)
    expect(piped.problems).toEqual([])
    expect(piped.counts).toEqual(reference.counts)
    expect(piped.tokens).toBe(reference.tokens)
    expect(piped.examples.map((example) => example.source.replace(`${pipe.path}:`, ''))).toEqual(
      reference.examples.map((example) => example.source.replace(`${log}:`, '')),
    )
  })
})

describe('the kids a key is published under', () => {
  it('counts a published kid that differs from the key file’s as naming the key', async () => {
    // Given tokens under the kid the issuer publishes the key as, which is not the kid in the key file:
    // one signed with the leaked key, one claiming it with another key's signature
    const {log} = await logOf([
      line(rs256('{"alg":"RS256","kid":"issuer-kid-7"}', {sub: 'pat', jti: 'p1'}, leakedPrivate)),
      line(rs256('{"alg":"RS256","kid":"issuer-kid-7"}', {sub: 'mallory', jti: 'm1'}, otherPrivate)),
    ])
    const key = await leakedKey()
    // When it is scanned without, then with, the published kid
    const unaware = await scan(key, [log])
    const aware = await scan(key, [log], {publishedKids: ['issuer-kid-7']})
    // Then the valid token is found either way (its alg fits the key), but only a scan that knows the
    // published kid can say the other one claims the key with a bad signature
    expect(unaware.counts).toMatchObject({'signed-with-leaked-key': 1, 'kid-match-bad-signature': 0, other: 1})
    expect(aware.counts).toMatchObject({'signed-with-leaked-key': 1, 'kid-match-bad-signature': 1, other: 0})
    expect(aware.key).toMatchObject({kid: KID, kids: [KID, 'issuer-kid-7']})
    expect(aware.mode).toBe('named')
  })

  it('names a key without a kid (a PEM key) by its published kids', async () => {
    // Given the key as PEM (no kid), and the same two tokens
    const pem = leakedPublic.export({type: 'spki', format: 'pem'}) as string
    const {dir, log} = await logOf([
      line(rs256('{"alg":"RS256","kid":"issuer-kid-7"}', {sub: 'pat', jti: 'p1'}, leakedPrivate)),
      line(rs256('{"alg":"RS256","kid":"issuer-kid-7"}', {sub: 'mallory', jti: 'm1'}, otherPrivate)),
    ])
    await writeFile(join(dir, 'leaked.pem'), pem)
    const key = await leakedKey(join(dir, 'leaked.pem'))
    // When it is scanned with the kid the issuer publishes it under
    const result = await scan(key, [log], {publishedKids: ['issuer-kid-7']})
    // Then that kid names it: the bad signature is told apart from another key's token
    expect(result).toMatchObject({mode: 'named', key: {kid: null, kids: ['issuer-kid-7']}})
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 1, 'kid-match-bad-signature': 1, other: 0})
  })
})

describe('a token with a 5 MB payload', () => {
  let log: string
  let huge: string

  beforeAll(async () => {
    // Given a log with a token whose payload is 5 MB of JSON, between two ordinary ones
    huge = rs256(`{"alg":"RS256","kid":"${KID}"}`, {sub: 'huge', jti: 'h1', blob: 'x'.repeat(5 * MiB)}, leakedPrivate)
    const small = (sub: string): string => rs256(`{"alg":"RS256","kid":"${KID}"}`, {sub, jti: sub}, leakedPrivate)
    ;({log} = await logOf(['first line', line(small('before')), line(huge), line(small('after'))]))
    expect(huge.length).toBeGreaterThan(6.5 * MiB)
  })

  it('is found and classified like any other, and shown cut short', async () => {
    // When the log is scanned with the default sizes
    const result = await scan(await leakedKey(), [log])
    // Then the three tokens are signed with the key, the huge one at its line
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 3, other: 0})
    expect(result.tokens).toBe(3)
    const example = result.examples.find((item) => item.source === `${log}:3`)
    expect(example?.class).toBe('signed-with-leaked-key')
    // And its example is cut, not 7 MB of text
    expect(example?.token.length).toBe(MAX_UNSIGNED_CHARS + 1)
    expect(example?.token.endsWith('…')).toBe(true)
    // And the worker held the token only while it read it
    expect(result.io.bufferBytes).toBeGreaterThan(huge.length)
    expect(result.io.bufferBytes).toBeLessThan(huge.length + 3 * MiB)
  })

  it('is found once across range boundaries on two workers, and from stdin', async () => {
    const key = await leakedKey()
    // When it is read in 1 MiB ranges by two workers (the token spans seven of them)
    const ranges = await scan(key, [log], {threads: 2, sizes: {rangeBytes: MiB}})
    // And from stdin in 64 KiB chunks
    const piped = await scan(key, ['-'], {stdin: Readable.from([await readFile(log)]), sizes: {chunkBytes: 64 * 1024}})
    // Then each finds it once
    for (const result of [ranges, piped]) {
      expect(result.counts).toMatchObject({'signed-with-leaked-key': 3, other: 0})
      expect(result.tokens).toBe(3)
    }
    expect(piped.examples.map((example) => example.source)).toEqual(['stdin:2', 'stdin:3', 'stdin:4'])
  })
})
