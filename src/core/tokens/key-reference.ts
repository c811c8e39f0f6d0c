// Whether a token's header points at the leaked key, decided on the decoded header, never on its text:
// a kid can be \u-escaped, members can sit in any order with any whitespace. A header is a candidate
// (its signature is verified) when it names the key — one of the kids the key is published under, an
// x5t / x5t#S256 of it, an embedded jwk with its RFC 7638 thumbprint — or when it does not name any
// key a verifier would pick by: no kid, or a kid the key is not published under with an alg that fits
// the key. A verifier given the key itself (jose's jwtVerify(token, key)) ignores the kid and accepts
// such a token, and a JWKS verifier picks by alg when the header has no kid.
import type {JWK} from 'jose'

import {canonicalizeJwk} from '../key/canonical-key.js'
import {thumbprintOf} from '../key/thumbprint.js'
import type {KeyReport} from '../key/types.js'

/** What the token scan knows of the leaked key: public identifiers only (plain data, sent to workers). */
export interface KeyIdentity {
  kid: string | null
  /** Every kid a header may name the key by: its own, then those it is published under. */
  kids: string[]
  thumbprint: string | null
  x5t: string | null
  x5tS256: string | null
  kty: string | null
  crv: string | null
  /** The public JWK (null for an oct key, whose material is the secret). */
  publicJwk: JWK | null
}

/**
 * How a header points at the key. `algorithm`: the header does not name the key (it has no kid, or
 * a kid the key is not published under) but a verifier holding the key would still try it; only the
 * signature tells, and a bad one says nothing (it is another key's token).
 */
export type KeyReference = 'kid' | 'jwk' | 'x5t' | 'x5t#S256' | 'algorithm'

/** Algorithms a key of each type (and curve) can verify. */
const ALGORITHMS: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'EC P-256': ['ES256'],
  'EC P-384': ['ES384'],
  'EC P-521': ['ES512'],
  'EC secp256k1': ['ES256K'],
  'OKP Ed25519': ['EdDSA', 'Ed25519'],
  'OKP Ed448': ['EdDSA', 'Ed448'],
  oct: ['HS256', 'HS384', 'HS512'],
}

/** Headers up to this many characters have their decision remembered. */
const CACHED_HEADER_CHARS = 2048
/** Distinct headers remembered per filter (a log holds few: one per issuer, key and alg). */
const CACHED_HEADERS = 1024

/**
 * @example keyIdentityOf(key.report, ['kid-at-the-issuer']) // kids: ['kid-in-the-file', 'kid-at-the-issuer']
 */
export function keyIdentityOf(report: KeyReport, publishedKids: readonly string[] = []): KeyIdentity {
  const {kid, thumbprint, x5t, x5tS256, kty, crv} = report
  const kids = [...new Set([...(kid === null ? [] : [kid]), ...publishedKids])]
  return {kid, kids, thumbprint, x5t, x5tS256, kty, crv, publicJwk: report.publicJwk}
}

// Like jose: a byte order mark is dropped, bad UTF-8 becomes U+FFFD.
const utf8 = new TextDecoder()

/**
 * The JSON object a base64url header (or payload) decodes to, or null when it is not one.
 *
 * @example decodeHeader('IHsiYWxnIjoiUlMyNTYifQ') // {alg: 'RS256'} (the JSON had a leading space)
 */
export function decodeHeader(encoded: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(utf8.decode(Buffer.from(encoded, 'base64url'))) as unknown
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * The pre-filter of the scan's hot path: whether the token with this (still encoded) header must be
 * decoded and verified. Decided on the decoded header, once per distinct header (a log repeats a few
 * headers millions of times), so it never drops a candidate whatever the header's text looks like.
 *
 * @example const wanted = createHeaderFilter(identity); wanted('eyJhbGciOiJSUzI1NiJ9') // true: no kid
 */
export function createHeaderFilter(identity: KeyIdentity): (encoded: string) => boolean {
  const kids = new Set(identity.kids)
  const decided = new Map<string, boolean>()
  return (encoded) => {
    const known = decided.get(encoded)
    if (known !== undefined) return known
    const header = decodeHeader(encoded)
    const candidate = header !== null && isCandidate(header, identity, kids)
    if (encoded.length <= CACHED_HEADER_CHARS) {
      if (decided.size >= CACHED_HEADERS) decided.clear()
      decided.set(encoded, candidate)
    }
    return candidate
  }
}

/** The synchronous half of referenceOf: an embedded jwk counts until its thumbprint says otherwise. */
function isCandidate(header: Record<string, unknown>, identity: KeyIdentity, kids: ReadonlySet<string>): boolean {
  if (typeof header.kid !== 'string') return true
  if (kids.has(header.kid)) return true
  if (identity.x5t !== null && header.x5t === identity.x5t) return true
  if (identity.x5tS256 !== null && header['x5t#S256'] === identity.x5tS256) return true
  if (header.jwk !== undefined) return true
  return fitsKey(header.alg, identity)
}

/**
 * How a decoded header points at the key, or null when it does not: a kid the key is not published
 * under, with an alg the key cannot make. A header without a (string) kid is always `algorithm`: its
 * signature decides (an alg the key cannot make never verifies).
 *
 * @example await referenceOf({alg: 'RS256', kid: 'k1'}, identity) // 'kid' when k1 is one of identity.kids
 */
export async function referenceOf(header: Record<string, unknown>, identity: KeyIdentity): Promise<KeyReference | null> {
  if (typeof header.kid === 'string' && identity.kids.includes(header.kid)) return 'kid'
  if (identity.x5t !== null && header.x5t === identity.x5t) return 'x5t'
  if (identity.x5tS256 !== null && header['x5t#S256'] === identity.x5tS256) return 'x5t#S256'
  if (identity.thumbprint !== null && header.jwk !== undefined && embeddedThumbprint(header.jwk) === identity.thumbprint) {
    return 'jwk'
  }
  if (typeof header.kid !== 'string' || fitsKey(header.alg, identity)) return 'algorithm'
  return null
}

/** Whether a key of this type (and curve) can make signatures with `alg`. */
export function fitsKey(alg: unknown, identity: Pick<KeyIdentity, 'kty' | 'crv'>): boolean {
  if (typeof alg !== 'string') return false
  const type = identity.kty === 'RSA' || identity.kty === 'oct' ? identity.kty : `${identity.kty} ${identity.crv}`
  return (ALGORITHMS[type] ?? []).includes(alg)
}

/** The canonical RFC 7638 thumbprint of an embedded jwk, or null when it is not a valid public key. */
function embeddedThumbprint(jwk: unknown): string | null {
  try {
    return thumbprintOf(canonicalizeJwk(jwk, 'the embedded jwk').thumbprintJwk)
  } catch {
    return null
  }
}
