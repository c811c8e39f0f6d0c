// The kind of key that replaces a leaked one: same kty, curve, alg and use; RSA of at least 2048 bits
// and never smaller than the leaked key. jwkr generates keys of this kind itself (generate-key.ts),
// and asks a webhook receiver for one (the `generate` member of its change request).
import {JwkrError} from '../errors.js'
import type {KeyReport} from './types.js'

/** RSA keys are made at least this large (RFC 7518 §3.3), and at least as large as the leaked key. */
export const MIN_RSA_BITS = 2048

/** What a leaked key is, as far as choosing its replacement goes (a KeyReport has all of it). */
export type KeyFamily = Pick<KeyReport, 'kty' | 'crv' | 'alg' | 'use' | 'bits' | 'reference'>

export interface ReplacementKind {
  kty: string
  /** The leaked key's alg, or the usual one for its kind when it named none. */
  alg: string
  crv: string | null
  use: string | null
  /** RSA: the modulus to make, in bits; oct: the leaked secret's length; null for other kinds. */
  minBits: number | null
}

/**
 * The kind of key that replaces `leaked`.
 *
 * @example replacementKindOf({kty: 'RSA', crv: null, alg: null, use: 'sig', bits: 3000, reference: false})
 * // → {kty: 'RSA', alg: 'RS256', crv: null, use: 'sig', minBits: 3072}
 */
export function replacementKindOf(leaked: KeyFamily): ReplacementKind {
  if (leaked.reference || leaked.kty === null) {
    throw new JwkrError('ERR_KEY_INVALID', 'The key source only names a key: jwkr cannot make a replacement of the same kind.', {
      hint: 'Pass the leaked key itself (JWK, PEM or certificate), not a token.',
    })
  }
  const {kty, crv, use, bits} = leaked
  return {
    kty,
    alg: leaked.alg ?? defaultAlg(kty, crv, use, bits),
    crv,
    use,
    minBits: kty === 'RSA' ? rsaBits(bits) : kty === 'oct' ? bits : null,
  }
}

/** The error for a kind of key jwkr cannot make (or have made) a replacement of. */
export function unsupportedKind(what: string, cause?: unknown): JwkrError {
  return new JwkrError('ERR_KEY_UNSUPPORTED', `jwkr cannot generate a replacement for a ${what} key.`, {
    hint: 'Generate the new key with your key management tool, publish it, then remove the leaked key with jwkr key revoke.',
    cause,
  })
}

/** The algorithm a key of this kind is used with when it names none. */
function defaultAlg(kty: string, crv: string | null, use: string | null, bits: number | null): string {
  const encryption = use === 'enc'
  switch (kty) {
    case 'RSA':
      return encryption ? 'RSA-OAEP-256' : 'RS256'
    case 'EC': {
      const signing: Record<string, string> = {'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512'}
      const alg = encryption ? 'ECDH-ES' : signing[crv ?? '']
      if (alg && crv !== 'secp256k1') return alg
      break
    }
    case 'OKP':
      if (crv === 'Ed25519') return 'EdDSA'
      if (crv === 'X25519') return 'ECDH-ES'
      break
    case 'oct':
      return (bits ?? 0) >= 512 ? 'HS512' : (bits ?? 0) >= 384 ? 'HS384' : 'HS256'
  }
  throw unsupportedKind(`${kty}${crv ? ` ${crv}` : ''}`)
}

/** At least 2048 bits and at least the leaked modulus, rounded up to a whole 1024 (2048, 3072, 4096…). */
function rsaBits(leakedBits: number | null): number {
  return Math.max(MIN_RSA_BITS, Math.ceil((leakedBits ?? 0) / 1024) * 1024)
}
