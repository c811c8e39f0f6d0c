// Facts about an X.509 certificate that help match a key: x5t / x5t#S256 hash the certificate,
// not the key (RFC 7517 §4.8–4.9), so two certificates for one key differ here and agree on jkt.
import {createHash, type X509Certificate} from 'node:crypto'

import type {CertificateInfo} from './types.js'

export function describeCertificate(cert: X509Certificate, now: Date = new Date()): CertificateInfo {
  const validTo = new Date(cert.validTo)
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    expired: validTo.getTime() < now.getTime(),
    x5t: createHash('sha1').update(cert.raw).digest('base64url'),
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
    sha1Fingerprint: cert.fingerprint,
    sha256Fingerprint: cert.fingerprint256,
  }
}
