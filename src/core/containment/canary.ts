// The canary token: a clearly labelled JWT signed with the leaked key, sent to relying parties to
// learn whether they still accept the key (ARCHITECTURE.md, Containment). It is a valid credential while
// it lives, so it is registered as a secret before it leaves this module (until it expires, with the
// clock skew verifiers allow); only its jti is recorded.
import {randomUUID} from 'node:crypto'

import type {KeyReport, LoadedKey} from '../key/types.js'
import type {SecretRegistry} from '../secrets.js'

export const CANARY_SUBJECT = 'jwkr-canary'
export const CANARY_JTI_PREFIX = 'jwkr-canary-'
/** Five minutes: long enough for a slow probe, short enough to be worthless once seen. */
export const CANARY_LIFETIME_SECONDS = 300
/**
 * How long past its `exp` a verifier may still accept a token: the clock skew verifiers allow
 * (Microsoft.IdentityModel's default ClockSkew is 5 minutes; jose's and jsonwebtoken's clockTolerance
 * is what each service sets). A canary stays a secret until then, and no longer.
 */
export const CANARY_CLOCK_SKEW_SECONDS = 300

/** Whether a canary can be signed with the key, and with which JWS algorithm. */
export type CanarySigner = {possible: true; alg: string} | {possible: false; reason: string}

/**
 * What the canary carries: the token an attacker would send to this service. The header's kid is the
 * kid the issuer publishes the key under (verifiers such as jwks-rsa and get-jwks pick keys by kid and
 * refuse a token without one), and the rest is shaped like the service's real tokens.
 */
export interface CanaryClaims {
  /** The `iss` of the trusted issuer, exactly as its tokens carry it. */
  issuer: string
  /** The `aud` the relying party expects: one string (URLs included) or several. */
  audience: string | string[]
  /** The header kid: as the issuer publishes the key; null for a token without one. */
  kid: string | null
  /** The header `typ` (default "JWT"; RFC 9068 access tokens use "at+jwt"). */
  typ?: string
  /** The JWS alg to sign with, when it fits the key (else one that does). */
  alg?: string
  /** Space-separated scopes (`scope` claim). */
  scope?: string
  /** Scopes as an array (`scp` claim). */
  scp?: string[]
  /** Further claims the service's tokens carry; never the ones that label the canary. */
  claims?: Record<string, unknown>
}

/** Claims jwkr sets itself: they label the canary and bound its life. */
export const RESERVED_CANARY_CLAIMS = ['iss', 'sub', 'aud', 'jti', 'iat', 'exp', 'nbf'] as const

export interface CanaryOptions {
  secrets: SecretRegistry
  /** Goes into the jti, so a relying party's logs tie the canary to the incident. */
  incident?: string
  /** Marks a control token in its jti (`jwkr-canary-control-…`); it stays a canary to triage. */
  control?: boolean
  now?: Date
  lifetimeSeconds?: number
}

/** A minted canary. `token` is a live credential: send it, never print or record it. */
export interface Canary {
  token: string
  jti: string
  alg: string
  kid: string | null
  typ: string
  issuer: string
  audience: string | string[]
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
 * algorithm jose signs with. The preferred alg (the service's tokens', or the one the issuer publishes)
 * wins when it fits, then the key's own `alg`; else one follows from kty/crv.
 *
 * @example canarySigner(key) // → {possible: true, alg: 'ES256'}
 */
export function canarySigner(key: LoadedKey, preferredAlg?: string | null): CanarySigner {
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
  const alg = (preferredAlg && fits(report, preferredAlg) ? preferredAlg : null) ?? algorithmFor(report)
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
export function canaryJti(incident?: string, control = false): string {
  const id = randomUUID().replace(/-/g, '')
  return `${CANARY_JTI_PREFIX}${control ? 'control-' : ''}${incident === undefined || incident === '' ? '' : `${incident}-`}${id}`
}

/**
 * Mints a canary: signed with the key under the kid the issuer publishes it as, `iss`/`aud` of the
 * trusted issuer and service, shaped like the service's tokens (`typ`, scopes, extra claims),
 * `sub: "jwkr-canary"`, a canary jti, issued now and expiring in five minutes. The token is registered
 * with the secret registry before it is returned.
 *
 * @throws Error when the key cannot sign (check canarySigner first).
 */
export async function mintCanary(key: LoadedKey, claims: CanaryClaims, options: CanaryOptions): Promise<Canary> {
  const signer = canarySigner(key, claims.alg)
  if (!signer.possible || key.privateKey === null) throw new Error(signer.possible ? 'no private key' : signer.reason)
  const now = options.now ?? new Date()
  const issuedAt = Math.floor(now.getTime() / 1000)
  const expires = issuedAt + (options.lifetimeSeconds ?? CANARY_LIFETIME_SECONDS)
  const jti = canaryJti(options.incident, options.control === true)
  const typ = claims.typ ?? 'JWT'
  const extra = Object.fromEntries(
    Object.entries(claims.claims ?? {}).filter(([name]) => !(RESERVED_CANARY_CLAIMS as readonly string[]).includes(name)),
  )
  const scopes = {
    ...(claims.scope === undefined ? {} : {scope: claims.scope}),
    ...(claims.scp === undefined ? {} : {scp: claims.scp}),
  }
  // Loaded here: the token scan reads this module's names (CANARY_SUBJECT…) but never signs, and need
  // not load jose's signer (17 of its 72 modules at start, with the verifier: a few ms).
  const {SignJWT} = await import('jose/jwt/sign')
  const token = await new SignJWT({...extra, ...scopes})
    .setProtectedHeader({alg: signer.alg, typ, ...(claims.kid === null ? {} : {kid: claims.kid})})
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(CANARY_SUBJECT)
    .setJti(jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expires)
    .sign(key.privateKey)
  const canary: Canary = {
    token,
    jti,
    alg: signer.alg,
    kid: claims.kid,
    typ,
    issuer: claims.issuer,
    audience: claims.audience,
    issuedAt: new Date(issuedAt * 1000).toISOString(),
    expiresAt: new Date(expires * 1000).toISOString(),
  }
  // Redacted while any verifier could take it; forgotten after, so a long run does not keep every canary.
  options.secrets.add(token, {until: canaryLiveUntil(canary)})
  return canary
}

/**
 * The last moment a verifier may accept the canary (its exp plus the clock skew verifiers allow): until
 * then the token, and anything one bit away from it, is a secret.
 *
 * @example secrets.add(breakSignature(canary.token), {until: canaryLiveUntil(canary)})
 */
export function canaryLiveUntil(canary: Pick<Canary, 'expiresAt'>): Date {
  return new Date(Date.parse(canary.expiresAt) + CANARY_CLOCK_SKEW_SECONDS * 1000)
}

/**
 * The same token with its signature broken (one bit of its first byte flipped): the negative control.
 * A service that accepts it does not check signatures at all.
 *
 * @example breakSignature('h.p.sig') // → 'h.p.<sig with one bit flipped>'
 */
export function breakSignature(token: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.')
  const bytes = Buffer.from(signature, 'base64url')
  if (bytes.length > 0) bytes[0] = (bytes[0] as number) ^ 0x01
  return `${header}.${payload}.${bytes.toString('base64url')}`
}

function fits(report: KeyReport, alg: string): boolean {
  const fitting = report.kty === null ? undefined : ALGS_BY_KTY[report.kty]
  if (!fitting?.includes(alg)) return false
  // An EC key's alg must also match its curve; jose refuses ES384 with a P-256 key.
  return report.kty !== 'EC' || ALG_BY_CURVE[report.crv ?? ''] === alg
}

function algorithmFor(report: KeyReport): string | null {
  if (report.kty === null || !ALGS_BY_KTY[report.kty]) return null
  if (report.alg !== null && fits(report, report.alg)) return report.alg
  switch (report.kty) {
    case 'RSA':
      return 'RS256'
    case 'oct':
      return 'HS256'
    default:
      return ALG_BY_CURVE[report.crv ?? ''] ?? null
  }
}
