// The replacement key: same kty, curve, alg and use as the leaked key, RSA never under 2048 bits nor
// under the leaked size, kid = its own RFC 7638 thumbprint, a working key pair, and every private
// value registered with the SecretRegistry before the caller sees it.
import {generateKeyPairSync, randomBytes} from 'node:crypto'

import {calculateJwkThumbprint, CompactSign, compactVerify, importJWK, type JWK} from 'jose'
import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../../src/core/errors.js'
import {generateReplacementKey} from '../../../src/core/key/generate-key.js'
import {loadKeys} from '../../../src/core/key/load-keys.js'
import type {LoadedKey} from '../../../src/core/key/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {privateNeedles} from './samples.js'

const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

async function leakedFrom(jwk: Record<string, unknown>): Promise<LoadedKey> {
  const {keys} = await loadKeys(JSON.stringify(jwk), {secrets: new SecretRegistry()})
  const key = keys[0]
  if (!key) throw new Error('no key')
  return key
}

function exported(pair: {privateKey: {export(options: {format: 'jwk'}): unknown}}, extra: Record<string, unknown> = {}) {
  return {...(pair.privateKey.export({format: 'jwk'}) as Record<string, unknown>), ...extra}
}

async function signsAndVerifies(privateJwk: JWK, publicJwk: JWK, alg: string): Promise<boolean> {
  const jws = await new CompactSign(new TextEncoder().encode('canary'))
    .setProtectedHeader({alg})
    .sign(await importJWK(privateJwk, alg))
  const {payload} = await compactVerify(jws, await importJWK(publicJwk, alg))
  return new TextDecoder().decode(payload) === 'canary'
}

describe('generateReplacementKey', () => {
  const cases: Array<{name: string; jwk: () => Record<string, unknown>; kty: string; crv?: string; alg: string; use?: string}> = [
    {
      name: 'RSA RS256 sig',
      jwk: () => exported(generateKeyPairSync('rsa', {modulusLength: 2048}), {alg: 'RS256', use: 'sig'}),
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
    },
    {
      name: 'RSA PS384 without use',
      jwk: () => exported(generateKeyPairSync('rsa', {modulusLength: 2048}), {alg: 'PS384'}),
      kty: 'RSA',
      alg: 'PS384',
    },
    {
      name: 'EC P-256 (alg derived)',
      jwk: () => exported(generateKeyPairSync('ec', {namedCurve: 'prime256v1'}), {use: 'sig'}),
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
    },
    {
      name: 'EC P-384 ES384',
      jwk: () => exported(generateKeyPairSync('ec', {namedCurve: 'secp384r1'}), {alg: 'ES384'}),
      kty: 'EC',
      crv: 'P-384',
      alg: 'ES384',
    },
    {
      name: 'EC P-521 (alg derived)',
      jwk: () => exported(generateKeyPairSync('ec', {namedCurve: 'secp521r1'})),
      kty: 'EC',
      crv: 'P-521',
      alg: 'ES512',
    },
    {
      name: 'OKP Ed25519 (alg derived)',
      jwk: () => exported(generateKeyPairSync('ed25519'), {use: 'sig'}),
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      use: 'sig',
    },
  ]

  for (const sample of cases) {
    it(`makes a working ${sample.name} key of the same kind, named by its RFC 7638 thumbprint`, async () => {
      // Given a leaked key of that kind
      const leakedJwk = sample.jwk()
      const leaked = await leakedFrom(leakedJwk)
      const secrets = new SecretRegistry()
      // When its replacement is generated
      const next = await generateReplacementKey(leaked, {secrets})
      // Then it has the same kty, curve, alg and use
      expect(next.publicJwk).toMatchObject({kty: sample.kty, alg: sample.alg, ...(sample.crv ? {crv: sample.crv} : {})})
      expect(next.publicJwk?.use).toBe(sample.use)
      expect(next.alg).toBe(sample.alg)
      // And its kid is its own RFC 7638 thumbprint, computed independently from the public JWK
      const thumbprint = await calculateJwkThumbprint(next.publicJwk as JWK, 'sha256')
      expect(next.thumbprint).toBe(thumbprint)
      expect(next.kid).toBe(thumbprint)
      expect(thumbprint).not.toBe(leaked.report.thumbprint)
      // And the public JWK holds no private member, while the pair signs and verifies
      expect(Object.keys(next.publicJwk ?? {}).filter((member) => PRIVATE.includes(member))).toEqual([])
      expect(await signsAndVerifies(next.privateJwk, next.publicJwk as JWK, sample.alg)).toBe(true)
      // And every private value was registered before the caller got it
      const needles = privateNeedles(next.privateJwk as Record<string, unknown>)
      expect(needles.length).toBeGreaterThan(0)
      const redacted = secrets.redact(JSON.stringify(next.privateJwk))
      for (const needle of needles) expect(redacted).not.toContain(needle)
    })
  }

  it('never makes an RSA key under 2048 bits, and never smaller than the leaked one', async () => {
    // Given a leaked 1024-bit key (too small) and a leaked 3072-bit key
    const small = await leakedFrom(exported(generateKeyPairSync('rsa', {modulusLength: 1024}), {alg: 'RS256'}))
    const large = await leakedFrom(exported(generateKeyPairSync('rsa', {modulusLength: 3072}), {alg: 'RS512'}))
    const secrets = new SecretRegistry()
    // When each is replaced
    const fromSmall = await generateReplacementKey(small, {secrets})
    const fromLarge = await generateReplacementKey(large, {secrets})
    // Then the modulus is 2048 bits for the first, 3072 for the second
    const bits = (jwk: JWK | null) => Buffer.from(String(jwk?.n), 'base64url').length * 8
    expect(bits(fromSmall.publicJwk)).toBe(2048)
    expect(bits(fromLarge.publicJwk)).toBe(3072)
    expect(fromLarge.alg).toBe('RS512')
  })

  it('keeps X25519 encryption keys for key agreement (ECDH-ES)', async () => {
    // Given a leaked X25519 encryption key
    const leaked = await leakedFrom(exported(generateKeyPairSync('x25519'), {use: 'enc'}))
    // When it is replaced
    const next = await generateReplacementKey(leaked, {secrets: new SecretRegistry()})
    // Then the new key is X25519 for ECDH-ES, still for encryption
    expect(next.publicJwk).toMatchObject({kty: 'OKP', crv: 'X25519', alg: 'ECDH-ES', use: 'enc'})
  })

  it('replaces a shared secret with one at least as long, and has no public half to publish', async () => {
    // Given a leaked 512-bit HS256 secret
    const leakedJwk = {kty: 'oct', k: randomBytes(64).toString('base64url'), alg: 'HS256'}
    const leaked = await leakedFrom(leakedJwk)
    const secrets = new SecretRegistry()
    // When it is replaced
    const next = await generateReplacementKey(leaked, {secrets, newKid: 'hs-2026'})
    // Then the new secret is 512 bits, for HS256, under the given kid, and nothing is publishable
    expect(Buffer.from(String(next.privateJwk.k), 'base64url').length * 8).toBe(512)
    expect(next.privateJwk).toMatchObject({kty: 'oct', alg: 'HS256', kid: 'hs-2026'})
    expect(next.publicJwk).toBeNull()
    expect(next.kid).toBe('hs-2026')
    // And the secret is registered
    expect(secrets.leaks(String(next.privateJwk.k))).toBe(true)
  })

  it('uses --new-kid when given, and refuses an empty one', async () => {
    // Given a leaked EC key
    const leaked = await leakedFrom(exported(generateKeyPairSync('ec', {namedCurve: 'prime256v1'})))
    // When replaced with a chosen kid, Then the kid is that one (the thumbprint stays the key's own)
    const next = await generateReplacementKey(leaked, {secrets: new SecretRegistry(), newKid: 'signing-2026-11'})
    expect(next.publicJwk?.kid).toBe('signing-2026-11')
    expect(next.thumbprint).toBe(await calculateJwkThumbprint(next.publicJwk as JWK))
    // And an empty kid is a usage error
    await expect(generateReplacementKey(leaked, {secrets: new SecretRegistry(), newKid: ' '})).rejects.toMatchObject({
      code: 'ERR_USAGE',
    })
  })

  it('refuses keys jose v6 cannot make (Ed448) with a hint to do it by hand', async () => {
    // Given a leaked Ed448 key
    const leaked = await leakedFrom(exported(generateKeyPairSync('ed448')))
    // When a replacement is asked for, Then it is refused as unsupported, with what to do instead
    const error = await generateReplacementKey(leaked, {secrets: new SecretRegistry()}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(JwkrError)
    expect(error).toMatchObject({code: 'ERR_KEY_UNSUPPORTED'})
    expect((error as JwkrError).hint).toContain('jwkr key revoke')
  })

  it('refuses a leaked key whose alg does not fit its curve, rather than switching curves', async () => {
    // Given a P-384 key that claims ES256
    const leaked = await leakedFrom(exported(generateKeyPairSync('ec', {namedCurve: 'secp384r1'}), {alg: 'ES256'}))
    // When a replacement is asked for, Then it is refused, naming the mismatch
    await expect(generateReplacementKey(leaked, {secrets: new SecretRegistry()})).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
      message: expect.stringContaining('ES256'),
    })
  })
})
