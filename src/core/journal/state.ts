// The incident's state, folded from its journal: the journal is the only source of truth, so
// anything that needs to know which steps are done, what they returned or what happened when (the
// engine on resume, `incident show`, reports) folds the events again. Unknown event types only add a
// timeline line; data is read defensively because a journal may come from another jwkr version.
import {isErrorCode} from '../errors.js'
import type {EffectState, IncidentState, IncidentStatus, JournalEvent, StepState, TimelineEntry} from './types.js'

export type {EffectState, IncidentNote, IncidentState, IncidentStatus, StepState, StepStatus, TimelineEntry} from './types.js'

const RUN_STATUSES = new Set<IncidentStatus>(['completed', 'failed', 'aborted', 'paused', 'waiting'])

/**
 * Folds journal events (in seq order) into the incident's state. A step whose last event is
 * `step.started` stays `running`: interrupted, when no process holds the incident's lock.
 */
export function foldIncident(events: readonly JournalEvent[]): IncidentState {
  return foldInto(emptyState(), events)
}

/**
 * A fold that follows a growing journal: each call applies only the events added since the last
 * one (the engine asks for the state after every event; folding from the top each time made a
 * playbook of a few thousand steps quadratic). The state it returns is the same object, updated.
 *
 * @example const stateOf = createIncidentFold(); stateOf(journal.events()).steps['inspect']?.status
 */
export function createIncidentFold(): (events: readonly JournalEvent[]) => IncidentState {
  let state = emptyState()
  let count = 0
  let last: JournalEvent | undefined
  return (events) => {
    // Another journal, or one that was cut: fold again from the top.
    if (events.length < count || (count > 0 && events[count - 1] !== last)) {
      state = emptyState()
      count = 0
    }
    foldInto(state, events.slice(count))
    count = events.length
    last = events[count - 1]
    return state
  }
}

function foldInto(state: IncidentState, events: readonly JournalEvent[]): IncidentState {
  for (const event of events) {
    apply(state, event)
    state.lastEventAt = event.ts
    state.lastSeq = event.seq
    state.timeline.push(timelineEntry(event))
  }
  return state
}

function emptyState(): IncidentState {
  return {
    id: '',
    thumbprint: null,
    kid: null,
    kty: null,
    alg: null,
    source: null,
    drill: false,
    playbook: null,
    playbookLoaded: undefined,
    inputs: {},
    startedBy: undefined,
    status: 'open',
    interrupted: undefined,
    openedAt: undefined,
    closedAt: undefined,
    closeReason: undefined,
    closedUnproven: undefined,
    lastEventAt: undefined,
    lastSeq: 0,
    // Keyed by step ids and effect keys that come from playbooks and journals: with a prototype, a
    // step named __proto__ would write its status and outputs onto every object of the process.
    steps: Object.create(null) as IncidentState['steps'],
    stepOrder: [],
    effects: Object.create(null) as IncidentState['effects'],
    notes: [],
    timeline: [],
  }
}

function apply(state: IncidentState, {type, data, ts}: JournalEvent): void {
  switch (type) {
    case 'incident.opened': {
      state.id = text(data.id) ?? state.id
      state.thumbprint = text(data.thumbprint) ?? null
      state.kid = text(data.kid) ?? null
      state.kty = text(data.kty) ?? null
      state.alg = text(data.alg) ?? null
      state.source = text(data.source) ?? null
      state.drill = data.drill === true
      state.playbook = text(data.playbook) ?? null
      state.inputs = copy(record(data.inputs)) ?? {}
      const by = record(data.startedBy)
      state.startedBy = by ? {user: text(by.user) ?? '', host: text(by.host) ?? ''} : undefined
      state.openedAt = ts
      state.status = 'open'
      return
    }
    case 'playbook.loaded': {
      state.playbookLoaded = {name: text(data.name) ?? '', file: text(data.file) ?? '', digest: text(data.digest) ?? ''}
      for (const item of list(data.steps)) {
        const declared = record(item)
        const id = text(declared?.id)
        if (!declared || !id) continue
        const step = stepOf(state, id)
        step.uses = text(declared.uses) ?? step.uses
        step.title = text(declared.title) ?? step.title
        step.phase = text(declared.phase) ?? step.phase
      }
      return
    }
    case 'step.planned': {
      const step = stepFor(state, data)
      if (!step) return
      step.uses = text(data.uses) ?? step.uses
      step.plan = list(data.calls).flatMap((call) => {
        const c = record(call)
        return c ? [{kind: text(c.kind) ?? '', target: text(c.target) ?? '', description: text(c.description) ?? ''}] : []
      })
      return
    }
    case 'step.started': {
      const step = stepFor(state, data)
      if (!step) return
      step.status = 'running'
      step.uses = text(data.uses) ?? step.uses
      step.attempts = typeof data.attempt === 'number' ? data.attempt : step.attempts + 1
      step.input = copy(record(data.input))
      step.startedAt = ts
      step.finishedAt = undefined
      step.error = undefined
      if (state.status !== 'closed') state.status = 'running'
      return
    }
    case 'step.succeeded':
      return finish(stepFor(state, data), 'succeeded', ts, (step) => (step.outputs = copy(record(data.outputs)) ?? {}))
    case 'step.failed': {
      const step = stepFor(state, data)
      if (!step) return
      const error = record(data.error)
      const code = error?.code
      step.error = {code: isErrorCode(code) ? code : 'ERR_STEP_FAILED', message: text(error?.message) ?? ''}
      // A failure the engine will retry leaves the step unfinished.
      if (data.final === false) step.status = 'running'
      else finish(step, 'failed', ts)
      return
    }
    case 'step.skipped':
      return finish(stepFor(state, data), 'skipped', ts, (step) => (step.reason = text(data.reason)))
    case 'step.approved': {
      const step = stepFor(state, data)
      if (step) step.approvedBy = text(data.by)
      return
    }
    case 'step.retrying': {
      const step = stepFor(state, data)
      if (step) step.status = 'running'
      return
    }
    case 'effect.intent': {
      const key = text(data.key)
      if (!key) return
      state.effects[key] = {
        step: text(data.step) ?? '',
        description: text(data.description) ?? '',
        status: 'intent',
        ref: undefined,
        intentAt: ts,
        doneAt: undefined,
        repeatedReason: state.effects[key]?.repeatedReason,
      }
      return
    }
    case 'effect.done':
      return updateEffect(state, data, ts, (effect) => {
        effect.status = 'done'
        effect.ref = copy(record(data.ref))
        effect.doneAt = ts
      })
    case 'effect.repeated':
      return updateEffect(state, data, ts, (effect) => {
        effect.status = 'repeated'
        effect.repeatedReason = text(data.reason)
      })
    case 'note.added':
      state.notes.push({ts, text: text(data.text) ?? '', author: text(data.author) ?? '', step: text(data.step)})
      return
    case 'run.finished': {
      const status = text(data.status) as IncidentStatus | undefined
      // An older jwkr ended an interrupted run with `aborted`: it is paused all the same.
      const paused = status === 'aborted' && state.interrupted !== undefined
      if (status && RUN_STATUSES.has(status) && state.status !== 'closed') state.status = paused ? 'paused' : status
      return
    }
    case 'run.interrupted':
      state.interrupted = text(data.reason) ?? 'interrupted'
      if (state.status !== 'closed') state.status = 'paused'
      return
    case 'incident.resumed':
      state.interrupted = undefined
      state.status = 'running'
      return
    case 'incident.closed':
      state.status = 'closed'
      state.closedAt = ts
      state.closeReason = text(data.reason)
      state.closedUnproven = closedUnproven(data.unproven)
      return
  }
}

/**
 * ` with containment not proven` (or `not attempted`) for a close that left it so, else nothing.
 *
 * @example unprovenWords({outcome: 'not-attempted', missing: []}) // ' with containment not attempted'
 */
export function unprovenWords(value: unknown): string {
  const unproven = closedUnproven(value)
  return unproven ? ` with containment ${unproven.outcome === 'not-attempted' ? 'not attempted' : 'not proven'}` : ''
}

/** What `incident.closed` says about containment left unproven, read defensively. */
function closedUnproven(value: unknown): IncidentState['closedUnproven'] {
  const data = record(value)
  if (!data) return undefined
  return {outcome: text(data.outcome) ?? 'not-proven', missing: list(data.missing).flatMap((item) => text(item) ?? [])}
}

function finish(step: StepState | undefined, status: StepState['status'], ts: string, more?: (step: StepState) => void): void {
  if (!step) return
  step.status = status
  step.finishedAt = ts
  more?.(step)
}

/** The step an event is about (created on first sight, in order), or undefined when it names none. */
function stepFor(state: IncidentState, data: Record<string, unknown>): StepState | undefined {
  const id = text(data.step)
  return id ? stepOf(state, id) : undefined
}

function stepOf(state: IncidentState, id: string): StepState {
  let step = state.steps[id]
  if (!step) {
    step = {
      status: 'pending',
      uses: undefined,
      title: undefined,
      phase: undefined,
      plan: undefined,
      input: undefined,
      outputs: undefined,
      error: undefined,
      attempts: 0,
      startedAt: undefined,
      finishedAt: undefined,
      approvedBy: undefined,
      reason: undefined,
    }
    state.steps[id] = step
    state.stepOrder.push(id)
  }
  return step
}

/** Effects journaled without an intent (should not happen) are still recorded, from this event. */
function updateEffect(
  state: IncidentState,
  data: Record<string, unknown>,
  ts: string,
  change: (effect: EffectState) => void,
): void {
  const key = text(data.key)
  if (!key) return
  const effect = state.effects[key] ?? {
    step: text(data.step) ?? '',
    description: '',
    status: 'intent',
    ref: undefined,
    intentAt: ts,
    doneAt: undefined,
    repeatedReason: undefined,
  }
  change(effect)
  state.effects[key] = effect
}

function timelineEntry({seq, ts, type, data}: JournalEvent): TimelineEntry {
  return {seq, ts, type, summary: summarise(type, data)}
}

/** One line a responder can read for each event. */
function summarise(type: string, data: Record<string, unknown>): string {
  const step = text(data.step) ?? '?'
  switch (type) {
    case 'incident.opened': {
      const key = [text(data.kty), text(data.alg)].filter(Boolean).join(' ')
      const by = record(data.startedBy)
      return (
        `Incident ${text(data.id) ?? ''} opened for key ${text(data.thumbprint) ?? '(no thumbprint)'}` +
        (key ? ` (${key})` : '') +
        (by ? ` by ${text(by.user) ?? '?'}@${text(by.host) ?? '?'}` : '') +
        (data.drill === true ? ' [drill]' : '')
      )
    }
    case 'playbook.loaded':
      return `Playbook ${text(data.name) ?? '?'} loaded (${list(data.steps).length} steps)`
    case 'step.planned':
      return `Step ${step} (${text(data.uses) ?? '?'}) planned: ${plural(list(data.calls).length, 'call')}`
    case 'step.started':
      return `Step ${step} started` + (typeof data.attempt === 'number' && data.attempt > 1 ? ` (attempt ${data.attempt})` : '')
    case 'step.succeeded':
      return `Step ${step} succeeded`
    case 'step.failed': {
      const error = record(data.error)
      return (
        `Step ${step} failed: ${text(error?.message) ?? text(error?.code) ?? 'unknown error'}` +
        (data.final === false ? ' (will retry)' : '')
      )
    }
    case 'step.skipped':
      return `Step ${step} skipped: ${text(data.reason) ?? 'no reason given'}`
    case 'step.approved':
      return `Step ${step} approved by ${text(data.by) ?? '?'}`
    case 'step.retrying':
      return `Step ${step} retrying (attempt ${String(data.attempt)}) in ${seconds(data.delayMs)}`
    case 'effect.intent':
      return `Step ${step} begins ${text(data.key) ?? '?'}: ${oneLine(text(data.description) ?? '')}`
    case 'effect.done':
      return `Step ${step} completed ${text(data.key) ?? '?'}` + refSummary(record(data.ref))
    case 'effect.repeated':
      return `Step ${step} repeats ${text(data.key) ?? '?'}: ${text(data.reason) ?? 'no reason given'}`
    case 'note.added':
      return `Note by ${text(data.author) ?? '?'}${data.step ? ` on ${step}` : ''}: ${oneLine(text(data.text) ?? '')}`
    case 'run.finished':
      return `Run finished: ${text(data.status) ?? '?'}`
    case 'run.interrupted':
      return `Run interrupted: ${text(data.reason) ?? 'no reason given'}`
    case 'incident.resumed':
      return `Incident resumed by ${text(data.by) ?? '?'}`
    case 'incident.closed':
      return `Incident closed${unprovenWords(data.unproven)}: ${text(data.reason) ?? 'no reason given'}`
    case 'journal.repaired':
      return `Journal repaired: an incomplete last line (${plural(Number(data.droppedBytes), 'byte')}) was cut off`
    default:
      return data.step ? `${type} (step ${step})` : type
  }
}

function refSummary(ref: Record<string, unknown> | undefined): string {
  if (!ref) return ''
  const parts = Object.entries(ref)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([name, value]) => `${name} ${String(value)}`)
  return parts.length > 0 ? ` (${oneLine(parts.join(', '))})` : ''
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

/** State never shares objects with the (frozen) events it was folded from. */
function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value)
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function seconds(ms: unknown): string {
  return typeof ms === 'number' ? `${ms / 1000}s` : '?'
}

/** Keeps a timeline entry on one line, and short. */
function oneLine(value: string): string {
  const flat = value.replace(/\s+/g, ' ').trim()
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat
}
