// X.509 certificates, made with `openssl req -x509` in a temporary directory: jwkr's x5t, x5t#S256,
// subject, issuer and validity are checked against what `openssl x509` says of the same file.
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync, X509Certificate} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadKeys} from '../../../src/core/key/load-keys.js'
import {SecretRegistry} from '../../../src/core/secrets.js'
import type {KeyReport} from '../../../src/core/key/types.js'

interface MadeCertificate {
  certPem: string
  keyPem: string
  certPath: string
}

let dir: string
const made: Record<string, MadeCertificate> = {}

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

function makeCertificate(name: string, keyArgs: string[]): MadeCertificate {
  const certPath = join(dir, `${name}.crt`)
  const keyPath = join(dir, `${name}.key`)
  openssl(
    'req',
    '-x509',
    ...keyArgs,
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/C=NL/O=jwkr tests/CN=${name}.example`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  )
  return {certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), certPath}
}

/** `SHA1 Fingerprint=AB:CD:…` → the base64url of those octets, which is what x5t is. */
function fingerprintAsBase64url(digest: 'sha1' | 'sha256', certPath: string): string {
  const line = openssl('x509', '-in', certPath, '-noout', '-fingerprint', `-${digest}`).trim()
  const hex = line.split('=')[1]?.replace(/:/g, '') ?? ''
  return Buffer.from(hex, 'hex').toString('base64url')
}

function opensslDate(which: 'startdate' | 'enddate', certPath: string): string {
  const line = openssl('x509', '-in', certPath, '-noout', `-${which}`).trim()
  return new Date(line.split('=')[1] ?? '').toISOString()
}

async function reportsOf(text: string, now?: Date): Promise<KeyReport[]> {
  const set = await loadKeys(text, {secrets: new SecretRegistry(), ...(now ? {now} : {})})
  return set.keys.map((k) => k.report)
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwkr-cert-'))
  made.ec = makeCertificate('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'])
  made.rsa = makeCertificate('rsa', ['-newkey', 'rsa:2048'])
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe.each(['ec', 'rsa'])('an X.509 certificate (%s) made by openssl', (name) => {
  it('has x5t and x5t#S256 equal to the SHA-1 and SHA-256 fingerprints openssl prints (RFC 7517 §4.8–4.9)', async () => {
    const cert = made[name] as MadeCertificate
    const [report] = await reportsOf(cert.certPem)
    expect(report?.format).toBe('x509')
    expect(report?.x5t).toBe(fingerprintAsBase64url('sha1', cert.certPath))
    expect(report?.x5tS256).toBe(fingerprintAsBase64url('sha256', cert.certPath))
    expect(report?.certificate?.x5t).toBe(report?.x5t)
  })

  it('has the subject, issuer and validity openssl prints', async () => {
    const cert = made[name] as MadeCertificate
    const [report] = await reportsOf(cert.certPem)
    const subject = openssl('x509', '-in', cert.certPath, '-noout', '-subject', '-nameopt', 'sep_multiline').trim()
    for (const part of ['C=NL', 'O=jwkr tests', `CN=${name}.example`]) {
      expect(subject).toContain(part)
      expect(report?.certificate?.subject).toContain(part)
      expect(report?.certificate?.issuer).toContain(part)
    }
    expect(report?.certificate?.validFrom).toBe(opensslDate('startdate', cert.certPath))
    expect(report?.certificate?.validTo).toBe(opensslDate('enddate', cert.certPath))
    expect(report?.certificate?.expired).toBe(false)
  })

  it('identifies the certified key by the same thumbprint as the key file, and is public only', async () => {
    const cert = made[name] as MadeCertificate
    const [fromCert] = await reportsOf(cert.certPem)
    const [fromKey] = await reportsOf(cert.keyPem)
    expect(fromCert?.thumbprint).toBe(fromKey?.thumbprint)
    expect(fromCert).toMatchObject({private: false, severity: 'info'})
    expect(fromKey).toMatchObject({private: true, severity: 'critical', format: 'pem-pkcs8'})
  })
})

describe('certificates in other places', () => {
  it('reads a bundle of certificate and private key as two reports of one key', async () => {
    const reports = await reportsOf(`${made.ec?.certPem}\n${made.ec?.keyPem}`)
    expect(reports.map((r) => [r.format, r.private])).toEqual([
      ['x509', false],
      ['pem-pkcs8', true],
    ])
    expect(reports[0]?.thumbprint).toBe(reports[1]?.thumbprint)
  })

  it('warns about an expired certificate', async () => {
    const later = new Date(Date.now() + 365 * 24 * 3600 * 1000)
    const [report] = await reportsOf(made.rsa?.certPem as string, later)
    expect(report?.certificate?.expired).toBe(true)
    expect(report?.warnings.join('\n')).toMatch(/The certificate expired on /)
  })

  it('describes the first x5c certificate of a JWK, and checks it holds the same key', async () => {
    // Given the certificate's public key as a JWK, with the certificate in x5c
    const cert = new X509Certificate(made.ec?.certPem as string)
    const jwk = {...cert.publicKey.export({format: 'jwk'}), x5c: [cert.raw.toString('base64')]}
    const [report] = await reportsOf(JSON.stringify(jwk))
    expect(report?.x5t).toBe(fingerprintAsBase64url('sha1', made.ec?.certPath as string))
    expect(report?.certificate?.subject).toContain('CN=ec.example')
    expect(report?.warnings.join('\n')).not.toMatch(/different key/)
    // And with another key in the JWK members, says the certificate holds a different key
    const other = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).publicKey.export({format: 'jwk'})
    const [mismatch] = await reportsOf(JSON.stringify({...other, x5c: jwk.x5c}))
    expect(mismatch?.warnings.join('\n')).toMatch(/The first x5c certificate holds a different key/)
  })

  it('refuses a certificate block that is corrupt', async () => {
    const broken = (made.ec?.certPem as string).replace(/\n[A-Za-z0-9+/]{64}\n/, '\n')
    await expect(loadKeys(broken, {secrets: new SecretRegistry()})).rejects.toMatchObject({code: 'ERR_PEM_INVALID'})
  })
})
