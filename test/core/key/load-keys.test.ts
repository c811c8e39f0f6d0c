// loadKeys: every key type in every form it is found in, JWKS selection, JWT references, severities
// and warnings, and the bad inputs a responder pastes at 3 a.m.
import {createPublicKey, generateKeyPairSync} from 'node:crypto'
import {SignJWT, calculateJwkThumbprint, importJWK} from 'jose'
import {beforeAll, describe, expect, it} from 'vitest'

import {JwkrError} from '../../../src/core/errors.js'
import {loadKeys, type LoadKeysOptions} from '../../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import type {KeyReport} from '../../../src/core/key/types.js'
import {generateSamples, hasSecp256k1, pem, privateNeedles, renditionsOf, type KeySample} from './samples.js'

const samples = generateSamples()
const renditions = samples.flatMap(renditionsOf)

async function reports(text: string, options: Partial<LoadKeysOptions> = {}): Promise<KeyReport[]> {
  const set = await loadKeys(text, {secrets: new SecretRegistry(), ...options})
  return set.keys.map((key) => key.report)
}

async function failure(text: string, options: Partial<LoadKeysOptions> = {}): Promise<JwkrError> {
  const secrets = options.secrets ?? new SecretRegistry()
  try {
    await loadKeys(text, {...options, secrets})
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected loadKeys to fail')
}

/** The expected thumbprint of a sample: jose over node's canonical public JWK. */
function expectedThumbprint(sample: KeySample): Promise<string> {
  const jwk = sample.publicJwk ?? sample.privateJwk
  return calculateJwkThumbprint(jwk as never)
}

describe('every key type', () => {
  it('covers RSA, EC P-256/P-384/P-521, OKP Ed25519/Ed448/X25519/X448 and oct (and secp256k1 where Node has it)', () => {
    const names = samples.map((s) => s.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'RSA',
        'EC P-256',
        'EC P-384',
        'EC P-521',
        'OKP Ed25519',
        'OKP Ed448',
        'OKP X25519',
        'OKP X448',
        'oct',
      ]),
    )
    expect(names.includes('EC secp256k1')).toBe(hasSecp256k1)
  })
})

describe('every key type in every form', () => {
  it.each(renditions.map((r) => [r.label, r] as const))('%s', async (_label, rendition) => {
    // Given one key rendered in one of the forms it is found in
    const {sample} = rendition
    // When it is loaded
    const [report, ...rest] = await reports(rendition.text)
    // Then it is one key, of the right type and format, with the canonical thumbprint
    expect(rest).toEqual([])
    expect(report).toMatchObject({
      format: rendition.format,
      kty: sample.kty,
      crv: sample.crv,
      private: rendition.private,
      thumbprint: await expectedThumbprint(sample),
      thumbprintUri: `urn:ietf:params:oauth:jwk-thumbprint:sha-256:${await expectedThumbprint(sample)}`,
      severity: rendition.private ? 'critical' : 'info',
      reference: false,
    })
    expect(report?.thumbprints?.sha384).toBe(
      await calculateJwkThumbprint((sample.publicJwk ?? sample.privateJwk) as never, 'sha384'),
    )
    expect(report?.thumbprints?.sha512).toBe(
      await calculateJwkThumbprint((sample.publicJwk ?? sample.privateJwk) as never, 'sha512'),
    )
    if (sample.kty === 'RSA') expect(report?.bits).toBe(2048)
    if (sample.kty === 'oct') expect(report?.bits).toBe(256)
    if (sample.kty === 'EC' || sample.kty === 'OKP') expect(report?.bits).toBeNull()
    // And the public JWK holds no private member, and no private value anywhere in the report
    expect(JSON.stringify(report)).not.toMatch(/"(d|p|q|dp|dq|qi|k)":/)
    for (const needle of privateNeedles(sample.privateJwk)) expect(JSON.stringify(report)).not.toContain(needle)
  })

  it.each(samples.filter((s) => s.kty !== 'oct').map((s) => [s.name, s] as const))(
    'gives one thumbprint for the private and public forms of %s',
    async (_name, sample) => {
      const thumbprints = new Set<string | null>()
      for (const rendition of renditionsOf(sample))
        for (const report of await reports(rendition.text)) thumbprints.add(report.thumbprint)
      expect([...thumbprints]).toEqual([await expectedThumbprint(sample)])
    },
  )
})

describe('what a private key report says', () => {
  const rsa = samples.find((s) => s.kty === 'RSA') as KeySample
  const ec = samples.find((s) => s.name === 'EC P-256') as KeySample

  it('lists the private member names of an RSA JWK and keeps kid, alg, use', async () => {
    const [report] = await reports(JSON.stringify({...rsa.privateJwk, kid: 'prod-1', alg: 'RS256', use: 'sig'}))
    expect(report).toMatchObject({
      kid: 'prod-1',
      alg: 'RS256',
      use: 'sig',
      private: true,
      privateMembers: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
      severity: 'critical',
      thumbprintDerivedFromSecret: false,
    })
    expect(report?.publicJwk).toEqual({kty: 'RSA', n: rsa.publicJwk?.n, e: 'AQAB', kid: 'prod-1', alg: 'RS256', use: 'sig'})
  })

  it('registers the private members of a decoded PEM, and not its lines (which hold the public modulus)', async () => {
    // Given a PKCS#1 RSA private key, whose base64 lines line up with the base64url of n
    const secrets = new SecretRegistry()
    const set = await loadKeys(pem(rsa.privateKey as never, 'pkcs1'), {secrets})
    // Then d is registered, and the public JWK passes redaction untouched
    expect(secrets.leaks(rsa.privateJwk.d as string)).toBe(true)
    const publicJwk = set.keys[0]?.report.publicJwk
    expect(secrets.redactValue(publicJwk)).toEqual({kty: 'RSA', n: rsa.publicJwk?.n, e: 'AQAB'})
  })

  it('names d for PKCS#8, PKCS#1 and SEC1 private keys too', async () => {
    const [pkcs1] = await reports(pem(rsa.privateKey as never, 'pkcs1'))
    const [sec1] = await reports(pem(ec.privateKey as never, 'sec1'))
    expect(pkcs1?.privateMembers).toEqual(['d', 'p', 'q', 'dp', 'dq', 'qi'])
    expect(sec1?.privateMembers).toEqual(['d'])
    expect(pkcs1?.kid).toBeNull()
  })

  it('says that a public key alone is not a leak (severity info)', async () => {
    const [report] = await reports(JSON.stringify(ec.publicJwk))
    expect(report).toMatchObject({private: false, privateMembers: [], severity: 'info'})
    expect(report?.warnings.join('\n')).toMatch(/public key only: a public key is not a leak/)
  })

  it('marks an oct key: thumbprint derived from the secret, no public JWK, critical (RFC 7638 §7)', async () => {
    const oct = samples.find((s) => s.kty === 'oct') as KeySample
    const [report] = await reports(JSON.stringify({...oct.privateJwk, kid: 'hmac-1', alg: 'HS256'}))
    expect(report).toMatchObject({
      kty: 'oct',
      kid: 'hmac-1',
      alg: 'HS256',
      private: true,
      privateMembers: ['k'],
      thumbprintDerivedFromSecret: true,
      publicJwk: null,
      severity: 'critical',
    })
    expect(report?.warnings.join('\n')).toMatch(/derived from the secret itself \(RFC 7638 §7\)/)
  })
})

describe('JWKS', () => {
  let jwks: {keys: Array<Record<string, unknown>>}
  let thumbprints: string[]
  beforeAll(async () => {
    const picked = samples.filter((s) => ['RSA', 'EC P-256', 'OKP Ed25519'].includes(s.name))
    jwks = {keys: picked.map((s, i) => ({...s.publicJwk, kid: `key-${i}`}))}
    thumbprints = await Promise.all(picked.map(expectedThumbprint))
  })

  it('reads every key, in order, each with its index', async () => {
    const all = await reports(JSON.stringify(jwks))
    expect(all.map((r) => [r.index, r.kid, r.thumbprint, r.format])).toEqual(
      thumbprints.map((t, i) => [i, `key-${i}`, t, 'jwks']),
    )
  })

  it('reads a bare array of JWKs like a JWKS', async () => {
    const all = await reports(JSON.stringify(jwks.keys))
    expect(all.map((r) => r.thumbprint)).toEqual(thumbprints)
  })

  it('picks the key with --kid', async () => {
    const picked = await reports(JSON.stringify(jwks), {kid: 'key-1'})
    expect(picked.map((r) => [r.index, r.kid, r.thumbprint])).toEqual([[0, 'key-1', thumbprints[1]]])
  })

  it('picks the key with --thumbprint', async () => {
    const picked = await reports(JSON.stringify(jwks), {thumbprint: thumbprints[2]})
    expect(picked.map((r) => r.kid)).toEqual(['key-2'])
  })

  it('picks on kid and thumbprint together', async () => {
    const error = await failure(JSON.stringify(jwks), {kid: 'key-1', thumbprint: thumbprints[2]})
    expect(error.code).toBe('ERR_JWKS_NO_MATCH')
  })

  it('says which keys there are when no key matches --kid', async () => {
    const error = await failure(JSON.stringify(jwks), {kid: 'nope'})
    expect(error).toMatchObject({code: 'ERR_JWKS_NO_MATCH', exitCode: 1, message: 'No key matches kid "nope".'})
    expect(error.hint).toContain('3 key(s)')
    for (const [i, t] of thumbprints.entries()) expect(error.hint).toContain(`key-${i} ${t}`)
  })

  it('says when no key matches --thumbprint', async () => {
    const error = await failure(JSON.stringify(jwks), {thumbprint: 'AAAA'})
    expect(error.message).toBe('No key matches thumbprint AAAA.')
  })

  it('is critical, with a set-level warning, when it holds private members', async () => {
    // Given a JWKS where one of three keys was published with its private members
    const rsa = samples.find((s) => s.kty === 'RSA') as KeySample
    const leaky = {keys: [...jwks.keys.slice(1), {...rsa.privateJwk, kid: 'key-0'}]}
    // When it is loaded
    const set = await loadKeys(JSON.stringify(leaky), {secrets: new SecretRegistry()})
    // Then that key is critical, the others info, and the set itself is named as the leak
    expect(set.keys.map((k) => k.report.severity)).toEqual(['info', 'info', 'critical'])
    expect(set.warnings.join('\n')).toMatch(/private members in 1 of 3 keys: .*the set itself is the leak/)
  })

  it('skips a broken key with a warning when others are readable', async () => {
    const set = await loadKeys(JSON.stringify({keys: [{kty: 'RSA', e: 'AQAB'}, ...jwks.keys]}), {secrets: new SecretRegistry()})
    expect(set.keys).toHaveLength(3)
    expect(set.warnings.join('\n')).toMatch(/Skipped one key: Key #0 of the JWKS is an RSA key without the "n" member/)
  })

  it('fails with the first error when no key is readable', async () => {
    const error = await failure(JSON.stringify({keys: [{kty: 'RSA', e: 'AQAB'}, {kty: 'nope'}]}))
    expect(error.message).toBe('Key #0 of the JWKS is an RSA key without the "n" member.')
  })
})

describe('PEM', () => {
  const rsa = samples.find((s) => s.kty === 'RSA') as KeySample
  const ec = samples.find((s) => s.name === 'EC P-384') as KeySample

  it('reads several blocks in one file, and skips EC PARAMETERS', async () => {
    const params = '-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n'
    const text = `${params}${pem(ec.privateKey as never, 'sec1')}\n${pem(rsa.publicKey as never, 'spki')}`
    const all = await reports(text)
    expect(all.map((r) => [r.format, r.kty, r.private])).toEqual([
      ['pem-sec1', 'EC', true],
      ['pem-spki', 'RSA', false],
    ])
  })

  it('refuses an encrypted private key and says how to decrypt it', async () => {
    const encrypted = (rsa.privateKey as import('node:crypto').KeyObject).export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    })
    const error = await failure(String(encrypted))
    expect(error.code).toBe('ERR_KEY_UNSUPPORTED')
    expect(error.hint).toMatch(/openssl pkcs8/)
  })

  it.each([
    ['DSA', () => generateKeyPairSync('dsa', {modulusLength: 2048, divisorLength: 224}).privateKey, /a DSA key/],
    ['RSA-PSS', () => generateKeyPairSync('rsa-pss', {modulusLength: 2048}).publicKey, /an RSA-PSS key/],
    ['brainpool', () => generateKeyPairSync('ec', {namedCurve: 'brainpoolP256r1'}).privateKey, /brainpoolP256r1/],
  ])('refuses a %s key, which has no JWK form, with ERR_KEY_UNSUPPORTED', async (_name, make, message) => {
    const key = make()
    const error = await failure(String(key.export({format: 'pem', type: key.type === 'private' ? 'pkcs8' : 'spki'})))
    expect(error.code).toBe('ERR_KEY_UNSUPPORTED')
    expect(error.message).toMatch(message)
    expect(error.message).toMatch(/no RFC 7638 thumbprint/)
  })

  it('refuses a block it does not read', async () => {
    const error = await failure('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----')
    expect(error.code).toBe('ERR_PEM_INVALID')
    expect(error.message).toMatch(/OPENSSH PRIVATE KEY/)
  })
})

describe('compact JWT', () => {
  it('is a reference only: kid and alg, no thumbprint, no key', async () => {
    // Given a token signed with a key the input does not hold
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
    const token = await new SignJWT({sub: 'u1'}).setProtectedHeader({alg: 'ES256', kid: 'signing-7'}).sign(privateKey)
    // When it is loaded
    const set = await loadKeys(token, {secrets: new SecretRegistry()})
    // Then the report names the key and carries no key material
    expect(set.keys[0]?.report).toMatchObject({
      format: 'jwt',
      reference: true,
      kid: 'signing-7',
      alg: 'ES256',
      kty: null,
      thumbprint: null,
      thumbprints: null,
      publicJwk: null,
      private: false,
      severity: 'info',
    })
    expect(set.keys[0]?.publicKey).toBeNull()
  })

  it('yields a thumbprint when the header embeds a jwk', async () => {
    // Given a token whose header carries the public key (RFC 7515 §4.1.3)
    const {privateKey, publicKey} = generateKeyPairSync('ed25519')
    const jwk = publicKey.export({format: 'jwk'})
    const token = await new SignJWT({})
      .setProtectedHeader({alg: 'EdDSA', kid: 'embedded', jwk: jwk as never})
      .sign(await importJWK(privateKey.export({format: 'jwk'}) as never, 'EdDSA'))
    // When it is loaded
    const [report] = await reports(token)
    // Then it is the embedded key's thumbprint, with the header's kid and alg, and a warning
    expect(report).toMatchObject({format: 'jwt', reference: false, kid: 'embedded', alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519'})
    expect(report?.thumbprint).toBe(await calculateJwkThumbprint(jwk as never))
    expect(report?.warnings.join('\n')).toMatch(/embeds its own key/)
  })

  it('refuses a token whose header does not decode', async () => {
    const error = await failure('eyJub3QganNvbg.eyJ9.sig')
    expect(error).toMatchObject({code: 'ERR_JWT_INVALID', exitCode: 1})
  })
})

describe('bad input', () => {
  const rsa = samples.find((s) => s.kty === 'RSA') as KeySample
  const d = rsa.privateJwk.d as string

  it.each([
    ['empty input', '', 'ERR_INPUT_EMPTY', /The input is empty/],
    ['only whitespace', ' \n\t ', 'ERR_INPUT_EMPTY', /The input is empty/],
    ['text that is no key', 'hello world', 'ERR_INPUT_UNRECOGNISED', /not a JWK, JWKS, PEM/],
    ['a JSON string', '"abc"', 'ERR_INPUT_UNRECOGNISED', /not a JWK/],
    ['a JSON object that is neither JWK nor JWKS', '{"a": 1}', 'ERR_INPUT_UNRECOGNISED', /neither "kty".*nor "keys"/],
    ['unknown kty', '{"kty": "XYZ"}', 'ERR_KEY_UNSUPPORTED', /unknown key type "kty": "XYZ"/],
    ['EC with an unknown curve', '{"kty": "EC", "crv": "P-192", "x": "AA", "y": "AA"}', 'ERR_KEY_UNSUPPORTED', /unknown curve/],
    ['RSA without n', '{"kty": "RSA", "e": "AQAB"}', 'ERR_KEY_INVALID', /RSA key without the "n" member/],
    ['a JWKS with no keys', '{"keys": []}', 'ERR_JWKS_EMPTY', /The JWKS has no keys/],
    ['a JWKS whose keys is not an array', '{"keys": {}}', 'ERR_JWKS_EMPTY', /The JWKS has no keys/],
    ['an empty array', '[]', 'ERR_JWKS_EMPTY', /The JWKS has no keys/],
  ])('%s → %s', async (_case, text, code, message) => {
    const error = await failure(text)
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
    expect(error.hint).toBeTruthy()
    expect(error.exitCode).toBe(1)
  })

  it('reports malformed JSON with line and column and without echoing it', async () => {
    // Given a private JWK with a missing comma on line 3
    const broken = `{\n  "kty": "RSA",\n  "d": "${d}"\n  "n": "x"\n}`
    const secrets = new SecretRegistry()
    // When it is loaded
    const error = await failure(broken, {secrets})
    // Then the error gives the place, and neither the input nor the secret
    expect(error.code).toBe('ERR_JSON_MALFORMED')
    expect(error.message).toBe('The input looks like JSON but is not valid JSON at line 4, column 3.')
    expect(`${error.message} ${error.hint}`).not.toContain(d.slice(0, 8))
    // And the secret in the broken document is registered, so any later output is redacted
    expect(secrets.redact(`x ${d} x`)).toBe('x [REDACTED] x')
  })

  it('gives the end of input as the place of truncated JSON', async () => {
    const error = await failure('{\n  "kty": "oct",\n  "k": "abcd"')
    expect(error.message).toMatch(/at line 3, column 14\.$/)
  })

  it('refuses a truncated PEM (no END line)', async () => {
    const text = pem(rsa.privateKey as never, 'pkcs8')
    const error = await failure(text.slice(0, 400))
    expect(error).toMatchObject({
      code: 'ERR_PEM_INVALID',
      message: 'The PEM block "PRIVATE KEY" is truncated: it has no END line.',
    })
  })

  it('refuses a PEM with lines missing, and registers its lines as secret', async () => {
    // Given a private key PEM with a middle chunk lost
    const lines = pem(rsa.privateKey as never, 'pkcs8')
      .trim()
      .split('\n')
    const cut = [...lines.slice(0, 5), ...lines.slice(12)].join('\n')
    const secrets = new SecretRegistry()
    // When it is loaded
    const error = await failure(cut, {secrets})
    // Then it is refused as corrupt, and a line of it would be redacted
    expect(error).toMatchObject({code: 'ERR_PEM_INVALID'})
    expect(error.message).toMatch(/truncated or corrupt/)
    expect(secrets.leaks(lines[3] as string)).toBe(true)
  })

  it('registers every private value before it can fail', async () => {
    // Given a JWKS whose only key is private but broken (no n)
    const secrets = new SecretRegistry()
    await failure(JSON.stringify({keys: [{kty: 'RSA', e: 'AQAB', d, p: rsa.privateJwk.p}]}), {secrets})
    // Then d and p are registered all the same
    expect(secrets.redact(`${d}|${rsa.privateJwk.p as string}`)).toBe('[REDACTED]|[REDACTED]')
  })
})

describe('X.509 inside a JWK (x5c)', () => {
  it('warns when x5c is not a certificate', async () => {
    const rsa = samples.find((s) => s.kty === 'RSA') as KeySample
    const [report] = await reports(JSON.stringify({...rsa.publicJwk, x5c: ['bm90IGEgY2VydA==']}))
    expect(report?.warnings.join('\n')).toMatch(/"x5c" holds something that is not a DER certificate/)
  })
})

describe('KeyObjects for later steps', () => {
  it('hands over the public and private KeyObjects of a private JWK', async () => {
    const ec = samples.find((s) => s.name === 'EC P-256') as KeySample
    const set = await loadKeys(JSON.stringify(ec.privateJwk), {secrets: new SecretRegistry()})
    const [key] = set.keys
    expect(key?.privateKey?.type).toBe('private')
    expect(createPublicKey(key?.privateKey as never).export({format: 'jwk'})).toEqual(ec.publicJwk)
    expect(key?.publicKey?.export({format: 'jwk'})).toEqual(ec.publicJwk)
  })
})
