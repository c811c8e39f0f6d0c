// Steps marked `background: true` run beside the steps after them in an unattended run (--yes): the
// standard playbook's Slack and GitHub steps, so that a slow or failing notification service never
// delays the proof. The run waits for them before a step that reads their outputs, before a step of the
// communicate phase, and at its end; a guided run takes them in order.
import {describe, expect, it} from 'vitest'

import {checkPlaybook} from '../../src/playbook/load-playbook.js'
import {startRun} from '../../src/playbook/respond.js'
import type {JournalEvent} from '../../src/core/journal/types.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'

const PLAYBOOK = `steps:
  - id: beside
    uses: test.slow
    with: {ms: 400}
    onFailure: continue
    background: true
  - id: quick
    uses: test.echo
    with: {value: 1}
  - id: needs-it
    uses: test.echo
    if: "\${{ steps.beside.outputs }}"
    with: {value: 2}
  - id: beside-too
    uses: test.slow
    with: {ms: 300}
    onFailure: continue
    background: true
  - id: tell
    uses: test.echo
    phase: communicate
    with: {value: 3}
`

/** Runs a playbook's steps (unattended unless told) and reads its journal; `waitedFor`: the steps the UI was told the run waits for. */
async function runSteps(body: string, options: {yes?: boolean; signal?: AbortSignal} = {}) {
  const home = await tempHome()
  const file = await writePlaybook(home, body)
  const waitedFor: string[] = []
  const result = await startRun({
    ...baseOptions(home),
    yes: options.yes ?? true,
    playbook: file,
    registry: registryWith(),
    ui: {...scriptedUi({}, false), waitingFor: (step) => waitedFor.push(step.id)},
    ...(options.signal ? {signal: options.signal} : {}),
  })
  return {result, events: await readJournal(home, result.incident), waitedFor}
}

/** A background step that would take 10 s, then `after` (YAML of the steps that follow). */
const slowBesideThen = (after: string): string => `steps:
  - id: beside
    uses: test.slow
    onFailure: continue
    background: true
${after}`

/** A Ctrl-C 300 ms from now. */
function ctrlCSoon(): AbortSignal {
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 300)
  return controller.signal
}

/** The index in the journal of a step's first event of this type. */
const at = (events: readonly JournalEvent[], type: string, step: string): number =>
  events.findIndex((event) => event.type === type && event.data.step === step)

describe('background steps', () => {
  it('run beside the next steps when nobody is asked, and are waited for by a step reading them and by the communicate phase', async () => {
    // Given a playbook with two background steps, a step that reads the first one's outputs, and a report-like step
    // When it runs unattended (--yes)
    const {result, events, waitedFor} = await runSteps(PLAYBOOK)
    // Then the step after the first background step finished while it was still running
    expect(result.status).toBe('completed')
    expect(at(events, 'step.succeeded', 'quick')).toBeLessThan(at(events, 'step.succeeded', 'beside'))
    // And the step reading its outputs waited for it: it ran (its condition held) after it succeeded
    expect(result.steps.find((step) => step.id === 'needs-it')?.status).toBe('succeeded')
    expect(at(events, 'step.planned', 'needs-it')).toBeGreaterThan(at(events, 'step.succeeded', 'beside'))
    // And the communicate step started only once the second background step had ended
    expect(at(events, 'step.planned', 'tell')).toBeGreaterThan(at(events, 'step.succeeded', 'beside-too'))
    // And nothing was journaled after the run's end
    expect(events.at(-1)?.type).toBe('run.finished')
    expect(result.steps.map((step) => [step.id, step.status])).toEqual([
      ['beside', 'succeeded'],
      ['quick', 'succeeded'],
      ['needs-it', 'succeeded'],
      ['beside-too', 'succeeded'],
      ['tell', 'succeeded'],
    ])
    // And the screen was told each time the run waited for one, so the wait shows as that step's
    expect(waitedFor).toEqual(['beside', 'beside-too'])
  })

  it('are not shown as waited for when they ended before the run needed them', async () => {
    // Given a quick background step, then a foreground step slower than it, then a report-like step
    const {result, waitedFor} = await runSteps(`steps:
  - id: beside
    uses: test.slow
    with: {ms: 20}
    onFailure: continue
    background: true
  - id: slower
    uses: test.slow
    with: {ms: 400}
  - id: tell
    uses: test.echo
    phase: communicate
    with: {value: 1}
`)
    // Then the run went on without a waiting line for the step already done
    expect(result.status).toBe('completed')
    expect(waitedFor).toEqual([])
  })

  it('run in order when the run is not unattended', async () => {
    // Given the same playbook, run without --yes
    const {result, events} = await runSteps(PLAYBOOK, {yes: false})
    // Then each step ends before the next one is planned
    expect(result.status).toBe('completed')
    expect(at(events, 'step.succeeded', 'beside')).toBeLessThan(at(events, 'step.planned', 'quick'))
    expect(at(events, 'step.succeeded', 'beside-too')).toBeLessThan(at(events, 'step.planned', 'tell'))
  })

  it('make the run failed when one fails, after every other step ran', async () => {
    const {result} = await runSteps(`steps:
  - id: broken
    uses: test.fail
    onFailure: continue
    background: true
  - id: after
    uses: test.echo
    with: {value: 1}
`)
    expect(result.status).toBe('failed')
    expect(result.steps.map((step) => [step.id, step.status])).toEqual([
      ['broken', 'failed'],
      ['after', 'succeeded'],
    ])
  })

  it('stop with the run on Ctrl-C, and nothing is journaled after the run ends', async () => {
    // Given a background step that would take 10 s and a foreground step just as slow
    const started = Date.now()
    // When Ctrl-C comes while both run
    const {result, events} = await runSteps(slowBesideThen('  - id: waiting\n    uses: test.slow\n'), {signal: ctrlCSoon()})
    // Then the run stops at once, neither step succeeded, and the run's end is the journal's last line
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.status).toBe('paused')
    expect(events.some((event) => event.type === 'step.succeeded')).toBe(false)
    expect(events.at(-1)?.type).toBe('run.finished')
  })

  it('name the next step as where a Ctrl-C between two steps paused the run, never no step', async () => {
    // Given Ctrl-C just as the first step has finished, before the second starts
    const home = await tempHome()
    const controller = new AbortController()
    const result = await startRun({
      ...baseOptions(home),
      yes: true,
      playbook: await writePlaybook(
        home,
        'steps:\n  - id: first\n    uses: test.echo\n    with: {value: 1}\n  - id: second\n    uses: test.echo\n    with: {value: 2}\n',
      ),
      registry: registryWith(),
      ui: {...scriptedUi({}, false), stepFinished: () => controller.abort()},
      signal: controller.signal,
    })
    // Then the run is paused at the step a resume starts with
    expect(result.status).toBe('paused')
    expect(result.interrupted).toEqual({step: 'second'})
    const events = await readJournal(home, result.incident)
    expect(events.find((event) => event.type === 'run.interrupted')?.data.step).toBe('second')
  })

  it('name the background step waited for as where a Ctrl-C paused the run', async () => {
    // Given a run whose last foreground step is done while a background step still runs
    const {result, events} = await runSteps(slowBesideThen('  - id: quick\n    uses: test.echo\n    with: {value: 1}\n'), {
      signal: ctrlCSoon(),
    })
    // When Ctrl-C comes while the run waits for it at its end
    // Then the run is paused at that step, which resuming runs again
    expect(result.status).toBe('paused')
    expect(result.interrupted).toEqual({step: 'beside'})
    expect(events.find((event) => event.type === 'run.interrupted')?.data.step).toBe('beside')
    expect(result.steps.map((step) => [step.id, step.status])).toEqual([
      ['beside', 'running'],
      ['quick', 'succeeded'],
    ])
  })

  it('must say onFailure: continue, since the run does not wait for them to decide', () => {
    const text = `apiVersion: jwkr/v1
kind: Playbook
name: p
description: d
steps:
  - id: beside
    uses: test.slow
    background: true
`
    const {problems} = checkPlaybook(text, 'p.yaml', registryWith())
    expect(problems.map((problem) => `${problem.line}:${problem.column}: ${problem.message}`)).toEqual([
      '8:17: a background step must say onFailure: continue: the run does not wait for it to decide whether to go on',
    ])
  })
})
