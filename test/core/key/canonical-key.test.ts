// Canonicalisation: one key gives one thumbprint, however it was encoded (RFC 7518 §6.3.1.1,
// RFC 7638 §3.2.1 and §7), and a JWK that is not a key is refused with a message that says why.
import {generateKeyPairSync} from 'node:crypto'
import {beforeAll, describe, expect, it} from 'vitest'

import {canonicalizeJwk} from '../../../src/core/key/canonical-key.js'
import {JwkrError} from '../../../src/core/errors.js'
import {loadKeys} from '../../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {RFC7638_RSA, RFC7638_RSA_THUMBPRINT} from './rfc-vectors.js'

async function thumbprintOf(jwk: unknown): Promise<{thumbprint: string | null; warnings: string[]}> {
  const {keys} = await loadKeys(JSON.stringify(jwk), {secrets: new SecretRegistry()})
  return {thumbprint: keys[0]?.report.thumbprint ?? null, warnings: keys[0]?.report.warnings ?? []}
}

function padded(base64url: string): string {
  return Buffer.concat([Buffer.from([0]), Buffer.from(base64url, 'base64url')]).toString('base64url')
}

function thrown(fn: () => unknown): JwkrError {
  try {
    fn()
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected a JwkrError')
}

describe('RFC 7518 §6.3.1.1: a modulus with a leading zero octet', () => {
  it('gives the same thumbprint as the minimal modulus, with a warning', async () => {
    // Given the RFC 7638 key with a zero octet prepended to n
    const jwk = {kty: 'RSA', n: padded(RFC7638_RSA.n), e: 'AQAB'}
    // When it is thumbprinted
    const {thumbprint, warnings} = await thumbprintOf(jwk)
    // Then it is the RFC's thumbprint, and the user is told the encoding was not minimal
    expect(thumbprint).toBe(RFC7638_RSA_THUMBPRINT)
    expect(warnings.join('\n')).toMatch(/"n" is not minimally or canonically encoded/)
  })

  it('also normalises a padded exponent', async () => {
    const {thumbprint, warnings} = await thumbprintOf({kty: 'RSA', n: RFC7638_RSA.n, e: 'AAEAAQ'})
    expect(thumbprint).toBe(RFC7638_RSA_THUMBPRINT)
    expect(warnings.join('\n')).toMatch(/"e" is not minimally/)
  })

  it('is silent about a key that was minimal to begin with', async () => {
    const {warnings} = await thumbprintOf({kty: 'RSA', n: RFC7638_RSA.n, e: 'AQAB'})
    expect(warnings.join('\n')).not.toMatch(/minimally/)
  })

  it('keeps the padded private key readable: same thumbprint as its public half', async () => {
    // Given a generated private RSA JWK whose n was padded by a sloppy library
    const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const jwk = privateKey.export({format: 'jwk'})
    const padJwk = {...jwk, n: padded(jwk.n as string)}
    // Then the padded private form and the minimal public form agree
    const [padThumb, pubThumb] = await Promise.all([thumbprintOf(padJwk), thumbprintOf(publicKey.export({format: 'jwk'}))])
    expect(padThumb.thumbprint).toBe(pubThumb.thumbprint)
  })
})

describe('RFC 7638 §3.2.1: the private and the public form of one key', () => {
  const pairs: Array<[string, () => {privateKey: import('node:crypto').KeyObject; publicKey: import('node:crypto').KeyObject}]> =
    [
      ['RSA', () => generateKeyPairSync('rsa', {modulusLength: 2048})],
      ['EC P-384', () => generateKeyPairSync('ec', {namedCurve: 'secp384r1'})],
      ['OKP Ed25519', () => generateKeyPairSync('ed25519')],
      ['OKP X448', () => generateKeyPairSync('x448')],
    ]

  it.each(pairs)('give the same thumbprint (%s)', async (_name, generate) => {
    const {privateKey, publicKey} = generate()
    const fromPrivate = canonicalizeJwk(privateKey.export({format: 'jwk'}))
    const fromPublic = canonicalizeJwk(publicKey.export({format: 'jwk'}))
    expect(fromPrivate.thumbprintJwk).toEqual(fromPublic.thumbprintJwk)
    expect(fromPrivate.privateMembers.length).toBeGreaterThan(0)
    expect(fromPublic.privateMembers).toEqual([])
  })
})

describe('canonicalizeJwk', () => {
  let rsa: Record<string, unknown>
  beforeAll(() => {
    rsa = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'}) as Record<string, unknown>
  })

  it('keeps only the RFC 7638 required members in the thumbprint JWK (§3.2)', () => {
    const canonical = canonicalizeJwk({...rsa, kid: 'k1', alg: 'RS256', use: 'sig'})
    expect(Object.keys(canonical.thumbprintJwk).sort()).toEqual(['e', 'kty', 'n'])
    expect(canonical).toMatchObject({kty: 'RSA', bits: 2048, crv: null})
  })

  it('names the private members present, in RFC 7518 §6.3.2 order', () => {
    expect(canonicalizeJwk(rsa).privateMembers).toEqual(['d', 'p', 'q', 'dp', 'dq', 'qi'])
    expect(canonicalizeJwk({kty: rsa.kty, n: rsa.n, e: rsa.e, d: rsa.d}).privateMembers).toEqual(['d'])
  })

  it('warns when the private members belong to another key', () => {
    // Given the public members of one key and the private members of another
    const other = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'})
    const mixed = {...other, n: rsa.n, e: rsa.e}
    // Then the thumbprint is of the public members, and the mismatch is said
    const canonical = canonicalizeJwk(mixed)
    expect(canonical.thumbprintJwk).toMatchObject({n: rsa.n})
    expect(canonical.warnings.join('\n')).toMatch(/do not belong to the public key|do not form a usable private key/)
    expect(canonical.privateMembers).toContain('d')
  })

  it('warns when an EC d does not belong to x and y', () => {
    const canonical = canonicalizeJwk({kty: 'EC', ...pickEc(), d: pickEcPrivate()})
    expect(canonical.privateMembers).toEqual(['d'])
    expect(canonical.warnings.join('\n')).toMatch(/do not belong to the public key/)
  })

  it('accepts an EC d that belongs to x and y without a warning', () => {
    const jwk = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'jwk'})
    expect(canonicalizeJwk(jwk).warnings).toEqual([])
  })

  it('treats private members that do not form a key as exposed all the same', () => {
    // Given an RSA JWK that kept d but lost its CRT members, and an EC JWK whose d is not a string
    const partial = canonicalizeJwk({kty: 'RSA', n: rsa.n, e: rsa.e, d: rsa.d, p: 'AQAB'})
    const broken = canonicalizeJwk({kty: 'EC', ...pickEc(), d: 12345})
    // Then both still count as private, and say so
    for (const canonical of [partial, broken]) {
      expect(canonical.privateMembers).toContain('d')
      expect(canonical.privateKey).toBeNull()
      expect(canonical.warnings.join('\n')).toMatch(/treat them as exposed/)
    }
  })

  it('reads an oct key: bits from k, canonical k, no public key (RFC 7518 §6.4)', () => {
    const k = Buffer.alloc(32, 7).toString('base64url')
    const canonical = canonicalizeJwk({kty: 'oct', k})
    expect(canonical).toMatchObject({
      kty: 'oct',
      bits: 256,
      publicKey: null,
      privateMembers: ['k'],
      thumbprintJwk: {kty: 'oct', k},
    })
    expect(canonical.privateKey?.type).toBe('secret')
  })

  it('canonicalises a padded oct k, with a warning', () => {
    const k = Buffer.alloc(16, 1).toString('base64url')
    const canonical = canonicalizeJwk({kty: 'oct', k: `${k}==`})
    expect(canonical.thumbprintJwk).toEqual({kty: 'oct', k})
    expect(canonical.warnings.join('\n')).toMatch(/canonical base64url/)
  })

  it.each([
    ['not an object', 'x', 'ERR_KEY_INVALID', /The JWK is not a JSON object/],
    ['an array', [], 'ERR_KEY_INVALID', /not a JSON object/],
    ['no kty', {n: 'x'}, 'ERR_KEY_INVALID', /has no "kty" member/],
    ['an unknown kty', {kty: 'DSA'}, 'ERR_KEY_UNSUPPORTED', /unknown key type "kty": "DSA"/],
    [
      'an EC key on an unknown curve',
      {kty: 'EC', crv: 'P-192', x: 'AA', y: 'AA'},
      'ERR_KEY_UNSUPPORTED',
      /unknown curve "crv": "P-192"/,
    ],
    ['an EC key without crv', {kty: 'EC', x: 'AA', y: 'AA'}, 'ERR_KEY_UNSUPPORTED', /without a "crv" member/],
    ['an OKP key on an unknown curve', {kty: 'OKP', crv: 'Ed1174', x: 'AA'}, 'ERR_KEY_UNSUPPORTED', /unknown curve/],
    ['an RSA key without n', {kty: 'RSA', e: 'AQAB', d: 'AAAA'}, 'ERR_KEY_INVALID', /an RSA key without the "n" member/],
    ['an EC key without y', {kty: 'EC', crv: 'P-256', x: 'AA'}, 'ERR_KEY_INVALID', /without the "y" member/],
    ['an oct key without k', {kty: 'oct'}, 'ERR_KEY_INVALID', /without the "k" member/],
    ['an oct key whose k is not base64url', {kty: 'oct', k: 'a b c'}, 'ERR_KEY_INVALID', /not base64url/],
    ['an oct key whose k is empty after decoding', {kty: 'oct', k: 'A'}, 'ERR_KEY_INVALID', /holds no key octets/],
    ['an RSA modulus of no octets', {kty: 'RSA', n: 'a', e: 'AQAB'}, 'ERR_KEY_INVALID', /do not decode to a key/],
    [
      'an EC point that is not on the curve',
      {kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA'},
      'ERR_KEY_INVALID',
      /do not decode to a key/,
    ],
  ])('refuses %s with a message and a hint', (_case, input, code, message) => {
    const error = thrown(() => canonicalizeJwk(input))
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
    expect(error.message).toMatch(/^[A-Z]/)
    expect(error.hint).toBeTruthy()
    expect(error.exitCode).toBe(1)
  })

  it('does not quote a kty or crv that is not a name: it may have swallowed a private member', () => {
    // Given a mangled JWK whose crv ran into the d that followed it
    const d = 'Zk3Q9vT2xYw8LmN4pR7sU1aB6cD0eF5g'
    const error = thrown(() => canonicalizeJwk({kty: 'EC', crv: `P-256,d:${d}`, x: 'AA', y: 'AA'}))
    // Then the message describes the value without quoting any of it
    expect(error.message).toBe('The JWK is an EC key on an unknown curve "crv": (a 40-character value, not shown).')
    expect(thrown(() => canonicalizeJwk({kty: 'X'.repeat(500)})).message).toMatch(/\(a 500-character value, not shown\)/)
  })

  function pickEcPrivate(): string {
    return generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'jwk'}).d as string
  }

  function pickEc(): {crv: string; x: string; y: string} {
    const jwk = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).publicKey.export({format: 'jwk'})
    return {crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string}
  }
})
