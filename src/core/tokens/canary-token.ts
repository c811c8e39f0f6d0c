// jwkr's own canaries in the logs: tokens it signed with the leaked key and sent to relying parties
// to prove containment (containment/canary.ts). They are valid tokens signed with the key, but no
// person's: triage counts them apart, and keeps them out of its classes, subjects and examples.
import {CANARY_JTI_PREFIX, CANARY_SUBJECT} from '../containment/canary.js'
import type {TokenClaims} from './classify-token.js'

/**
 * A canary carries `sub: "jwkr-canary"` and a jti that starts with "jwkr-canary-".
 *
 * @example isCanary({...claims, sub: 'jwkr-canary'}) // true
 */
export function isCanary(claims: Pick<TokenClaims, 'sub' | 'jti'>): boolean {
  return claims.sub === CANARY_SUBJECT || (claims.jti !== null && claims.jti.startsWith(CANARY_JTI_PREFIX))
}
