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

/** `<incident>:rotate:<issuer>:<stage>` or `…:revoke:…`: the effect keys of key.rotate and key.revoke. */
const REMOVING_EFFECT = /^[^:]+:(?:rotate|revoke):([^:]+):/

/**
 * Two kinds of event say the key was gone: an earlier check (`evidence.jwks` that saw an issuer's
 * JWKS without the key, after any that saw it), and the last completed stage of a rotation or
 * revocation of that issuer (`effect.done`: removal is the last stage of both).
 *
 * @example recordedRemovals(events) // → {'auth-main': 2024-05-01T10:02:11.000Z}
 */
export function recordedRemovals(events: readonly RemovalEvent[]): Record<string, Date> {
  const seenGone = new Map<string, number>()
  const lastStage = new Map<string, number>()
  for (const event of events) {
    const at = Date.parse(event.ts)
    if (Number.isNaN(at)) continue
    if (event.type === 'evidence.jwks') {
      for (const issuer of issuerIds(event.data.owners)) {
        if (event.data.servesLeakedKey === true) seenGone.delete(issuer)
        else if (event.data.servesLeakedKey === false && !seenGone.has(issuer)) seenGone.set(issuer, at)
      }
    } else if (event.type === 'effect.done' && typeof event.data.key === 'string') {
      const issuer = REMOVING_EFFECT.exec(event.data.key)?.[1]
      if (issuer !== undefined) lastStage.set(issuer, at)
    }
  }
  const removals: Record<string, Date> = {}
  for (const [issuer, at] of [...seenGone, ...lastStage]) {
    const known = removals[issuer]
    if (known === undefined || at < known.getTime()) removals[issuer] = new Date(at)
  }
  return removals
}
