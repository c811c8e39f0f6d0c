// The outcome of a run, from its journal alone: containment proven, not proven, not attempted, or not
// what the playbook is for; what is missing; and the exit code that goes with it (ARCHITECTURE.md, Output and exit codes).
// respond, playbook run, incident resume and step run (their outcome line and --json), the drill's
// scorecard and the report's outcome line all take it from here, so none of them can show a run as
// done when nothing was contained. Pure: events in, an outcome out.
import {foldIncident} from '../journal/state.js'
import type {IncidentState, JournalEvent} from '../journal/types.js'
import {ExitCode, type ExitCodeValue} from '../errors.js'
import {containmentOf, evidenceOf} from './evidence.js'
import {rec, str, strings} from './read-data.js'

/**
 * proven: the last containment verdict says so. not-proven: a check ran and did not prove it, or the key
 * was changed (rotated, revoked, denied, caches busted) and no check has proven it since.
 * not-attempted: nothing was changed and nothing was checked (no inventory, nothing located, no probe,
 * a dry run, the responder declining at the go-ahead).
 * not-applicable: the playbook does not contain keys (inspect-only), or the key is public.
 */
export type OutcomeStatus = 'proven' | 'not-proven' | 'not-attempted' | 'not-applicable'

export interface RunOutcome {
  status: OutcomeStatus
  /** The exit code of the command that ran (or resumed) the playbook. */
  exitCode: ExitCodeValue
  /** The outcome line: `containment proven`, `containment not attempted: no inventory (…)`. */
  summary: string
  /** What is missing for containment to count as proven, one item a line; empty when proven or not applicable. */
  missing: string[]
}

export interface RunOutcomeOptions {
  /** Whether the playbook attempts containment; default: `playbook.loaded`'s `contains`, else whether a step uses containment.verify. */
  contains?: boolean
  /**
   * How the run ended (completed, failed, aborted: stopped by the responder, paused: interrupted,
   * waiting, planned for a dry run); default: the last `run.finished` or `run.interrupted` since the
   * incident was last opened or resumed, null while running.
   */
  runStatus?: string | null
}

/** The step that proves containment, and the event it ends with. */
export const CONTAINMENT_CHECK = 'containment.verify'
export const VERDICT_EVENT = 'containment.verdict'

const OUTCOMES: readonly OutcomeStatus[] = ['proven', 'not-proven', 'not-attempted', 'not-applicable']

/** The steps whose skips and failures explain why containment was not proven. */
const CONTAINMENT_STEPS = new Set([
  'services.locate',
  'key.rotate',
  'key.revoke',
  'tokens.invalidate',
  'services.bust-caches',
  CONTAINMENT_CHECK,
])

/** The steps that change something towards containment: once one of them did, containment was attempted. */
const CHANGE_STEPS = new Set(['key.rotate', 'key.revoke', 'tokens.invalidate', 'services.bust-caches'])

/** A skip because the playbook's own condition was false: the playbook working as written, not a gap. */
const CONDITION_SKIP = /^its condition is false/

/**
 * Whether a playbook attempts containment: as it declares (`contains:`), else when one of its steps
 * uses containment.verify.
 *
 * @example attemptsContainment(['key.inspect', 'core.note']) // false
 */
export function attemptsContainment(uses: ReadonlyArray<string | null | undefined>, declared?: boolean): boolean {
  return declared ?? uses.includes(CONTAINMENT_CHECK)
}

/**
 * The outcome of an incident's run, from its journal.
 *
 * Rules, in order:
 * 1. The LAST `containment.verdict` decides: its `outcome` when it is one of proven / not-proven /
 *    not-attempted, else its `contained` boolean (true: proven, false: not proven); a not-attempted
 *    verdict after a change (rule 3's) is not proven: the change was the attempt.
 *    A journal without verdict events (older, or written by hand) takes the outputs of the last
 *    containment.verify step that succeeded (not a baseline) as its verdict.
 * 2. Without a verdict: the evidence of the checks recorded (probes and JWKS fetches, baselines left
 *    out) when there is some (a check that failed midway): proven when every target's latest check
 *    is contained, else not proven.
 * 3. Without either: not-applicable when the playbook does not attempt containment (a step run
 *    alone: its own steps decide); not-proven when a step changed something towards containment (a
 *    rotation, a revocation, a denylist entry, a cache bust: succeeded, or an effect of it journaled),
 *    since containment was attempted and nothing proved it; not-applicable when the key was
 *    inspected and holds no private material; otherwise not-attempted.
 * Exit code: 0 for a dry run; 130 when the run was interrupted (paused: `incident resume` goes on);
 * 1 when it waits for an approval it could not ask for; 4 when containment is not proven or not
 * attempted (also when the responder stopped the run before a proof); otherwise 3 when a step failed, else 0.
 *
 * @example runOutcome(events).summary // 'containment not attempted: locate, rotate, … and prove skipped: no inventory (…)'
 */
export function runOutcome(events: readonly JournalEvent[], options: RunOutcomeOptions = {}): RunOutcome {
  const state = foldIncident(events)
  const runStatus = options.runStatus !== undefined ? options.runStatus : lastRunStatus(events)
  const contains = options.contains ?? containsOf(events, state)
  const verdict = [...events].reverse().find((event) => event.type === VERDICT_EVENT)?.data ?? verifyOutputs(state)
  const checks = evidenceOf(checkEvents(events)).filter((item) => item.kind !== 'endpoint')
  // Changed, but neither a verdict nor a check since (or a check that could check nothing): attempted, not proven.
  const unchecked = verdict ? verdictOutcome(verdict) === 'not-attempted' : checks.length === 0
  const changed = unchecked ? changedSteps(state) : []
  const status: OutcomeStatus = verdict
    ? changed.length > 0
      ? 'not-proven'
      : verdictOutcome(verdict)
    : checks.length > 0
      ? // Without a verdict, only a relying party seen refusing (not a JWKS alone) can make it proven.
        containmentOf(checks, null).proven && checks.some((item) => item.kind === 'probe')
        ? 'proven'
        : 'not-proven'
      : // A playbook that does not attempt containment (a key.rotate run alone) is judged by its steps.
        !contains
        ? 'not-applicable'
        : changed.length > 0
          ? 'not-proven'
          : keyIsPublic(state)
            ? 'not-applicable'
            : 'not-attempted'
  const missing =
    status === 'proven' || status === 'not-applicable' ? [] : missingOf(status, verdict, events, state, runStatus, changed)
  const failed = state.stepOrder.filter((id) => state.steps[id]?.status === 'failed')
  const exitCode = exitCodeOf(status, runStatus, failed.length > 0)
  return {status, exitCode, summary: summaryOf(status, missing, state, contains, exitCode, failed), missing}
}

/**
 * A journal without a verdict event (older, or written by hand): the outputs of the last containment.verify
 * step that succeeded, when they say `contained` (a baseline says nothing about containment).
 */
function verifyOutputs(state: IncidentState): Record<string, unknown> | undefined {
  const step = state.stepOrder
    .map((id) => state.steps[id])
    .filter(
      (s) =>
        s?.uses === CONTAINMENT_CHECK &&
        s.status === 'succeeded' &&
        s.input?.baseline !== true &&
        typeof s.outputs?.contained === 'boolean',
    )
    .at(-1)
  return step?.outputs
}

/** Every event but the evidence of a baseline (taken before containment, where acceptance is expected). */
function checkEvents(events: readonly JournalEvent[]): JournalEvent[] {
  return events.filter((event) => event.data.phase !== 'baseline')
}

function verdictOutcome(verdict: Record<string, unknown>): OutcomeStatus {
  const named = OUTCOMES.find((outcome) => outcome === verdict.outcome && outcome !== 'not-applicable')
  if (named) return named
  return verdict.contained === true ? 'proven' : 'not-proven'
}

/**
 * The containment steps that changed something: succeeded, or with an effect journaled (an intent
 * counts: the change may have been made before the run stopped).
 */
function changedSteps(state: IncidentState): string[] {
  const withEffects = new Set(Object.values(state.effects).map((effect) => effect.step))
  return state.stepOrder.filter((id) => {
    const step = state.steps[id]
    return step?.uses !== undefined && CHANGE_STEPS.has(step.uses) && (step.status === 'succeeded' || withEffects.has(id))
  })
}

function exitCodeOf(status: OutcomeStatus, runStatus: string | null, anyFailed: boolean): ExitCodeValue {
  if (runStatus === 'planned') return ExitCode.ok
  if (runStatus === 'paused') return ExitCode.interrupted
  if (runStatus === 'waiting') return ExitCode.failure
  if (status === 'not-proven' || status === 'not-attempted') return ExitCode.notContained
  return runStatus === 'failed' || anyFailed ? ExitCode.playbookFailed : ExitCode.ok
}

function summaryOf(
  status: OutcomeStatus,
  missing: string[],
  state: IncidentState,
  contains: boolean,
  exitCode: ExitCodeValue,
  failed: string[],
): string {
  const failures = exitCode === ExitCode.playbookFailed ? `; ${plural(failed.length, 'step')} failed: ${failed.join(', ')}` : ''
  switch (status) {
    case 'proven':
      return `containment proven${failures}`
    case 'not-applicable':
      return contains
        ? `containment not needed: the key holds no private material (a public key is not a leak)${failures}`
        : `containment not in scope: playbook ${state.playbookLoaded?.name ?? state.playbook ?? '?'} does not attempt it${failures}`
    default:
      return `containment ${status === 'not-proven' ? 'not proven' : 'not attempted'}: ${missing.join('; ')}`
  }
}

function missingOf(
  status: OutcomeStatus,
  verdict: Record<string, unknown> | undefined,
  events: readonly JournalEvent[],
  state: IncidentState,
  runStatus: string | null,
  changed: string[],
): string[] {
  const missing: string[] = []
  if (runStatus === 'planned') missing.push('a dry run makes no change and checks nothing (run without --dry-run)')
  if (verdict) missing.push(...verdictGaps(verdict))
  // A verdict that lists what is missing names the key sets too; an older one names only services.
  if (status === 'not-proven' && strings(verdict?.missing).length === 0)
    missing.push(...evidenceGaps(sinceChange(events, changed), verdict !== undefined))
  if (changed.length > 0) missing.push(`${list(changed)} ran, but no check has proven containment since`)
  missing.push(...stepGaps(state, verdict !== undefined, runStatus !== 'completed'))
  missing.push(...locateGaps(state))
  const stopped = STOPPED.get(runStatus ?? '')
  if (stopped) missing.push(stopped)
  if (missing.length === 0) {
    missing.push(status === 'not-proven' ? 'the containment check did not prove it' : 'no containment check ran')
  }
  return [...new Set(missing)]
}

/**
 * The events after the last change of these steps (all of them when none changed): what a check saw
 * before a rotation says nothing of the key sets after it (locate saw the JWKS serving the key; the
 * rotation took it out).
 */
function sinceChange(events: readonly JournalEvent[], changed: readonly string[]): readonly JournalEvent[] {
  if (changed.length === 0) return events
  const last = events.findLastIndex((event) => typeof event.data.step === 'string' && changed.includes(event.data.step))
  return events.slice(last + 1)
}

/** Why an unfinished run left containment unproven, by how it ended. */
const STOPPED = new Map([
  ['aborted', 'the responder stopped the run before it finished'],
  ['paused', 'the run was interrupted (paused: jwkr incident resume goes on)'],
  ['waiting', 'the run is waiting for an approval before it goes on'],
])

/** The services and endpoints a verdict names as not contained (or its own `missing`, when it gives one). */
function verdictGaps(verdict: Record<string, unknown>): string[] {
  const own = strings(verdict.missing)
  if (own.length > 0) return own
  return [
    ...strings(verdict.exposed).map((id) => `${id} still accepts the key`),
    ...strings(verdict.unknown).map((id) => `${id} is not proven either way`),
    ...strings(verdict.undiscriminating).map((id) => `${id} refuses the canary but was never seen to accept one`),
    ...(str(verdict.reason) ? [str(verdict.reason) as string] : []),
  ]
}

/** Key sets (and, without a verdict, relying parties) whose latest check did not say contained. */
function evidenceGaps(events: readonly JournalEvent[], haveVerdict: boolean): string[] {
  const {targets} = containmentOf(evidenceOf(checkEvents(events)), null)
  return targets
    .filter((target) => target.outcome !== 'contained' && (target.kind === 'jwks' || !haveVerdict))
    .map((target) =>
      target.kind === 'jwks'
        ? `JWKS ${target.target} ${target.outcome === 'exposed' ? 'still serves the key' : 'could not be read'}`
        : `${target.target} ${target.outcome === 'exposed' ? 'still accepts the key' : 'gave no answer that tells'}`,
    )
}

/**
 * The containment steps that did not do their part, grouped by reason: `locate, rotate and check
 * skipped: no inventory (…)`, `rotate failed: …`, and while the run is unfinished `check and prove
 * have not run`. With a verdict, the failures of the check itself are left out (the verdict says
 * what is missing).
 */
function stepGaps(state: IncidentState, haveVerdict: boolean, unfinished: boolean): string[] {
  const skipped = new Map<string, string[]>()
  const failed: string[] = []
  const notRun: string[] = []
  const cut: string[] = []
  for (const id of state.stepOrder) {
    const step = state.steps[id]
    if (!step?.uses || !CONTAINMENT_STEPS.has(step.uses)) continue
    if (step.status === 'skipped' && !CONDITION_SKIP.test(step.reason ?? '')) {
      const reason = step.reason ?? 'no reason given'
      skipped.set(reason, [...(skipped.get(reason) ?? []), id])
    } else if (step.status === 'failed' && !(haveVerdict && step.uses === CONTAINMENT_CHECK)) {
      failed.push(`${id} failed: ${step.error?.message ?? step.error?.code ?? 'no reason recorded'}`)
    } else if (unfinished && step.status === 'running') {
      cut.push(id)
    } else if (unfinished && step.status === 'pending') {
      notRun.push(id)
    }
  }
  return [
    ...[...skipped].map(([reason, ids]) => `${list(ids)} skipped: ${reason}`),
    ...failed,
    ...(cut.length > 0 ? [`${list(cut)} started but did not finish`] : []),
    ...(notRun.length > 0 ? [`${list(notRun)} ${notRun.length === 1 ? 'has' : 'have'} not run`] : []),
  ]
}

/** Issuers the last locate could not check: the key may be published there. */
function locateGaps(state: IncidentState): string[] {
  const locate = state.stepOrder
    .map((id) => state.steps[id])
    .filter((step) => step?.uses === 'services.locate' && step.status === 'succeeded')
    .at(-1)?.outputs
  const unchecked = strings(locate?.uncheckedIssuers)
  return unchecked.length > 0 ? [`issuers that could not be checked for the key: ${unchecked.join(', ')}`] : []
}

function keyIsPublic(state: IncidentState): boolean {
  const inspect = state.stepOrder
    .map((id) => state.steps[id])
    .filter((step) => step?.uses === 'key.inspect' && step.status === 'succeeded')
    .at(-1)
  return inspect?.outputs?.private === false
}

function containsOf(events: readonly JournalEvent[], state: IncidentState): boolean {
  const loaded = [...events].reverse().find((event) => event.type === 'playbook.loaded')?.data
  const declared = typeof loaded?.contains === 'boolean' ? loaded.contains : undefined
  const uses = Array.isArray(loaded?.steps)
    ? loaded.steps.map((step) => str(rec(step)?.uses))
    : state.stepOrder.map((id) => state.steps[id]?.uses)
  return attemptsContainment(uses, declared)
}

/**
 * How the latest run ended: null while it runs (or when the journal has no run). An interrupted run is
 * paused, also in journals of an older jwkr, whose `run.finished` after `run.interrupted` says aborted.
 */
function lastRunStatus(events: readonly JournalEvent[]): string | null {
  let status: string | null = null
  for (const event of events) {
    if (event.type === 'incident.opened' || event.type === 'incident.resumed') status = null
    else if (event.type === 'run.interrupted') status = 'paused'
    else if (event.type === 'run.finished' && !(status === 'paused' && event.data.status === 'aborted'))
      status = str(event.data.status) ?? null
  }
  return status
}

function list(ids: string[]): string {
  return ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
