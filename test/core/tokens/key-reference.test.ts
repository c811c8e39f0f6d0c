import {generateKeyPairSync} from 'node:crypto'

import fc from 'fast-check'
import {calculateJwkThumbprint, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {
  createHeaderFilter,
  decodeHeader,
  fitsKey,
  keyIdentityOf,
  referenceOf,
  type KeyIdentity,
} from '../../../src/core/tokens/key-reference.js'

async function identityOf(kid: string | null, extra: Partial<KeyIdentity> = {}): Promise<KeyIdentity> {
  const {publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const jwk = publicKey.export({format: 'jwk'}) as JWK
  return {
    kid,
    kids: kid === null ? [] : [kid],
    thumbprint: await calculateJwkThumbprint(jwk),
    x5t: null,
    x5tS256: null,
    kty: 'RSA',
    crv: null,
    publicJwk: jwk,
    ...extra,
  }
}

const encode = (header: unknown): string => Buffer.from(JSON.stringify(header)).toString('base64url')

/** A header's JSON text with every character of the kid written as a \\u escape, and spaces around the members. */
function escapedHeader(alg: string, kid: string): string {
  const escaped = [...kid].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
  return ` { "alg" : "${alg}" ,\n "kid":"${escaped}" } `
}

describe('decodeHeader', () => {
  it('decodes what jose decodes: leading whitespace, a byte order mark, escapes; only JSON objects', () => {
    const b64 = (text: string): string => Buffer.from(text).toString('base64url')
    expect(decodeHeader(b64(' {"alg":"RS256"}'))).toEqual({alg: 'RS256'})
    expect(decodeHeader(b64('\uFEFF{"alg":"RS256"}'))).toEqual({alg: 'RS256'})
    expect(decodeHeader(b64(escapedHeader('RS256', 'k1')))).toEqual({alg: 'RS256', kid: 'k1'})
    expect(decodeHeader(b64('[1]'))).toBeNull()
    expect(decodeHeader(b64('null'))).toBeNull()
    expect(decodeHeader(b64('{"alg":'))).toBeNull()
  })
})

describe('createHeaderFilter', () => {
  it('lets through every header a verifier holding the key would try, however its JSON is written', async () => {
    // Given an RSA key with its own kid, also published under another kid
    const identity = {...(await identityOf('leaked-2024')), kids: ['leaked-2024', 'published-kid']}
    const wanted = createHeaderFilter(identity)
    fc.assert(
      fc.property(
        fc.constantFrom('leaked-2024', 'published-kid'),
        fc.constantFrom('RS256', 'ES256', 'none', 'HS256'),
        (kid, alg) => {
          // When a header names one of its kids, \u-escaped, with whitespace everywhere, whatever the alg
          // Then it is a candidate (a bad alg or signature there is kid-match-bad-signature)
          expect(wanted(Buffer.from(escapedHeader(alg, kid)).toString('base64url'))).toBe(true)
        },
      ),
    )
    // And a header without kid, or with another kid and an alg an RSA key makes, is a candidate too
    expect(wanted(encode({alg: 'RS256'}))).toBe(true)
    expect(wanted(encode({alg: 'ES256'}))).toBe(true)
    expect(wanted(encode({alg: 'PS384', kid: 'rotated-2025'}))).toBe(true)
    expect(wanted(encode({alg: 'RS256', kid: null}))).toBe(true)
    // But another kid with an alg the key cannot make is not, nor what is not a JSON object
    expect(wanted(encode({alg: 'ES256', kid: 'leaked-2024-v2'}))).toBe(false)
    expect(wanted(encode({alg: 'HS256', kid: 'other'}))).toBe(false)
    expect(wanted(encode({kid: 'other'}))).toBe(false)
    expect(wanted(Buffer.from('not json').toString('base64url'))).toBe(false)
  })

  it('decides the same for a header seen again (the decision is remembered, not guessed)', async () => {
    const wanted = createHeaderFilter(await identityOf('leaked-2024'))
    const other = encode({alg: 'EdDSA', kid: 'x'})
    for (let round = 0; round < 3; round++) {
      expect(wanted(encode({alg: 'RS256', kid: 'leaked-2024'}))).toBe(true)
      expect(wanted(other)).toBe(false)
    }
  })
})

describe('referenceOf', () => {
  it('says how a decoded header names the key: by its own kid, a published kid, x5t, x5t#S256 or jwk', async () => {
    const identity = {
      ...(await identityOf('leaked-2024', {x5t: 'x5t-value', x5tS256: 'x5t-s256-value'})),
      kids: ['leaked-2024', 'published-kid'],
    }
    expect(await referenceOf({alg: 'RS256', kid: 'leaked-2024'}, identity)).toBe('kid')
    expect(await referenceOf({alg: 'RS256', kid: 'published-kid'}, identity)).toBe('kid')
    expect(await referenceOf({alg: 'none', kid: 'published-kid'}, identity)).toBe('kid')
    expect(await referenceOf({alg: 'RS256', kid: 'other', x5t: 'x5t-value'}, identity)).toBe('x5t')
    expect(await referenceOf({alg: 'RS256', kid: 'other', 'x5t#S256': 'x5t-s256-value'}, identity)).toBe('x5t#S256')
    expect(await referenceOf({alg: 'RS256', kid: 'other', jwk: identity.publicJwk}, identity)).toBe('jwk')
  })

  it('matches an embedded jwk by its canonical thumbprint, not by its text', async () => {
    // Given the key embedded with a zero-padded modulus (same key, different text)
    const identity = await identityOf(null)
    const n = Buffer.concat([Buffer.alloc(1), Buffer.from(identity.publicJwk?.n as string, 'base64url')]).toString('base64url')
    expect(await referenceOf({alg: 'RS256', kid: 'x', jwk: {...identity.publicJwk, n}}, identity)).toBe('jwk')
    // And another key, or garbage, is not it (with a kid the key is not published under and an alg it cannot make)
    expect(await referenceOf({alg: 'ES256', kid: 'x', jwk: (await identityOf(null)).publicJwk}, identity)).toBeNull()
    expect(await referenceOf({alg: 'ES256', kid: 'x', jwk: {kty: 'RSA', n: 'AQAB'}}, identity)).toBeNull()
  })

  it('takes a header without kid whatever its alg, and another kid when its alg fits the key', async () => {
    // Given a key with a kid
    const identity = await identityOf('leaked-2024')
    // Then a header without a (string) kid is always tried: only the signature tells
    expect(await referenceOf({alg: 'RS256'}, identity)).toBe('algorithm')
    expect(await referenceOf({alg: 'ES256'}, identity)).toBe('algorithm')
    expect(await referenceOf({alg: 'RS256', kid: 7}, identity)).toBe('algorithm')
    // And another kid is tried when the alg fits the key (a verifier given the key ignores the kid)
    expect(await referenceOf({alg: 'PS512', kid: 'rotated'}, identity)).toBe('algorithm')
    expect(await referenceOf({alg: 'ES256', kid: 'rotated'}, identity)).toBeNull()
    expect(await referenceOf({alg: 'none', kid: 'rotated'}, identity)).toBeNull()
  })

  it('counts the kids it is published under besides its own, once each', () => {
    const report = {kid: 'file-kid', thumbprint: 't', x5t: null, x5tS256: null, kty: 'RSA', crv: null, publicJwk: null}
    expect(keyIdentityOf(report as never, ['published', 'file-kid']).kids).toEqual(['file-kid', 'published'])
    expect(keyIdentityOf({...report, kid: null} as never).kids).toEqual([])
  })
})

describe('fitsKey', () => {
  it('knows which algs each key type and curve makes', () => {
    expect(fitsKey('RS256', {kty: 'RSA', crv: null})).toBe(true)
    expect(fitsKey('PS512', {kty: 'RSA', crv: null})).toBe(true)
    expect(fitsKey('ES256', {kty: 'EC', crv: 'P-256'})).toBe(true)
    expect(fitsKey('ES384', {kty: 'EC', crv: 'P-256'})).toBe(false)
    expect(fitsKey('ES256K', {kty: 'EC', crv: 'secp256k1'})).toBe(true)
    expect(fitsKey('EdDSA', {kty: 'OKP', crv: 'Ed25519'})).toBe(true)
    expect(fitsKey('Ed25519', {kty: 'OKP', crv: 'Ed25519'})).toBe(true)
    expect(fitsKey('HS256', {kty: 'oct', crv: null})).toBe(true)
    expect(fitsKey('HS256', {kty: 'RSA', crv: null})).toBe(false)
    expect(fitsKey('none', {kty: 'RSA', crv: null})).toBe(false)
    expect(fitsKey(undefined, {kty: 'RSA', crv: null})).toBe(false)
  })
})
