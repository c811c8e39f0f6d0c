// The drill's scorecard: how the team (and the tool) did. Everything comes from the drill incident's
// journal, through the same report model the RCA uses, plus what the world's fake Slack and GitHub
// saw; the scenario's `expect` says what a good response achieves.
import type {JournalEvent} from '../core/journal/types.js'
import {buildReport} from '../core/report/build-report.js'
import type {Phase, ReportModel} from '../core/report/report-model.js'
import {runOutcome, type RunOutcome} from '../core/report/run-outcome.js'
import {ExitCode, type ExitCodeValue} from '../core/errors.js'
import type {FaultReply} from './fault-script.js'
import type {DrillScenario} from './load-scenario.js'

export interface ScoredService {
  id: string
  /** The library it verifies tokens with (absent from scorecards written before it was recorded). */
  verifier?: string
  behaviour: string
  guarded: boolean
  cacheSeconds: number | null
  contained: boolean
  /** From the opening of the incident to the first probe that saw it reject the leaked key for good. */
  containedAfterSeconds: number | null
}

/**
 * passed and failed: the check was made and the expectation met or not. not-checked: there is nothing
 * to judge by (the step that would tell never ran): shown in words, never counted as passed.
 */
export type CheckResult = 'passed' | 'failed' | 'not-checked'

export interface ScoreCheck {
  name: string
  expected: unknown
  /** What was seen; null when not checked. */
  actual: unknown
  result: CheckResult
  /** result === 'passed' (what scorecards said before not-checked existed). */
  ok: boolean
  /** Why a check was not made, in words (only when not checked). */
  reason?: string
}

/**
 * The run's outcome as the scorecard keeps it. exitCode is the drill's own (the process's exit code:
 * whether the drill passed, drillExitCode); runExitCode is the code `jwkr respond` would have ended
 * the same run with (3 when a step failed, even one an injected fault made fail).
 */
export type DrillOutcome = Omit<RunOutcome, 'exitCode'> & {exitCode: ExitCodeValue; runExitCode: ExitCodeValue}

export interface DrillScorecard {
  drill: string
  scenario: string
  /** The run's own status (completed, failed…). */
  run: string
  /** Containment proven by the run's outcome (run-outcome.ts), with every service of the world proven contained. */
  contained: boolean
  /**
   * The run's outcome, as respond prints it: the scorecard can pass only where it is proven (or not
   * expected). Its exitCode is the drill's (DrillOutcome), the run's own is runExitCode.
   */
  outcome: DrillOutcome
  /** Every expectation of the scenario checked and met (a check not made is not met). */
  passed: boolean
  wallSeconds: number | null
  phases: Array<{phase: Phase; seconds: number | null; status: string}>
  services: ScoredService[]
  tokens: {signedWithLeakedKey: number | null; forgeries: number | null; subjects: number | null} | null
  messages: {slackPosts: number; slackUpdates: number; trackingIssue: 'created' | 'reported' | 'none'; drafts: string[]}
  /** The faults the scenario injected, and the steps they made fail: the drill's conditions, never mistakes. */
  faultsInjected: string[]
  /** Steps that failed, were skipped by the responder or never finished, for reasons other than an injected fault. */
  mistakes: string[]
  checks: ScoreCheck[]
  /**
   * The verdict and how the run ended, as one sentence: a passed drill whose run ended failed says
   * whether the injected faults explain it, so the two never read as contradicting each other.
   */
  verdict: string
}

/** What the world saw, reduced to plain facts (so the scorecard stays a pure function). */
export interface WorldFacts {
  services: Array<{id: string; verifier: string; behaviour: string; guarded: boolean; cacheSeconds: number}>
  slack: {posts: number; updates: number}
  github: {issues: number}
  /** Files the run wrote into the incident's artifacts (reports, drafts). */
  artifacts: string[]
  /** Services a good response busts the cache of (the scenario's expect.cacheBust, as ids). */
  cacheBustServices?: string[]
}

export function scoreDrill(input: {
  events: readonly JournalEvent[]
  scenario: DrillScenario
  world: WorldFacts
  runStatus: string
  now: Date
  /** Ctrl-C stopped the run: the drill exits 130, whatever it scored. */
  interrupted?: boolean
}): DrillScorecard {
  const model = buildReport(input.events, {now: input.now})
  const openedAt = model.incident.openedAt === null ? null : Date.parse(model.incident.openedAt)
  const services = input.world.services.map((service) => scoreService(service, model, openedAt))
  const outcome = runOutcome(input.events, {runStatus: input.runStatus})
  const contained = outcome.status === 'proven' && services.length > 0 && services.every((service) => service.contained)
  const forgeries = model.triage?.suspectedForgeries ?? null
  const trackingIssue = input.world.github.issues > 0 ? 'created' : githubFailureReported(model) ? 'reported' : 'none'
  const expect = input.scenario.expect
  const checks: ScoreCheck[] = [
    outcome.status === 'not-attempted' || outcome.status === 'not-applicable'
      ? notChecked('every service contained', expect.contained, `no containment check ran (${outcome.summary})`)
      : check('every service contained', expect.contained, contained),
    forgeries === null
      ? notChecked(
          'forgeries detected (at least)',
          expect.forgeriesAtLeast,
          model.triage === null ? 'no token triage ran' : 'token triage gave no count of forgeries',
        )
      : check('forgeries detected (at least)', expect.forgeriesAtLeast, forgeries, forgeries >= expect.forgeriesAtLeast),
    check('Slack status posted', expect.slackStatusPosted, input.world.slack.posts > 0),
    check('tracking issue', expect.trackingIssue, trackingIssue, trackingIssue === expect.trackingIssue),
    privateMembersCheck(model, expect.privateMembersFound),
    ...cacheBustChecks(input.events, model, input.world.cacheBustServices ?? []),
  ]
  const passed = checks.every((c) => c.result === 'passed')
  const exitCode = input.interrupted ? ExitCode.interrupted : drillExitCode({passed, contained})
  return {
    drill: model.incident.id,
    scenario: input.scenario.name,
    run: input.runStatus,
    contained,
    outcome: {...outcome, exitCode, runExitCode: outcome.exitCode},
    passed,
    wallSeconds: seconds(model.incident.openedAt, model.incident.lastEventAt),
    phases: model.phases.map((phase) => ({
      phase: phase.name,
      seconds: phase.durationMs === null ? null : round(phase.durationMs / 1000),
      status: phase.status,
    })),
    services,
    tokens: model.triage
      ? {signedWithLeakedKey: model.triage.signedWithLeakedKey, forgeries, subjects: model.triage.subjects}
      : null,
    messages: {
      slackPosts: input.world.slack.posts,
      slackUpdates: input.world.slack.updates,
      trackingIssue,
      drafts: input.world.artifacts,
    },
    faultsInjected: faultsOf(input.scenario, model),
    mistakes: mistakesOf(model, input.scenario),
    checks,
    verdict: verdictOf(checks, input.runStatus, model, input.scenario),
  }
}

/** The `uses` areas each kind of injected fault can make fail. */
function faultedUses(scenario: DrillScenario): Set<string> {
  const faults = scenario.faults
  return new Set([...(faults.slack.length > 0 ? ['notify.slack'] : []), ...(faults.github.length > 0 ? ['notify.github'] : [])])
}

/** The ids of the failed steps whose `uses` is one of these. */
function failedStepsUsing(model: ReportModel, uses: ReadonlySet<string>): string[] {
  return model.steps.filter((step) => step.status === 'failed' && uses.has(step.uses ?? '')).map((step) => step.id)
}

function faultedSteps(model: ReportModel, scenario: DrillScenario): string[] {
  return failedStepsUsing(model, faultedUses(scenario))
}

function faultsOf(scenario: DrillScenario, model: ReportModel): string[] {
  const replies = (fault: {replies: FaultReply[]; repeat: boolean}) =>
    `answers ${fault.replies.map((reply) => reply.status).join(', then ')}${fault.repeat ? ', repeated on every later try' : ''}`
  const {faults} = scenario
  const failed = (uses: string) => {
    const ids = failedStepsUsing(model, new Set([uses]))
    return ids.length > 0 ? ` (${ids.join(', ')} failed as a result)` : ''
  }
  return [
    ...(faults.jwksServesPrivate ? ['The issuer’s JWKS publishes the private members of the leaked key.'] : []),
    ...(faults.leakWithoutKid ? ['The leaked key was found without its kid.'] : []),
    ...faults.services.map((fault) => `Service ${fault.service} behaves as ${fault.behaviour}.`),
    ...faults.slack.map((fault) => `Slack ${fault.method} ${replies(fault)}${failed('notify.slack')}.`),
    ...faults.github.map((fault) => `GitHub ${fault.route} ${replies(fault)}${failed('notify.github')}.`),
  ]
}

/**
 * The drill's exit code: 0 when it passed, 4 when containment was not proven, 1 when it was proven but
 * another expectation was missed or not checked (README, Exit codes). 130 (Ctrl-C) is the command's.
 *
 * @example drillExitCode({passed: false, contained: true}) // 1
 */
export function drillExitCode(card: {passed: boolean; contained: boolean}): ExitCodeValue {
  if (card.passed) return ExitCode.ok
  return card.contained ? ExitCode.failure : ExitCode.notContained
}

function verdictOf(checks: ScoreCheck[], runStatus: string, model: ReportModel, scenario: DrillScenario): string {
  const missed = checks.filter((c) => c.result === 'failed').map((c) => c.name)
  const unchecked = checks.filter((c) => c.result === 'not-checked').map((c) => c.name)
  const reasons = [
    ...(missed.length > 0 ? [`${missed.join(', ')} not as expected`] : []),
    ...(unchecked.length > 0 ? [`${unchecked.join(', ')} not checked`] : []),
  ]
  const verdict = reasons.length === 0 ? 'Passed: every expectation met' : `Not passed: ${reasons.join('; ')}`
  if (runStatus === 'completed') return `${verdict}; the run completed.`
  const failed = model.steps.filter((step) => step.status === 'failed').map((step) => step.id)
  const faulted = faultedSteps(model, scenario)
  const explained = failed.length > 0 && failed.every((id) => faulted.includes(id))
  if (explained)
    return `${verdict}; the run ended ${runStatus} because the injected faults made ${failed.join(', ')} fail, as the scenario intends.`
  const other = failed.filter((id) => !faulted.includes(id))
  return `${verdict}; but the run ended ${runStatus}${other.length > 0 ? ` (${other.join(', ')} failed, not because of an injected fault)` : ''}.`
}

function scoreService(service: WorldFacts['services'][number], model: ReportModel, openedAt: number | null): ScoredService {
  const target = model.containment?.targets.find((t) => t.kind === 'probe' && t.target === service.id)
  const contained = target?.outcome === 'contained'
  const since = contained && target?.since ? Date.parse(target.since) : null
  return {
    id: service.id,
    verifier: service.verifier,
    behaviour: service.behaviour,
    guarded: service.guarded,
    cacheSeconds: Number.isFinite(service.cacheSeconds) ? service.cacheSeconds : null,
    contained,
    containedAfterSeconds: since !== null && openedAt !== null ? round((since - openedAt) / 1000) : null,
  }
}

function mistakesOf(model: ReportModel, scenario: DrillScenario): string[] {
  const mistakes: string[] = []
  const faulted = faultedSteps(model, scenario)
  for (const step of model.steps) {
    if (step.status === 'failed' && !faulted.includes(step.id))
      mistakes.push(`${step.id} failed: ${step.error?.message ?? 'no reason recorded'}`)
    if (step.status === 'skipped' && step.reason?.includes('responder')) mistakes.push(`${step.id} was skipped by the responder`)
    if (step.status === 'pending' || step.status === 'running') mistakes.push(`${step.id} never finished`)
  }
  return mistakes
}

function githubFailureReported(model: ReportModel): boolean {
  return model.steps.some((step) => step.uses === 'notify.github' && step.status === 'failed')
}

function check(name: string, expected: unknown, actual: unknown, ok = expected === actual): ScoreCheck {
  return {name, expected, actual, result: ok ? 'passed' : 'failed', ok}
}

function notChecked(name: string, expected: unknown, reason: string): ScoreCheck {
  return {name, expected, actual: null, result: 'not-checked', ok: false, reason}
}

/** Whether locate reported the JWKS serving private members: unknown until locate has answered. */
function privateMembersCheck(model: ReportModel, expected: boolean): ScoreCheck {
  const name = 'JWKS serving private members found'
  if (model.locate === null) return notChecked(name, expected, 'locate never finished')
  const found = model.locate.critical.some((finding) => /private/i.test(finding))
  return check(name, expected, found, !expected || found)
}

/**
 * One check per service whose cache only its cache-bust hook empties in time (the scenario's
 * expect.cacheBust): busted when the run recorded a successful call of its hook
 * (containment.cache-bust); not checked while no services.bust-caches step has ended.
 */
function cacheBustChecks(events: readonly JournalEvent[], model: ReportModel, services: readonly string[]): ScoreCheck[] {
  const busted = new Set(
    events
      .filter((event) => event.type === 'containment.cache-bust')
      .map((event) => (event.data as {service?: unknown}).service)
      .filter((service): service is string => typeof service === 'string'),
  )
  // Skipped (by the responder, or for want of a hook) is an answer: the cache was not busted.
  const ended = model.steps.some(
    (step) => step.uses === 'services.bust-caches' && ['succeeded', 'failed', 'skipped'].includes(step.status),
  )
  return services.map((service) => {
    const name = `cache busted: ${service}`
    if (busted.has(service)) return check(name, true, true)
    return ended ? check(name, true, false) : notChecked(name, true, 'no cache-bust step ran')
  })
}

function seconds(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null
  return round((Date.parse(to) - Date.parse(from)) / 1000)
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
