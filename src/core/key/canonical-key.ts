// Turns a raw JWK (as found: maybe padded, maybe partial, maybe hostile) into canonical KeyObjects.
// Canonical means round-tripped through node:crypto, so that a zero-padded modulus and the minimal
// one give the same thumbprint (RFC 7518 §6.3.1.1, RFC 7638 §7).
import {createPrivateKey, createPublicKey, createSecretKey, sign, verify, type KeyObject} from 'node:crypto'
import type {JWK} from 'jose'

import {JwkrError} from '../errors.js'
import {PRIVATE_JWK_MEMBERS} from '../secrets.js'

export const SUPPORTED_KTY = ['RSA', 'EC', 'OKP', 'oct'] as const
export const SUPPORTED_CURVES: Record<string, readonly string[]> = {
  EC: ['P-256', 'P-384', 'P-521', 'secp256k1'],
  OKP: ['Ed25519', 'Ed448', 'X25519', 'X448'],
}

/** Members that make up the public key, per kty (the RFC 7638 §3.2 required members). */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'n'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
  oct: ['k'],
}

/** Private members per kty, in RFC order (RFC 7518 §6.3.2, §6.2.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'],
  EC: ['d'],
  OKP: ['d'],
  oct: ['k'],
}

export interface CanonicalKey {
  kty: string
  crv: string | null
  bits: number | null
  /** The canonical public JWK (required members only), or the canonical `{kty, k}` for oct. */
  thumbprintJwk: JWK
  publicKey: KeyObject | null
  privateKey: KeyObject | null
  privateMembers: string[]
  warnings: string[]
}

/**
 * Validates and canonicalises a raw JWK. Throws a JwkrError that never quotes member values.
 *
 * @example canonicalizeJwk({kty: 'EC', crv: 'P-256', x: '…', y: '…'}).thumbprintJwk
 */
export function canonicalizeJwk(raw: unknown, label = 'the JWK'): CanonicalKey {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new JwkrError('ERR_KEY_INVALID', `${capitalize(label)} is not a JSON object.`, {
      hint: 'A JWK is an object with at least a "kty" member.',
    })
  }
  const jwk = raw as Record<string, unknown>
  const kty = jwk.kty
  if (typeof kty !== 'string' || kty === '') {
    throw new JwkrError('ERR_KEY_INVALID', `${capitalize(label)} has no "kty" member.`, {
      hint: `Every JWK names its key type in "kty": one of ${SUPPORTED_KTY.join(', ')}.`,
    })
  }
  if (!(SUPPORTED_KTY as readonly string[]).includes(kty)) {
    throw new JwkrError('ERR_KEY_UNSUPPORTED', `${capitalize(label)} has an unknown key type "kty": ${quoteShort(kty)}.`, {
      hint: `jwkr reads the key types ${SUPPORTED_KTY.join(', ')} (RFC 7518, RFC 8037).`,
    })
  }
  const curves = SUPPORTED_CURVES[kty]
  if (curves) {
    const crv = jwk.crv
    if (typeof crv !== 'string' || !curves.includes(crv)) {
      throw new JwkrError(
        'ERR_KEY_UNSUPPORTED',
        typeof crv === 'string'
          ? `${capitalize(label)} is an ${kty} key on an unknown curve "crv": ${quoteShort(crv)}.`
          : `${capitalize(label)} is an ${kty} key without a "crv" member.`,
        {hint: `Supported ${kty} curves: ${curves.join(', ')}.`},
      )
    }
  }
  for (const member of PUBLIC_MEMBERS[kty] ?? []) {
    if (typeof jwk[member] !== 'string' || jwk[member] === '') {
      throw new JwkrError('ERR_KEY_INVALID', `${capitalize(label)} is an ${kty} key without the "${member}" member.`, {
        hint: `An ${kty} JWK needs ${(PUBLIC_MEMBERS[kty] ?? []).map((m) => `"${m}"`).join(', ')} (RFC 7518 §6).`,
      })
    }
  }
  const privateMembers = (PRIVATE_MEMBERS[kty] ?? []).filter((member) => jwk[member] !== undefined)
  return kty === 'oct' ? canonicalOct(jwk, label) : canonicalAsymmetric(jwk, kty, privateMembers, label)
}

function canonicalOct(jwk: Record<string, unknown>, label: string): CanonicalKey {
  const k = jwk.k as string
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(k)) {
    throw new JwkrError('ERR_KEY_INVALID', `${capitalize(label)} is an oct key whose "k" is not base64url.`, {
      hint: 'RFC 7518 §6.4.1: "k" is the base64url encoding of the key octets.',
    })
  }
  const octets = Buffer.from(k, 'base64url')
  if (octets.length === 0) {
    throw new JwkrError('ERR_KEY_INVALID', `${capitalize(label)} is an oct key whose "k" holds no key octets.`, {
      hint: 'RFC 7518 §6.4.1: "k" is the base64url encoding of the key octets; check that the key was copied whole.',
    })
  }
  const secret = createSecretKey(octets)
  const exported = secret.export({format: 'jwk'}) as JWK
  const warnings: string[] = []
  if (exported.k !== k) warnings.push('"k" is not in canonical base64url form; the thumbprint uses the canonical form.')
  return {
    kty: 'oct',
    crv: null,
    bits: (secret.symmetricKeySize ?? 0) * 8,
    thumbprintJwk: {kty: 'oct', k: exported.k},
    publicKey: null,
    privateKey: secret,
    privateMembers: ['k'],
    warnings,
  }
}

function canonicalAsymmetric(jwk: Record<string, unknown>, kty: string, privateMembers: string[], label: string): CanonicalKey {
  const publicInput: Record<string, unknown> = {kty}
  for (const member of PUBLIC_MEMBERS[kty] ?? []) publicInput[member] = jwk[member]
  let publicKey: KeyObject | undefined
  try {
    publicKey = createPublicKey({key: publicInput as JsonWebKeyInput, format: 'jwk'})
  } catch {
    publicKey = undefined
  }
  // node:crypto takes an RSA "n" or "e" that decodes to no octets at all (e.g. "a") and exports it
  // as "": that is no key either.
  const exported = publicKey && exportJwk(publicKey)
  if (!publicKey || !exported || (PUBLIC_MEMBERS[kty] ?? []).some((m) => !exported[m as keyof JWK])) {
    throw new JwkrError(
      'ERR_KEY_INVALID',
      `${capitalize(label)} is not a valid ${kty} public key: its members do not decode to a key.`,
      {
        hint: describeExpectedEncoding(kty),
      },
    )
  }
  const warnings: string[] = []
  let privateKey: KeyObject | null = null
  if (privateMembers.length > 0) {
    const privateInput: Record<string, unknown> = {...publicInput}
    for (const member of privateMembers) privateInput[member] = jwk[member]
    try {
      privateKey = createPrivateKey({key: privateInput as JsonWebKeyInput, format: 'jwk'})
      if (!formPair(privateKey, publicKey)) {
        warnings.push(
          'The private members do not belong to the public key in the same JWK; the thumbprint is of the public members.',
        )
      }
    } catch {
      warnings.push(
        `Private members (${privateMembers.join(', ')}) are present but do not form a usable private key; treat them as exposed all the same.`,
      )
    }
  }
  const canonical = exported
  for (const member of PUBLIC_MEMBERS[kty] ?? []) {
    if (canonical[member as keyof JWK] !== jwk[member]) {
      warnings.push(
        `"${member}" is not minimally or canonically encoded (e.g. a leading zero octet); the thumbprint uses the canonical form.`,
      )
    }
  }
  const details = publicKey.asymmetricKeyDetails
  return {
    kty,
    crv: typeof canonical.crv === 'string' ? canonical.crv : null,
    bits: kty === 'RSA' ? (details?.modulusLength ?? null) : null,
    thumbprintJwk: pick(canonical, PUBLIC_MEMBERS[kty] ?? [], kty),
    publicKey,
    privateKey,
    privateMembers,
    warnings,
  }
}

/**
 * Whether a private key belongs to a public key. node:crypto builds RSA and EC private keys from
 * whatever members it is given without checking them against n / x,y, so a JWK that mixes two keys
 * is caught by signing with one half and verifying with the other. X25519/X448 cannot sign; their
 * public key is derived from d, so comparing it is enough.
 */
function formPair(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const type = publicKey.asymmetricKeyType
  if (type === 'x25519' || type === 'x448') {
    return (createPublicKey(privateKey).export({format: 'jwk'}) as JWK).x === (publicKey.export({format: 'jwk'}) as JWK).x
  }
  const digest = type === 'rsa' || type === 'ec' ? 'sha256' : null
  const message = Buffer.from('jwkr: do these two halves make one key?')
  return verify(digest, message, publicKey, sign(digest, message, privateKey))
}

/** Builds the canonical parts of a KeyObject read from PEM or DER (no raw JWK to compare with). */
export function canonicalizeKeyObject(key: KeyObject): CanonicalKey {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  // node:crypto refuses to express DSA, DH, RSA-PSS and non-JOSE curves (brainpool…) as a JWK.
  const exported = exportJwk(publicKey)
  const kty = exported?.kty ?? 'unknown'
  if (
    !exported ||
    !(SUPPORTED_KTY as readonly string[]).includes(kty) ||
    (SUPPORTED_CURVES[kty] && !SUPPORTED_CURVES[kty]?.includes(exported.crv ?? ''))
  ) {
    const curve = publicKey.asymmetricKeyDetails?.namedCurve
    throw new JwkrError(
      'ERR_KEY_UNSUPPORTED',
      `The PEM holds ${describeKeyType(publicKey.asymmetricKeyType, curve)}, which has no JWK form, so it has no RFC 7638 thumbprint.`,
      {
        hint: `jwkr reads RSA, EC (${SUPPORTED_CURVES.EC?.join(', ')}) and OKP (${SUPPORTED_CURVES.OKP?.join(', ')}) keys.`,
      },
    )
  }
  const privateJwk = key.type === 'private' ? (exportJwk(key) ?? {}) : {}
  const privateMembers = (PRIVATE_MEMBERS[kty] ?? []).filter((m) => privateJwk[m as keyof JWK] !== undefined)
  return {
    kty,
    crv: typeof exported.crv === 'string' ? exported.crv : null,
    bits: kty === 'RSA' ? (publicKey.asymmetricKeyDetails?.modulusLength ?? null) : null,
    thumbprintJwk: pick(exported, PUBLIC_MEMBERS[kty] ?? [], kty),
    publicKey,
    privateKey: key.type === 'private' ? key : null,
    privateMembers,
    warnings: [],
  }
}

/**
 * The members that decide a raw JWK's canonical public key and its thumbprint: `kty` and the RFC 7638
 * §3.2 required members (`crv` among them where the kty has one), in a fixed order, values as given.
 * Null when the value is not an object with a supported kty. `canonicalizeJwk` of this part reaches the
 * same thumbprint, or throws the same error, as of the whole JWK, without reading its private members.
 *
 * @example identityMembers({kty: 'RSA', n: '…', e: 'AQAB', d: '…', kid: 'a'}) // → {kty: 'RSA', e: 'AQAB', n: '…'}
 */
export function identityMembers(raw: unknown): Record<string, unknown> | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null
  const jwk = raw as Record<string, unknown>
  const kty = jwk.kty
  // Checked against the list first: a kty such as "constructor" must not reach an Object.prototype member.
  const members = typeof kty === 'string' && (SUPPORTED_KTY as readonly string[]).includes(kty) ? PUBLIC_MEMBERS[kty] : undefined
  if (!members) return null
  const identity: Record<string, unknown> = {kty}
  for (const member of members) identity[member] = jwk[member]
  return identity
}

/** Names of private members present in a raw JWK-like object, whatever its kty. */
export function privateMemberNames(raw: Record<string, unknown>): string[] {
  return PRIVATE_JWK_MEMBERS.filter((m) => raw[m] !== undefined && !(m === 'k' && raw.kty !== 'oct'))
}

type JsonWebKeyInput = import('node:crypto').JsonWebKey

/** The JWK form of a KeyObject, or undefined for keys that have none (DSA, DH, RSA-PSS, brainpool…). */
export function exportJwk(key: KeyObject): JWK | undefined {
  try {
    return key.export({format: 'jwk'}) as JWK
  } catch {
    return undefined
  }
}

function describeKeyType(type: string | undefined, curve: string | undefined): string {
  if (type === undefined) return 'a key of an unknown type'
  const name = type.toUpperCase()
  // Acronyms are read letter by letter: "an RSA-PSS key", "a DSA key".
  const article = /^[AEFHILMNORSX]/.test(name) ? 'an' : 'a'
  return `${article} ${name} key${curve ? ` on the curve ${curve}` : ''}`
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function pick(jwk: JWK, members: readonly string[], kty: string): JWK {
  const out: Record<string, unknown> = {kty}
  for (const m of members) out[m] = jwk[m as keyof JWK]
  return out as JWK
}

function describeExpectedEncoding(kty: string): string {
  switch (kty) {
    case 'RSA':
      return '"n" and "e" must be base64url-encoded big-endian integers (RFC 7518 §6.3.1).'
    case 'EC':
      return '"x" and "y" must be base64url-encoded coordinates of full length for the curve (RFC 7518 §6.2.1).'
    default:
      return '"x" must be the base64url-encoded public key for the curve (RFC 8037 §2).'
  }
}

/**
 * Quotes a kty or crv for a message only when it looks like a name (every real one is under 16
 * characters). Anything else is described, not quoted: in a mangled JWK a "crv" may have swallowed
 * the private member that followed it.
 */
function quoteShort(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/.test(value)
    ? JSON.stringify(value)
    : `(a ${value.length}-character value, not shown)`
}
