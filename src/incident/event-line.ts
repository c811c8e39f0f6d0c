// How one journal event becomes one line and one hash, shared by the writer (journal.ts) and the
// checker (verify-journal.ts) so that both sides agree byte for byte.
import {createHash, createHmac} from 'node:crypto'

import {canonicalJson} from './canonical-json.js'
import type {JournalEvent} from '../core/journal/types.js'

/** An event before it is hashed. */
export type UnhashedEvent = Omit<JournalEvent, 'hash'>

/**
 * The hash of an event: `hex(HMAC-SHA-256(chainKey, utf8(prev + canonicalJson({seq, ts, type, data, prev}))))`
 * for a keyed journal (chain-key.ts), or `sha256hex(…)` of the same bytes for a journal of an incident
 * opened before chains were keyed. `prev` is the previous event's hash (64 zeros for the first) and
 * canonicalJson is RFC 8785.
 */
export function hashEvent(event: UnhashedEvent, chainKey?: Uint8Array): string {
  const {seq, ts, type, data, prev} = event
  const hash = chainKey ? createHmac('sha256', chainKey) : createHash('sha256')
  return hash.update(prev + canonicalJson({seq, ts, type, data, prev}), 'utf8').digest('hex')
}

/**
 * The one way an event is written (without the newline): members in the order seq, ts, type, data,
 * prev, hash for people reading the file, and `data` in canonical form. A line that differs from
 * this for the event it holds has been edited.
 */
export function formatEventLine(event: JournalEvent): string {
  const {seq, ts, type, data, prev, hash} = event
  const members: [string, unknown][] = [
    ['seq', seq],
    ['ts', ts],
    ['type', type],
    ['data', data],
    ['prev', prev],
    ['hash', hash],
  ]
  return `{${members.map(([name, value]) => `"${name}":${canonicalJson(value)}`).join(',')}}`
}
