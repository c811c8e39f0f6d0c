// The shape of real tokens, as triage sees them in the logs: what a relying party is used to accepting
// (header typ and alg, whether a kid is there, the audience and scopes), so that a canary can look the
// same. A shape holds no value of sub, jti or any personal claim: only claim names beyond the few kept.
/** The header members and claims of one token that a canary copies. */
export interface TokenShape {
  iss: string | null
  /** As the token carries it: one string or several. */
  aud: string | string[] | null
  typ: string | null
  alg: string | null
  /** Whether the header names a kid (the issuer's tokens may carry none). */
  kid: boolean
  scope: string | null
  scp: string[] | null
  /** The names of the other claims (values are never kept). */
  claimNames: string[]
}

/** A shape and how many tokens had it. */
export interface ObservedShape extends TokenShape {
  tokens: number
}

/** Claims a shape keeps apart or that every token has (the token worker imports no signing code, so not canary.ts's list). */
const KEPT = new Set<string>(['iss', 'sub', 'aud', 'jti', 'iat', 'exp', 'nbf', 'scope', 'scp'])
/** Longest value kept of typ, alg, iss, aud or scope: a forged token's claims are attacker input. */
const MAX_VALUE = 512
const MAX_NAMES = 32

/**
 * The shape of a decoded header and payload, tolerating any input.
 *
 * @example tokenShape({alg: 'RS256', typ: 'at+jwt', kid: 'k1'}, {iss: 'https://as', aud: 'api', scope: 'read', sub: 'u'})
 *   // → {iss: 'https://as', aud: 'api', typ: 'at+jwt', alg: 'RS256', kid: true, scope: 'read', scp: null, claimNames: []}
 */
export function tokenShape(header: unknown, payload: unknown): TokenShape {
  const head = recordOf(header)
  const body = recordOf(payload)
  const aud = Array.isArray(body.aud) ? strings(body.aud) : text(body.aud)
  return {
    iss: text(body.iss),
    aud: Array.isArray(aud) && aud.length === 0 ? null : aud,
    typ: text(head.typ),
    alg: text(head.alg),
    kid: typeof head.kid === 'string',
    scope: text(body.scope),
    scp: Array.isArray(body.scp) ? strings(body.scp) : null,
    claimNames: Object.keys(body)
      .filter((name) => !KEPT.has(name) && name.length <= 64)
      .sort()
      .slice(0, MAX_NAMES),
  }
}

/**
 * Counts the shapes seen, most frequent first, at most `max` of them. Shapes seen as often are in the
 * order of their claims, not of their arrival: workers hand their tokens over in no fixed order, and
 * the first shape is the one a baseline's canary copies.
 *
 * @example shapeCounter().add(shape).result() // → [{...shape, tokens: 1}]
 */
export function shapeCounter(max = 20): {add(shape: TokenShape): void; result(): ObservedShape[]} {
  const seen = new Map<string, ObservedShape>()
  return {
    add(shape) {
      const key = JSON.stringify([shape.iss, shape.aud, shape.typ, shape.alg, shape.kid, shape.scope, shape.scp])
      const known = seen.get(key)
      if (known) known.tokens++
      else if (seen.size < 1000) seen.set(key, {...shape, tokens: 1})
    },
    result: () =>
      [...seen.entries()]
        .sort(([aKey, a], [bKey, b]) => b.tokens - a.tokens || (aKey < bKey ? -1 : aKey > bKey ? 1 : 0))
        .slice(0, max)
        .map(([, shape]) => shape),
  }
}

function recordOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length <= MAX_VALUE ? value : null
}

function strings(values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string' && value.length <= MAX_VALUE).slice(0, 16)
}
