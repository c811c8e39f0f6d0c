// The replacement for a leaked key: a fresh key of the same kind (kty, curve, alg, use), at least as
// strong, named by its own RFC 7638 thumbprint. jose generates it; its private members are
// registered with the run's SecretRegistry the moment they exist, so no output can ever carry them.
import {generateKeySync} from 'node:crypto'

import {calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret, type JWK} from 'jose'

import {JwkrError} from '../errors.js'
import type {SecretRegistry} from '../secrets.js'
import {replacementKindOf, unsupportedKind, type ReplacementKind} from './replacement-kind.js'
import type {LoadedKey} from './types.js'

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
  const kind = replacementKindOf(report)
  if (options.newKid !== undefined && options.newKid.trim() === '') {
    throw new JwkrError('ERR_USAGE', 'The new kid is empty.', {hint: 'Leave --new-kid out to name the key by its thumbprint.'})
  }
  const {kty, alg} = kind
  const privateJwk = await generate(kind)
  options.secrets.addJwk(privateJwk)
  if (privateJwk.kty !== kty || (kind.crv !== null && privateJwk.crv !== kind.crv)) {
    throw new JwkrError(
      'ERR_KEY_INVALID',
      `The leaked key names alg ${alg}, which does not fit its ${kty}${kind.crv ? ` ${kind.crv}` : ''} key.`,
      {hint: 'Fix the "alg" of the leaked key (or of the JWKS entry) so that it fits the key, then run again.'},
    )
  }
  const thumbprint = await calculateJwkThumbprint(privateJwk, 'sha256')
  const kid = options.newKid ?? thumbprint
  const named = {kid, alg, ...(kind.use ? {use: kind.use} : {})}
  return {
    kty,
    alg,
    kid,
    thumbprint,
    publicJwk: kty === 'oct' ? null : {...publicPart(privateJwk), ...named},
    privateJwk: {...privateJwk, ...named},
  }
}

async function generate({kty, crv, alg, minBits}: ReplacementKind): Promise<JWK> {
  try {
    if (kty === 'oct') {
      const hmacBits = /^HS(256|384|512)$/.exec(alg)?.[1]
      // An HMAC secret as long as the leaked one when that was longer than the hash (RFC 7518 §3.2 minimum otherwise).
      if (hmacBits) return await exportJWK(generateKeySync('hmac', {length: Math.max(Number(hmacBits), minBits ?? 0)}))
      return await exportJWK(await generateSecret(alg, {extractable: true}))
    }
    const modulusLength = kty === 'RSA' ? (minBits ?? undefined) : undefined
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
    throw unsupportedKind(`${kty}${crv ? ` ${crv}` : ''} with alg ${alg}`, error)
  }
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
