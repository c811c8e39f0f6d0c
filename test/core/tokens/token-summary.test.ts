import {describe, expect, it} from 'vitest'

import {CANARY_JTI_PREFIX, CANARY_SUBJECT} from '../../../src/core/containment/canary.js'
import {canaryStatus, isCanaryLabelled} from '../../../src/core/tokens/canary-token.js'
import {claimsOf, type TokenClaims, type TokenVerdict} from '../../../src/core/tokens/classify-token.js'
import {TokenSummaryBuilder, type TokenSummaryOptions} from '../../../src/core/tokens/token-summary.js'

const NOW = new Date('2024-05-10T00:00:00Z')
const at = (iso: string): number => Date.parse(iso) / 1000

function token(valid: boolean, claims: Partial<TokenClaims>, unsigned = `h.${claims.jti ?? 'p'}`): TokenVerdict {
  return {reference: 'kid', valid, claims: {...claimsOf({}), ...claims}, unsigned}
}

function builder(options: Partial<TokenSummaryOptions> = {}) {
  return new TokenSummaryBuilder({issued: null, since: null, until: null, maxExamples: 5, ...options})
}

const locate = ({source, offset}: {source: number; offset: number}): string => `file${source}:${offset}`

describe('TokenSummaryBuilder', () => {
  it('counts per class and sums up the valid tokens: iat range, subjects, issuers, audiences, lifetime', () => {
    // Given an issued log, two valid tokens for alice (one issued), one for bob, a forgery and a bad signature
    const summary = builder({issued: new Set(['a1', 'b1'])})
    summary.add(
      token(true, {
        sub: 'alice',
        jti: 'a1',
        iss: 'https://i1',
        aud: ['api'],
        iat: at('2024-05-01T00:00:00Z'),
        exp: at('2024-05-01T01:00:00Z'),
      }),
      {source: 0, offset: 1},
    )
    summary.add(
      token(true, {
        sub: 'alice',
        jti: 'a1',
        iss: 'https://i1',
        aud: ['api'],
        iat: at('2024-05-01T00:00:00Z'),
        exp: at('2024-05-01T01:00:00Z'),
      }),
      {source: 0, offset: 2},
    )
    summary.add(
      token(true, {
        sub: 'bob',
        jti: 'b1',
        iss: 'https://i2',
        aud: ['api', 'web'],
        iat: at('2024-05-03T00:00:00Z'),
        exp: at('2024-05-10T06:00:00Z'),
      }),
      {source: 1, offset: 0},
    )
    summary.add(token(true, {sub: 'mallory', jti: 'x9', iss: 'https://i1', iat: at('2024-05-02T00:00:00Z')}), {
      source: 1,
      offset: 9,
    })
    summary.add(
      token(false, {
        sub: 'eve',
        jti: 'a1',
        iss: 'https://evil',
        iat: at('2020-01-01T00:00:00Z'),
        exp: at('2099-01-01T00:00:00Z'),
      }),
      {source: 2, offset: 0},
    )
    summary.addUndecided(40)
    // When it is summed up
    const result = summary.result(NOW, locate)
    // Then the counts are per class, and every token is counted once
    expect(result.counts).toEqual({
      'suspected-forgery': 1,
      'signed-with-leaked-key': 3,
      'kid-match-bad-signature': 1,
      other: 40,
      'outside-window': 0,
    })
    expect(result.tokens).toBe(45)
    // And the claims are those of the valid tokens only (not eve's bad signature)
    expect(result.iat).toEqual({first: '2024-05-01T00:00:00.000Z', last: '2024-05-03T00:00:00.000Z'})
    expect(result.firstForgeryAt).toBe('2024-05-02T00:00:00.000Z')
    expect(result.subjects).toBe(3)
    expect(result.issuers).toEqual(['https://i1', 'https://i2'])
    expect(result.audiences).toEqual(['api', 'web'])
    expect(result.longestRemainingLifetime).toEqual({seconds: 6 * 3600, expires: '2024-05-10T06:00:00.000Z'})
    expect(result.withoutExpiry).toBe(1)
    expect(summary.subjects()).toEqual([
      {sub: 'alice', count: 2, firstSeen: '2024-05-01T00:00:00.000Z', lastSeen: '2024-05-01T00:00:00.000Z'},
      {sub: 'bob', count: 1, firstSeen: '2024-05-03T00:00:00.000Z', lastSeen: '2024-05-03T00:00:00.000Z'},
      {sub: 'mallory', count: 1, firstSeen: '2024-05-02T00:00:00.000Z', lastSeen: '2024-05-02T00:00:00.000Z'},
    ])
  })

  it('says 0 seconds when every valid token has expired, and null when there is none', () => {
    const expired = builder()
    expired.add(token(true, {exp: at('2024-05-01T00:00:00Z')}), {source: 0, offset: 0})
    expect(expired.result(NOW, locate).longestRemainingLifetime).toEqual({seconds: 0, expires: '2024-05-01T00:00:00.000Z'})
    const none = builder()
    none.add(token(false, {exp: at('2099-01-01T00:00:00Z')}), {source: 0, offset: 0})
    expect(none.result(NOW, locate)).toMatchObject({longestRemainingLifetime: null, withoutExpiry: 0, subjects: 0})
  })

  it('leaves tokens issued outside --since/--until out of every class, and keeps tokens without iat', () => {
    const summary = builder({since: new Date('2024-05-02T00:00:00Z'), until: new Date('2024-05-04T00:00:00Z')})
    summary.add(token(true, {sub: 'early', iat: at('2024-05-01T23:59:59Z')}), {source: 0, offset: 0})
    summary.add(token(true, {sub: 'in', iat: at('2024-05-02T00:00:00Z')}), {source: 0, offset: 1})
    summary.add(token(false, {sub: 'in-bad', iat: at('2024-05-04T00:00:00Z')}), {source: 0, offset: 2})
    summary.add(token(true, {sub: 'late', iat: at('2024-05-04T00:00:01Z')}), {source: 0, offset: 3})
    summary.add(token(true, {sub: 'undated'}), {source: 0, offset: 4})
    const result = summary.result(NOW, locate)
    expect(result.counts).toMatchObject({'signed-with-leaked-key': 2, 'kid-match-bad-signature': 1, 'outside-window': 2})
    expect(
      summary
        .subjects()
        .map((row) => row.sub)
        .sort(),
    ).toEqual(['in', 'undated'])
  })

  it('shows the first examples of each class by position, most serious first, whatever order they arrive in', () => {
    // Given tokens of three classes, reported out of order (as workers finish)
    const summary = builder({issued: new Set(['ok']), maxExamples: 4})
    summary.add(token(true, {jti: 'ok'}, 'signed-late'), {source: 1, offset: 5})
    summary.add(token(false, {jti: 'x'}, 'bad-1'), {source: 0, offset: 50})
    summary.add(token(true, {jti: 'ok'}, 'signed-early'), {source: 0, offset: 7})
    summary.add(token(true, {jti: 'forged'}, 'forged-1'), {source: 2, offset: 0})
    summary.add(token(true, {jti: 'ok'}, 'signed-middle'), {source: 1, offset: 1})
    // Then one of each class comes first, forgeries first, then the next earliest
    expect(summary.result(NOW, locate).examples).toEqual([
      {class: 'suspected-forgery', token: 'forged-1', source: 'file2:0'},
      {class: 'signed-with-leaked-key', token: 'signed-early', source: 'file0:7'},
      {class: 'kid-match-bad-signature', token: 'bad-1', source: 'file0:50'},
      {class: 'signed-with-leaked-key', token: 'signed-middle', source: 'file1:1'},
    ])
    const none = builder({maxExamples: 0})
    none.add(token(true, {}), {source: 0, offset: 0})
    expect(none.result(NOW, locate).examples).toEqual([])
  })

  it("counts jwkr's own canaries apart: in no class, subject, claim or example, whatever their signature", () => {
    // Given an issued log without canary jtis, one real token, and canaries told by jti, by sub, and a broken control
    const summary = builder({issued: new Set(['a1']), maxExamples: 10})
    summary.add(token(true, {sub: 'alice', jti: 'a1', iat: at('2024-05-01T00:00:00Z')}), {source: 0, offset: 0})
    const canaries = [
      token(true, {
        sub: CANARY_SUBJECT,
        jti: `${CANARY_JTI_PREFIX}inc-1-abc`,
        iss: 'https://probe',
        iat: at('2024-04-01T00:00:00Z'),
      }),
      token(true, {sub: 'someone', jti: `${CANARY_JTI_PREFIX}control-inc-1-def`, exp: at('2099-01-01T00:00:00Z')}),
      token(true, {sub: CANARY_SUBJECT, jti: null, aud: ['probe-aud']}),
      token(false, {sub: CANARY_SUBJECT, jti: `${CANARY_JTI_PREFIX}inc-1-abc`}),
    ]
    // When they are added among the real token
    const classes = canaries.map((canary, offset) => summary.add(canary, {source: 0, offset: offset + 1}))
    const result = summary.result(NOW, locate)
    // Then each is a canary, counted apart and in the token total only
    expect(classes).toEqual(['canary', 'canary', 'canary', 'canary'])
    expect(result.canaries).toBe(4)
    expect(result.tokens).toBe(5)
    expect(result.counts).toEqual({
      'suspected-forgery': 0,
      'signed-with-leaked-key': 1,
      'kid-match-bad-signature': 0,
      other: 0,
      'outside-window': 0,
    })
    // And nothing of theirs reaches the summary: subjects, issuers, audiences, iat, lifetime, examples
    expect(summary.subjects().map((row) => row.sub)).toEqual(['alice'])
    expect(result).toMatchObject({subjects: 1, issuers: [], audiences: [], firstForgeryAt: null, longestRemainingLifetime: null})
    expect(result.iat).toEqual({first: '2024-05-01T00:00:00.000Z', last: '2024-05-01T00:00:00.000Z'})
    expect(result.examples.map((example) => example.token)).toEqual(['h.a1'])
  })

  it('tells a canary by its jti prefix or its sub only', () => {
    expect(isCanaryLabelled({sub: CANARY_SUBJECT, jti: null})).toBe(true)
    expect(isCanaryLabelled({sub: null, jti: `${CANARY_JTI_PREFIX}x`})).toBe(true)
    expect(isCanaryLabelled({sub: 'jwkr-canary-not', jti: 'jwkr-canary'})).toBe(false)
    expect(isCanaryLabelled({sub: null, jti: null})).toBe(false)
  })

  it('with the jtis jwkr sent, a token labelled as a canary that jwkr never sent is triaged as a forgery', () => {
    // Given the incident sent one canary, and the logs hold it and two tokens wearing the label
    const sent = new Set([`${CANARY_JTI_PREFIX}inc-1-abc`])
    const summary = builder({issued: new Set(['a1']), canaryJtis: sent, maxExamples: 10})
    const ours = summary.add(token(true, {sub: CANARY_SUBJECT, jti: `${CANARY_JTI_PREFIX}inc-1-abc`}), {source: 0, offset: 0})
    const forged = summary.add(token(true, {sub: CANARY_SUBJECT, jti: `${CANARY_JTI_PREFIX}inc-1-zzz`}), {source: 0, offset: 1})
    const noJti = summary.add(token(true, {sub: CANARY_SUBJECT, jti: null, iat: at('2024-05-02T00:00:00Z')}), {
      source: 0,
      offset: 2,
    })
    // Then only the one sent is a canary; the others are suspected forgeries, counted and shown as such
    expect([ours, forged, noJti]).toEqual(['canary', 'suspected-forgery', 'suspected-forgery'])
    const result = summary.result(NOW, locate)
    expect(result).toMatchObject({canaries: 1, canariesBy: 'journal', canaryImpostors: 2})
    expect(result.counts['suspected-forgery']).toBe(2)
    expect(result.firstForgeryAt).toBe('2024-05-02T00:00:00.000Z')
    // And without a journal, the label alone decides (and the result says so)
    expect(canaryStatus({sub: CANARY_SUBJECT, jti: 'x'}, null)).toBe('canary')
    expect(builder().result(NOW, locate)).toMatchObject({canariesBy: 'label', canaryImpostors: 0})
  })
})
