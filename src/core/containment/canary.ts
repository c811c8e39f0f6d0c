// The canary token: a clearly labelled JWT signed with the leaked key, sent to relying parties to
// learn whether they still accept the key (DESIGN.md, Containment). It is a valid credential while
// it lives, so it is registered as a secret before it leaves this module; only its jti is recorded.
import {randomUUID} from 'node:crypto'

import {SignJWT} from 'jose'

import type {KeyReport, LoadedKey} from '../key/types.js'
import type {SecretRegistry} from '../secrets.js'

export const CANARY_SUBJECT = 'jwkr-canary'
export const CANARY_JTI_PREFIX = 'jwkr-canary-'
/** Five minutes: long enough for a slow probe, short enough to be worthless once seen. */
export const CANARY_LIFETIME_SECONDS = 300

/** Whether a canary can be signed with the key, and with which JWS algorithm. */
export type CanarySigner = {possible: true; alg: string} | {possible: false; reason: string}

export interface CanaryClaims {
  /** The `iss` of the trusted issuer, exactly as its tokens carry it. */
  issuer: string
  /** The `aud` the relying party expects. */
  audience: string
}

export interface CanaryOptions {
  secrets: SecretRegistry
  /** Goes into the jti, so a relying party's logs tie the canary to the incident. */
  incident?: string
  now?: Date
  lifetimeSeconds?: number
}

/** A minted canary. `token` is a live credential: send it, never print or record it. */
export interface Canary {
  token: string
  jti: string
  alg: string
  kid: string | null
  issuer: string
  audience: string
  issuedAt: string
  expiresAt: string
}

/** The JWS algorithms jose 6 signs with, by key type (ES256K and Ed448 are not among them). */
const ALGS_BY_KTY: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256', 'ES384', 'ES512'],
  OKP: ['EdDSA', 'Ed25519'],
  oct: ['HS256', 'HS384', 'HS512'],
}

const ALG_BY_CURVE: Record<string, string> = {'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', Ed25519: 'EdDSA'}

/**
 * Says whether a canary can be signed with the key: it needs the private (or secret) key and an
 * algorithm jose signs with. The key's own `alg` wins when it fits; else one follows from kty/crv.
 *
 * @example canarySigner(key) // → {possible: true, alg: 'ES256'}
 */
export function canarySigner(key: LoadedKey): CanarySigner {
  const {report} = key
  if (report.reference) {
    return {
      possible: false,
      reason: 'The key source is a JWT: its header names the key but does not carry it, so no canary token can be signed.',
    }
  }
  if (key.privateKey === null) {
    return {possible: false, reason: 'Only the public key is known: a canary token can only be signed with the private key.'}
  }
  const alg = algorithmFor(report)
  if (alg === null) {
    const what = [report.kty, report.crv].filter((part) => part !== null).join(' ')
    return {
      possible: false,
      reason: `A canary token cannot be signed with a ${what || 'key of unknown type'} key (no JWS algorithm jose supports).`,
    }
  }
  return {possible: true, alg}
}

/**
 * A jti that says "canary" to anyone reading a relying party's logs, unique per token: a relying
 * party that refuses replayed jtis would otherwise reject a second probe and look contained.
 *
 * @example canaryJti('inc-2024-abc') // → 'jwkr-canary-inc-2024-abc-1f0c…'
 */
export function canaryJti(incident?: string): string {
  const id = randomUUID().replace(/-/g, '')
  return `${CANARY_JTI_PREFIX}${incident === undefined || incident === '' ? '' : `${incident}-`}${id}`
}

/**
 * Mints a canary: signed with the leaked key under its kid, `iss`/`aud` of the trusted issuer and
 * service, `sub: "jwkr-canary"`, a canary jti, issued now and expiring in five minutes. The token is
 * registered with the secret registry before it is returned.
 *
 * @throws Error when the key cannot sign (check canarySigner first).
 */
export async function mintCanary(key: LoadedKey, claims: CanaryClaims, options: CanaryOptions): Promise<Canary> {
  const signer = canarySigner(key)
  if (!signer.possible || key.privateKey === null) throw new Error(signer.possible ? 'no private key' : signer.reason)
  const now = options.now ?? new Date()
  const issuedAt = Math.floor(now.getTime() / 1000)
  const expires = issuedAt + (options.lifetimeSeconds ?? CANARY_LIFETIME_SECONDS)
  const jti = canaryJti(options.incident)
  const kid = key.report.kid
  const token = await new SignJWT({})
    .setProtectedHeader({alg: signer.alg, typ: 'JWT', ...(kid === null ? {} : {kid})})
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(CANARY_SUBJECT)
    .setJti(jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expires)
    .sign(key.privateKey)
  options.secrets.add(token)
  return {
    token,
    jti,
    alg: signer.alg,
    kid,
    issuer: claims.issuer,
    audience: claims.audience,
    issuedAt: new Date(issuedAt * 1000).toISOString(),
    expiresAt: new Date(expires * 1000).toISOString(),
  }
}

function algorithmFor(report: KeyReport): string | null {
  const fitting = report.kty === null ? undefined : ALGS_BY_KTY[report.kty]
  if (!fitting) return null
  if (report.alg !== null && fitting.includes(report.alg)) {
    // An EC key's alg must also match its curve; jose refuses ES384 with a P-256 key.
    if (report.kty !== 'EC' || ALG_BY_CURVE[report.crv ?? ''] === report.alg) return report.alg
  }
  switch (report.kty) {
    case 'RSA':
      return 'RS256'
    case 'oct':
      return 'HS256'
    default:
      return ALG_BY_CURVE[report.crv ?? ''] ?? null
  }
}
