// `jwkr key inspect` through oclif: the human summary and the --json document a responder relies on.
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {exitCodeOf, run} from '../helpers/run.js'
import {RFC7638_RSA, RFC7638_RSA_THUMBPRINT} from '../core/key/rfc-vectors.js'
import {privateNeedles} from '../core/key/samples.js'

let dir: string
const rsa = generateKeyPairSync('rsa', {modulusLength: 2048})
const rsaJwk = {...rsa.privateKey.export({format: 'jwk'}), kid: 'prod-1', alg: 'RS256', use: 'sig'}
const ec = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-inspect-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

interface JsonKey {
  [member: string]: unknown
  thumbprints: {sha256: string; sha384: string; sha512: string}
}

describe('jwkr key inspect --json', () => {
  it('reports a private RSA JWK as critical with every documented field, and no private value', async () => {
    // Given a leaked private RSA JWK on disk
    const path = file('leaked.json', JSON.stringify(rsaJwk))
    // When it is inspected with --json
    const {stdout, stderr, error, result} = await run(['key', 'inspect', path, '--json'])
    // Then stdout is one JSON document, equal to the command's result
    expect(exitCodeOf(error)).toBe(0)
    const doc = JSON.parse(stdout) as {keys: JsonKey[]; severity: string; warnings: string[]; next: string[]}
    expect(doc).toEqual(result)
    // And the key has every field the issue promises
    const [key] = doc.keys
    expect(key).toMatchObject({
      kty: 'RSA',
      kid: 'prod-1',
      alg: 'RS256',
      use: 'sig',
      crv: null,
      bits: 2048,
      format: 'jwk',
      private: true,
      privateMembers: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
      severity: 'critical',
      thumbprintDerivedFromSecret: false,
      publicJwk: {kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e, kid: 'prod-1', alg: 'RS256', use: 'sig'},
      warnings: [],
    })
    expect(key?.thumbprint).toBe(key?.thumbprints.sha256)
    expect(key?.thumbprintUri).toBe(`urn:ietf:params:oauth:jwk-thumbprint:sha-256:${key?.thumbprints.sha256}`)
    expect(Object.keys(key?.thumbprints ?? {})).toEqual(['sha256', 'sha384', 'sha512'])
    expect(doc.severity).toBe('critical')
    expect(doc.next).toEqual([`Start the response: jwkr respond --key ${path}`])
    // And no private value in any encoding on either stream
    for (const needle of privateNeedles(rsaJwk)) expect(stdout + stderr).not.toContain(needle)
  })

  it('gives the RFC 7638 §3.1 thumbprint for the RFC key given inline', async () => {
    const {stdout, error} = await run(['key', 'inspect', JSON.stringify(RFC7638_RSA), '--json'])
    expect(exitCodeOf(error)).toBe(0)
    expect(JSON.parse(stdout).keys[0]).toMatchObject({thumbprint: RFC7638_RSA_THUMBPRINT, kid: '2011-04-29', severity: 'info'})
  })

  it('reports an X.509 certificate with x5t, x5t#S256, subject, issuer and validity', async () => {
    // Given a self-signed certificate made by openssl
    const keyPath = join(dir, 'cert.key')
    const certPath = join(dir, 'cert.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=idp.example',
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ],
      {stdio: 'ignore'},
    )
    // When it is inspected
    const {stdout, error} = await run(['key', 'inspect', certPath, '--json'])
    // Then the report carries the certificate facts
    expect(exitCodeOf(error)).toBe(0)
    const [key] = JSON.parse(stdout).keys
    expect(key).toMatchObject({format: 'x509', kty: 'EC', crv: 'P-256', private: false, severity: 'info'})
    expect(key.x5t).toMatch(/^[A-Za-z0-9_-]{27}$/)
    expect(key.x5tS256).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key.certificate).toMatchObject({subject: 'CN=idp.example', issuer: 'CN=idp.example', expired: false})
    expect(Date.parse(key.certificate.validTo) - Date.parse(key.certificate.validFrom)).toBe(2 * 24 * 3600 * 1000)
  })

  it('picks one key of a JWKS with --kid, and another with --thumbprint', async () => {
    const jwks = file(
      'jwks.json',
      JSON.stringify({
        keys: [
          {...ec.publicKey.export({format: 'jwk'}), kid: 'a'},
          {...rsaJwk, kid: 'b'},
        ],
      }),
    )
    const all = JSON.parse((await run(['key', 'inspect', jwks, '--json'])).stdout)
    expect(all.keys.map((k: JsonKey) => k.kid)).toEqual(['a', 'b'])
    const byKid = JSON.parse((await run(['key', 'inspect', jwks, '--kid', 'b', '--json'])).stdout)
    expect(byKid.keys.map((k: JsonKey) => k.kid)).toEqual(['b'])
    const byThumbprint = JSON.parse(
      (await run(['key', 'inspect', jwks, '--thumbprint', all.keys[0].thumbprint, '--json'])).stdout,
    )
    expect(byThumbprint.keys.map((k: JsonKey) => k.kid)).toEqual(['a'])
    expect(byThumbprint.severity).toBe('info')
  })
})

describe('jwkr key inspect (human)', () => {
  it('says what the key is, that private material is exposed, the thumbprint and what to do next', async () => {
    const path = file('human.json', JSON.stringify(rsaJwk))
    const {stdout, stderr, error} = await run(['key', 'inspect', path])
    const {keys} = JSON.parse((await run(['key', 'inspect', path, '--json'])).stdout)
    expect(exitCodeOf(error)).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toContain('RSA 2048-bit key')
    expect(stdout).toContain('PRIVATE KEY MATERIAL EXPOSED (d, p, q, dp, dq, qi) — severity critical')
    expect(stdout).toMatch(new RegExp(`thumbprint\\s+${keys[0].thumbprint}`))
    expect(stdout).toContain(`urn:ietf:params:oauth:jwk-thumbprint:sha-256:${keys[0].thumbprint}`)
    expect(stdout).toMatch(/kid\s+prod-1/)
    expect(stdout).toContain(`Next:\n  Start the response: jwkr respond --key ${path}`)
    for (const needle of privateNeedles(rsaJwk)) expect(stdout).not.toContain(needle)
  })

  it('says that a public key is not a leak', async () => {
    const path = file('public.pem', ec.publicKey.export({format: 'pem', type: 'spki'}).toString())
    const {stdout, error} = await run(['key', 'inspect', path])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain('EC P-256 key')
    expect(stdout).toContain('Public key only — severity info')
    expect(stdout).toContain('a public key is not a leak')
    expect(stdout).toContain('No private material here.')
  })

  it('marks a shared secret and its derived thumbprint', async () => {
    const path = file('oct.json', JSON.stringify({kty: 'oct', k: Buffer.alloc(32, 3).toString('base64url'), kid: 'hmac'}))
    const {stdout} = await run(['key', 'inspect', path])
    expect(stdout).toContain('oct 256-bit key')
    expect(stdout).toContain('SHARED SECRET EXPOSED (k) — severity critical')
    expect(stdout).toMatch(/thumbprint\s+\S+ \(derived from the secret\)/)
    expect(stdout).not.toContain(Buffer.alloc(32, 3).toString('base64url'))
  })

  it('numbers the keys of a set and shows the set warning', async () => {
    const jwks = file('leaky-jwks.json', JSON.stringify({keys: [ec.publicKey.export({format: 'jwk'}), rsaJwk]}))
    const {stdout} = await run(['key', 'inspect', jwks])
    expect(stdout).toContain('Key 1: EC P-256 key')
    expect(stdout).toContain('Key 2: RSA 2048-bit key')
    expect(stdout).toMatch(/! This JWKS contains private members in 1 of 2 keys/)
  })

  it('shows a JWT as a reference to a key', async () => {
    const {stdout, error} = await run(['key', 'inspect', 'eyJhbGciOiJSUzI1NiIsImtpZCI6InNpZy0xIn0.e30.c2ln'])
    expect(exitCodeOf(error)).toBe(0)
    expect(stdout).toContain('JWT header')
    expect(stdout).toContain('A reference to a key (no key material)')
    expect(stdout).toMatch(/kid\s+sig-1/)
    expect(stdout).not.toMatch(/thumbprint\s/)
    expect(stdout).toContain('Find the key this token names')
  })
})
