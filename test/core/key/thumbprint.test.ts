// RFC 7638 thumbprints and RFC 9278 URIs, proved with the RFCs' own vectors.
import {calculateJwkThumbprint, calculateJwkThumbprintUri, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {thumbprintsOf, thumbprintUri, type ThumbprintHash} from '../../../src/core/key/thumbprint.js'
import {loadKeys} from '../../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {generateSamples} from './samples.js'
import {RFC7638_RSA, RFC7638_RSA_THUMBPRINT, RFC8037_ED25519, RFC8037_ED25519_THUMBPRINT} from './rfc-vectors.js'

const HASHES: ThumbprintHash[] = ['sha256', 'sha384', 'sha512']

describe('RFC 7638 §3.1: the example RSA key', () => {
  it('has the thumbprint the RFC gives', async () => {
    // Given the RFC's RSA public key (with its optional alg and kid)
    // When jwkr reads it
    const {keys} = await loadKeys(JSON.stringify(RFC7638_RSA), {secrets: new SecretRegistry()})
    // Then the SHA-256 thumbprint is the RFC's, whatever the optional members (§3.2.2)
    expect(keys[0]?.report.thumbprint).toBe(RFC7638_RSA_THUMBPRINT)
    expect(keys[0]?.report.thumbprints?.sha256).toBe(RFC7638_RSA_THUMBPRINT)
  })

  it('is computed from the required members only (§3.2)', async () => {
    // Given the required members alone
    const thumbprints = await thumbprintsOf({kty: 'RSA', n: RFC7638_RSA.n, e: RFC7638_RSA.e})
    // Then the thumbprint is the same
    expect(thumbprints.sha256).toBe(RFC7638_RSA_THUMBPRINT)
  })
})

describe('RFC 8037 §A.3: the Ed25519 thumbprint', () => {
  it('is the one the RFC gives, for the public key (A.2)', async () => {
    const {keys} = await loadKeys(JSON.stringify({kty: 'OKP', crv: 'Ed25519', x: RFC8037_ED25519.x}), {
      secrets: new SecretRegistry(),
    })
    expect(keys[0]?.report.thumbprint).toBe(RFC8037_ED25519_THUMBPRINT)
  })

  it('is the same for the private key (A.1): RFC 7638 §3.2.1', async () => {
    const {keys} = await loadKeys(JSON.stringify(RFC8037_ED25519), {secrets: new SecretRegistry()})
    expect(keys[0]?.report).toMatchObject({thumbprint: RFC8037_ED25519_THUMBPRINT, private: true, privateMembers: ['d']})
  })
})

describe('RFC 9278 §5: the thumbprint URI', () => {
  it('is the example URI of the RFC', () => {
    expect(thumbprintUri('sha256', RFC7638_RSA_THUMBPRINT)).toBe(
      'urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    )
  })

  it('names sha-384 and sha-512 as the IANA Named Information registry does (§4)', () => {
    expect(thumbprintUri('sha384', 'abc')).toBe('urn:ietf:params:oauth:jwk-thumbprint:sha-384:abc')
    expect(thumbprintUri('sha512', 'abc')).toBe('urn:ietf:params:oauth:jwk-thumbprint:sha-512:abc')
  })

  it.each(HASHES)("equals jose's calculateJwkThumbprintUri for %s", async (hash) => {
    // Given the RFC key and each digest
    const thumbprints = await thumbprintsOf({kty: 'RSA', n: RFC7638_RSA.n, e: RFC7638_RSA.e})
    // Then our URI is exactly jose's
    expect(thumbprintUri(hash, thumbprints[hash])).toBe(await calculateJwkThumbprintUri(RFC7638_RSA, hash))
  })

  it('is reported for every key beside the thumbprint', async () => {
    const {keys} = await loadKeys(JSON.stringify(RFC8037_ED25519), {secrets: new SecretRegistry()})
    expect(keys[0]?.report.thumbprintUri).toBe(`urn:ietf:params:oauth:jwk-thumbprint:sha-256:${RFC8037_ED25519_THUMBPRINT}`)
  })
})

describe('RFC 7638 §3.4: the three digests', () => {
  it('differ, and each has the length of its hash in base64url', async () => {
    const thumbprints = await thumbprintsOf({kty: 'RSA', n: RFC7638_RSA.n, e: RFC7638_RSA.e})
    expect(new Set(Object.values(thumbprints)).size).toBe(3)
    expect(thumbprints.sha256).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(thumbprints.sha384).toMatch(/^[A-Za-z0-9_-]{64}$/)
    expect(thumbprints.sha512).toMatch(/^[A-Za-z0-9_-]{86}$/)
  })
})

describe('every kty and curve jwkr reads (hashed with node:crypto, not jose)', () => {
  const samples = generateSamples()

  it.each(samples.map((sample) => [sample.name, sample] as const))(
    "gives jose's calculateJwkThumbprint for %s, in all three digests",
    async (_name, sample) => {
      // Given the key as loadKeys reads it (its thumbprint JWK holds the required members only)
      const {keys} = await loadKeys(JSON.stringify(sample.privateJwk), {secrets: new SecretRegistry()})
      // When jwkr and jose each compute the thumbprints from the key as exported, private members and all
      const ours = keys[0]?.report.thumbprints
      const jwk = sample.privateJwk as JWK
      // Then they are jose's, byte for byte
      expect(ours).toEqual({
        sha256: await calculateJwkThumbprint(jwk, 'sha256'),
        sha384: await calculateJwkThumbprint(jwk, 'sha384'),
        sha512: await calculateJwkThumbprint(jwk, 'sha512'),
      })
    },
  )

  it('ignores members beyond the required ones, as jose does (§3.2)', async () => {
    const withExtras = {...RFC7638_RSA, kid: 'other', use: 'sig', x5c: ['MIIB']} as JWK
    expect((await thumbprintsOf(withExtras)).sha256).toBe(RFC7638_RSA_THUMBPRINT)
  })

  it('refuses a kty it has no required members for, and a required member that is not a string', async () => {
    await expect(thumbprintsOf({kty: 'AKP', alg: 'ML-DSA-44', pub: 'AAAA'} as JWK)).rejects.toThrow(
      'No RFC 7638 thumbprint for kty "AKP"',
    )
    await expect(thumbprintsOf({kty: 'EC', crv: 'P-256', x: 'AAAA'})).rejects.toThrow('The EC key has no "y" member')
  })
})
