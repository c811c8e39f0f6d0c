// What a token that points at the leaked key means for the incident, from its verified signature and
// (when the issuer's log of issued tokens is known) whether the issuer really issued it.
import type {TokenShape} from './token-shape.js'
import type {KeyReference} from './key-reference.js'

export const TOKEN_CLASSES = ['suspected-forgery', 'signed-with-leaked-key', 'kid-match-bad-signature'] as const

/**
 * - `signed-with-leaked-key`: the signature verifies with the leaked key (and the issuer issued it,
 *   when an issued log is given);
 * - `suspected-forgery`: the signature verifies, but the issued log has no such `jti` (or it has none):
 *   someone else holds the key and used it;
 * - `kid-match-bad-signature`: the header claims the key, the signature is not the key's.
 */
export type TokenClass = (typeof TOKEN_CLASSES)[number]

/** The claims the summary is made of; anything else in the payload is left alone. */
export interface TokenClaims {
  sub: string | null
  iss: string | null
  aud: string[]
  /** Seconds since the epoch. */
  iat: number | null
  exp: number | null
  jti: string | null
}

/** What a worker found out about one token that points at the key. */
export interface TokenVerdict {
  reference: KeyReference
  /** The signature verifies with the leaked key. */
  valid: boolean
  claims: TokenClaims
  /** header.payload: the token without its signature, safe to show (cut after MAX_UNSIGNED_CHARS). */
  unsigned: string
  /** Its header members and claim names, for canaries shaped like real tokens (absent in older reports). */
  shape?: TokenShape
}

/** Characters of header.payload kept for an example: a token with a 5 MB payload is not printed whole. */
export const MAX_UNSIGNED_CHARS = 4096

/** JWK members that hold private material (RFC 7518 §6, RFC 8037 §2). */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])

/**
 * The token without its signature, cut to MAX_UNSIGNED_CHARS (then ending with "…"). A header or
 * payload (decoded, when given) that carries a JWK with private members — a token can embed its key in
 * its `jwk` header, and whoever holds the leaked key can embed it anywhere — is shown re-encoded with
 * those members' values replaced by "REDACTED": a leaked key never leaks again through an example.
 *
 * @example unsignedForm('eyJh.eyJz.c2ln') // 'eyJh.eyJz'
 */
export function unsignedForm(token: string, decoded?: {header: unknown; payload: unknown}): string {
  const dot = token.indexOf('.')
  const end = token.lastIndexOf('.')
  const shown = (part: string, value: unknown): string =>
    decoded !== undefined && carriesPrivateJwk(value)
      ? Buffer.from(JSON.stringify(withoutPrivate(value))).toString('base64url')
      : part
  const unsigned =
    decoded === undefined
      ? token.slice(0, end)
      : `${shown(token.slice(0, dot), decoded.header)}.${shown(token.slice(dot + 1, end), decoded.payload)}`
  return unsigned.length > MAX_UNSIGNED_CHARS ? `${unsigned.slice(0, MAX_UNSIGNED_CHARS)}…` : unsigned
}

/** Whether a JSON value holds, at any depth, an object with a `kty` and a private member. */
function carriesPrivateJwk(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(carriesPrivateJwk)
  if (value === null || typeof value !== 'object') return false
  const entries = Object.entries(value)
  if ('kty' in value && entries.some(([name]) => PRIVATE_MEMBERS.has(name))) return true
  return entries.some(([, member]) => carriesPrivateJwk(member))
}

function withoutPrivate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrivate)
  if (value === null || typeof value !== 'object') return value
  const jwk = 'kty' in value
  return Object.fromEntries(
    Object.entries(value).map(([name, member]) => [name, jwk && PRIVATE_MEMBERS.has(name) ? 'REDACTED' : withoutPrivate(member)]),
  )
}

/**
 * Whether the verdict concerns the key: false for a token tried only because a verifier holding the
 * key would try it, whose signature is another key's (classifyToken gives it null).
 */
export function concernsKey(verdict: TokenVerdict): boolean {
  return verdict.valid || verdict.reference !== 'algorithm'
}

/**
 * @example classifyToken({reference: 'kid', valid: true, claims, unsigned}, new Set(['a1'])) // 'signed-with-leaked-key' when claims.jti is 'a1'
 * @returns null for a token checked only because a verifier holding the key would try it (no kid, or a
 *   kid the key is not published under), and not signed by it: another key's token, counted with the others.
 */
export function classifyToken(verdict: TokenVerdict, issued: ReadonlySet<string> | null): TokenClass | null {
  if (!verdict.valid) return verdict.reference === 'algorithm' ? null : 'kid-match-bad-signature'
  if (issued !== null && (verdict.claims.jti === null || !issued.has(verdict.claims.jti))) return 'suspected-forgery'
  return 'signed-with-leaked-key'
}

/**
 * The claims of a decoded payload, tolerating any shape (a forged token's payload is attacker input).
 *
 * @example claimsOf({sub: 'u1', aud: 'api', iat: 1700000000}) // {sub: 'u1', iss: null, aud: ['api'], iat: 1700000000, exp: null, jti: null}
 */
export function claimsOf(payload: unknown): TokenClaims {
  const record =
    payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {}
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
  const time = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)
  const aud = Array.isArray(record.aud) ? record.aud.filter((item): item is string => typeof item === 'string') : []
  return {
    sub: text(record.sub),
    iss: text(record.iss),
    aud: typeof record.aud === 'string' ? [record.aud] : aud,
    iat: time(record.iat),
    exp: time(record.exp),
    jti: text(record.jti),
  }
}
