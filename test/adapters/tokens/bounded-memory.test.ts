// Flat memory by design: every worker reads through one buffer of blockBytes + maxTokenBytes, whatever
// the size of the input, of its lines, or of a run of token characters, and a token that straddles a
// range or block boundary is still found once, at the right line. Asserted on sizes, never on time.
import {createPrivateKey} from 'node:crypto'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {SignJWT} from 'jose'
import {beforeAll, describe, expect, it} from 'vitest'

import {loadKeySource} from '../../../src/services/identify.js'
import {DEFAULT_SIZES, scanTokens, type TokenScanResult} from '../../../src/services/triage.js'
import type {LoadedKey} from '../../../src/core/key/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {keyFile, keyJwk} from './token-fixtures.js'

const MiB = 1024 * 1024
const NOISE =
  '{"ts":"2024-05-01T10:00:00Z","level":"info","msg":"request completed","path":"/api/v1/orders/123","status":200,"ua":"Mozilla/5.0 (X11; Linux x86_64)"}\n'

let file: string
let expectedLines: number[]
/** [start, end) of each planted token in the file. */
let spans: Array<[number, number]>
let result: TokenScanResult

beforeAll(async () => {
  // Given a 40 MiB log with leaked-key tokens on line 1, straddling the first two range boundaries,
  // after a 3 MiB line with no newline, after a 200 KiB run of token characters, and on the last line
  const privateKey = createPrivateKey({key: keyJwk('rs256') as never, format: 'jwk'})
  const token = async (sub: string): Promise<string> =>
    new SignJWT({sub, jti: sub, iat: 1714557600}).setProtectedHeader({alg: 'RS256', kid: 'leaked-rs256-2024'}).sign(privateKey)
  const parts: string[] = []
  let bytes = 0
  let lines = 0
  expectedLines = []
  spans = []
  const add = (text: string): void => {
    parts.push(text)
    bytes += Buffer.byteLength(text)
    lines += text.split('\n').length - 1
  }
  const plant = async (sub: string, before = 'Authorization: Bearer '): Promise<void> => {
    const text = await token(sub)
    expectedLines.push(lines + 1)
    spans.push([bytes + before.length, bytes + before.length + text.length])
    add(`${before}${text}\n`)
  }
  const fillTo = (target: number): void => {
    while (bytes + NOISE.length <= target) add(NOISE)
    add('x'.repeat(target - bytes))
  }
  await plant('first')
  for (const boundary of [DEFAULT_SIZES.rangeBytes, 2 * DEFAULT_SIZES.rangeBytes]) {
    fillTo(boundary - 100)
    add('\n')
    await plant(`across-${boundary}`, `${'y'.repeat(40)} Bearer `)
  }
  add(`${'z'.repeat(3 * MiB)} `)
  await plant('after-long-line', '')
  add(`blob=${'A'.repeat(200 * 1024)}\n`)
  await plant('after-long-run')
  fillTo(40 * MiB)
  add('\n')
  await plant('last')
  file = join(await mkdtemp(join(tmpdir(), 'jwkr-big-')), 'big.log')
  await writeFile(file, parts.join(''))
  const key = (await loadKeySource(keyFile('rs256'), {secrets: new SecretRegistry()})).keys[0] as LoadedKey
  // When it is scanned by two workers with the default sizes
  result = await scanTokens(key, [file], {secrets: new SecretRegistry(), threads: 2, maxExamples: 20})
}, 60_000)

describe('a large input', () => {
  it('is read through buffers of blockBytes + maxTokenBytes only', () => {
    expect(result.bytesRead).toBeGreaterThan(40 * MiB)
    expect(result.io).toEqual({threads: 2, bufferBytes: DEFAULT_SIZES.blockBytes + DEFAULT_SIZES.maxTokenBytes})
    expect(DEFAULT_SIZES.blockBytes + DEFAULT_SIZES.maxTokenBytes).toBeLessThanOrEqual(2 * MiB)
  })

  it('puts tokens across the range boundaries (the test input is what it claims)', () => {
    for (const boundary of [DEFAULT_SIZES.rangeBytes, 2 * DEFAULT_SIZES.rangeBytes]) {
      expect(spans.some(([start, end]) => start < boundary && end > boundary)).toBe(true)
    }
  })

  it('still finds every token once, at its line, across range boundaries, long lines and long runs', () => {
    expect(result.counts['signed-with-leaked-key']).toBe(expectedLines.length)
    expect(result.tokens).toBe(expectedLines.length)
    expect(result.examples.map((example) => Number(example.source.slice(file.length + 1)))).toEqual(expectedLines)
  })
})
