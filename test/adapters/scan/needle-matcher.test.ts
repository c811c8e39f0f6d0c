// The multi-needle matcher must find exactly what a plain indexOf loop finds, for every needle,
// wherever it sits, while looking at only a sample of the text.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {createNeedleMatcher, type NeedleMatch} from '../../../src/adapters/scan/needle-matcher.js'

/** The reference: every occurrence of every needle, by brute force. */
function naive(text: string, needles: string[]): NeedleMatch[] {
  const matches: NeedleMatch[] = []
  needles.forEach((needle, index) => {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      matches.push({needle: index, start: at, end: at + needle.length})
    }
  })
  return matches.sort((a, b) => a.start - b.start || a.needle - b.needle)
}

// A small alphabet makes near misses and overlapping occurrences common.
const char = fc.constantFrom('A', 'B', 'a', '0', '+', '/', '-', '_', '\n', 'x')
const text = fc.array(char, {maxLength: 600}).map((chars) => chars.join(''))

describe('createNeedleMatcher', () => {
  it('finds exactly the occurrences a brute-force search finds', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.tuple(fc.nat(), fc.integer({min: 8, max: 70})), {minLength: 1, maxLength: 12}),
        fc.array(
          fc.array(char, {minLength: 8, maxLength: 40}).map((c) => c.join('')),
          {maxLength: 4},
        ),
        (body, cuts, random) => {
          // Given needles cut from the text itself (so they occur) plus random ones (that mostly do not)
          const cutNeedles = cuts
            .map(([start, length]) => body.slice(start % Math.max(1, body.length), (start % Math.max(1, body.length)) + length))
            .filter((needle) => needle.length >= 8)
          const needles = [...new Set([...cutNeedles, ...random])]
          if (needles.length === 0) return
          // When the matcher searches the text
          const found = createNeedleMatcher(needles).find(Buffer.from(body, 'latin1'), body.length)
          // Then it finds every occurrence, and nothing else
          expect(found).toEqual(naive(body, needles))
        },
      ),
      {numRuns: 400},
    )
  })

  it('finds a needle of the shortest length at every offset (the sampling step leaves no gap)', () => {
    // Given needles of 16 and 24 characters (the shortest window and the default) and a short kid
    const needles = ['AbCdEfGhIjKlMnOp', 'QrStUvWxYz0123456789+/Ab', 'kid-2024']
    for (const needle of needles) {
      for (let offset = 0; offset < 60; offset++) {
        // When one is planted at this offset in filler text
        const body = `${'.'.repeat(offset)}${needle}${'.'.repeat(7)}`
        // Then it is found there, and only there
        expect(createNeedleMatcher(needles).find(Buffer.from(body), body.length), `${needle} at ${offset}`).toEqual([
          {needle: needles.indexOf(needle), start: offset, end: offset + needle.length},
        ])
      }
    }
  })

  it('finds needles at the very start and end of the text', () => {
    const needles = ['NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', 'kid-2024-01']
    const body = `${needles[0]} middle ${needles[1]}`
    expect(createNeedleMatcher(needles).find(Buffer.from(body), body.length)).toEqual(naive(body, needles))
  })

  it('looks only at the first `length` bytes of a reused buffer', () => {
    // Given a buffer that still holds a needle from a longer, earlier file past the current length
    const needle = 'QWxhZGRpbjpvcGVuIHNlc2FtZQ'
    const buffer = Buffer.from(`short file\n${needle} and a short ${'kid-2024-01'}`)
    // When only the first 11 bytes belong to the current file
    const found = createNeedleMatcher([needle, 'kid-2024-01']).find(buffer, 11)
    // Then nothing is found
    expect(found).toEqual([])
  })

  it('reports overlapping occurrences of one needle, and each needle of several at one place', () => {
    const needles = ['abababababababab', 'ababababababababab', 'babababa']
    const body = 'xx' + 'ab'.repeat(12) + 'yy'
    expect(createNeedleMatcher(needles).find(Buffer.from(body), body.length)).toEqual(naive(body, needles))
  })

  it('matches nothing for an empty list', () => {
    expect(createNeedleMatcher([]).find(Buffer.from('anything at all'), 15)).toEqual([])
  })
})
