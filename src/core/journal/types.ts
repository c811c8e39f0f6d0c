// The incident's journal format (ARCHITECTURE.md, Journal events): one JSON event a line, hash-chained.
// Everything else about an incident is folded from these events.
import type {ErrorCode} from '../errors.js'

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

/** Written by `Journal.open` after it cut an incomplete last line (a power loss mid-write). */
export type JournalMaintenanceEventType = 'journal.repaired'

// The data each core event carries. The engine writes these shapes; `foldIncident` reads them
// defensively, since a journal is a file that may come from an older or newer jwkr.

export interface IncidentOpenedData {
  id: string
  thumbprint: string | null
  kid: string | null
  kty: string | null
  alg: string | null
  /** Where the key came from (a path, `-`, or `inline`), never the key itself. */
  source: string
  drill: boolean
  playbook: string
  inputs: Record<string, unknown>
  /** Inputs taken from the inventory rather than given (the services' logs), in words; absent in older journals. */
  inputNotes?: string[]
  startedBy: {user: string; host: string}
}

export interface PlaybookLoadedData {
  name: string
  file: string
  digest: string
  /** Whether the playbook attempts containment (absent in older journals: derived from its steps). */
  contains?: boolean
  /** `phase` as the playbook declared it (absent in older journals and for steps that declare none). */
  steps: {id: string; uses: string; title: string; phase?: string}[]
}

export interface StepPlannedData {
  step: string
  uses: string
  calls: {kind: string; target: string; description: string}[]
}

export interface StepStartedData {
  step: string
  uses: string
  attempt: number
  input: Record<string, unknown>
}

export interface StepSucceededData {
  step: string
  outputs: Record<string, unknown>
}

export interface StepFailedData {
  step: string
  error: {code: ErrorCode; message: string}
  attempt: number
  /** False when the engine will retry (a `step.retrying` follows). */
  final: boolean
}

export interface StepSkippedData {
  step: string
  reason: string
}

export interface StepApprovedData {
  step: string
  by: string
}

export interface StepRetryingData {
  step: string
  attempt: number
  delayMs: number
}

export interface EffectIntentData {
  step: string
  key: string
  description: string
}

export interface EffectDoneData {
  step: string
  key: string
  ref?: Record<string, unknown>
}

export interface EffectRepeatedData {
  step: string
  key: string
  reason: string
}

export interface NoteAddedData {
  text: string
  author: string
  step?: string
}

export interface RunFinishedData {
  /**
   * `planned`: a dry run that finished. `aborted`: the responder stopped the run (a No at a decision,
   * "Stop the run here"). `paused`: the run was interrupted (Ctrl-C, SIGTERM, SIGHUP) and resumes;
   * an older jwkr wrote `aborted` after `run.interrupted` for it.
   */
  status: 'completed' | 'failed' | 'aborted' | 'paused' | 'waiting' | 'planned'
  dryRun?: boolean
  /** The run's outcome (core/report/run-outcome.ts) and what was missing for containment, when it was recorded. */
  outcome?: 'proven' | 'not-proven' | 'not-attempted' | 'not-applicable'
  missing?: string[]
}

export interface RunInterruptedData {
  reason: string
}

export interface IncidentResumedData {
  by: string
}

export interface IncidentClosedData {
  reason: string
  /**
   * Set when it was closed while containment was not proven (the responder chose to): the run's
   * outcome then (not-proven or not-attempted) and what was missing. Absent in older journals.
   */
  unproven?: {outcome: string; missing: string[]}
}

export interface JournalRepairedData {
  /** Bytes of the incomplete last line that were cut off. */
  droppedBytes: number
  /** The seq of the last complete event kept (0 when none). */
  afterSeq: number
}

/** The data shape of each core event type. */
export interface EventDataMap {
  'incident.opened': IncidentOpenedData
  'incident.resumed': IncidentResumedData
  'incident.closed': IncidentClosedData
  'playbook.loaded': PlaybookLoadedData
  'step.planned': StepPlannedData
  'step.started': StepStartedData
  'step.succeeded': StepSucceededData
  'step.failed': StepFailedData
  'step.skipped': StepSkippedData
  'step.approved': StepApprovedData
  'step.retrying': StepRetryingData
  'effect.intent': EffectIntentData
  'effect.done': EffectDoneData
  'effect.repeated': EffectRepeatedData
  'note.added': NoteAddedData
  'run.finished': RunFinishedData
  'run.interrupted': RunInterruptedData
  'journal.repaired': JournalRepairedData
}

/**
 * Where an incident stands. `aborted`: the responder stopped its run; `paused`: its run was interrupted
 * (Ctrl-C, a signal) and `incident resume` goes on from there.
 */
export type IncidentStatus = 'open' | 'running' | 'completed' | 'failed' | 'aborted' | 'paused' | 'waiting' | 'closed'

/** Where a step stands, folded from the journal (the one declaration: a dry run's outcomes add 'planned'). */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped'

export interface StepState {
  status: StepStatus
  uses: string | undefined
  title: string | undefined
  /** The phase the playbook declared for it (`phase:`), if any. */
  phase: string | undefined
  /** The calls its plan announced (`step.planned`). */
  plan: {kind: string; target: string; description: string}[] | undefined
  /** The resolved input of the last attempt. */
  input: Record<string, unknown> | undefined
  outputs: Record<string, unknown> | undefined
  /** The last failure, cleared when a new attempt starts. */
  error: {code: ErrorCode; message: string} | undefined
  /** Attempts started so far. */
  attempts: number
  startedAt: string | undefined
  finishedAt: string | undefined
  approvedBy: string | undefined
  /** Why it was skipped, when it was. */
  reason: string | undefined
}

export interface EffectState {
  step: string
  description: string
  /** `repeated`: the effect is being run again because the remote could not tell if it happened. */
  status: 'intent' | 'done' | 'repeated'
  ref: Record<string, unknown> | undefined
  intentAt: string
  doneAt: string | undefined
  /** Why it was repeated, when it was. */
  repeatedReason: string | undefined
}

export interface IncidentNote {
  ts: string
  text: string
  author: string
  step: string | undefined
}

export interface TimelineEntry {
  seq: number
  ts: string
  type: string
  /** One line a human can read. */
  summary: string
}

/** Everything known about an incident, folded from its journal (the only source of truth). */
export interface IncidentState {
  id: string
  thumbprint: string | null
  kid: string | null
  kty: string | null
  alg: string | null
  source: string | null
  drill: boolean
  /** The playbook asked for (a name or a file). */
  playbook: string | null
  /** What was actually loaded: name, file and digest. */
  playbookLoaded: {name: string; file: string; digest: string} | undefined
  inputs: Record<string, unknown>
  startedBy: {user: string; host: string} | undefined
  status: IncidentStatus
  /** The reason of the last `run.interrupted`, until a resume. */
  interrupted: string | undefined
  openedAt: string | undefined
  closedAt: string | undefined
  closeReason: string | undefined
  /** Set when it was closed while containment was not proven: the outcome then and what was missing. */
  closedUnproven: {outcome: string; missing: string[]} | undefined
  lastEventAt: string | undefined
  lastSeq: number
  steps: Record<string, StepState>
  /** Playbook order, then any step seen only in events. */
  stepOrder: string[]
  effects: Record<string, EffectState>
  notes: IncidentNote[]
  timeline: TimelineEntry[]
}
