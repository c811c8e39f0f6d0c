// Shapes shared by the key core: what a parsed key is (internal, may hold private material in
// KeyObjects) and what a key report is (public, printable, never holds private values).
import type {KeyObject} from 'node:crypto'
import type {JWK} from 'jose'

export type KeyFormat = 'jwk' | 'jwks' | 'pem-spki' | 'pem-pkcs8' | 'pem-pkcs1' | 'pem-sec1' | 'x509' | 'jwt'

export type Severity = 'critical' | 'info'

export interface CertificateInfo {
  subject: string
  issuer: string
  serialNumber: string
  validFrom: string
  validTo: string
  expired: boolean
  x5t: string
  x5tS256: string
  sha1Fingerprint: string
  sha256Fingerprint: string
}

export interface Thumbprints {
  sha256: string
  sha384: string
  sha512: string
}

/** Everything jwkr says about one key. Safe to print: holds public material only. */
export interface KeyReport {
  index: number
  format: KeyFormat
  kty: string | null
  kid: string | null
  alg: string | null
  use: string | null
  crv: string | null
  bits: number | null
  private: boolean
  privateMembers: string[]
  thumbprint: string | null
  thumbprints: Thumbprints | null
  thumbprintUri: string | null
  /** RFC 7638 §7: an oct thumbprint is a hash of the secret itself. */
  thumbprintDerivedFromSecret: boolean
  publicJwk: JWK | null
  severity: Severity
  warnings: string[]
  /** True for a JWT: its header names a key, it does not carry one. */
  reference: boolean
  x5t: string | null
  x5tS256: string | null
  certificate: CertificateInfo | null
}

/** A key as read, with the KeyObjects later steps need (signing canaries, generating a twin). */
export interface LoadedKey {
  report: KeyReport
  publicKey: KeyObject | null
  /** The private (asymmetric) or secret (oct) key when the input held one. Never printed. */
  privateKey: KeyObject | null
}

export interface KeySet {
  keys: LoadedKey[]
  /** Warnings about the input as a whole (e.g. a JWKS that contains private members). */
  warnings: string[]
}
