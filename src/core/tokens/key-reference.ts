// Whether a token's header points at the leaked key, decided twice: cheaply on the still-encoded
// header (does it contain the base64url of `"kid":"<kid>"`, in any of its three alignments?), then
// for real on the decoded header (kid, embedded jwk by RFC 7638 thumbprint, x5t / x5t#S256).
import {calculateJwkThumbprint} from 'jose/jwk/thumbprint'
import type {JWK} from 'jose'

import {canonicalizeJwk} from '../key/canonical-key.js'
import type {KeyReport} from '../key/types.js'

/** What the token scan knows of the leaked key: public identifiers only (plain data, sent to workers). */
export interface KeyIdentity {
  kid: string | null
  thumbprint: string | null
  x5t: string | null
  x5tS256: string | null
  kty: string | null
  crv: string | null
  /** The public JWK (null for an oct key, whose material is the secret). */
  publicJwk: JWK | null
}

/**
 * How a header points at the key. `algorithm`: the key has no kid to be named by, so every token
 * whose alg fits the key is a candidate, whatever kid it carries (a PEM key has no kid).
 */
export type KeyReference = 'kid' | 'jwk' | 'x5t' | 'x5t#S256' | 'algorithm'

/** Algorithms a key of each type (and curve) can verify. */
const ALGORITHMS: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'EC P-256': ['ES256'],
  'EC P-384': ['ES384'],
  'EC P-521': ['ES512'],
  'OKP Ed25519': ['EdDSA', 'Ed25519'],
  oct: ['HS256', 'HS384', 'HS512'],
}

/** Characters of the public key material in a header's embedded jwk used as a pre-filter needle. */
const MATERIAL_PREFIX = 40

export function keyIdentityOf(report: KeyReport): KeyIdentity {
  const {kid, thumbprint, x5t, x5tS256, kty, crv} = report
  return {kid, thumbprint, x5t, x5tS256, kty, crv, publicJwk: report.publicJwk}
}

/**
 * The three base64url forms `text` takes inside a longer base64url-encoded string, one for each
 * offset modulo 3 it can start at; the characters that also depend on the neighbouring bytes are
 * left out, so each form is found whatever surrounds the text.
 *
 * @example encodedAlignments('"kid":"k1"') // → ['ImtpZCI6ImsxI', 'JraWQiOiJrMS', 'ia2lkIjoiazEi']
 */
export function encodedAlignments(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8')
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64url')
    return encoded.slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + bytes.length) * 8) / 6))
  })
}

/**
 * The pre-filter: base64url needles of the header members that name the key. Empty when the key
 * has nothing to name it by (then every header must be decoded).
 */
export function headerNeedles(identity: KeyIdentity): string[] {
  const snippets: string[] = []
  if (identity.kid !== null) snippets.push(`"kid":${JSON.stringify(identity.kid)}`, `"kid": ${JSON.stringify(identity.kid)}`)
  if (identity.x5t !== null) snippets.push(`"x5t":"${identity.x5t}"`)
  if (identity.x5tS256 !== null) snippets.push(`"x5t#S256":"${identity.x5tS256}"`)
  const material = materialOf(identity.publicJwk)
  if (material !== null) snippets.push(material)
  return snippets.flatMap(encodedAlignments).filter((needle) => needle.length >= 4)
}

/** `"n":"<first characters of n>` of an RSA key, `"x":"<x>"` of an EC or OKP key. */
function materialOf(jwk: JWK | null): string | null {
  if (jwk?.kty === 'RSA' && typeof jwk.n === 'string') return `"n":"${jwk.n.slice(0, MATERIAL_PREFIX)}`
  if ((jwk?.kty === 'EC' || jwk?.kty === 'OKP') && typeof jwk.x === 'string') return `"x":"${jwk.x}"`
  return null
}

/** Whether the key has a kid, x5t or public JWK that headers can name it by. */
export function isNameable(identity: KeyIdentity): boolean {
  return identity.kid !== null || identity.x5t !== null || identity.x5tS256 !== null || identity.publicJwk !== null
}

/**
 * How a decoded header points at the key, or null when it does not. With `byAlgorithm` (the key has
 * no kid), any header whose alg fits the key counts too: such a token can only be checked by verifying it.
 */
export async function referenceOf(
  header: Record<string, unknown>,
  identity: KeyIdentity,
  byAlgorithm: boolean,
): Promise<KeyReference | null> {
  if (identity.kid !== null && header.kid === identity.kid) return 'kid'
  if (identity.x5t !== null && header.x5t === identity.x5t) return 'x5t'
  if (identity.x5tS256 !== null && header['x5t#S256'] === identity.x5tS256) return 'x5t#S256'
  if (identity.thumbprint !== null && header.jwk !== undefined && (await thumbprintOf(header.jwk)) === identity.thumbprint) {
    return 'jwk'
  }
  if (byAlgorithm && typeof header.alg === 'string' && algorithmsFor(identity).includes(header.alg)) return 'algorithm'
  return null
}

function algorithmsFor(identity: KeyIdentity): readonly string[] {
  const type = identity.kty === 'RSA' || identity.kty === 'oct' ? identity.kty : `${identity.kty} ${identity.crv}`
  return ALGORITHMS[type] ?? []
}

/** The canonical RFC 7638 thumbprint of an embedded jwk, or null when it is not a valid public key. */
async function thumbprintOf(jwk: unknown): Promise<string | null> {
  try {
    return await calculateJwkThumbprint(canonicalizeJwk(jwk, 'the embedded jwk').thumbprintJwk)
  } catch {
    return null
  }
}
