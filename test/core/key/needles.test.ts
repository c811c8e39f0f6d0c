// Needles of a leaked key: every one is really found in the key's own text (JWK, PEM, the DER bodies
// inside larger base64 blobs, certificates), public needles hold public material only, and the
// material windows survive line wrapping.
import {calculateJwkThumbprintUri, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {loadKeys} from '../../../src/core/key/load-keys.js'
import {keyNeedles, type Needle, type NeedleKind} from '../../../src/core/key/needles.js'
import type {LoadedKey} from '../../../src/core/key/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {generateSamples, renditionsOf, type KeySample} from './samples.js'

const KID = 'leaked-2024-signing'

/** A self-signed RSA certificate made with `openssl req -x509 -newkey rsa:2048 -subj "/CN=jwkr needles test"`. */
const CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIDGzCCAgOgAwIBAgIUQPgNqIjNBQ8r+agkcChsm3LSII8wDQYJKoZIhvcNAQEL
BQAwHDEaMBgGA1UEAwwRandrciBuZWVkbGVzIHRlc3QwIBcNMjYxMTI5MDU1MjA1
WhgPMjEyNjExMDUwNTUyMDVaMBwxGjAYBgNVBAMMEWp3a3IgbmVlZGxlcyB0ZXN0
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0x6/qS/slQpqHO3uemal
E4cCp6xv/a5Bfv+mfeI67sU53eGTFYqBHMmwvPcsunOaEg2qe+lHqZWCWK11IYOa
k2e/0Qbj+KDkF37dNKkETxUlzXimm2P6Yp/mYdv2Axdghb8X+fWtYrYmtwPYYvoz
RCSImyxVIObrbNoTgJjbywHklsd6N5eW0KtxrhlF62YqRhGwVim2p1ehIsF/DIzK
ePm6HfpwBR0s51S/PiUPiqL3Sg8OLmhW9hkktiTbrfL/zyuKZZ8oIlgn8RS20UqY
OfOx74j0NDnZ3IWV+4M9hx4B4cdqXLTnQymp5++psGfoDK2ou1HjTC7S4z4UnLmG
MwIDAQABo1MwUTAdBgNVHQ4EFgQUUCdswm5lS9USvKBRlpEONxRNMTAwHwYDVR0j
BBgwFoAUUCdswm5lS9USvKBRlpEONxRNMTAwDwYDVR0TAQH/BAUwAwEB/zANBgkq
hkiG9w0BAQsFAAOCAQEAjYvBnlepT4BWp2pmTHtV++MUGgrvyGg0IGGLSB/SrdtL
aC+j9jtnPy3wNmcFpBINUA8ARg3stPLzFAXJI5Pz++GPh5Xa6gseF+19i0T0nwRY
e8BpUsiQnCt1U7qYYi70PXWEeRbJnMDUtMyY0w58AB6g/vfITIgvjGkI/r0SJgI9
DyxLpDmAAZQ148LxzHdVVhseRU8FxsUf78C9VkSa3VwS2N2Y9dlXgbxFsDeYu+kh
h1eQBdMEL5/Eh8BB9aG1/MvFqTWKRyK26+ofNwObJfcChV+JP9cmKjPvvRxUqCzC
nCKGMoeSsAa1thi7+eeYShLEVlsbB9IIdBSZNryDmQ==
-----END CERTIFICATE-----
`
/** `openssl x509 -noout -fingerprint -sha1` and `-sha256` of CERTIFICATE. */
const CERTIFICATE_SHA1 = '4A:E4:17:F5:D7:F0:3D:7E:81:52:0F:E7:47:A8:D1:0F:E9:A3:01:01'
const CERTIFICATE_SHA256 = 'DA:C4:18:08:DC:EC:AD:1A:AD:76:81:F5:D0:CB:4A:C9:17:03:44:AD:30:9E:BE:E6:74:F1:D4:5B:13:98:BA:B7'

const samples = generateSamples()

async function leakedKey(sample: KeySample): Promise<LoadedKey> {
  const {keys} = await loadKeys(JSON.stringify({...sample.privateJwk, kid: KID}), {secrets: new SecretRegistry()})
  return keys[0] as LoadedKey
}

/** The DER forms of a sample, for embedding in larger blobs. */
function derForms(sample: KeySample): {der: Buffer; private: boolean}[] {
  const {privateKey, publicKey} = sample
  if (!privateKey || !publicKey) return []
  const forms = [
    {der: publicKey.export({type: 'spki', format: 'der'}), private: false},
    {der: privateKey.export({type: 'pkcs8', format: 'der'}), private: true},
  ]
  if (sample.kty === 'RSA') {
    forms.push({der: publicKey.export({type: 'pkcs1', format: 'der'}), private: false})
    forms.push({der: privateKey.export({type: 'pkcs1', format: 'der'}), private: true})
  }
  if (sample.kty === 'EC') forms.push({der: privateKey.export({type: 'sec1', format: 'der'}), private: true})
  return forms
}

/** Everything the key is written as, split into texts that hold private material and texts that do not. */
async function textsOf(sample: KeySample): Promise<{publicTexts: string[]; privateTexts: string[]}> {
  const publicTexts: string[] = []
  const privateTexts: string[] = []
  for (const rendition of renditionsOf(sample)) (rendition.private ? privateTexts : publicTexts).push(rendition.text)
  privateTexts.push(JSON.stringify({...sample.privateJwk, kid: KID}))
  // Identifiers, computed here with jose rather than by jwkr: the RFC 9278 URI and the hex digest.
  const thumbprintJwk = sample.kty === 'oct' ? sample.privateJwk : (sample.publicJwk as JWK)
  const uri = await calculateJwkThumbprintUri(thumbprintJwk as JWK)
  const digest = Buffer.from(uri.slice(uri.lastIndexOf(':') + 1), 'base64url')
  publicTexts.push(uri, digest.toString('base64'), digest.toString('hex'), digest.toString('hex').toUpperCase(), `kid: ${KID}`)
  // The JWK members in standard base64, as some configs hold them.
  const standard = (jwk: Record<string, unknown>): string =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(jwk).map(([name, value]) => [
          name,
          typeof value === 'string' && name.length <= 2 ? Buffer.from(value, 'base64url').toString('base64') : value,
        ]),
      ),
    )
  privateTexts.push(standard(sample.privateJwk))
  if (sample.publicJwk) publicTexts.push(standard(sample.publicJwk))
  // The DER bodies unwrapped and inside larger blobs at every byte offset, as in a certificate.
  for (const {der, private: isPrivate} of derForms(sample)) {
    for (let offset = 0; offset < 3; offset++) {
      const blob = Buffer.concat([Buffer.alloc(offset, 0x30), der, Buffer.from([0x05, 0x00])]).toString('base64')
      ;(isPrivate ? privateTexts : publicTexts).push(blob)
    }
  }
  return {publicTexts, privateTexts}
}

const found = (needle: Needle, texts: string[]): boolean => texts.some((text) => text.includes(needle.value))

const EXPECTED_KINDS: Record<KeySample['kty'], NeedleKind[]> = {
  RSA: ['kid', 'thumbprint', 'thumbprint-hex', 'modulus', 'private-member', 'spki', 'pkcs1', 'pkcs8'],
  EC: ['kid', 'thumbprint', 'thumbprint-hex', 'coordinate', 'private-member', 'spki', 'pkcs8', 'sec1'],
  OKP: ['kid', 'thumbprint', 'thumbprint-hex', 'coordinate', 'private-member', 'spki', 'pkcs8'],
  oct: ['kid', 'thumbprint', 'thumbprint-hex', 'secret'],
}

describe.each(samples.map((sample) => [sample.name, sample] as const))('keyNeedles: %s', (_name, sample) => {
  it('gives needles of every kind the key type has, and no other', async () => {
    // Given a leaked private key with a kid
    const key = await leakedKey(sample)
    // When its needles are made
    const kinds = new Set(keyNeedles(key).map((needle) => needle.kind))
    // Then every form it can be written in is covered
    expect([...kinds].sort()).toEqual([...EXPECTED_KINDS[sample.kty]].sort())
  })

  it("finds every needle in the key's own JWK, PEM or DER text", async () => {
    // Given the key and every text it is written as
    const key = await leakedKey(sample)
    const {publicTexts, privateTexts} = await textsOf(sample)
    // When each needle is looked for in them
    const missing = keyNeedles(key).filter((needle) => !found(needle, [...publicTexts, ...privateTexts]))
    // Then none is made up
    expect(missing.map((needle) => needle.description)).toEqual([])
  })

  it('marks as public exactly the needles that public texts hold', async () => {
    // Given the key and the texts that hold no private material
    const key = await leakedKey(sample)
    const {publicTexts} = await textsOf(sample)
    const needles = keyNeedles(key)
    // Then every public needle is found in them (it says nothing private) …
    expect(needles.filter((needle) => needle.public && !found(needle, publicTexts)).map((n) => n.description)).toEqual([])
    // … and no private needle is (it would flag a public key file as a leak)
    expect(needles.filter((needle) => !needle.public && found(needle, publicTexts)).map((n) => n.description)).toEqual([])
    expect(needles.some((needle) => !needle.public)).toBe(true)
  })

  it('finds the key material inside any base64 blob, wrapped at 64 or 76 characters or not at all', async () => {
    // Given each member of the key embedded at every byte offset in a larger blob (as in a certificate)
    const key = await leakedKey(sample)
    const needles = keyNeedles(key)
    const jwk = sample.privateJwk as Record<string, string>
    const members: Array<[string, NeedleKind]> = [
      ['n', 'modulus'],
      ['x', 'coordinate'],
      ['y', 'coordinate'],
      ['d', 'private-member'],
      ['k', 'secret'],
    ]
    for (const [member, kind] of members.filter(([member]) => typeof jwk[member] === 'string')) {
      const value = Buffer.from(jwk[member] as string, 'base64url')
      // (A shared secret has no DER container: it is found where its own base64 starts a group.)
      for (let offset = 0; offset < 6; offset += member === 'k' ? 3 : 1) {
        for (const width of [64, 76, 0]) {
          const blob = Buffer.concat([Buffer.alloc(offset + 6, 0xa5), value, Buffer.alloc(9, 0x5a)]).toString('base64')
          const text = width === 0 ? blob : (blob.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\n')
          // Then a window of that member is found, whatever the offset and the wrapping
          const hit = needles.some((needle) => needle.kind === kind && text.includes(needle.value))
          expect(hit, `${member} at offset ${offset}, wrapped at ${width}`).toBe(true)
        }
      }
    }
  })

  it('describes needles without quoting them', async () => {
    const needles = keyNeedles(await leakedKey(sample))
    for (const needle of needles) expect(needle.description).not.toContain(needle.value)
  })
})

describe('keyNeedles: a key from an X.509 certificate', () => {
  it('gives x5t and x5t#S256 as openssl computes them, in base64url and hex', async () => {
    // Given a certificate
    const {keys} = await loadKeys(CERTIFICATE, {secrets: new SecretRegistry()})
    // When its needles are made
    const needles = keyNeedles(keys[0] as LoadedKey)
    const values = (kind: NeedleKind): string[] => needles.filter((needle) => needle.kind === kind).map((needle) => needle.value)
    // Then x5t is the SHA-1 and x5t#S256 the SHA-256 of the certificate, in every form vendors print
    const sha1 = Buffer.from(CERTIFICATE_SHA1.replace(/:/g, ''), 'hex')
    const sha256 = Buffer.from(CERTIFICATE_SHA256.replace(/:/g, ''), 'hex')
    expect(values('x5t')).toEqual(
      expect.arrayContaining([
        sha1.toString('base64url'),
        sha1.toString('hex'),
        sha1.toString('hex').toUpperCase(),
        CERTIFICATE_SHA1,
      ]),
    )
    expect(values('x5t#S256')).toEqual(expect.arrayContaining([sha256.toString('base64url'), sha256.toString('hex')]))
    expect(needles.every((needle) => needle.public)).toBe(true)
  })

  it('finds the modulus in the certificate PEM itself', async () => {
    // Given the certificate as a PEM file (the key inside at an offset of the certificate's choosing)
    const {keys} = await loadKeys(CERTIFICATE, {secrets: new SecretRegistry()})
    const needles = keyNeedles(keys[0] as LoadedKey)
    // Then a modulus window is a substring of that PEM text
    expect(needles.some((needle) => needle.kind === 'modulus' && CERTIFICATE.includes(needle.value))).toBe(true)
  })
})

describe('keyNeedles: choices', () => {
  it('leaves out a kid shorter than 8 characters', async () => {
    // Given a key with a short kid ("1" is in every codebase)
    const sample = samples.find((s) => s.kty === 'EC') as KeySample
    const {keys} = await loadKeys(JSON.stringify({...sample.publicJwk, kid: 'key-1'}), {secrets: new SecretRegistry()})
    // Then the kid is not a needle
    expect(keyNeedles(keys[0] as LoadedKey).some((needle) => needle.kind === 'kid')).toBe(false)
  })

  it('gives only the kid and x5t of a JWT header, which names a key without carrying it', async () => {
    // Given a JWT whose header names its key
    const header = Buffer.from(
      JSON.stringify({alg: 'RS256', kid: 'signing-2024-06', x5t: 'hOBcHZi846VCHSJbFAs26Go9VTQ'}),
    ).toString('base64url')
    const {keys} = await loadKeys(`${header}.e30.c2ln`, {secrets: new SecretRegistry()})
    // Then the needles are those identifiers
    expect(keyNeedles(keys[0] as LoadedKey).map((needle) => [needle.kind, needle.value])).toEqual([
      ['kid', 'signing-2024-06'],
      ['x5t', 'hOBcHZi846VCHSJbFAs26Go9VTQ'],
    ])
  })

  it('makes windows of the length asked for, and refuses a length base64 cannot align', async () => {
    const key = await leakedKey(samples[0] as KeySample)
    const windows = keyNeedles(key, {windowLength: 32}).filter(
      (needle) => needle.kind === 'modulus' && !needle.description.includes(' as in '),
    )
    expect(new Set(windows.map((needle) => needle.value.length))).toEqual(new Set([32]))
    expect(() => keyNeedles(key, {windowLength: 30})).toThrow(RangeError)
    expect(() => keyNeedles(key, {windowLength: 12})).toThrow(RangeError)
  })

  it('gives each value once', async () => {
    const needles = keyNeedles(await leakedKey(samples[0] as KeySample))
    expect(new Set(needles.map((needle) => needle.value)).size).toBe(needles.length)
  })
})
