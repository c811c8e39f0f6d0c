// When the leaked key left each issuer's JWKS, as far as the incident journal knows: the containment
// clock of a containment.verify step starts there instead of at its own first check. Every time found
// is an upper bound of the real removal, so the earliest per issuer is kept.
import {issuerIds} from './recorded-probes.js'

/** The parts of a journal event read here. */
export interface RemovalEvent {
  ts: string
  type: string
  data: Record<string, unknown>
}

/** What key.rotate and key.revoke journal per issuer once its key store has done its part. */
const ISSUER_RESULT = new Set(['key.rotate.issuer', 'key.revoke.issuer'])

/**
 * Two kinds of event say the key was gone: an earlier check (`evidence.jwks` that saw an issuer's
 * JWKS without the key, after any that saw it), and a rotation or revocation whose key store removed
 * it and no longer lists it (`key.rotate.issuer` / `key.revoke.issuer` with `removed` entries and
 * `leakedStillListed: false`). A store that only opened a pull request, or keeps the key listed
 * (Okta's EXPIRED keys, Vault), says nothing here: its removal is seen by a check.
 *
 * @example recordedRemovals(events) // → {'auth-main': 2024-05-01T10:02:11.000Z}
 */
export function recordedRemovals(events: readonly RemovalEvent[]): Record<string, Date> {
  const seenGone = new Map<string, number>()
  const removedBy = new Map<string, number>()
  for (const event of events) {
    const at = Date.parse(event.ts)
    if (Number.isNaN(at)) continue
    if (event.type === 'evidence.jwks') {
      for (const issuer of issuerIds(event.data.owners)) {
        if (event.data.servesLeakedKey === true) seenGone.delete(issuer)
        else if (event.data.servesLeakedKey === false && !seenGone.has(issuer)) seenGone.set(issuer, at)
      }
    } else if (ISSUER_RESULT.has(event.type) && removedAtSource(event.data)) {
      removedBy.set(event.data.issuerId as string, at)
    }
  }
  const removals: Record<string, Date> = {}
  for (const [issuer, at] of [...seenGone, ...removedBy]) {
    const known = removals[issuer]
    if (known === undefined || at < known.getTime()) removals[issuer] = new Date(at)
  }
  return removals
}

/** An issuer's result that says its key store removed the leaked key and no longer lists it. */
function removedAtSource(data: Record<string, unknown>): boolean {
  return (
    typeof data.issuerId === 'string' &&
    (data.status === 'changed' || data.status === 'unchanged') &&
    Array.isArray(data.removed) &&
    data.removed.length > 0 &&
    data.leakedStillListed === false
  )
}
