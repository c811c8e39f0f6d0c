import {describe, expect, it} from 'vitest'

import {claimsOf, classifyToken, type TokenVerdict} from '../../../src/core/tokens/classify-token.js'

function verdict(valid: boolean, jti: string | null, reference: TokenVerdict['reference'] = 'kid'): TokenVerdict {
  return {reference, valid, claims: {...claimsOf({}), jti}, unsigned: 'h.p'}
}

describe('classifyToken', () => {
  it('tells valid, forged and bad-signature tokens apart', () => {
    const issued = new Set(['a1'])
    expect(classifyToken(verdict(true, 'a1'), null)).toBe('signed-with-leaked-key')
    expect(classifyToken(verdict(true, 'zz'), null)).toBe('signed-with-leaked-key')
    expect(classifyToken(verdict(true, 'a1'), issued)).toBe('signed-with-leaked-key')
    // A valid token the issuer never issued, or one without a jti to look up, is a suspected forgery
    expect(classifyToken(verdict(true, 'zz'), issued)).toBe('suspected-forgery')
    expect(classifyToken(verdict(true, null), issued)).toBe('suspected-forgery')
    // A token that claims the key with a bad signature is not the key's, issued or not
    expect(classifyToken(verdict(false, 'a1'), issued)).toBe('kid-match-bad-signature')
    expect(classifyToken(verdict(false, 'a1', 'jwk'), null)).toBe('kid-match-bad-signature')
    // A token only checked for its alg (key without kid) and not signed by it is another key's
    expect(classifyToken(verdict(false, 'a1', 'algorithm'), null)).toBeNull()
    expect(classifyToken(verdict(true, 'a1', 'algorithm'), null)).toBe('signed-with-leaked-key')
  })
})

describe('claimsOf', () => {
  it('reads the claims it needs and tolerates any shape', () => {
    expect(claimsOf({sub: 'u1', iss: 'https://i', aud: 'api', iat: 1, exp: 2, jti: 'j', extra: true})).toEqual({
      sub: 'u1',
      iss: 'https://i',
      aud: ['api'],
      iat: 1,
      exp: 2,
      jti: 'j',
    })
    expect(claimsOf({aud: ['a', 7, 'b'], iat: '1', exp: Number.POSITIVE_INFINITY, sub: 42})).toEqual({
      sub: null,
      iss: null,
      aud: ['a', 'b'],
      iat: null,
      exp: null,
      jti: null,
    })
    for (const payload of [null, 'text', [1, 2], 3]) expect(claimsOf(payload)).toEqual(claimsOf({}))
  })
})
