// The drill's scorecard tells the scenario's injected faults from the responders' mistakes, and says
// its verdict and how the run ended as one fact (src/drill/scorecard.ts, templates/drill/scorecard.md.hbs).
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {loadScenario} from '../../src/drill/load-scenario.js'
import {createStyle} from '../../src/cli/style.js'
import {renderDrill} from '../../src/cli/render-drill.js'
import type {DrillResult} from '../../src/drill/run-drill.js'
import {drillExitCode, scoreDrill, type DrillScorecard, type WorldFacts} from '../../src/drill/scorecard.js'
import {eventsOf, FIXTURE_NOW, OPENED} from '../core/report/fixture.js'

type Entry = [number, string, Record<string, unknown>]

const world: WorldFacts = {
  services: [{id: 'billing', verifier: 'jose', behaviour: 'normal', guarded: false, cacheSeconds: 2}],
  slack: {posts: 1, updates: 2},
  github: {issues: 0},
  artifacts: [],
}

const failed = (at: number, step: string, uses: string, message: string): Entry[] => [
  [at, 'step.started', {step, uses, attempt: 1}],
  [at + 1, 'step.failed', {step, error: {code: 'ERR_X', message}}],
]

/** A locate step that answered: the JWKS serves no private member. */
const located: Entry[] = [
  [1, 'step.started', {step: 'locate', uses: 'services.locate', attempt: 1}],
  [
    1,
    'step.succeeded',
    {step: 'locate', outputs: {publishing: ['auth'], dependents: ['billing'], endpoints: 1, criticalFindings: []}},
  ],
]

const journal = (...entries: Entry[]) =>
  eventsOf([
    OPENED,
    ...located,
    [2, 'step.started', {step: 'tokens', uses: 'tokens.scan', attempt: 1}],
    [3, 'step.succeeded', {step: 'tokens', outputs: {tokens: 10, suspectedForgery: 1}}],
    ...entries,
    [50, 'evidence.probe', {step: 'prove', service: 'billing', httpStatus: 200}],
    [55, 'evidence.probe', {step: 'prove', service: 'billing', httpStatus: 401}],
    [56, 'containment.verdict', {step: 'prove', contained: true, outcome: 'proven'}],
    [57, 'run.finished', {status: 'failed'}],
  ])

describe('the scorecard of the github-outage drill', () => {
  it('lists the GitHub outage under faults injected, not mistakes, and explains the failed run by it', async () => {
    // Given the github-outage scenario and a run where only the tracking issue failed
    const scenario = await loadScenario('github-outage')
    const events = journal(...failed(10, 'notify-github', 'notify.github', 'GitHub answered 500'))
    // When the drill is scored and rendered
    const card = scoreDrill({events, scenario, world, runStatus: 'failed', now: FIXTURE_NOW})
    const text = (await loadTemplates()).render('drill/scorecard.md', {incident: {drill: true}, scorecard: card})
    // Then the outage is a fault injected, with the step it made fail, and no mistake
    expect(card.mistakes).toEqual([])
    expect(card.faultsInjected).toEqual([
      'GitHub POST /repos/{owner}/{repo}/issues answers 503, then 500, repeated on every later try (notify-github failed as a result).',
    ])
    // And the verdict and the run's end are one sentence that does not contradict itself
    expect(card.passed).toBe(true)
    expect(card.verdict).toBe(
      'Passed: every expectation met; the run ended failed because the injected faults made notify-github fail, as the scenario intends.',
    )
    expect(text).toContain(`**${card.verdict}**`)
    expect(text).not.toMatch(/Passed\.\*\*.*the run ended failed/)
    expect(text).toMatch(/## Faults injected\n\n- GitHub POST/)
    expect(text).toMatch(/## Mistakes\n\nNone recorded\./)
  })

  it('keeps a failure no fault explains among the mistakes, and says so in the verdict', async () => {
    const scenario = await loadScenario('github-outage')
    const events = journal(
      ...failed(10, 'notify-github', 'notify.github', 'GitHub answered 500'),
      ...failed(20, 'deny', 'tokens.invalidate', 'no redis'),
    )
    const card = scoreDrill({events, scenario, world, runStatus: 'failed', now: FIXTURE_NOW})
    expect(card.mistakes).toEqual(['deny failed: no redis'])
    expect(card.verdict).toBe(
      'Passed: every expectation met; but the run ended failed (deny failed, not because of an injected fault).',
    )
  })

  it('says nothing about faults in a scenario that injects none', async () => {
    const scenario = await loadScenario('basic')
    const events = journal(...failed(10, 'notify-github', 'notify.github', 'GitHub answered 500'))
    const card = scoreDrill({events, scenario, world, runStatus: 'failed', now: FIXTURE_NOW})
    expect(card.faultsInjected).toEqual([])
    expect(card.mistakes).toEqual(['notify-github failed: GitHub answered 500'])
    expect(card.verdict).toMatch(
      /^Not passed: .*; but the run ended failed \(notify-github failed, not because of an injected fault\)\.$/,
    )
  })
})

const plain = createStyle({isTTY: false})
const render = async (card: DrillScorecard): Promise<string> =>
  (await loadTemplates()).render('drill/scorecard.md', {incident: {drill: true}, scorecard: card})

describe('a scorecard check with nothing to judge by', () => {
  // A drill stopped at the go-ahead: only the key was inspected; locate, triage and the proof never ran.
  const stoppedAtGoAhead = eventsOf([
    OPENED,
    [0, 'playbook.loaded', {name: 'leaked-signing-key', steps: [{id: 'prove', uses: 'containment.verify', phase: 'prove'}]}],
    [1, 'step.started', {step: 'inspect', uses: 'key.inspect', attempt: 1}],
    [2, 'step.succeeded', {step: 'inspect', outputs: {private: true, thumbprint: 'T'}}],
    [3, 'step.started', {step: 'go-ahead', uses: 'core.approve', attempt: 1}],
    [4, 'run.finished', {status: 'aborted'}],
  ])

  it('is "not checked" with its reason, in the data, the terminal and the report, and never counts as passed', async () => {
    // Given the jwks-serves-private scenario, which expects private members to be found, and basic, which expects none
    for (const name of ['basic', 'jwks-serves-private']) {
      const scenario = await loadScenario(name)
      // When a drill stopped at the go-ahead is scored
      const card = scoreDrill({events: stoppedAtGoAhead, scenario, world, runStatus: 'aborted', now: FIXTURE_NOW})
      // Then locate's, triage's and the proof's checks are not checked, not "expected false, got false"
      const byName = Object.fromEntries(card.checks.map((c) => [c.name, c]))
      expect(byName['JWKS serving private members found']).toMatchObject({
        result: 'not-checked',
        ok: false,
        actual: null,
        reason: 'locate never finished',
      })
      expect(byName['forgeries detected (at least)']).toMatchObject({
        result: 'not-checked',
        ok: false,
        reason: 'no token triage ran',
      })
      expect(byName['every service contained']).toMatchObject({result: 'not-checked', ok: false})
      expect(byName['every service contained']?.reason).toMatch(/^no containment check ran \(containment not attempted/)
      // And the drill does not pass on them, and its verdict says which were not checked
      expect(card.passed).toBe(false)
      expect(card.verdict).toMatch(
        /^Not passed: .*every service contained, forgeries detected \(at least\), JWKS serving private members found not checked/,
      )
      expect(card.outcome.exitCode).toBe(4)
      // And the terminal shows them with a neutral mark and in words, never with ✓ or a raw null
      const text = renderDrill(drillResult(card), plain)
      // (its headline says "not attempted", as its outcome does, never "not proven")
      expect(text.split('\n')[0]).toMatch(/: NOT PASSED in .* — containment not attempted$/)
      expect(text).toContain('  – JWKS serving private members found: not checked (locate never finished); expected ')
      expect(text).toContain('  – forgeries detected (at least): not checked (no token triage ran); expected ')
      expect(text).not.toMatch(/✓ JWKS serving private members found/)
      expect(text).not.toContain('got null')
      // And so does the report
      const report = await render(card)
      expect(report).toContain('| JWKS serving private members found | ')
      expect(report).toMatch(
        /\| JWKS serving private members found \| (true|false) \| not checked: locate never finished \| – \|/,
      )
      expect(report).not.toMatch(/\| JWKS serving private members found \|.*✓/)
    }
  })

  it('is passed once the step that tells has answered', () => {
    // Given a run whose locate answered (no private member) and whose triage counted forgeries
    const events = journal()
    return loadScenario('basic').then((scenario) => {
      const card = scoreDrill({events, scenario, world, runStatus: 'completed', now: FIXTURE_NOW})
      expect(card.checks.map((c) => [c.name, c.result])).toEqual([
        ['every service contained', 'passed'],
        ['forgeries detected (at least)', 'passed'],
        ['Slack status posted', 'passed'],
        ['tracking issue', 'failed'],
        ['JWKS serving private members found', 'passed'],
      ])
    })
  })
})

describe('the cache-bust expectation (stubborn-cache)', () => {
  const stubbornWorld: WorldFacts = {...world, github: {issues: 1}, cacheBustServices: ['billing']}
  const bust = (outputs: Record<string, unknown>, busted: string[]): Entry[] => [
    [20, 'step.started', {step: 'bust-caches', uses: 'services.bust-caches', attempt: 1}],
    ...busted.map((service): Entry => [
      21,
      'containment.cache-bust',
      {step: 'bust-caches', service, url: 'http://x', httpStatus: 204},
    ]),
    [22, 'step.succeeded', {step: 'bust-caches', outputs}],
  ]

  it('is a check per service, passed when the run called its cache-bust hook', async () => {
    const scenario = await loadScenario('stubborn-cache')
    const events = journal(...bust({busted: ['billing'], failed: [], withoutHook: []}, ['billing']))
    const card = scoreDrill({events, scenario, world: stubbornWorld, runStatus: 'completed', now: FIXTURE_NOW})
    expect(card.checks.at(-1)).toEqual({name: 'cache busted: billing', expected: true, actual: true, result: 'passed', ok: true})
    expect(card.passed).toBe(true)
    expect(card.outcome.exitCode).toBe(0)
    expect(renderDrill(drillResult(card), plain)).toContain('  ✓ cache busted: billing: expected true, got true')
    expect(await render(card)).toContain('| cache busted: billing | true | true | ✓ |')
  })

  it('fails the drill when the hook was not called for it, and says so in the verdict, the terminal and the report', async () => {
    const scenario = await loadScenario('stubborn-cache')
    // Given a run whose hook failed for the stubborn service (the step ended, nothing busted there)
    const events = journal(...bust({busted: [], failed: [{service: 'billing', error: 'HTTP 500'}], withoutHook: []}, []))
    const card = scoreDrill({events, scenario, world: stubbornWorld, runStatus: 'completed', now: FIXTURE_NOW})
    expect(card.checks.at(-1)).toMatchObject({name: 'cache busted: billing', actual: false, result: 'failed', ok: false})
    expect(card.passed).toBe(false)
    expect(card.verdict).toBe('Not passed: cache busted: billing not as expected; the run completed.')
    // Containment was proven, so the drill exits 1, not 4
    expect(card.outcome.exitCode).toBe(1)
    expect(renderDrill(drillResult(card), plain)).toContain('  ✗ cache busted: billing: expected true, got false')
    expect(await render(card)).toContain('| cache busted: billing | true | false | ✗ |')
  })

  it('is not checked when no cache-bust step ended', async () => {
    const scenario = await loadScenario('stubborn-cache')
    const card = scoreDrill({events: journal(), scenario, world: stubbornWorld, runStatus: 'completed', now: FIXTURE_NOW})
    expect(card.checks.at(-1)).toMatchObject({result: 'not-checked', reason: 'no cache-bust step ran'})
    expect(card.passed).toBe(false)
  })
})

describe('the exit code a scorecard carries', () => {
  it('is the drill’s (whether it passed), the run’s own kept as runExitCode', async () => {
    // Given the github-outage drill: contained, every expectation met, the tracking issue's step failed
    const scenario = await loadScenario('github-outage')
    const events = journal(...failed(10, 'notify-github', 'notify.github', 'GitHub answered 500'))
    const card = scoreDrill({events, scenario, world, runStatus: 'failed', now: FIXTURE_NOW})
    // Then the drill exits 0 (passed) while respond would have exited 3 (a step failed)
    expect(card.outcome).toMatchObject({status: 'proven', exitCode: 0, runExitCode: 3})
    // And Ctrl-C makes it 130 whatever it scored
    expect(scoreDrill({events, scenario, world, runStatus: 'failed', now: FIXTURE_NOW, interrupted: true}).outcome.exitCode).toBe(
      130,
    )
  })

  it('maps passed, contained and not contained to 0, 1 and 4', () => {
    expect(drillExitCode({passed: true, contained: true})).toBe(0)
    expect(drillExitCode({passed: false, contained: true})).toBe(1)
    expect(drillExitCode({passed: false, contained: false})).toBe(4)
  })
})

/** The least of a DrillResult renderDrill reads. */
function drillResult(scorecard: DrillScorecard): DrillResult {
  return {
    drill: scorecard.drill,
    scenario: scorecard.scenario,
    status: 'completed',
    contained: scorecard.contained,
    passed: scorecard.passed,
    exitCode: scorecard.outcome.exitCode,
    scorecard,
    world: {dir: '/w', kept: false, urls: {issuer: '', slack: '', github: ''}, services: [], envFile: '', inventory: ''},
    steps: [],
    artifacts: 'artifacts',
  } as unknown as DrillResult
}
