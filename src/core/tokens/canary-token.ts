// jwkr's own canaries in the logs: tokens it signed with the leaked key and sent to relying parties
// to prove containment (containment/canary.ts). They are valid tokens signed with the key, but no
// person's: triage counts them apart, and keeps them out of its classes, subjects and examples.
import {CANARY_JTI_PREFIX, CANARY_SUBJECT} from '../containment/canary.js'
import type {TokenClaims} from './classify-token.js'

/**
 * A canary carries `sub: "jwkr-canary"` and a jti that starts with "jwkr-canary-".
 *
 * @example isCanaryLabelled({...claims, sub: 'jwkr-canary'}) // true
 */
export function isCanaryLabelled(claims: Pick<TokenClaims, 'sub' | 'jti'>): boolean {
  return claims.sub === CANARY_SUBJECT || (claims.jti !== null && claims.jti.startsWith(CANARY_JTI_PREFIX))
}

/**
 * What a token is to triage: one of jwkr's canaries, a token labelled as one that jwkr did not send
 * (anyone holding the key can write the label: such a token is triaged like any other), or neither.
 * With `sent` null (no incident journal to check against), the label alone decides.
 *
 * @example canaryStatus({sub: 'jwkr-canary', jti: 'jwkr-canary-x'}, new Set(['jwkr-canary-x'])) // 'canary'
 */
export function canaryStatus(
  claims: Pick<TokenClaims, 'sub' | 'jti'>,
  sent: ReadonlySet<string> | null,
): 'canary' | 'impostor' | 'token' {
  if (!isCanaryLabelled(claims)) return 'token'
  if (sent === null) return 'canary'
  return claims.jti !== null && sent.has(claims.jti) ? 'canary' : 'impostor'
}
