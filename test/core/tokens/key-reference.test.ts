import {generateKeyPairSync} from 'node:crypto'

import fc from 'fast-check'
import {calculateJwkThumbprint, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {encodedAlignments, headerNeedles, referenceOf, type KeyIdentity} from '../../../src/core/tokens/key-reference.js'

async function identityOf(kid: string | null, extra: Partial<KeyIdentity> = {}): Promise<KeyIdentity> {
  const {publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const jwk = publicKey.export({format: 'jwk'}) as JWK
  return {
    kid,
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

describe('encodedAlignments', () => {
  it('gives the three forms of a kid, each without the characters its neighbours change', () => {
    expect(encodedAlignments('"kid":"k1"')).toEqual(['ImtpZCI6ImsxI', 'JraWQiOiJrMS', 'ia2lkIjoiazEi'])
  })

  it('finds a snippet in the base64url of any text holding it, at any offset', () => {
    fc.assert(
      fc.property(
        fc.string({maxLength: 20}),
        fc.string({maxLength: 20}),
        fc.string({minLength: 1, maxLength: 30}),
        (before, after, kid) => {
          // Given a header with the kid somewhere in it
          const snippet = `"kid":${JSON.stringify(kid)}`
          const encoded = Buffer.from(`${before}${snippet}${after}`).toString('base64url')
          // Then one of the three needles is in its encoding
          expect(encodedAlignments(snippet).some((needle) => encoded.includes(needle))).toBe(true)
        },
      ),
      {numRuns: 500},
    )
  })
})

describe('headerNeedles', () => {
  it('finds real headers naming the key by kid, x5t or embedded jwk, and not headers naming another kid', async () => {
    // Given a key with a kid and an x5t
    const identity = await identityOf('leaked-2024', {x5t: 'hOBcHZi846VCHSJbFAs26Go9VTQ'})
    const needles = headerNeedles(identity)
    const matches = (header: unknown): boolean => needles.some((needle) => encode(header).includes(needle))
    // Then headers naming it pass the pre-filter, in any member order
    expect(matches({alg: 'RS256', kid: 'leaked-2024'})).toBe(true)
    expect(matches({kid: 'leaked-2024', alg: 'RS256', typ: 'JWT'})).toBe(true)
    expect(matches({typ: 'at+jwt', alg: 'PS256', kid: 'leaked-2024'})).toBe(true)
    expect(matches({alg: 'RS256', x5t: 'hOBcHZi846VCHSJbFAs26Go9VTQ'})).toBe(true)
    expect(matches({alg: 'RS256', jwk: identity.publicJwk})).toBe(true)
    // And headers naming other keys do not, even one whose kid starts like it
    expect(matches({alg: 'RS256', kid: 'leaked-2024-v2'})).toBe(false)
    expect(matches({alg: 'RS256', kid: 'other'})).toBe(false)
    expect(matches({alg: 'RS256'})).toBe(false)
  })

  it('is empty for an oct key without a kid (nothing public names it)', () => {
    const identity: KeyIdentity = {kid: null, thumbprint: 'x', x5t: null, x5tS256: null, kty: 'oct', crv: null, publicJwk: null}
    expect(headerNeedles(identity)).toEqual([])
  })
})

describe('referenceOf', () => {
  it('says how a decoded header names the key', async () => {
    const identity = await identityOf('leaked-2024', {x5t: 'x5t-value', x5tS256: 'x5t-s256-value'})
    expect(await referenceOf({alg: 'RS256', kid: 'leaked-2024'}, identity, false)).toBe('kid')
    expect(await referenceOf({alg: 'RS256', x5t: 'x5t-value'}, identity, false)).toBe('x5t')
    expect(await referenceOf({alg: 'RS256', 'x5t#S256': 'x5t-s256-value'}, identity, false)).toBe('x5t#S256')
    expect(await referenceOf({alg: 'RS256', jwk: identity.publicJwk}, identity, false)).toBe('jwk')
  })

  it('matches an embedded jwk by its canonical thumbprint, not by its text', async () => {
    // Given the key embedded with a zero-padded modulus (same key, different text)
    const identity = await identityOf(null)
    const n = Buffer.concat([Buffer.alloc(1), Buffer.from(identity.publicJwk?.n as string, 'base64url')]).toString('base64url')
    expect(await referenceOf({alg: 'RS256', jwk: {...identity.publicJwk, n}}, identity, false)).toBe('jwk')
    // And another key, or garbage, is not it
    expect(await referenceOf({alg: 'RS256', jwk: (await identityOf(null)).publicJwk}, identity, false)).toBeNull()
    expect(await referenceOf({alg: 'RS256', jwk: {kty: 'RSA', n: 'AQAB'}}, identity, false)).toBeNull()
  })

  it('without a kid, takes every header whose alg fits the key, whatever kid it carries', async () => {
    const identity = await identityOf(null)
    expect(await referenceOf({alg: 'RS256'}, identity, true)).toBe('algorithm')
    expect(await referenceOf({alg: 'PS512', kid: 'any'}, identity, true)).toBe('algorithm')
    expect(await referenceOf({alg: 'ES256'}, identity, true)).toBeNull()
    expect(await referenceOf({alg: 'none'}, identity, true)).toBeNull()
    expect(await referenceOf({alg: 'RS256'}, identity, false)).toBeNull()
  })

  it('knows which algs fit EC and OKP keys', async () => {
    const base = {kid: null, thumbprint: null, x5t: null, x5tS256: null, publicJwk: null}
    expect(await referenceOf({alg: 'ES256'}, {...base, kty: 'EC', crv: 'P-256'}, true)).toBe('algorithm')
    expect(await referenceOf({alg: 'ES384'}, {...base, kty: 'EC', crv: 'P-256'}, true)).toBeNull()
    expect(await referenceOf({alg: 'EdDSA'}, {...base, kty: 'OKP', crv: 'Ed25519'}, true)).toBe('algorithm')
    expect(await referenceOf({alg: 'HS256'}, {...base, kty: 'oct', crv: null}, true)).toBe('algorithm')
  })
})
