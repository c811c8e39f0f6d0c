// Folds an incident journal into the report model (report-model.ts): the facts of the incident, its
// steps grouped into phases, a readable timeline, the containment evidence, the exposure window and
// what the responders should look at next. Pure: the journal's events and a clock in, a model out.
import {formatDuration} from '../duration.js'
import {recordedPublished} from '../containment/recorded-probes.js'
import {foldIncident, unprovenWords} from '../journal/state.js'
import type {IncidentState, JournalEvent, StepState} from '../journal/types.js'
import {checklistOf} from './checklist.js'
import {keyUnpublished, publicActionsOf} from './drafts.js'
import {checkSpans, containmentOf, evidenceOf} from './evidence.js'
import {declaredPhase, PHASES, PHASE_TITLES, phaseOf} from './phases.js'
import {runOutcome, VERDICT_EVENT, type RunOutcome} from './run-outcome.js'
import {between, instant, isHttpUrl, num, rec, str, strings, withoutExpressions} from './read-data.js'
import type {
  ActionTaken,
  CheckSpan,
  Containment,
  EvidenceItem,
  Exposure,
  Phase,
  ReportEvent,
  ReportLink,
  ReportModel,
  ReportPhase,
  ReportStep,
  TriageFigures,
} from './report-model.js'
import {triageOf} from './triage.js'

export interface BuildReportOptions {
  /** The report's own time: ongoing durations run until then. */
  now: Date
}

/**
 * The report model of an incident, from its journal alone.
 *
 * @example const model = buildReport(await readIncidentEvents(location), {now: new Date()})
 */
export function buildReport(events: readonly JournalEvent[], options: BuildReportOptions): ReportModel {
  const state = foldIncident(events)
  const generatedAt = options.now.toISOString()
  const steps = reportSteps(state)
  const outputsOf = (uses: string) => lastOutputs(steps, state, uses)
  const inspect = outputsOf('key.inspect')?.outputs
  const locate = outputsOf('services.locate')?.outputs
  const tokens = outputsOf('tokens.scan')
  const triage = tokens ? triageOf(tokens.id, tokens.outputs) : null
  const evidence = evidenceOf(events)
  const spans = checkSpans(evidence)
  const published = publishedKidsOf(events, state.thumbprint ?? null)
  const verify = steps.find((step) => step.uses === 'containment.verify' && step.status === 'succeeded')
  const verified = verify && state.steps[verify.id]?.outputs?.contained === true && verify.finishedAt
  const outcome = runOutcome(events)
  const containment = agreeWith(
    outcome,
    containmentOf(evidence, state.openedAt ?? null, verified ? {containedAt: verify.finishedAt as string} : null),
    events,
    state.openedAt ?? null,
  )
  const links = linksOf(state, events)
  const counts = {
    steps: steps.length,
    succeeded: steps.filter((step) => step.status === 'succeeded').length,
    failed: steps.filter((step) => step.status === 'failed').length,
    skipped: steps.filter((step) => step.status === 'skipped').length,
    pending: steps.filter((step) => step.status === 'pending' || step.status === 'running').length,
  }
  const model: ReportModel = {
    generatedAt,
    incident: {
      id: state.id,
      drill: state.drill,
      status: state.status,
      openedAt: state.openedAt ?? null,
      openedBy: state.startedBy ? `${state.startedBy.user}@${state.startedBy.host}` : null,
      closedAt: state.closedAt ?? null,
      closeReason: state.closeReason ?? null,
      lastEventAt: state.lastEventAt ?? null,
      inProgress: state.status === 'running',
      runningSteps: steps.filter((step) => step.status === 'running').map((step) => step.id),
      playbook: state.playbookLoaded?.name ?? state.playbook,
      source: state.source,
    },
    severity: str(inspect?.severity) ?? 'unknown',
    key: {
      thumbprint: state.thumbprint ?? str(inspect?.thumbprint),
      thumbprintUri: str(inspect?.thumbprintUri),
      kid: state.kid ?? str(inspect?.kid) ?? published.kids[0] ?? null,
      publishedKids: published.kids,
      publishedWithoutKid: published.withoutKid,
      kty: state.kty ?? str(inspect?.kty),
      alg: state.alg ?? str(inspect?.alg),
      private: typeof inspect?.private === 'boolean' ? inspect.private : null,
      privateMembers: strings(inspect?.privateMembers),
    },
    replacement: replacementOf(outputsOf('key.rotate')?.outputs),
    issuers: {publishing: strings(locate?.publishing), unchecked: strings(locate?.uncheckedIssuers)},
    services: strings(locate?.dependents),
    locate: locate
      ? {
          endpoints: num(locate.endpoints) ?? 0,
          failed: strings(locate.failedEndpoints),
          critical: strings(locate.criticalFindings),
        }
      : null,
    copies: copiesOf(steps, state),
    triage,
    steps,
    checklist: checklistOf(state),
    phases: phasesOf(steps),
    timeline: timelineOf(events, steps, evidence, spans),
    notes: state.notes.map((note) => ({at: note.ts, author: note.author, text: note.text, step: note.step ?? null})),
    evidence,
    spans,
    containment,
    outcome,
    exposure: exposureOf(state, triage, containment, generatedAt),
    links,
    actionsTaken: actionsOf(steps, state),
    publicActions: [],
    keyUnpublished: keyUnpublished({containment}),
    observations: {wentWell: [], toImprove: []},
    actionItems: [],
    counts,
  }
  model.observations = observationsOf(model)
  model.actionItems = actionItemsOf(model)
  model.publicActions = publicActionsOf(model)
  return model
}

/**
 * The model as a document drafted during a run shows it: the run is in progress, so nothing is
 * claimed as contained yet (the checks so far stay in the tables), the exposure window is open, and
 * the outcome line says why. A finished run's model is returned as it is.
 *
 * @example renderDocument(templates, asDrafted(model), request)
 */
export function asDrafted(model: ReportModel): ReportModel {
  if (!model.incident.inProgress) return model
  const running = model.incident.runningSteps
  const view: ReportModel = {
    ...model,
    containment: {...model.containment, proven: false, containedAt: null, timeToContainMs: null},
    exposure: {
      ...model.exposure,
      until: null,
      untilBasis: 'ongoing',
      durationMs: between(model.exposure.from, model.generatedAt),
    },
    outcome: {
      ...model.outcome,
      status: model.outcome.status === 'proven' ? 'not-proven' : model.outcome.status,
      summary: `run in progress${running.length > 0 ? ` (running: ${running.join(', ')})` : ''}: containment is not claimed until the run ends`,
    },
  }
  view.observations = observationsOf(view)
  view.actionItems = actionItemsOf(view)
  view.publicActions = publicActionsOf(view)
  return view
}

/**
 * Containment as the run's outcome says it: never proven when the outcome is not proven (a refusal
 * the verdict did not count), and proven at the last verdict when it says so without evidence.
 */
function agreeWith(
  outcome: RunOutcome,
  containment: Containment,
  events: readonly JournalEvent[],
  openedAt: string | null,
): Containment {
  const proven = outcome.status === 'proven'
  if (proven === containment.proven || outcome.status === 'not-applicable') return containment
  if (!proven) return {...containment, proven: false, containedAt: null, timeToContainMs: null}
  const containedAt = [...events].reverse().find((event) => event.type === VERDICT_EVENT)?.ts ?? null
  return {...containment, proven: true, containedAt, timeToContainMs: between(openedAt, containedAt)}
}

function reportSteps(state: IncidentState): ReportStep[] {
  let previous: Phase = 'assess'
  return state.stepOrder.flatMap((id) => {
    const step = state.steps[id]
    if (!step) return []
    const phase = declaredPhase(step.phase) ?? phaseOf(step.uses, previous)
    previous = phase
    return [
      {
        id,
        uses: step.uses ?? null,
        title: step.title ?? id,
        phase,
        status: step.status,
        startedAt: step.startedAt ?? null,
        finishedAt: step.finishedAt ?? null,
        durationMs: step.status === 'skipped' ? null : between(step.startedAt, step.finishedAt),
        attempts: step.attempts,
        approvedBy: step.approvedBy ?? null,
        error: step.error ? {...step.error, message: withoutExpressions(step.error.message)} : null,
        reason: step.reason === undefined ? null : withoutExpressions(step.reason),
      },
    ]
  })
}

/** The outputs of the last succeeded step with this `uses`. */
function lastOutputs(
  steps: ReportStep[],
  state: IncidentState,
  uses: string,
): {id: string; outputs: Record<string, unknown>} | undefined {
  const step = [...steps].reverse().find((s) => s.uses === uses && s.status === 'succeeded' && state.steps[s.id]?.outputs)
  return step ? {id: step.id, outputs: state.steps[step.id]?.outputs ?? {}} : undefined
}

function replacementOf(outputs: Record<string, unknown> | undefined): ReportModel['replacement'] {
  if (!outputs) return null
  const nested = rec(outputs.replacement) ?? rec(outputs.newKey) ?? {}
  const kid = str(outputs.newKid) ?? str(nested.kid)
  const thumbprint = str(outputs.newThumbprint) ?? str(nested.thumbprint)
  return kid || thumbprint ? {kid, thumbprint} : null
}

function copiesOf(steps: ReportStep[], state: IncidentState): ReportModel['copies'] {
  const ran = (uses: string) =>
    steps.filter((step) => step.uses === uses && step.status === 'succeeded').map((step) => state.steps[step.id] as StepState)
  const search = ran('code.search')
  const scan = ran('code.scan')
  if (search.length === 0 && scan.length === 0) return null
  return {
    repos: [...new Set(search.flatMap((step) => strings(step.outputs?.repos)))],
    files: [...new Set(scan.flatMap((step) => strings(step.outputs?.files)))],
    privateHits: scan.reduce((sum, step) => sum + (num(step.outputs?.privateHits) ?? 0), 0),
  }
}

function phasesOf(steps: ReportStep[]): ReportPhase[] {
  return PHASES.flatMap((name) => {
    const members = steps.filter((step) => step.phase === name)
    const started = members.filter((step) => step.startedAt !== null)
    if (started.length === 0) return []
    const startedAt = started.map((step) => step.startedAt as string).reduce((a, b) => (a < b ? a : b))
    const running = started.some((step) => step.status === 'running')
    const finishedAt = running ? null : started.map((step) => step.finishedAt ?? startedAt).reduce((a, b) => (a > b ? a : b))
    return [
      {
        name,
        title: PHASE_TITLES[name],
        startedAt,
        finishedAt,
        durationMs: between(startedAt, finishedAt),
        steps: members.map((step) => step.id),
        status: members.some((step) => step.status === 'failed') ? 'failed' : running ? 'running' : 'done',
      },
    ]
  })
}

/** A skip because a condition was false is the playbook working as written: not worth a timeline line. */
const CONDITION_SKIP = /^its condition is false/

/**
 * Decisions, effects, state changes and notes, in journal order. Checks are not events here: a
 * target's span of one outcome is, at its first check (the checks are the appendix).
 */
function timelineOf(
  events: readonly JournalEvent[],
  steps: ReportStep[],
  evidence: EvidenceItem[],
  spans: CheckSpan[],
): ReportEvent[] {
  const byId = new Map(steps.map((step) => [step.id, step]))
  const stepOfCheck = new Map(evidence.map((item) => [item.seq, item.step]))
  const spanAt = new Map(spans.map((span) => [span.seq, span]))
  const timeline: ReportEvent[] = []
  for (const event of events) {
    const {data} = event
    const stepId = str(data.step)
    const step = stepId ? byId.get(stepId) : undefined
    const name = step ? `${step.title} (${step.id})` : (stepId ?? '?')
    const add = (kind: ReportEvent['kind'], text: string, outcome: ReportEvent['outcome'] = null, at = event.ts) =>
      timeline.push({seq: event.seq, at, kind, phase: step?.phase ?? null, step: stepId, text: withoutExpressions(text), outcome})
    switch (event.type) {
      case 'incident.opened': {
        const by = rec(data.startedBy)
        const who = by ? ` by ${str(by.user) ?? '?'}@${str(by.host) ?? '?'}` : ''
        const where = str(data.source) ? ` (found at ${str(data.source)})` : ''
        add('incident', `Incident opened${who}: key ${str(data.thumbprint) ?? '(no thumbprint)'} reported${where}`)
        break
      }
      case 'incident.resumed':
        add('incident', `Incident resumed by ${str(rec(data.by)?.user) ?? str(data.by) ?? '?'}`)
        break
      case 'incident.closed':
        add('incident', `Incident closed${unprovenWords(data.unproven)}: ${str(data.reason) ?? 'no reason given'}`)
        break
      case 'journal.repaired':
        add('incident', 'Journal repaired after a crash: an incomplete last line was cut off')
        break
      case 'step.approved':
        if (str(data.by) !== '--yes') add('decision', `${name} approved by ${str(data.by) ?? '?'}`)
        break
      case 'step.succeeded':
        add('step', `${name} succeeded`)
        break
      case 'step.failed': {
        const error = rec(data.error)
        const retry = data.final === false ? ' (retried)' : ''
        add('failure', `${name} failed${retry}: ${str(error?.message) ?? str(error?.code) ?? 'unknown error'}`)
        break
      }
      case 'step.skipped':
        if (!CONDITION_SKIP.test(str(data.reason) ?? '')) add('step', `${name} skipped: ${str(data.reason) ?? 'no reason given'}`)
        break
      case 'effect.done':
        add('effect', `${name}: ${effectDescription(events, data) ?? str(data.key) ?? 'change'} — done${refText(rec(data.ref))}`)
        break
      case 'effect.repeated':
        add('effect', `${name}: ${str(data.key) ?? 'a change'} made again (${str(data.reason) ?? 'no reason given'})`)
        break
      case 'note.added':
        add('note', `Note by ${str(data.author) ?? '?'}: ${str(data.text) ?? ''}`)
        break
      case 'observer.failed':
        add('failure', `Keeping ${str(data.observer) ?? 'an observer'} current failed: ${str(data.message) ?? '?'}`)
        break
      case 'run.finished':
        add('run', `Run finished: ${str(data.status) ?? '?'}`)
        break
      case 'run.interrupted':
        add('run', `Run interrupted: ${str(data.reason) ?? 'no reason given'}`)
        break
      default: {
        const span = spanAt.get(event.seq)
        // A span is dated by its first check, as in the appendix; its step is the check's.
        if (span) {
          const phase = byId.get(stepOfCheck.get(span.seq) ?? '')?.phase ?? null
          timeline.push({
            seq: event.seq,
            at: span.from,
            kind: 'evidence',
            phase,
            step: stepOfCheck.get(span.seq) ?? null,
            text: withoutExpressions(spanText(span)),
            outcome: span.outcome,
          })
        }
      }
    }
  }
  return timeline
}

const SPAN_VERBS: Record<CheckSpan['kind'], Record<CheckSpan['outcome'], string>> = {
  probe: {exposed: 'accepted the leaked key', contained: 'rejected the leaked key', unknown: 'gave no answer that tells'},
  jwks: {exposed: 'served the leaked key', contained: 'no longer served the leaked key', unknown: 'could not be read'},
}

/** `billing-api accepted the leaked key: 60 checks from 09:10:01 to 09:11:00, still so at the latest (HTTP 200: …)`. */
function spanText(span: CheckSpan): string {
  const what = span.kind === 'jwks' ? `Key set ${span.target}` : span.target
  const checks =
    span.checks === 1
      ? `1 check${span.latest ? ', the latest' : ''}`
      : `${span.checks} checks from ${clock(span.from)} to ${clock(span.to)}${span.latest ? ', still so at the latest' : ''}`
  return `${what} ${SPAN_VERBS[span.kind][span.outcome]}: ${checks}${span.detail ? ` (${span.detail})` : ''}`
}

/** The time of day of an instant: `09:10:05`. */
function clock(iso: string): string {
  return iso.slice(11, 19)
}

function effectDescription(events: readonly JournalEvent[], data: Record<string, unknown>): string | null {
  const key = str(data.key)
  const intent = [...events].reverse().find((event) => event.type === 'effect.intent' && event.data.key === key)
  return str(intent?.data.description)
}

/** The scalar facts of an effect's ref, URLs first: `(url …, pullRequest 17)`. */
function refText(ref: Record<string, unknown> | null): string {
  if (!ref) return ''
  const parts = Object.entries(ref)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .sort(([, a], [, b]) => Number(isHttpUrl(b)) - Number(isHttpUrl(a)))
    .map(([name, value]) => `${name} ${String(value)}`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

/** Every URL a remote change gave back (pull requests, the tracking issue), once each. */
function linksOf(state: IncidentState, events: readonly JournalEvent[]): ReportLink[] {
  const links = new Map<string, ReportLink>()
  for (const effect of Object.values(state.effects)) {
    if (effect.status !== 'done' || !effect.ref) continue
    for (const value of Object.values(effect.ref)) {
      if (isHttpUrl(value) && !links.has(value))
        links.set(value, {step: effect.step, label: effect.description || 'change', url: value})
    }
  }
  for (const event of events) {
    const url = event.type === 'github.issue' ? event.data.url : undefined
    if (isHttpUrl(url) && !links.has(url)) links.set(url, {step: str(event.data.step) ?? '', label: 'Tracking issue', url})
  }
  return [...links.values()]
}

/** What was done about the key: the steps that located, contained and proved, with their remote changes. */
function actionsOf(steps: ReportStep[], state: IncidentState): ActionTaken[] {
  const effects = Object.values(state.effects)
  return steps
    .filter((step) => step.status === 'succeeded' && ['locate', 'contain', 'prove'].includes(step.phase))
    .map((step) => ({
      step: step.id,
      title: step.title,
      phase: step.phase,
      at: step.finishedAt,
      effects: effects
        .filter((effect) => effect.step === step.id && effect.status === 'done')
        .map((effect) => effect.description),
    }))
}

function exposureOf(state: IncidentState, triage: TriageFigures | null, containment: Containment, now: string): Exposure {
  const given = instant(state.inputs.leakedAt)
  const candidates: Array<{at: string; basis: Exposure['fromBasis']}> = []
  if (given) candidates.push({at: given, basis: 'given'})
  if (triage?.firstForgeryAt) candidates.push({at: triage.firstForgeryAt, basis: 'first-forgery'})
  if (state.openedAt) candidates.push({at: state.openedAt, basis: 'reported'})
  const first = candidates.sort((a, b) => a.at.localeCompare(b.at))[0]
  const until = containment.containedAt
  return {
    from: first?.at ?? null,
    fromBasis: first?.basis ?? 'reported',
    until,
    untilBasis: until ? 'contained' : 'ongoing',
    durationMs: between(first?.at, until ?? now),
  }
}

function observationsOf(model: ReportModel): ReportModel['observations'] {
  const wentWell: string[] = []
  const toImprove: string[] = []
  const inspect = model.steps.find((step) => step.uses === 'key.inspect' && step.status === 'succeeded')
  const identifiedIn = between(model.incident.openedAt, inspect?.finishedAt)
  if (identifiedIn !== null)
    wentWell.push(`The key was identified by its thumbprint ${formatDuration(identifiedIn)} after the incident was opened.`)
  const {containment} = model
  if (containment.proven && containment.timeToContainMs !== null) {
    wentWell.push(
      `Containment was proven ${formatDuration(containment.timeToContainMs)} after the incident was opened` +
        (containment.targets.length > 0
          ? `, by ${plural(containment.targets.length, 'endpoint or relying party', 'endpoints and relying parties')} rejecting the key.`
          : '.'),
    )
  }
  const firstTry = model.steps.filter((step) => step.status === 'succeeded' && step.attempts <= 1)
  if (firstTry.length > 0)
    wentWell.push(`${plural(firstTry.length, 'step')} of ${model.counts.steps} succeeded at the first attempt.`)
  for (const step of model.steps) {
    if (step.status === 'failed') toImprove.push(`${step.title} (${step.id}) failed: ${step.error?.message ?? 'unknown error'}`)
    else if (step.attempts > 1) toImprove.push(`${step.title} (${step.id}) needed ${step.attempts} attempts.`)
  }
  for (const target of containment.targets) {
    const verb = target.kind === 'probe' ? 'accepted' : 'served'
    if (target.outcome !== 'contained')
      toImprove.push(`${target.target} was ${target.outcome} at its last check (${utc(target.lastCheckedAt)}).`)
    else if (target.since !== null && target.lastExposedAt !== null && target.lastExposedAt < target.since)
      // Only an accepting check at T may say "until T": a target whose first check refused says nothing.
      toImprove.push(
        `${target.target} still ${verb} the key when checked at ${utc(target.lastExposedAt)}; ${target.kind === 'probe' ? 'it refused it' : 'it no longer served it'} from ${utc(target.since)}.`,
      )
  }
  if (model.issuers.unchecked.length > 0)
    toImprove.push(`Issuers that could not be checked: ${model.issuers.unchecked.join(', ')}.`)
  if (model.locate && model.locate.failed.length > 0)
    toImprove.push(`Endpoints that could not be read: ${model.locate.failed.join(', ')}.`)
  return {wentWell, toImprove}
}

function actionItemsOf(model: ReportModel): string[] {
  const items: string[] = []
  for (const target of model.containment.targets) {
    if (target.outcome === 'exposed')
      items.push(
        `Contain ${target.target}: it still ${target.kind === 'probe' ? 'accepted' : 'served'} the leaked key at ${utc(target.lastCheckedAt)}.`,
      )
    if (target.outcome === 'unknown') items.push(`Check ${target.target} again: its last check could not tell.`)
  }
  if (!model.containment.proven && model.containment.targets.length === 0) {
    items.push('Prove containment: no relying party or key set has been checked yet (jwkr verify).')
  }
  for (const step of model.steps) {
    if (step.status === 'failed')
      items.push(`Finish ${step.title} (${step.id}) by hand, or resume the incident: ${step.error?.message ?? 'it failed'}`)
  }
  for (const issuer of model.issuers.unchecked) items.push(`Find out whether issuer ${issuer} publishes the key.`)
  const triage = model.triage
  if (triage?.suspectedForgeries)
    items.push(`Investigate ${plural(triage.suspectedForgeries, 'suspected forged token')} and what they were used for.`)
  if (triage?.subjects) items.push(`Notify the ${plural(triage.subjects, 'affected subject')} found by token triage.`)
  if (model.copies && model.copies.repos.length > 0)
    items.push(
      `Remove the key from ${plural(model.copies.repos.length, 'repository', 'repositories')}: ${model.copies.repos.join(', ')}.`,
    )
  if (model.copies && model.copies.files.length > 0)
    items.push(`Delete or clean ${plural(model.copies.files.length, 'file')} holding a copy of the key.`)
  return items
}

/** A time as people read it in a sentence: `2026-03-14 09:10:05 UTC`. */
function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The kids the journal saw the key published under, and whether one place published it without a kid. */
function publishedKidsOf(events: readonly JournalEvent[], thumbprint: string | null): {kids: string[]; withoutKid: boolean} {
  const published = thumbprint === null ? [] : recordedPublished(events, thumbprint)
  const kids = [...new Set(published.flatMap((entry) => (entry.kid === null ? [] : [entry.kid])))]
  return {kids, withoutKid: published.some((entry) => entry.kid === null)}
}
