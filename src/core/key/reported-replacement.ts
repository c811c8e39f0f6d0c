// A replacement that someone else generated and reported as a public JWK (a webhook receiver's
// answer). Before jwkr records it as the replacement, it must be public only, of the kind that was
// asked for, and a new key: not the leaked one, and not under the leaked key's kid. Private members
// are registered as secrets before anything else, and no message quotes a member's value.
import {calculateJwkThumbprint, type JWK} from 'jose'

import {JwkrError} from '../errors.js'
import type {SecretRegistry} from '../secrets.js'
import {canonicalizeJwk, privateMemberNames} from './canonical-key.js'
import type {ReplacementKind} from './replacement-kind.js'

export interface ReportedReplacement {
  kid: string
  /** RFC 7638 SHA-256 thumbprint of the canonical public key. */
  thumbprint: string
  alg: string
  /** The canonical public members with kid, alg and use: safe to journal and print. */
  publicJwk: JWK
}

export interface ReportedReplacementExpectation {
  kind: ReplacementKind
  leaked: {thumbprint: string; kid: string | null}
  /** Names the key in messages, e.g. "The key the webhook receiver reported". */
  label: string
  /** What the one who reported the key must do about a wrong answer. */
  fix: string
  secrets: SecretRegistry
}

/**
 * Checks a reported replacement and returns its public facts; throws ERR_JWKS_PRIVATE_MEMBERS when
 * it holds private members, ERR_KEY_INVALID when it is no valid key, ERR_IDP_BAD_RESPONSE when it is
 * not a new key of the kind asked for.
 *
 * @example await checkReportedReplacement(answer.publicJwk, {kind, leaked, label: 'The key the receiver reported', fix, secrets})
 */
export async function checkReportedReplacement(
  raw: unknown,
  expected: ReportedReplacementExpectation,
): Promise<ReportedReplacement> {
  const {kind, leaked, label} = expected
  refusePrivateMembers(raw, expected)
  const canonical = canonicalizeJwk(raw, label.charAt(0).toLowerCase() + label.slice(1))
  const jwk = raw as Record<string, unknown>
  const wrong = (what: string) =>
    new JwkrError('ERR_IDP_BAD_RESPONSE', `${label} ${what}.`, {hint: `${expected.fix} ${kindWords(kind)}.`})
  if (canonical.warnings.length > 0) throw wrong(`is not canonically encoded (${canonical.warnings.join(' ')})`)
  const thumbprint = await calculateJwkThumbprint(canonical.thumbprintJwk, 'sha256')
  if (thumbprint === leaked.thumbprint) throw wrong(`is the leaked key itself (thumbprint ${thumbprint})`)
  if (canonical.kty !== kind.kty || canonical.crv !== kind.crv) {
    throw wrong(`is ${describe(canonical.kty, canonical.crv)} key, and the leaked key is ${describe(kind.kty, kind.crv)} key`)
  }
  if (jwk.alg !== kind.alg) {
    throw wrong(
      typeof jwk.alg === 'string' ? `names alg ${quote(jwk.alg)}, not ${kind.alg}` : `names no alg (${kind.alg} was asked for)`,
    )
  }
  if (jwk.use !== undefined && kind.use !== null && jwk.use !== kind.use) {
    throw wrong(`is for use ${quote(jwk.use)}, and the leaked key for "${kind.use}"`)
  }
  if (kind.kty === 'RSA' && kind.minBits !== null && (canonical.bits ?? 0) < kind.minBits) {
    throw wrong(`has a ${canonical.bits ?? 0}-bit modulus, smaller than the ${kind.minBits} bits asked for`)
  }
  if (typeof jwk.kid !== 'string' || jwk.kid.trim() === '') throw wrong('names no kid')
  if (jwk.kid === leaked.kid) {
    // Verifiers that cache keys by kid (jwks-rsa) would go on using the leaked key for it.
    throw wrong(`reuses the leaked key's kid ${quote(jwk.kid)}`)
  }
  const use = typeof jwk.use === 'string' ? {use: jwk.use} : {}
  return {
    kid: jwk.kid,
    thumbprint,
    alg: kind.alg,
    publicJwk: {...canonical.thumbprintJwk, kid: jwk.kid, alg: kind.alg, ...use},
  }
}

/** Throws ERR_JWKS_PRIVATE_MEMBERS, naming the members (never their values), after registering them. */
export function refusePrivateMembers(raw: unknown, expected: Pick<ReportedReplacementExpectation, 'label' | 'secrets'>): void {
  expected.secrets.addJwk(raw)
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return
  const record = raw as Record<string, unknown>
  const members = privateMemberNames(record)
  if (members.length === 0) return
  throw new JwkrError(
    'ERR_JWKS_PRIVATE_MEMBERS',
    `${expected.label} holds private members (${members.join(', ')}): a private key must never travel, and jwkr records public keys only.`,
    {
      hint:
        'That private key has left its owner: have it discarded (never published or used), then make the sender answer ' +
        'with the public members only and run again.',
      details: {privateMembers: members},
    },
  )
}

function kindWords(kind: ReplacementKind): string {
  const bits = kind.kty === 'RSA' && kind.minBits !== null ? `, at least ${kind.minBits} bits` : ''
  return `The replacement must be a new ${kind.kty}${kind.crv ? ` ${kind.crv}` : ''} key with alg ${kind.alg}${bits}, a kid of its own, and its public members only`
}

/** "an RSA", "an EC P-256", "an OKP Ed25519": every kty is read with a vowel first. */
function describe(kty: string, crv: string | null): string {
  return `an ${crv ? `${kty} ${crv}` : kty}`
}

/** A value from the answer, quoted and cut short (these are public members: kid, alg, use). */
function quote(value: unknown): string {
  const text = JSON.stringify(typeof value === 'string' ? value : String(value))
  return text.length > 60 ? `${text.slice(0, 57)}…"` : text
}
