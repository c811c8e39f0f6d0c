import {describe, expect, it} from 'vitest'

import {countNewlines, findTokens, trailingRunStart, type TokenSpan} from '../../../src/core/tokens/find-tokens.js'

/** Header and payload are what jose writes for {"alg":"RS256","kid":"k1"} and {"sub":"a"}; the signature is just base64url. */
const HEADER = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0'
const PAYLOAD = 'eyJzdWIiOiJhIn0'
const TOKEN = `${HEADER}.${PAYLOAD}.c2lnbmF0dXJlLWJ5dGVzLWdvLWhlcmU`

function tokensIn(text: string, previousIsTokenByte = false): string[] {
  const buffer = Buffer.from(text, 'latin1')
  const found: string[] = []
  findTokens(buffer, 0, buffer.length, previousIsTokenByte, (span: TokenSpan) => found.push(text.slice(span.start, span.end)))
  return found
}

describe('findTokens', () => {
  it.each([
    ['an Authorization header in a log line', `10.0.0.1 "GET /api" 200 Authorization: Bearer ${TOKEN}\n`],
    ['a JSON string', `{"token":"${TOKEN}","status":200}\n`],
    ['a query string', `GET /cb?access_token=${TOKEN}&state=xyz 302\n`],
    ['the whole text, no newline at the end', TOKEN],
    ['a sentence that ends with it', `The token was ${TOKEN}.`],
    ['a URL path', `GET /v1/verify/${TOKEN} 200`],
  ])('finds a token in %s', (_, text) => {
    expect(tokensIn(text)).toEqual([TOKEN])
  })

  it('finds tokens split by nothing but quotes and commas, each once', () => {
    // Given tokens packed in a JSON array and a CSV row
    const other = `${HEADER}.eyJzdWIiOiJiIn0.`
    const text = `["${TOKEN}","${other}"],${TOKEN},${other}`
    // Then each is found, in order, and the "eyJ" of each payload is not taken for a start
    expect(tokensIn(text)).toEqual([TOKEN, other, TOKEN, other])
  })

  it('keeps an unsigned token (alg none, empty signature)', () => {
    expect(tokensIn(`id_token=${HEADER}.${PAYLOAD}.&x=1`)).toEqual([`${HEADER}.${PAYLOAD}.`])
  })

  it.each([
    ['"eyJ" inside a longer base64 blob', `blob=QUJDeyJhbGciOiJub25lIn0.${PAYLOAD}.c2ln`],
    ['a JWE (five parts)', `jwe=${HEADER}.a2V5.aXY.Y2lwaGVy.dGFn`],
    ['a detached JWS (empty payload)', `sig=${HEADER}..c2ln`],
    ['a header with no dot after it', `text eyJ and ${HEADER} alone`],
    ['a header and a dot only', `${HEADER}. more text`],
  ])('takes no token from %s', (_, text) => {
    expect(tokensIn(text)).toEqual([])
  })

  it.each([
    ['a leading space', ' {"alg":"RS256","kid":"k1"}'],
    ['a space after the brace', '{ "alg": "RS256", "kid": "k1" }'],
    ['a pretty-printed header', '{\n  "alg": "RS256",\n  "kid": "k1"\n}'],
    ['a tab and a newline before the brace', '\t\n{"alg":"RS256"}'],
    ['a byte order mark', '\uFEFF{"alg":"RS256"}'],
    ['a first member whose name starts with a digit', '{"0":1,"alg":"RS256"}'],
    ['sixty spaces before the brace', `${' '.repeat(60)}{"alg":"RS256"}`],
    ['a thousand line breaks before the brace', `${'\r\n'.repeat(500)}{"alg":"RS256"}`],
  ])('finds a token whose header JSON has %s (jose accepts it), from its payload', (_, json) => {
    // Given a header that does not encode to "eyJ…", before a standard payload
    const header = Buffer.from(json).toString('base64url')
    expect(header.startsWith('eyJ')).toBe(false)
    const token = `${header}.${PAYLOAD}.c2lnbmF0dXJl`
    // Then it is found, whole, wherever it sits
    expect(tokensIn(`Authorization: Bearer ${token}\n`)).toEqual([token])
    expect(tokensIn(`["${TOKEN}","${token}"]`)).toEqual([TOKEN, token])
    expect(tokensIn(token)).toEqual([token])
  })

  it.each([
    ['a header that is not JSON', `x=${Buffer.from('ABC{"alg":"none"}').toString('base64url')}.${PAYLOAD}.c2ln`],
    ['a payload-like part after two dots', `v=abc.def.${PAYLOAD}.c2ln`],
    ['a payload-like part with nothing before its dot', `v=.${PAYLOAD}.c2ln`],
  ])('takes no token from %s', (_, text) => {
    expect(tokensIn(text)).toEqual([])
  })

  it('does not start a token at `from` when the byte before it was part of a run', () => {
    // Given a text that starts inside a run (the previous block ended in the middle of a token)
    // Then the token at its very start is not one
    expect(tokensIn(TOKEN, true)).toEqual([])
    expect(tokensIn(`${TOKEN} ${TOKEN}`, true)).toEqual([TOKEN])
  })

  it('looks only at [from, to) and never past `to`', () => {
    // Given a buffer whose bytes past `to` hold a token (stale bytes of an earlier block)
    const buffer = Buffer.from(`x ${TOKEN}\n${TOKEN}`, 'latin1')
    const found: TokenSpan[] = []
    const to = 2 + TOKEN.length + 1
    findTokens(buffer, 0, to, false, (span) => found.push(span))
    // Then only the first token is found, with its part boundaries
    expect(found).toEqual([
      {start: 2, headerEnd: 2 + HEADER.length, payloadEnd: 3 + HEADER.length + PAYLOAD.length, end: 2 + TOKEN.length},
    ])
  })
})

describe('trailingRunStart and countNewlines', () => {
  it('finds where the run of token bytes at the end begins', () => {
    const text = Buffer.from(`line one\nBearer ${HEADER}.${PAYLOAD}`)
    expect(trailingRunStart(text, 0, text.length)).toBe(text.length - HEADER.length - PAYLOAD.length - 1)
    expect(trailingRunStart(Buffer.from('ends with a space '), 0, 18)).toBe(18)
    expect(trailingRunStart(Buffer.from(TOKEN), 0, TOKEN.length)).toBe(0)
  })

  it('counts the newlines in a range only', () => {
    const text = Buffer.from('a\nb\nc\n\nd\n')
    expect(countNewlines(text, 0, text.length)).toBe(5)
    expect(countNewlines(text, 2, 6)).toBe(2)
    expect(countNewlines(text, 0, 0)).toBe(0)
  })
})
