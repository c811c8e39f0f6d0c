// Test keys of every type jwkr reads, generated at test time with node:crypto, each rendered in every
// form it can be found in (JWK, JWKS, PEM SPKI / PKCS#8 / PKCS#1 / SEC1), plus the private values as
// the needles that must never appear in any output (as given, in base64, and in hex).
import {generateKeyPairSync, getCurves, randomBytes, type KeyObject} from 'node:crypto'

import type {KeyFormat} from '../../../src/core/key/types.js'

export interface KeySample {
  /** e.g. "RSA", "EC P-256", "OKP Ed448", "oct" */
  name: string
  kty: 'RSA' | 'EC' | 'OKP' | 'oct'
  crv: string | null
  /** The private (or secret) JWK, as node:crypto exports it. */
  privateJwk: Record<string, unknown>
  /** The public JWK (null for oct). */
  publicJwk: Record<string, unknown> | null
  privateKey: KeyObject | null
  publicKey: KeyObject | null
}

export interface Rendition {
  /** What the test calls it, e.g. "EC P-256 as pem-sec1 (private)". */
  label: string
  format: KeyFormat
  text: string
  private: boolean
  sample: KeySample
}

/** Whether this Node can make secp256k1 keys (it can on every OpenSSL 3 build we know of). */
export const hasSecp256k1 = getCurves().includes('secp256k1')

const EC_CURVES: Array<[crv: string, openssl: string]> = [
  ['P-256', 'prime256v1'],
  ['P-384', 'secp384r1'],
  ['P-521', 'secp521r1'],
  ...(hasSecp256k1 ? ([['secp256k1', 'secp256k1']] as Array<[string, string]>) : []),
]

const OKP_CURVES = ['Ed25519', 'Ed448', 'X25519', 'X448'] as const

/** One freshly generated key of every kty and curve. */
export function generateSamples(): KeySample[] {
  const samples: KeySample[] = [asymmetric('RSA', 'RSA', null, generateKeyPairSync('rsa', {modulusLength: 2048}))]
  for (const [crv, namedCurve] of EC_CURVES) {
    samples.push(asymmetric(`EC ${crv}`, 'EC', crv, generateKeyPairSync('ec', {namedCurve})))
  }
  for (const crv of OKP_CURVES) {
    const pair = generateKeyPairSync(crv.toLowerCase() as 'ed25519')
    samples.push(asymmetric(`OKP ${crv}`, 'OKP', crv, pair))
  }
  samples.push({
    name: 'oct',
    kty: 'oct',
    crv: null,
    privateJwk: {kty: 'oct', k: randomBytes(32).toString('base64url')},
    publicJwk: null,
    privateKey: null,
    publicKey: null,
  })
  return samples
}

function asymmetric(
  name: string,
  kty: KeySample['kty'],
  crv: string | null,
  pair: {privateKey: KeyObject; publicKey: KeyObject},
): KeySample {
  return {
    name,
    kty,
    crv,
    privateJwk: pair.privateKey.export({format: 'jwk'}) as Record<string, unknown>,
    publicJwk: pair.publicKey.export({format: 'jwk'}) as Record<string, unknown>,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  }
}

/** Every form a sample can be found in. */
export function renditionsOf(sample: KeySample): Rendition[] {
  const out: Rendition[] = []
  const add = (format: KeyFormat, text: string, isPrivate: boolean): void => {
    out.push({
      label: `${sample.name} as ${format} (${isPrivate ? 'private' : 'public'})`,
      format,
      text,
      private: isPrivate,
      sample,
    })
  }
  add('jwk', JSON.stringify({...sample.privateJwk, kid: `${sample.name}-kid`}), true)
  add('jwks', JSON.stringify({keys: [{...sample.privateJwk, kid: `${sample.name}-kid`}]}), true)
  if (sample.publicJwk) {
    add('jwk', JSON.stringify(sample.publicJwk), false)
    add('jwks', JSON.stringify({keys: [sample.publicJwk]}), false)
  }
  const {privateKey, publicKey} = sample
  if (privateKey && publicKey) {
    add('pem-pkcs8', pem(privateKey, 'pkcs8'), true)
    add('pem-spki', pem(publicKey, 'spki'), false)
    if (sample.kty === 'RSA') {
      add('pem-pkcs1', pem(privateKey, 'pkcs1'), true)
      add('pem-pkcs1', pem(publicKey, 'pkcs1'), false)
    }
    if (sample.kty === 'EC') add('pem-sec1', pem(privateKey, 'sec1'), true)
  }
  return out
}

export function pem(key: KeyObject, type: 'pkcs8' | 'spki' | 'pkcs1' | 'sec1'): string {
  return key.export({format: 'pem', type: type as 'pkcs8'}).toString()
}

/** Private member values of a JWK (d, p, q, dp, dq, qi, k) in the encodings a leak might take. */
export function privateNeedles(jwk: Record<string, unknown>): string[] {
  const needles: string[] = []
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
    const value = jwk[member]
    if (typeof value !== 'string') continue
    const bytes = Buffer.from(value, 'base64url')
    needles.push(value, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('hex'), bytes.toString('hex').toUpperCase())
  }
  return needles
}

/** The needles that show in `text`, for a readable failure message. */
export function leakedNeedles(text: string, needles: string[]): string[] {
  return needles.filter((needle) => text.includes(needle))
}
