// The replacement for a leaked key: a fresh key of the same kind (kty, curve, alg, use), at least as
// strong, named by its own RFC 7638 thumbprint. jose generates it; its private members are
// registered with the run's SecretRegistry the moment they exist, so no output can ever carry them.
import {generateKeySync} from 'node:crypto'

import {calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret, type JWK} from 'jose'

import {JwkrError} from '../errors.js'
import type {SecretRegistry} from '../secrets.js'
import type {LoadedKey} from './types.js'

/** RSA keys are made at least this large (RFC 7518 §3.3), and at least as large as the leaked key. */
export const MIN_RSA_BITS = 2048

export interface ReplacementKey {
  kty: string
  alg: string
  kid: string
  /** RFC 7638 SHA-256 thumbprint of the new key. */
  thumbprint: string
  /** The public JWK to publish (kid, alg and use set); null for a shared secret, which has no public half. */
  publicJwk: JWK | null
  /** The whole key, private members included. Write it only with writePrivateKeyFile; never print it. */
  privateJwk: JWK
}

export interface GenerateReplacementOptions {
  secrets: SecretRegistry
  /** The kid of the new key; default its RFC 7638 thumbprint. */
  newKid?: string
}

/**
 * Generates the key that replaces `leaked`: same kty and curve, same alg (or the usual one for the
 * key when it named none) and use; RSA of at least 2048 bits and never smaller than the leaked key.
 *
 * @example const next = await generateReplacementKey(leaked, {secrets}) // next.kid === next.thumbprint
 */
export async function generateReplacementKey(leaked: LoadedKey, options: GenerateReplacementOptions): Promise<ReplacementKey> {
  const {report} = leaked
  if (report.reference || report.kty === null) {
    throw new JwkrError('ERR_KEY_INVALID', 'The key source only names a key: jwkr cannot make a replacement of the same kind.', {
      hint: 'Pass the leaked key itself (JWK, PEM or certificate), not a token.',
    })
  }
  if (options.newKid !== undefined && options.newKid.trim() === '') {
    throw new JwkrError('ERR_USAGE', 'The new kid is empty.', {hint: 'Leave --new-kid out to name the key by its thumbprint.'})
  }
  const alg = report.alg ?? defaultAlg(report.kty, report.crv, report.use, report.bits)
  const privateJwk = await generate(report.kty, report.crv, alg, report.bits)
  options.secrets.addJwk(privateJwk)
  if (privateJwk.kty !== report.kty || (report.crv !== null && privateJwk.crv !== report.crv)) {
    throw new JwkrError(
      'ERR_KEY_INVALID',
      `The leaked key names alg ${alg}, which does not fit its ${report.kty}${report.crv ? ` ${report.crv}` : ''} key.`,
      {hint: 'Fix the "alg" of the leaked key (or of the JWKS entry) so that it fits the key, then run again.'},
    )
  }
  const thumbprint = await calculateJwkThumbprint(privateJwk, 'sha256')
  const kid = options.newKid ?? thumbprint
  const named = {kid, alg, ...(report.use ? {use: report.use} : {})}
  return {
    kty: report.kty,
    alg,
    kid,
    thumbprint,
    publicJwk: report.kty === 'oct' ? null : {...publicPart(privateJwk), ...named},
    privateJwk: {...privateJwk, ...named},
  }
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
  throw unsupported(`${kty}${crv ? ` ${crv}` : ''}`)
}

async function generate(kty: string, crv: string | null, alg: string, bits: number | null): Promise<JWK> {
  try {
    if (kty === 'oct') {
      const hmacBits = /^HS(256|384|512)$/.exec(alg)?.[1]
      // An HMAC secret as long as the leaked one when that was longer than the hash (RFC 7518 §3.2 minimum otherwise).
      if (hmacBits) return await exportJWK(generateKeySync('hmac', {length: Math.max(Number(hmacBits), bits ?? 0)}))
      return await exportJWK(await generateSecret(alg, {extractable: true}))
    }
    const modulusLength = kty === 'RSA' ? rsaBits(bits) : undefined
    // ES256/384/512 and Ed25519 name their curve; ECDH-ES and EdDSA are told which one.
    const curve = alg.startsWith('ECDH-ES') || alg === 'EdDSA' ? (crv ?? undefined) : undefined
    const pair = await generateKeyPair(alg, {
      extractable: true,
      ...(modulusLength ? {modulusLength} : {}),
      ...(curve ? {crv: curve} : {}),
    })
    return await exportJWK(pair.privateKey)
  } catch (error) {
    if (error instanceof JwkrError) throw error
    throw unsupported(`${kty}${crv ? ` ${crv}` : ''} with alg ${alg}`, error)
  }
}

/** At least 2048 bits and at least the leaked modulus, rounded up to a whole 1024 (2048, 3072, 4096…). */
function rsaBits(leakedBits: number | null): number {
  return Math.max(MIN_RSA_BITS, Math.ceil((leakedBits ?? 0) / 1024) * 1024)
}

function publicPart(jwk: JWK): JWK {
  const members: Record<string, readonly string[]> = {
    RSA: ['kty', 'n', 'e'],
    EC: ['kty', 'crv', 'x', 'y'],
    OKP: ['kty', 'crv', 'x'],
  }
  const record = jwk as Record<string, unknown>
  return Object.fromEntries((members[jwk.kty ?? ''] ?? []).map((name) => [name, record[name]])) as JWK
}

function unsupported(what: string, cause?: unknown): JwkrError {
  return new JwkrError('ERR_KEY_UNSUPPORTED', `jwkr cannot generate a replacement for a ${what} key.`, {
    hint: 'Generate the new key with your key management tool, publish it, then remove the leaked key with jwkr key revoke.',
    cause,
  })
}
