import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {findTokens} from '../../../src/core/tokens/find-tokens.js'
import {TokenStream, type StreamedToken} from '../../../src/core/tokens/token-stream.js'

const HEADER = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0'
const TOKEN = `${HEADER}.eyJzdWIiOiJhIn0.c2lnbmF0dXJl`
const ALL = (): boolean => true

/** Streams `text` through a TokenStream in blocks of `block` bytes, as a reader does. */
function stream(
  text: Buffer,
  blockBytes: number,
  maxTokenBytes = 256,
  maxLongTokenBytes?: number,
): {found: StreamedToken[]; stream: TokenStream} {
  const tokens = new TokenStream({blockBytes, maxTokenBytes, maxLongTokenBytes, wanted: ALL})
  const found: StreamedToken[] = []
  for (let at = 0; at < text.length; at += blockBytes) {
    const length = Math.min(blockBytes, text.length - at)
    text.copy(tokens.buffer, tokens.writeOffset, at, at + length)
    found.push(...tokens.push(length))
  }
  found.push(...tokens.push(0, true))
  return {found, stream: tokens}
}

/** The same text scanned in one piece: the reference. */
function oneShot(text: Buffer): StreamedToken[] {
  const found: StreamedToken[] = []
  findTokens(text, 0, text.length, false, (span) => {
    const line = text.subarray(0, span.start).filter((byte) => byte === 0x0a).length
    found.push({offset: span.start, line, token: text.toString('latin1', span.start, span.end)})
  })
  return found
}

const piece = fc.constantFrom(
  TOKEN,
  `Bearer ${TOKEN}`,
  `"${TOKEN}",`,
  '\n',
  ' ',
  'text ',
  'eyJ',
  '.',
  'abc.def',
  `${HEADER}.`,
  '{"a":1}\n',
)

describe('TokenStream', () => {
  it('finds every token once, at the same offset and line, whatever the block boundaries', () => {
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 40}), fc.integer({min: 1, max: 97}), (pieces, blockBytes) => {
        // Given any text made of tokens, separators and near-misses, cut into blocks of any size
        const text = Buffer.from(pieces.join(''), 'latin1')
        // When it is streamed block by block
        const {found, stream: tokens} = stream(text, blockBytes)
        // Then it finds what one pass over the whole text finds, and counts every newline
        expect(found).toEqual(oneShot(text))
        expect(tokens.tokens).toBe(found.length)
        expect(tokens.newlines).toBe(text.filter((byte) => byte === 0x0a).length)
        expect(tokens.bytes).toBe(text.length)
      }),
      {numRuns: 300},
    )
  })

  it('finds the same with runs set aside: tokens longer than the buffer, cut anywhere', () => {
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 40}), fc.integer({min: 1, max: 97}), (pieces, blockBytes) => {
        // Given the same texts, streamed with a buffer that holds runs of 16 bytes only, but 64 KiB set aside
        const text = Buffer.from(pieces.join(''), 'latin1')
        const {found, stream: tokens} = stream(text, blockBytes, 16, 64 * 1024)
        // Then every token is found as in one pass, though each is longer than the buffer holds
        expect(found).toEqual(oneShot(text))
        expect(tokens.tokens).toBe(found.length)
        expect(tokens.newlines).toBe(text.filter((byte) => byte === 0x0a).length)
      }),
      {numRuns: 300},
    )
  })

  it('holds one buffer of blockBytes + maxTokenBytes, however large the input and its lines', () => {
    // Given 4 MiB with no newline at all, a 1 MiB run of token characters, and tokens around them
    const run = 'A'.repeat(1024 * 1024)
    const text = Buffer.from(`${TOKEN} ${'x'.repeat(3 * 1024 * 1024)} ${run} ${TOKEN}`, 'latin1')
    // When it is streamed in 4 KiB blocks with tokens of at most 1 KiB
    const {found, stream: tokens} = stream(text, 4096, 1024)
    // Then the buffer never grew, the run was dropped, and both tokens were found
    expect(tokens.buffer.length).toBe(4096 + 1024)
    expect(found.map((item) => item.offset)).toEqual([0, text.length - TOKEN.length])
  })

  it('does not take the tail of a dropped run for a token', () => {
    // Given a run longer than maxTokenBytes that ends like a token
    const text = Buffer.from(`x ${'Q'.repeat(600)}${TOKEN} y`, 'latin1')
    // Then nothing is found in it
    expect(stream(text, 64, 256).found).toEqual([])
  })

  it('reads a token longer than maxTokenBytes whole, set aside up to maxLongTokenBytes, at its offset and line', () => {
    // Given a 5,000-byte token (a long payload) on the third line, and a short one after it
    const long = `${HEADER}.${Buffer.from(JSON.stringify({sub: 'a', pad: 'x'.repeat(3600)})).toString('base64url')}.c2ln`
    const text = Buffer.from(`a\nb\nBearer ${long}\n${TOKEN}\n`, 'latin1')
    // When it is streamed in 64-byte blocks with a 256-byte buffer for runs, and 8 KiB for runs that start like a token
    const tokens = new TokenStream({blockBytes: 64, maxTokenBytes: 256, maxLongTokenBytes: 8192, wanted: ALL})
    const found: StreamedToken[] = []
    for (let at = 0; at < text.length; at += 64) {
      const length = Math.min(64, text.length - at)
      text.copy(tokens.buffer, tokens.writeOffset, at, at + length)
      found.push(...tokens.push(length))
    }
    found.push(...tokens.push(0, true))
    // Then both are found whole, at their offsets and lines, and the long one was held only as long as itself
    expect(found).toEqual([
      {offset: 11, line: 2, token: long},
      {offset: 12 + long.length, line: 3, token: TOKEN},
    ])
    expect(tokens.buffer.length).toBe(64 + 256)
    expect(tokens.peakBytes).toBeGreaterThanOrEqual(long.length)
    expect(tokens.peakBytes).toBeLessThan(64 + 256 + long.length + 64)
  })

  it('sets aside only runs that start like a token, and drops one longer than maxLongTokenBytes', () => {
    // Given a 4 KiB run that is not a token, a token of 3 KiB, and the same token with a payload over the limit
    const payload = (bytes: number): string => Buffer.from(JSON.stringify({pad: 'x'.repeat(bytes)})).toString('base64url')
    const fits = `${HEADER}.${payload(2200)}.c2ln`
    const over = `${HEADER}.${payload(3200)}.c2ln`
    const text = Buffer.from(`${'A'.repeat(4096)} ${fits} ${over} ${TOKEN}`, 'latin1')
    // When it is streamed with runs of up to 256 bytes kept, and 4,000 bytes set aside
    const tokens = new TokenStream({blockBytes: 100, maxTokenBytes: 256, maxLongTokenBytes: 4000, wanted: ALL})
    const found: StreamedToken[] = []
    for (let at = 0; at < text.length; at += 100) {
      const length = Math.min(100, text.length - at)
      text.copy(tokens.buffer, tokens.writeOffset, at, at + length)
      found.push(...tokens.push(length))
    }
    found.push(...tokens.push(0, true))
    // Then the token that fits and the short one are found; the blob was never set aside, the long one dropped
    expect(found.map((item) => item.token)).toEqual([fits, TOKEN])
    expect(tokens.peakBytes).toBeLessThan(100 + 256 + 4000 + 100)
  })

  it('passes only the tokens the filter wants, but counts them all', () => {
    const tokens = new TokenStream({blockBytes: 1024, maxTokenBytes: 256, wanted: (buffer, start) => buffer[start + 3] === 0x68})
    const other = `eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhIn0.c2ln`
    const text = Buffer.from(`${TOKEN}\n${other}\n${TOKEN}\n`, 'latin1')
    text.copy(tokens.buffer, tokens.writeOffset)
    const found = [...tokens.push(text.length), ...tokens.push(0, true)]
    expect(found.map(({offset, line}) => [offset, line])).toEqual([
      [0, 0],
      [TOKEN.length + other.length + 2, 2],
    ])
    expect(tokens.tokens).toBe(3)
  })

  it('leaves lines uncounted when asked (a plain file counts them later, for the tokens shown)', () => {
    const tokens = new TokenStream({blockBytes: 1024, maxTokenBytes: 256, wanted: ALL, countLines: false})
    const text = Buffer.from(`a\nb\n${TOKEN}\n`, 'latin1')
    text.copy(tokens.buffer, tokens.writeOffset)
    expect([...tokens.push(text.length), ...tokens.push(0, true)]).toEqual([{offset: 4, line: 0, token: TOKEN}])
    expect(tokens.newlines).toBe(0)
  })

  it('reuses a buffer it is given, and refuses one too small', () => {
    const buffer = Buffer.alloc(2048)
    expect(new TokenStream({blockBytes: 1024, maxTokenBytes: 1024, wanted: ALL, buffer}).buffer).toBe(buffer)
    expect(() => new TokenStream({blockBytes: 1024, maxTokenBytes: 1025, wanted: ALL, buffer})).toThrow(RangeError)
  })

  it('refuses a push larger than its block', () => {
    const tokens = new TokenStream({blockBytes: 16, maxTokenBytes: 16, wanted: ALL})
    expect(() => tokens.push(17)).toThrow(RangeError)
  })
})
