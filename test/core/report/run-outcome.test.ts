// The run's outcome from its journal (src/core/report/run-outcome.ts): one pure function decides
// whether containment was proven, not proven, not attempted or is not what the playbook does, what
// is missing and the exit code; the drill scorecard and the RCA take it from there and never disagree.
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../../src/adapters/templates/template-set.js'
import {renderDocument} from '../../../src/services/report.js'
import {buildReport} from '../../../src/core/report/build-report.js'
import {runOutcome} from '../../../src/core/report/run-outcome.js'
import type {DrillScenario} from '../../../src/drill/load-scenario.js'
import {scoreDrill} from '../../../src/drill/scorecard.js'
import {eventsOf, FIXTURE_NOW, OPENED} from './fixture.js'

type Entry = [number, string, Record<string, unknown>]

const STEPS = [
  {id: 'inspect', uses: 'key.inspect'},
  {id: 'locate', uses: 'services.locate'},
  {id: 'rotate', uses: 'key.rotate'},
  {id: 'prove', uses: 'containment.verify'},
  {id: 'issue', uses: 'notify.github'},
]
const LOADED: Entry = [0.1, 'playbook.loaded', {name: 'leaked-signing-key', steps: STEPS}]
const PRIVATE: Entry[] = [
  [1, 'step.started', {step: 'inspect', uses: 'key.inspect', attempt: 1}],
  [1.1, 'step.succeeded', {step: 'inspect', outputs: {private: true}}],
]
const verdict = (at: number, data: Record<string, unknown>): Entry => [at, 'containment.verdict', {step: 'prove', ...data}]
const skipped = (at: number, step: string, reason: string): Entry => [at, 'step.skipped', {step, reason}]
const failed = (at: number, step: string, message: string): Entry => [
  at,
  'step.failed',
  {step, error: {code: 'ERR_STEP_FAILED', message}, attempt: 1, final: true},
]
const finished = (at: number, status: string): Entry => [at, 'run.finished', {status}]
/** locate and rotate done, as they are by the time a real run proves anything. */
const RAN: Entry[] = ['locate', 'rotate'].flatMap((step, i): Entry[] => [
  [2 + i, 'step.started', {step, attempt: 1}],
  [2.5 + i, 'step.succeeded', {step, outputs: {}}],
])

const journal = (...entries: Entry[]) => eventsOf([OPENED, LOADED, ...PRIVATE, ...entries])

describe('runOutcome', () => {
  it('proven: the last verdict says so (its outcome field), exit 0', () => {
    // Given a verdict with outcome proven and a completed run
    const events = journal(verdict(10, {contained: true, outcome: 'proven', missing: []}), finished(11, 'completed'))
    // When the outcome is derived
    // Then it is proven, with nothing missing, exit 0
    expect(runOutcome(events)).toEqual({status: 'proven', exitCode: 0, summary: 'containment proven', missing: []})
  })

  it('falls back to the verdict’s contained boolean when it has no (known) outcome', () => {
    // Given verdicts without an outcome (older journals), or with one this jwkr does not know
    const contained = journal(verdict(10, {contained: true}), finished(11, 'completed'))
    const exposed = journal(
      verdict(10, {contained: false, exposed: ['billing'], unknown: ['reports']}),
      finished(11, 'completed'),
    )
    const odd = journal(verdict(10, {contained: true, outcome: 'maybe'}), finished(11, 'completed'))
    // Then contained true is proven, false is not proven, naming the services from the verdict
    expect(runOutcome(contained).status).toBe('proven')
    expect(runOutcome(odd).status).toBe('proven')
    expect(runOutcome(exposed)).toMatchObject({
      status: 'not-proven',
      exitCode: 4,
      missing: ['billing still accepts the key', 'reports is not proven either way'],
    })
  })

  it('takes the LAST verdict: a later check overrides an earlier one, either way', () => {
    // Given a proven check followed by a not-proven one, and the reverse
    const worse = journal(
      verdict(10, {contained: true, outcome: 'proven'}),
      verdict(20, {contained: false, outcome: 'not-proven', missing: ['a: exposed']}),
      finished(21, 'completed'),
    )
    const better = journal(
      verdict(10, {contained: false, outcome: 'not-proven'}),
      verdict(20, {contained: true, outcome: 'proven'}),
    )
    // Then the last one decides
    expect(runOutcome(worse)).toMatchObject({status: 'not-proven', missing: ['a: exposed']})
    expect(runOutcome(better).status).toBe('proven')
  })

  it('not attempted when the verdict says so, with its own missing, exit 4', () => {
    // Given a verdict of a check that could probe nothing
    const events = journal(
      verdict(10, {
        contained: false,
        outcome: 'not-attempted',
        missing: ['nothing to check: the inventory names no JWKS and no service'],
      }),
      finished(11, 'completed'),
    )
    // Then the outcome is not attempted and says what is missing
    expect(runOutcome(events)).toEqual({
      status: 'not-attempted',
      exitCode: 4,
      summary: 'containment not attempted: nothing to check: the inventory names no JWKS and no service',
      missing: ['nothing to check: the inventory names no JWKS and no service'],
    })
  })

  it('not attempted without a verdict in a playbook that contains: the skipped steps say what is missing', () => {
    // Given a run without an inventory: locate, rotate and prove skipped for it; a skip by condition is no gap
    const noInventory = 'no inventory (pass --inventory FILE or create ./jwkr.inventory.yaml)'
    const events = journal(
      skipped(2, 'locate', noInventory),
      skipped(3, 'rotate', noInventory),
      skipped(4, 'prove', noInventory),
      skipped(5, 'issue', 'GITHUB_TOKEN not set: no tracking issue was opened.'),
      finished(6, 'completed'),
    )
    // Then nothing was attempted, exit 4, one line naming the reason and the steps it skipped
    expect(runOutcome(events)).toEqual({
      status: 'not-attempted',
      exitCode: 4,
      summary: `containment not attempted: locate, rotate and prove skipped: ${noInventory}`,
      missing: [`locate, rotate and prove skipped: ${noInventory}`],
    })
  })

  it('names failed containment steps, steps that never ran, and issuers locate could not check', () => {
    // Given locate that could not check an issuer, a failed rotation, and a run that stopped before the proof
    const events = journal(
      [2, 'step.started', {step: 'locate', uses: 'services.locate', attempt: 1}],
      [3, 'step.succeeded', {step: 'locate', outputs: {publishing: [], uncheckedIssuers: ['auth-main']}}],
      failed(4, 'rotate', 'the webhook answered 500'),
      [5, 'run.interrupted', {reason: 'interrupted (Ctrl-C)'}],
    )
    // Then each is named, and an interrupted (paused) run exits 130
    expect(runOutcome(events)).toMatchObject({
      status: 'not-attempted',
      exitCode: 130,
      missing: [
        'rotate failed: the webhook answered 500',
        'prove has not run',
        'issuers that could not be checked for the key: auth-main',
        'the run was interrupted (paused: jwkr incident resume goes on)',
      ],
    })
  })

  it('not proven, exit 4, when the responder stopped the run after the key was rotated and nothing checked since', () => {
    // Given locate and rotate done, then the responder choosing "Stop the run here" before the proof
    const events = journal(...RAN, finished(6, 'aborted'))
    // Then containment was attempted, not proven: exit 4 (README), never "not attempted"
    const outcome = runOutcome(events)
    expect(outcome).toEqual({
      status: 'not-proven',
      exitCode: 4,
      summary:
        'containment not proven: rotate ran, but no check has proven containment since; prove has not run; ' +
        'the responder stopped the run before it finished',
      missing: [
        'rotate ran, but no check has proven containment since',
        'prove has not run',
        'the responder stopped the run before it finished',
      ],
    })
    expect(outcome.summary).not.toContain('not attempted')
  })

  it('not proven, not "not attempted", when the key was rotated and the check after it could check nothing', () => {
    // Given rotate done, then a proof that had no probe to send a canary to
    const events = journal(
      ...RAN,
      verdict(10, {contained: false, outcome: 'not-attempted', missing: ['no service has a probe']}),
      finished(11, 'completed'),
    )
    // Then the rotation was the attempt: not proven, exit 4, and both facts are named
    expect(runOutcome(events)).toMatchObject({
      status: 'not-proven',
      exitCode: 4,
      summary: 'containment not proven: no service has a probe; rotate ran, but no check has proven containment since',
    })
  })

  it('says nothing of a key set from what was seen before the rotation that may have changed it', () => {
    // Given locate seeing the JWKS serve the key, then rotate done, then the responder stopping the run
    const events = journal(
      [
        1.5,
        'locate.endpoint',
        {step: 'locate', url: 'https://auth.example/jwks', owners: [{type: 'issuer', id: 'auth'}], servesLeakedKey: true},
      ],
      ...RAN,
      finished(11, 'aborted'),
    )
    // Then it is not proven, and does not claim the JWKS "still serves the key": nothing looked since rotate
    const outcome = runOutcome(events)
    expect(outcome.status).toBe('not-proven')
    expect(outcome.missing).toContain('rotate ran, but no check has proven containment since')
    expect(outcome.missing.join('; ')).not.toContain('still serves the key')
  })

  it('counts a change as attempted once its effect was journaled, even when the step did not finish', () => {
    // Given rotate interrupted after journaling its intent to remove the key (the change may have been made)
    const events = journal(
      [2, 'step.started', {step: 'rotate', attempt: 1}],
      [3, 'effect.intent', {step: 'rotate', key: 'inc:rotate:auth-main', description: 'Remove the key from auth-main'}],
      [4, 'run.interrupted', {reason: 'interrupted (SIGTERM)', step: 'rotate'}],
      finished(5, 'paused'),
    )
    // Then it is not proven, the run is paused (exit 130), and rotate is said cut short, not "has not run"
    expect(runOutcome(events)).toMatchObject({
      status: 'not-proven',
      exitCode: 130,
      missing: [
        'rotate ran, but no check has proven containment since',
        'rotate started but did not finish',
        'locate and prove have not run',
        'the run was interrupted (paused: jwkr incident resume goes on)',
      ],
    })
  })

  it('not attempted, exit 4 as the README says, when the responder answered No before anything changed', () => {
    // Given a No at the go-ahead: only the inspection ran
    const events = journal(finished(3, 'aborted'))
    // Then nothing was attempted, and the exit code is the outcome's: 4, not 1
    expect(runOutcome(events)).toEqual({
      status: 'not-attempted',
      exitCode: 4,
      summary:
        'containment not attempted: locate, rotate and prove have not run; the responder stopped the run before it finished',
      missing: ['locate, rotate and prove have not run', 'the responder stopped the run before it finished'],
    })
  })

  it('a run waiting for an approval it could not ask for exits 1; a dry run exits 0 and says it checked nothing', () => {
    const waiting = runOutcome(journal(finished(3, 'waiting')))
    const dry = runOutcome(journal(finished(3, 'planned')))
    expect(waiting).toMatchObject({status: 'not-attempted', exitCode: 1})
    expect(waiting.missing).toContain('the run is waiting for an approval before it goes on')
    expect(dry).toMatchObject({status: 'not-attempted', exitCode: 0})
    expect(dry.missing[0]).toBe('a dry run makes no change and checks nothing (run without --dry-run)')
  })

  it('a run interrupted during the proof is paused (exit 130), names what the checks saw, and never says prove has not run', () => {
    // Given prove started and checked billing (still accepting), then Ctrl-C; an older jwkr ended it `aborted`
    const events = journal(
      ...RAN,
      [5, 'step.started', {step: 'prove', attempt: 1}],
      [6, 'evidence.probe', {step: 'prove', service: 'billing', httpStatus: 200}],
      [7, 'run.interrupted', {reason: 'interrupted (Ctrl-C)', step: 'prove'}],
      finished(8, 'aborted'),
    )
    // Then the checks decide, prove is said cut short, and the run is paused, not stopped
    const outcome = runOutcome(events)
    expect(outcome).toMatchObject({
      status: 'not-proven',
      exitCode: 130,
      missing: [
        'billing still accepts the key',
        'prove started but did not finish',
        'the run was interrupted (paused: jwkr incident resume goes on)',
      ],
    })
    expect(outcome.summary).not.toContain('prove has not run')
    expect(outcome.summary).not.toContain('responder stopped')
  })

  it('not applicable: a playbook that does not contain (declared or derived), or a public key; exit 0', () => {
    // Given an inspect-only run (contains: false), a playbook without containment.verify, and a public key
    const declared = eventsOf([
      OPENED,
      [0.1, 'playbook.loaded', {name: 'inspect-only', contains: false, steps: STEPS}],
      finished(2, 'completed'),
    ])
    const derived = eventsOf([
      OPENED,
      [0.1, 'playbook.loaded', {name: 'look', steps: [{id: 'i', uses: 'key.inspect'}]}],
      finished(2, 'completed'),
    ])
    const publicKey = eventsOf([
      OPENED,
      LOADED,
      [1, 'step.started', {step: 'inspect', uses: 'key.inspect', attempt: 1}],
      [1.1, 'step.succeeded', {step: 'inspect', outputs: {private: false}}],
      skipped(2, 'prove', "its condition is false: step inspect's output private is false"),
      finished(3, 'completed'),
    ])
    // Then the outcome is not applicable and the exit 0
    expect(runOutcome(declared)).toEqual({
      status: 'not-applicable',
      exitCode: 0,
      summary: 'containment not in scope: playbook inspect-only does not attempt it',
      missing: [],
    })
    expect(runOutcome(derived)).toMatchObject({status: 'not-applicable', exitCode: 0})
    expect(runOutcome(publicKey)).toMatchObject({status: 'not-applicable', exitCode: 0})
    expect(runOutcome(publicKey).summary).toMatch(/^containment not needed: the key holds no private material/)
    // And the caller may say so itself (the engine passes the loaded playbook's contains)
    expect(runOutcome(journal(finished(2, 'completed')), {contains: false}).status).toBe('not-applicable')
  })

  it('exit codes: 3 for failed steps only when proven (or not applicable), never 0 when not proven', () => {
    // Given a proven run where the notify step failed, and a not-proven run that failed
    const provenButFailed = journal(
      failed(5, 'issue', 'GitHub answered 401'),
      verdict(10, {contained: true}),
      finished(11, 'failed'),
    )
    const notProvenAndFailed = journal(
      ...RAN,
      verdict(10, {contained: false, exposed: ['a']}),
      failed(11, 'prove', 'not contained'),
      finished(12, 'failed'),
    )
    // Then the first exits 3 and says which step failed, the second exits 4
    expect(runOutcome(provenButFailed)).toMatchObject({
      status: 'proven',
      exitCode: 3,
      summary: 'containment proven; 1 step failed: issue',
    })
    expect(runOutcome(notProvenAndFailed)).toMatchObject({
      status: 'not-proven',
      exitCode: 4,
      missing: ['a still accepts the key'],
    })
  })

  it('exit codes: 0 for a dry run (it makes no change), 1 for a run waiting for approval', () => {
    // Given a dry run and a run that stopped at a gate
    const dry = journal(finished(2, 'planned'))
    const waiting = journal(finished(2, 'waiting'))
    // Then neither claims containment, and their exit codes are those of a plan and of a stop
    expect(runOutcome(dry)).toMatchObject({status: 'not-attempted', exitCode: 0})
    expect(runOutcome(dry).missing[0]).toMatch(/^a dry run makes no change/)
    expect(runOutcome(waiting)).toMatchObject({status: 'not-attempted', exitCode: 1})
    // And the run status may be given instead of read from the journal (the engine, before run.finished)
    expect(runOutcome(journal(), {runStatus: 'planned'}).exitCode).toBe(0)
    expect(runOutcome(journal(finished(2, 'completed')), {runStatus: null}).exitCode).toBe(4)
  })

  it('without a verdict, reads the evidence of the checks made (a baseline’s left out), or a verify step’s outputs', () => {
    // Given a check that recorded evidence and then failed before its verdict
    const probe = (at: number, status: number, phase?: string): Entry => [
      at,
      'evidence.probe',
      {step: 'prove', service: 'billing', httpStatus: status, ...(phase ? {phase} : {})},
    ]
    const midway = journal(...RAN, probe(5, 200), failed(6, 'prove', 'the inventory vanished'))
    // And a baseline that saw billing accept the canary, with nothing after it
    const baselineOnly = journal(probe(5, 200, 'baseline'), finished(6, 'completed'))
    // And an older journal whose verify step output contained without any verdict event
    const older = journal(
      [9, 'step.started', {step: 'prove', uses: 'containment.verify', attempt: 1}],
      [10, 'step.succeeded', {step: 'prove', outputs: {contained: true}}],
    )
    // Then the evidence decides, the baseline proves nothing either way, and the outputs stand in for a verdict
    expect(runOutcome(midway)).toMatchObject({
      status: 'not-proven',
      missing: ['billing still accepts the key', 'prove failed: the inventory vanished'],
    })
    expect(runOutcome(baselineOnly).status).toBe('not-attempted')
    expect(runOutcome(older).status).toBe('proven')
  })
})

describe('the drill scorecard and the RCA agree with runOutcome', () => {
  // scoreDrill reads a scenario's name, faults and expectations only. Expecting no tracking issue keeps every
  // other check of this bare world ok, so containment alone decides whether it passes.
  const SCENARIO = {
    name: 'basic',
    faults: {jwksServesPrivate: false, leakWithoutKid: false, services: [], slack: [], github: []},
    expect: {
      contained: true,
      forgeriesAtLeast: 0,
      slackStatusPosted: false,
      trackingIssue: 'none',
      privateMembersFound: false,
      cacheBust: [],
    },
  } as unknown as DrillScenario
  const world = {
    services: [{id: 'billing', verifier: 'jose', behaviour: 'normal', guarded: false, cacheSeconds: 2}],
    slack: {posts: 0, updates: 0},
    github: {issues: 0},
    artifacts: [],
  }
  // A service that answered 401 to every canary, never seen to accept one: the evidence reads "contained",
  // the verdict does not count it.
  const events = journal(
    [5, 'evidence.probe', {step: 'prove', service: 'billing', httpStatus: 401}],
    verdict(6, {contained: false, outcome: 'not-proven', missing: ['billing: undiscriminating (never seen to accept a canary)']}),
    finished(7, 'completed'),
  )

  it('the scorecard fails a drill whose outcome is not proven, even when every service’s evidence reads contained', () => {
    // When the drill is scored
    const card = scoreDrill({events, scenario: SCENARIO, world, runStatus: 'completed', now: FIXTURE_NOW})
    // Then it carries the outcome, and neither counts containment nor passes
    expect(card.services[0]?.contained).toBe(true)
    // (its exitCode is the drill's, 4 for containment not proven; runExitCode is the run's own)
    const outcome = runOutcome(events, {runStatus: 'completed'})
    expect(card.outcome).toEqual({...outcome, exitCode: 4, runExitCode: outcome.exitCode})
    expect(card).toMatchObject({contained: false, passed: false})
    // And a proven outcome with every service contained passes
    const proven = journal(
      [5, 'evidence.probe', {step: 'prove', service: 'billing', httpStatus: 401}],
      verdict(6, {contained: true, outcome: 'proven'}),
      finished(7, 'completed'),
    )
    // (with no check failed: this bare journal has no triage or locate, whose checks are not checked, never passed)
    const provenCard = scoreDrill({events: proven, scenario: SCENARIO, world, runStatus: 'completed', now: FIXTURE_NOW})
    expect(provenCard.contained).toBe(true)
    expect(provenCard.checks.filter((check) => check.result === 'failed')).toEqual([])
  })

  it('the RCA’s outcome line is runOutcome’s, and its containment is never proven when the outcome is not', async () => {
    // When the report is built and rendered
    const model = buildReport(events, {now: FIXTURE_NOW})
    const rca = renderDocument(await loadTemplates(), model, {kind: 'rca', format: 'md'})
    // Then the model's outcome is the function's, containment is not proven, and the summary table says so
    expect(model.outcome).toEqual(runOutcome(events))
    expect(model.containment).toMatchObject({proven: false, containedAt: null})
    expect(rca).toContain('| Outcome | **containment not proven: billing: undiscriminating (never seen to accept a canary)** |')
    expect(rca).toContain('| Containment | **not proven** |')
  })
})
