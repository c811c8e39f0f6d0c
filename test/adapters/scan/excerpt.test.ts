// The excerpt beside a hit: public matches shown, private ones redacted, and no piece of an opaque
// value next to the match — a line holding a key often holds its private members too.
import {describe, expect, it} from 'vitest'

import {redactedExcerpt} from '../../../src/adapters/scan/excerpt.js'

const D = 'Jx7Qm2Vb9LkP0aZsT4rWcYhN8eU1oGiF5dK3jE6nBq'

function excerptOf(line: string, match: string, show: boolean): string {
  const start = line.indexOf(match)
  return redactedExcerpt(line, start, start + match.length, show)
}

describe('redactedExcerpt', () => {
  it('shows a public match with the words around it', () => {
    expect(excerptOf('  kid: "2024-signing-key" # rotated in May', '2024-signing-key', true)).toBe(
      'kid: "2024-signing-key" # rotated in May',
    )
  })

  it('redacts a private match', () => {
    expect(excerptOf(`PRIVATE=${D}`, D, false)).toBe('PRIVATE=[REDACTED]')
  })

  it('elides every long opaque value in the context, wholly, even where the context window cuts it', () => {
    // Given a JWK on one line: the kid matched, its d just after, and n before
    const n =
      'u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw'
    const line = `{"kty":"RSA","n":"${n}","e":"AQAB","kid":"2024-signing-key","d":"${D}"}`
    const excerpt = excerptOf(line, '2024-signing-key', true)
    // Then the kid shows, n and d do not, not even in part
    expect(excerpt).toBe('…[…]","e":"AQAB","kid":"2024-signing-key","d":"[…]…')
    for (let i = 0; i + 6 <= D.length; i++) expect(excerpt).not.toContain(D.slice(i, i + 6))
  })

  it('shows no part of the private value that a private window was cut from', () => {
    // Given a window in the middle of d matched (the rest of d is right beside it)
    const window = D.slice(10, 26)
    const excerpt = excerptOf(`"d": "${D}"`, window, false)
    // Then neither the window nor the rest of d shows
    expect(excerpt).toBe('"d": "[…][REDACTED][…]"')
  })

  it('cuts long lines to a window around the match, marking the cuts', () => {
    const line = `${'word '.repeat(40)}kid-2024-05-01${' more'.repeat(40)}`
    const excerpt = excerptOf(line, 'kid-2024-05-01', true)
    expect(excerpt.startsWith('…')).toBe(true)
    expect(excerpt.endsWith('…')).toBe(true)
    expect(excerpt.length).toBeLessThan(90)
    expect(excerpt).toContain('kid-2024-05-01')
  })

  it('keeps short words and numbers, and turns control characters into spaces', () => {
    expect(excerptOf('\tport=8443\tkid=abcdefgh12\u0007 # 2024-05', 'abcdefgh12', true)).toBe(
      'port=8443 kid=abcdefgh12  # 2024-05',
    )
  })
})
