// One run's thumbprints of served keys: the same key is worked out once, and keys that share some of
// their members (the same x with another y or curve, the same e with another n) never share a thumbprint.
import {generateKeyPairSync, type JsonWebKey} from 'node:crypto'

import {calculateJwkThumbprint, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../../src/core/errors.js'
import {thumbprintOf} from '../../../src/core/key/thumbprint.js'
import {ThumbprintCache} from '../../../src/core/key/thumbprint-cache.js'
import {RFC7638_RSA, RFC7638_RSA_THUMBPRINT, RFC8037_ED25519, RFC8037_ED25519_THUMBPRINT} from './rfc-vectors.js'

/** The P-256 field prime: (x, p − y) is the point opposite (x, y), a valid key with the same x. */
const P256_PRIME = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n

function publicJwk(type: 'ec' | 'rsa' | 'ed25519' | 'x25519'): JsonWebKey {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', {namedCurve: 'P-256'})
      : type === 'rsa'
        ? generateKeyPairSync('rsa', {modulusLength: 2048})
        : type === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('x25519')
  return pair.publicKey.export({format: 'jwk'})
}

function opposite(jwk: JsonWebKey): JsonWebKey {
  const y = BigInt(`0x${Buffer.from(jwk.y ?? '', 'base64url').toString('hex')}`)
  const negated = Buffer.from((P256_PRIME - y).toString(16).padStart(64, '0'), 'hex').toString('base64url')
  return {...jwk, y: negated}
}

/** jose's thumbprint of the key as given: the reference every answer is checked against. */
async function reference(jwk: JsonWebKey): Promise<string> {
  return calculateJwkThumbprint(jwk as JWK, 'sha256')
}

describe('thumbprintOf', () => {
  it("gives the RFCs' own thumbprints (RFC 7638 §3.1, RFC 8037 §A.3)", () => {
    // Given the RFCs' example keys, required members only
    // When thumbprinted at once with node:crypto
    // Then the thumbprints are the RFCs'
    expect(thumbprintOf({kty: 'RSA', e: RFC7638_RSA.e, n: RFC7638_RSA.n})).toBe(RFC7638_RSA_THUMBPRINT)
    expect(thumbprintOf({kty: 'OKP', crv: 'Ed25519', x: RFC8037_ED25519.x})).toBe(RFC8037_ED25519_THUMBPRINT)
  })

  it("agrees with jose's whatever order the members come in", async () => {
    // Given an EC and an oct key, their members in an order other than RFC 7638's
    const ec = publicJwk('ec')
    const ecJwk = {y: ec.y, x: ec.x, kty: 'EC', crv: ec.crv} as JWK
    const octJwk = {kty: 'oct', k: 'GawgguFyGrWKav7AX4VKUg'} as JWK
    // Then the thumbprints are jose's
    expect(thumbprintOf(ecJwk)).toBe(await calculateJwkThumbprint(ecJwk, 'sha256'))
    expect(thumbprintOf(octJwk)).toBe(await calculateJwkThumbprint(octJwk, 'sha256'))
  })
})

describe('ThumbprintCache', () => {
  it('gives keys that share some members their own thumbprints', async () => {
    // Given pairs of valid keys that differ in one member only: the opposite P-256 point (same x,
    // another y), the same OKP x on another curve, and an RSA key with the same e and another n
    const ec = publicJwk('ec')
    const ed = publicJwk('ed25519')
    const rsa = [publicJwk('rsa'), publicJwk('rsa')]
    const keys = [ec, opposite(ec), ed, {...ed, crv: 'X25519'}, rsa[0], {...rsa[1], e: rsa[0]?.e}] as JsonWebKey[]
    const cache = new ThumbprintCache()
    // When each is thumbprinted through one cache, one after another
    const thumbprints = keys.map((key, index) => cache.thumbprintOf(key, `key #${index}`))
    // Then each has its own thumbprint, the one jose gives it alone
    expect(thumbprints).toEqual(await Promise.all(keys.map(reference)))
    expect(new Set(thumbprints).size).toBe(keys.length)
    expect(cache.size).toBe(keys.length)
  })

  it('works a key out once, whatever its kid, alg, use or private members', async () => {
    // Given one key served under several kids, with and without private members
    const pair = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    const publicKey = pair.publicKey.export({format: 'jwk'})
    const served = [
      {...publicKey, kid: 'a'},
      {...publicKey, kid: 'b', alg: 'ES256', use: 'sig'},
      {...pair.privateKey.export({format: 'jwk'}), kid: 'c'},
    ]
    const cache = new ThumbprintCache()
    // When each is thumbprinted
    const thumbprints = served.map((key, index) => cache.thumbprintOf(key, `key #${index}`))
    // Then all three are the key's thumbprint, worked out once
    expect(thumbprints).toEqual(Array(3).fill(await reference(publicKey)))
    expect(cache.size).toBe(1)
  })

  it('refuses what is not a key, names the entry, and remembers nothing of it', () => {
    // Given an EC point that is not on its curve, read twice under two labels, and a key with no kty
    const ec = publicJwk('ec')
    const broken = {...ec, y: Buffer.alloc(32, 1).toString('base64url')}
    const cache = new ThumbprintCache()
    // Then each read fails with the entry's own label, and nothing is cached
    for (const label of ['key #3', 'key #7']) {
      expect(() => cache.thumbprintOf(broken, label)).toThrow(JwkrError)
      expect(() => cache.thumbprintOf(broken, label)).toThrow(
        new RegExp(`^${label.replace('k', 'K')} is not a valid EC public key`),
      )
    }
    expect(() => cache.thumbprintOf({x: ec.x}, 'key #0')).toThrow(/Key #0 has no "kty" member/)
    expect(() => cache.thumbprintOf({...ec, crv: 'P-384'}, 'key #1')).toThrow(JwkrError)
    expect(cache.size).toBe(0)
  })

  it('gives a padded modulus the canonical thumbprint (RFC 7638 §7)', async () => {
    // Given an RSA key, and the same key with a zero octet before its modulus
    const rsa = publicJwk('rsa')
    const padded = {...rsa, n: Buffer.concat([Buffer.alloc(1), Buffer.from(rsa.n ?? '', 'base64url')]).toString('base64url')}
    const cache = new ThumbprintCache()
    // Then both have the canonical key's thumbprint
    expect([cache.thumbprintOf(rsa, 'key #0'), cache.thumbprintOf(padded, 'key #1')]).toEqual(Array(2).fill(await reference(rsa)))
  })
})
