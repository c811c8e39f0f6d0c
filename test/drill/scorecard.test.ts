// The drill's scorecard tells the scenario's injected faults from the responders' mistakes, and says
// its verdict and how the run ended as one fact (src/drill/scorecard.ts, templates/drill/scorecard.md.hbs).
import {describe, expect, it} from 'vitest'

import {loadTemplates} from '../../src/adapters/templates/template-set.js'
import {loadScenario} from '../../src/drill/load-scenario.js'
import {scoreDrill, type WorldFacts} from '../../src/drill/scorecard.js'
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

const journal = (...entries: Entry[]) =>
  eventsOf([
    OPENED,
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
