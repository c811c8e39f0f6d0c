// The incident's journal format (DESIGN.md, The incident): one JSON event a line, hash-chained.
// Everything else about an incident is folded from these events.

/** Event types the engine writes. Steps may add their own `<area>.<name>` types (e.g. `evidence.probe`). */
export type CoreEventType =
  | 'incident.opened'
  | 'incident.resumed'
  | 'incident.closed'
  | 'playbook.loaded'
  | 'step.planned'
  | 'step.started'
  | 'step.succeeded'
  | 'step.failed'
  | 'step.skipped'
  | 'step.approved'
  | 'step.retrying'
  | 'effect.intent'
  | 'effect.done'
  | 'effect.repeated'
  | 'note.added'
  | 'run.finished'
  | 'run.interrupted'

export interface JournalEvent<T = Record<string, unknown>> {
  /** 1-based, consecutive. */
  seq: number
  /** ISO 8601 with milliseconds, UTC. */
  ts: string
  type: CoreEventType | (string & {})
  data: T
  /** The hash of the previous event ('' for the first, written as 64 zeros). */
  prev: string
  /** SHA-256 hex over `prev` and the canonical JSON of {seq, ts, type, data, prev}. */
  hash: string
}

export const GENESIS_HASH = '0'.repeat(64)
