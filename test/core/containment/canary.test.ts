import {createPublicKey, generateKeyPairSync, randomBytes} from 'node:crypto'

import {decodeProtectedHeader, jwtVerify, SignJWT} from 'jose'
import {describe, expect, it} from 'vitest'

import {breakSignature, CANARY_SUBJECT, canaryLiveUntil, canarySigner, mintCanary} from '../../../src/core/containment/canary.js'
import {loadKeys} from '../../../src/core/key/load-keys.js'
import type {LoadedKey} from '../../../src/core/key/types.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import {hasSecp256k1} from '../key/samples.js'

const CLAIMS = {issuer: 'https://auth.example.com', audience: 'billing-api', kid: null}
const VERIFY = {issuer: CLAIMS.issuer, audience: CLAIMS.audience}

async function loadOne(jwk: Record<string, unknown>, secrets = new SecretRegistry()): Promise<LoadedKey> {
  const [key] = (await loadKeys(JSON.stringify(jwk), {secrets})).keys
  if (!key) throw new Error('no key loaded')
  return key
}

function jwkOf(type: 'rsa' | 'ec' | 'ed25519' | 'ed448', namedCurve = 'P-256'): Record<string, unknown> {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', {modulusLength: 2048})
      : type === 'ec'
        ? generateKeyPairSync('ec', {namedCurve})
        : generateKeyPairSync(type as 'ed25519')
  return pair.privateKey.export({format: 'jwk'}) as Record<string, unknown>
}

describe('canarySigner picks the JWS algorithm from the key', () => {
  it.each([
    ['RSA', () => jwkOf('rsa'), 'RS256'],
    ['RSA with alg PS384', () => ({...jwkOf('rsa'), alg: 'PS384'}), 'PS384'],
    ['EC P-256', () => jwkOf('ec', 'P-256'), 'ES256'],
    ['EC P-384', () => jwkOf('ec', 'P-384'), 'ES384'],
    ['EC P-521', () => jwkOf('ec', 'P-521'), 'ES512'],
    ['EC P-256 claiming ES384 (wrong curve)', () => ({...jwkOf('ec', 'P-256'), alg: 'ES384'}), 'ES256'],
    ['OKP Ed25519', () => jwkOf('ed25519'), 'EdDSA'],
    ['oct', () => ({kty: 'oct', k: randomBytes(32).toString('base64url')}), 'HS256'],
    ['oct with alg HS512', () => ({kty: 'oct', k: randomBytes(64).toString('base64url'), alg: 'HS512'}), 'HS512'],
  ])('%s → %s', async (_name, make, alg) => {
    // Given a private key of that type
    const key = await loadOne(make())
    // When a signer is chosen
    const signer = canarySigner(key)
    // Then it is the expected algorithm, and a canary signed with it verifies with the public key
    expect(signer).toEqual({possible: true, alg})
    const canary = await mintCanary(key, CLAIMS, {secrets: new SecretRegistry()})
    const verifyKey = key.report.kty === 'oct' ? key.privateKey : key.publicKey
    await expect(jwtVerify(canary.token, verifyKey as never, {algorithms: [alg]})).resolves.toBeDefined()
  })

  it('says why no canary can be signed with only the public key, a JWT reference, or a curve jose cannot sign with', async () => {
    // Given a public key, a JWT that only names a key, and an Ed448 key
    const publicOnly = await loadOne(
      createPublicKey(generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey).export({format: 'jwk'}),
    )
    const signing = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey
    const jwt = await new SignJWT({}).setProtectedHeader({alg: 'ES256', kid: 'prod-1'}).sign(signing)
    const [reference] = (await loadKeys(jwt, {secrets: new SecretRegistry()})).keys
    const ed448 = await loadOne(jwkOf('ed448'))
    // When asked for a signer / to mint
    // Then each is refused with the reason, and minting throws rather than signing with nothing
    expect(canarySigner(publicOnly)).toEqual({possible: false, reason: expect.stringContaining('Only the public key is known')})
    expect(canarySigner(reference as LoadedKey)).toEqual({possible: false, reason: expect.stringContaining('is a JWT')})
    expect(canarySigner(ed448)).toEqual({possible: false, reason: expect.stringContaining('OKP Ed448')})
    await expect(mintCanary(publicOnly, CLAIMS, {secrets: new SecretRegistry()})).rejects.toThrow(/public key/)
  })

  it.skipIf(!hasSecp256k1)('refuses secp256k1: jose 6 does not sign ES256K', async () => {
    const key = await loadOne(jwkOf('ec', 'secp256k1'))
    expect(canarySigner(key)).toEqual({possible: false, reason: expect.stringContaining('EC secp256k1')})
  })
})

describe('mintCanary', () => {
  it('signs a labelled, short-lived token with the leaked key under the published kid, and registers it as a secret', async () => {
    // Given the leaked EC key (its file has no kid), published by the issuer as kid "prod-2024"
    const now = new Date('2024-05-01T10:00:00Z')
    const secrets = new SecretRegistry({now: () => now.getTime()})
    const key = await loadOne(jwkOf('ec'), secrets)
    // When a canary is minted for the incident with the published kid
    const canary = await mintCanary(key, {...CLAIMS, kid: 'prod-2024'}, {secrets, incident: 'inc-42', now})
    // Then the header names the key, the claims say what it is, and it lives five minutes
    expect(decodeProtectedHeader(canary.token)).toEqual({alg: 'ES256', kid: 'prod-2024', typ: 'JWT'})
    const {payload} = await jwtVerify(canary.token, key.publicKey as never, {currentDate: now, ...VERIFY})
    expect(payload).toMatchObject({iss: CLAIMS.issuer, aud: CLAIMS.audience, sub: CANARY_SUBJECT, iat: now.getTime() / 1000})
    expect(payload.exp).toBe(now.getTime() / 1000 + 300)
    expect(payload.jti).toMatch(/^jwkr-canary-inc-42-[0-9a-f]{32}$/)
    expect(canary).toMatchObject({
      jti: payload.jti,
      kid: 'prod-2024',
      issuedAt: now.toISOString(),
      expiresAt: '2024-05-01T10:05:00.000Z',
    })
    // And the token is a registered secret: any output that carries it is redacted
    expect(secrets.redact(`Authorization: Bearer ${canary.token}`)).toBe('Authorization: Bearer [REDACTED]')
  })

  it('stays a secret while a verifier could still take it (its exp plus 5 minutes of clock skew), then is let go', async () => {
    // Given a canary minted at 10:00 (exp 10:05) on the registry's clock
    let now = Date.parse('2024-05-01T10:00:00Z')
    const secrets = new SecretRegistry({now: () => now})
    const key = await loadOne(jwkOf('ec'), secrets)
    const held = secrets.size
    const canary = await mintCanary(key, CLAIMS, {secrets, now: new Date(now)})
    expect(canaryLiveUntil(canary).toISOString()).toBe('2024-05-01T10:10:00.000Z')
    // Then past its exp, while a verifier allowing 5 minutes of skew would still take it, it is redacted
    now = Date.parse('2024-05-01T10:09:59.999Z')
    expect(secrets.redact(`Bearer ${canary.token}`)).toBe('Bearer [REDACTED]')
    // And after that the registry holds the key's private values again, not the worthless token
    now = Date.parse('2024-05-01T10:10:00Z')
    expect(secrets.size).toBe(held)
  })

  it('gives every canary its own jti, so a relying party that refuses replays cannot fake a rejection', async () => {
    const secrets = new SecretRegistry()
    const key = await loadOne(jwkOf('ec'), secrets)
    const first = await mintCanary(key, CLAIMS, {secrets})
    const second = await mintCanary(key, CLAIMS, {secrets})
    expect(first.jti).toMatch(/^jwkr-canary-[0-9a-f]{32}$/)
    expect(second.jti).not.toBe(first.jti)
    expect(second.token).not.toBe(first.token)
  })

  it("is shaped like the service's tokens: typ, URL audiences, scopes, extra claims, the alg asked for", async () => {
    // Given an RSA key and a service that takes RFC 9068 access tokens with a scope
    const secrets = new SecretRegistry()
    const key = await loadOne(jwkOf('rsa'), secrets)
    // When a canary is minted with that shape, and claims that would unlabel it
    const canary = await mintCanary(
      key,
      {
        issuer: 'https://auth.example.com/',
        audience: ['https://api.example.com/', 'billing'],
        kid: 'k1',
        typ: 'at+jwt',
        alg: 'PS256',
        scope: 'read:billing',
        scp: ['read'],
        claims: {client_id: 'web', sub: 'alice', jti: 'mine'},
      },
      {secrets},
    )
    // Then the header and claims carry the shape, and sub and jti still label the canary
    expect(decodeProtectedHeader(canary.token)).toEqual({alg: 'PS256', kid: 'k1', typ: 'at+jwt'})
    const {payload} = await jwtVerify(canary.token, key.publicKey as never, {
      typ: 'at+jwt',
      audience: 'https://api.example.com/',
      issuer: 'https://auth.example.com/',
    })
    expect(payload).toMatchObject({scope: 'read:billing', scp: ['read'], client_id: 'web', sub: CANARY_SUBJECT})
    expect(payload.jti).toMatch(/^jwkr-canary-/)
  })

  it('falls back to an alg that fits the key when the one asked for does not', async () => {
    const secrets = new SecretRegistry()
    const key = await loadOne(jwkOf('ec'), secrets)
    const canary = await mintCanary(key, {...CLAIMS, alg: 'RS256'}, {secrets})
    expect(canary.alg).toBe('ES256')
  })

  it('marks a control token in its jti, and it stays a canary to triage', async () => {
    const secrets = new SecretRegistry()
    const key = await loadOne(jwkOf('ec'), secrets)
    const control = await mintCanary(key, CLAIMS, {secrets, control: true, incident: 'inc-1'})
    expect(control.jti).toMatch(/^jwkr-canary-control-inc-1-[0-9a-f]{32}$/)
  })
})

describe('breakSignature', () => {
  it('gives a token no key verifies, with header and payload unchanged', async () => {
    // Given a valid canary
    const secrets = new SecretRegistry()
    const key = await loadOne(jwkOf('ed25519'), secrets)
    const canary = await mintCanary(key, CLAIMS, {secrets})
    // When its signature is broken
    const broken = breakSignature(canary.token)
    // Then only the signature differs, and it no longer verifies
    expect(broken.split('.').slice(0, 2)).toEqual(canary.token.split('.').slice(0, 2))
    expect(broken).not.toBe(canary.token)
    await expect(jwtVerify(broken, key.publicKey as never, VERIFY)).rejects.toThrow(/signature/)
  })
})
