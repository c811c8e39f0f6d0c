import {describe, expect, it} from 'vitest'

import {exitCodeFor, renderRun} from '../../src/cli/render-run.js'
import {createStyle} from '../../src/cli/style.js'
import {ExitCode} from '../../src/core/errors.js'
import {defineStep} from '../../src/playbook/define-step.js'
import {Type} from '../../src/playbook/step-schema.js'
import type {RunHeader} from '../../src/playbook/engine.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {resumeRun, startRun} from '../../src/playbook/respond.js'
import {builtinSteps} from '../../src/playbook/steps/index.js'
import {testSteps} from '../helpers/test-steps.js'
import {baseOptions, readJournal, registryWith, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'

describe('the playbook engine', () => {
  it('runs every step in order and passes outputs forward through expressions', async () => {
    // Given a playbook whose second step reads the first one's output
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `inputs:
  greeting: {type: string, required: true}
steps:
  - id: first
    uses: test.echo
    with: {value: "\${{ inputs.greeting }}"}
  - id: second
    uses: test.echo
    with: {value: "got \${{ steps.first.outputs.value }}"}
`,
    )
    // When it runs unattended
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      inputs: {greeting: 'hello'},
      registry: registryWith(),
      ui: scriptedUi({}, false),
    })
    // Then both steps succeed, the second saw the first's output, and the journal tells the story
    expect(result.status).toBe('completed')
    expect(result.steps.map((s) => [s.id, s.status, s.outputs])).toEqual([
      ['first', 'succeeded', {value: 'hello'}],
      ['second', 'succeeded', {value: 'got hello'}],
    ])
    const types = (await readJournal(home, result.incident)).map((e) => e.type)
    expect(types).toEqual([
      'incident.opened',
      'playbook.loaded',
      'step.planned',
      'step.started',
      'step.succeeded',
      'step.planned',
      'step.started',
      'step.succeeded',
      'run.finished',
    ])
  })

  it('skips a step whose condition is false and says why', async () => {
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `steps:
  - id: first
    uses: test.echo
    with: {value: 3}
  - id: only-if-big
    uses: test.echo
    if: "\${{ steps.first.outputs.value > 5 }}"
`,
    )
    const result = await startRun({...baseOptions(home), playbook: file, registry: registryWith(), ui: scriptedUi({}, false)})
    expect(result.status).toBe('completed')
    // Then the reason says, in words, which value made the condition false (never the ${{ }} text)
    expect(result.steps[1]).toMatchObject({
      status: 'skipped',
      reason: "its condition is false: step first's output value is 3 (needed > 5)",
    })
  })

  it('ends a step as skipped with its reason when its handler calls context.skip: never retried, never succeeded, not run again on resume', async () => {
    // Given a step whose handler finds nothing to do, with retries allowed, and a step after it
    const home = await tempHome()
    const calls = new Map<string, number>()
    const file = await writePlaybook(
      home,
      `steps:
  - id: idle
    uses: test.nothing-to-do
    with: {reason: "SLACK_TOKEN not set: Slack was not notified"}
    retry: {attempts: 3, backoff: 10ms}
  - id: after
    uses: test.echo
    with: {value: "\${{ steps.idle.status }}"}
`,
    )
    const finished: Array<[string, string, string | undefined]> = []
    const ui = {
      ...scriptedUi({}, false),
      stepFinished: (o: {id: string; status: string; reason?: string}) => void finished.push([o.id, o.status, o.reason]),
    }
    // When it runs
    const result = await startRun({...baseOptions(home), playbook: file, registry: registryWith({calls}), ui})
    // Then the step is skipped with the reason in words, ran once, and the run goes on (later steps see 'skipped')
    expect(result.status).toBe('completed')
    expect(result.steps[0]).toMatchObject({
      status: 'skipped',
      outputs: null,
      reason: 'SLACK_TOKEN not set: Slack was not notified',
    })
    expect(result.steps[1]?.outputs).toEqual({value: 'skipped'})
    expect(calls.get('idle')).toBe(1)
    expect(finished[0]).toEqual(['idle', 'skipped', 'SLACK_TOKEN not set: Slack was not notified'])
    // And the journal says skipped, with its reason, after the finding it recorded: no failure, no success
    const events = (await readJournal(home, result.incident)).filter((e) => e.data.step === 'idle')
    expect(events.map((e) => e.type)).toEqual(['step.planned', 'step.started', 'test.looked', 'step.skipped'])
    expect(events.at(-1)?.data).toEqual({step: 'idle', reason: 'SLACK_TOKEN not set: Slack was not notified'})
    // And a resumed incident treats it as done
    await resume(home, result.incident, registryWith({calls}), scriptedUi({}, false))
    expect(calls.get('idle')).toBe(1)
  })

  it('retries a failing step with backoff and records each attempt', async () => {
    const home = await tempHome()
    const calls = new Map<string, number>()
    const file = await writePlaybook(
      home,
      `steps:
  - id: flaky
    uses: test.flaky
    with: {failTimes: 2}
    retry: {attempts: 3, backoff: 10ms}
`,
    )
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registryWith({calls}),
      ui: scriptedUi({}, false),
    })
    expect(result.status).toBe('completed')
    expect(calls.get('flaky')).toBe(3)
    const events = await readJournal(home, result.incident)
    expect(events.filter((e) => e.type === 'step.retrying').map((e) => e.data.delayMs)).toEqual([10, 20])
    expect(events.filter((e) => e.type === 'step.failed').map((e) => e.data.final)).toEqual([false, false])
  })

  it('goes on after a failure with onFailure: continue, and the run ends failed (exit 3)', async () => {
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `steps:
  - id: broken
    uses: test.fail
    onFailure: continue
  - id: after
    uses: test.echo
`,
    )
    const result = await startRun({...baseOptions(home), playbook: file, registry: registryWith(), ui: scriptedUi({}, false)})
    expect(result.status).toBe('failed')
    expect(result.steps.map((s) => s.status)).toEqual(['failed', 'succeeded'])
    expect(result.steps[0]?.error).toMatchObject({code: 'ERR_STEP_FAILED', message: 'this step always fails'})
    expect(ExitCode.playbookFailed).toBe(3)
  })

  it('stops at a failure with onFailure: abort (the default)', async () => {
    const home = await tempHome()
    const calls = new Map<string, number>()
    const file = await writePlaybook(
      home,
      `steps:
  - id: broken
    uses: test.fail
  - id: never
    uses: test.echo
`,
    )
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registryWith({calls}),
      ui: scriptedUi({}, false),
    })
    expect(result.status).toBe('failed')
    expect(result.steps.map((s) => s.status)).toEqual(['failed', 'pending'])
    expect(calls.has('never')).toBe(false)
  })

  it('fails a step that outlives its timeout', async () => {
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `steps:
  - id: slow
    uses: test.slow
    timeout: 50ms
    onFailure: continue
`,
    )
    const result = await startRun({...baseOptions(home), playbook: file, registry: registryWith(), ui: scriptedUi({}, false)})
    expect(result.steps[0]).toMatchObject({status: 'failed', error: {code: 'ERR_STEP_TIMEOUT'}})
  })

  it('without a terminal and without --yes, stops before the first step with side effects', async () => {
    const home = await tempHome()
    const calls = new Map<string, number>()
    const file = await writePlaybook(
      home,
      `steps:
  - id: safe
    uses: test.echo
  - id: change
    uses: test.effect
    with: {name: x}
`,
    )
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registryWith({calls, effectUrl: 'http://127.0.0.1:9'}),
      ui: scriptedUi({}, false),
    })
    expect(result.status).toBe('waiting')
    expect(result.waitingFor).toMatch(/"change".*--yes/)
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'pending'])
    expect(calls.has('change')).toBe(false)
  })

  describe('guided on a terminal', () => {
    const body = `inputs:
  missing: {type: string, required: false}
steps:
  - id: one
    uses: test.echo
    with: {value: 1}
  - id: two
    uses: test.echo
    confirm: "Really run two after \${{ steps.one.outputs.value }}?"
  - id: three
    uses: core.approve
    with: {message: "Go on after \${{ steps.one.outputs.value }}?"}
  - id: four
    uses: core.approve
    confirm: false
    with: {message: "Never asked"}
  - id: five
    uses: test.echo
    if: "\${{ steps.one.outputs.value == 1 && inputs.missing }}"
`

    it('asks only where a person decides: a confirm: question and a decision, never a read-only step or confirm: false', async () => {
      const home = await tempHome()
      const ui = scriptedUi({gates: ['proceed'], decisions: [true]})
      const result = await startRun({
        ...baseOptions(home),
        playbook: await writePlaybook(home, body),
        registry: registryWith(),
        ui,
      })
      expect(result.status).toBe('completed')
      expect(ui.asked).toEqual(['gate two: Really run two after 1?', 'decide three: Go on after 1?'])
      const approvals = (await readJournal(home, result.incident)).filter((e) => e.type === 'step.approved')
      expect(approvals.map((e) => [e.data.step, e.data.by])).toEqual([
        ['two', 'responder'],
        ['three', 'responder'],
      ])
      expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'skipped'])
    })

    it('tells the view, before the first step, which steps will be skipped whatever happens and why', async () => {
      const home = await tempHome()
      const headers: RunHeader[] = []
      const ui = {
        ...scriptedUi({gates: ['proceed'], decisions: [true]}),
        runStarting: (header: RunHeader) => headers.push(header),
      }
      const result = await startRun({
        ...baseOptions(home),
        playbook: await writePlaybook(home, body),
        registry: registryWith(),
        ui,
      })
      expect(headers).toEqual([
        {
          incident: result.incident,
          resumed: false,
          drill: false,
          playbook: 'test-playbook',
          inventoryPath: null,
          dryRun: false,
          artifacts: expect.stringMatching(/artifacts$/),
          key: null,
          done: [],
          willSkip: [{id: 'five', reason: 'its condition is false: the input missing was not given'}],
        },
      ])
    })

    it('tells the view, on a resume, which steps were done and which were skipped before (neither runs again)', async () => {
      const home = await tempHome()
      // Given a run where the responder skipped "two", then answered No at the decision "three"
      const first = await startRun({
        ...baseOptions(home),
        playbook: await writePlaybook(home, body),
        registry: registryWith(),
        ui: scriptedUi({gates: ['skip'], decisions: [false]}),
      })
      expect(first.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped', 'pending', 'pending', 'pending'])
      // When it is resumed
      const headers: RunHeader[] = []
      await resume(home, first.incident, registryWith(), {
        ...scriptedUi({gates: ['proceed'], decisions: [true]}),
        runStarting: (header: RunHeader) => headers.push(header),
      })
      // Then the header lists "one" as done and "two" as skipped, not as done
      expect(headers.map((header) => [header.resumed, header.done, header.skippedBefore])).toEqual([[true, ['one'], ['two']]])
    })

    it('skips a step when the responder says skip', async () => {
      const home = await tempHome()
      const ui = scriptedUi({gates: ['skip'], decisions: [true]})
      const result = await startRun({
        ...baseOptions(home),
        playbook: await writePlaybook(home, body),
        registry: registryWith(),
        ui,
      })
      expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped', 'succeeded', 'succeeded', 'skipped'])
      expect(result.steps[1]?.reason).toBe('skipped by the responder')
    })

    it('stops the run when the responder aborts, leaving it resumable', async () => {
      const home = await tempHome()
      const ui = scriptedUi({gates: ['abort']})
      const result = await startRun({
        ...baseOptions(home),
        playbook: await writePlaybook(home, body),
        registry: registryWith(),
        ui,
      })
      expect(result.status).toBe('aborted')
      expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'pending', 'pending', 'pending', 'pending'])
    })

    it('stops the run at a decision answered No, and says so in the result and the journal', async () => {
      const home = await tempHome()
      const ui = scriptedUi({gates: ['proceed'], decisions: [false]})
      const result = await startRun({
        ...baseOptions(home),
        playbook: await writePlaybook(home, body),
        registry: registryWith(),
        ui,
      })
      expect(result.status).toBe('aborted')
      expect(result.stopReason).toBe('The responder answered No at "three": declined at a decision, nothing after it ran.')
      expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'pending', 'pending', 'pending'])
      const finished = (await readJournal(home, result.incident)).find((e) => e.type === 'run.finished')
      expect(finished?.data).toMatchObject({status: 'aborted', reason: result.stopReason})
    })

    it('ends not proven (exit 4), never "not attempted", when the responder stops the run after the key was rotated', async () => {
      // Given stand-ins for rotate and invalidate, in a playbook that attempts containment (contains: true): the responder proceeds with rotate, then stops at invalidate
      const home = await tempHome()
      const standIn = (id: string) =>
        defineStep({
          id,
          title: `Stand-in for ${id}`,
          description: 'Changes something outside the incident.',
          inputSchema: Type.Record(Type.String(), Type.Never()),
          outputSchema: Type.Object({done: Type.Boolean()}),
          sideEffects: true,
          plan: () => [{kind: 'http', target: 'https://issuer.example', description: id}],
          run: async () => ({done: true}),
        })
      const file = await writePlaybook(
        home,
        `contains: true\nsteps:\n  - id: rotate\n    uses: key.rotate\n  - id: invalidate\n    uses: tokens.invalidate\n`,
      )
      const result = await startRun({
        ...baseOptions(home),
        playbook: file,
        registry: createRegistry([standIn('key.rotate'), standIn('tokens.invalidate')]),
        ui: scriptedUi({gates: ['proceed', 'abort']}),
      })
      // Then the run was stopped by the responder (not paused), containment attempted and not proven: exit 4
      expect(result.status).toBe('aborted')
      expect(result.interrupted).toBeUndefined()
      expect(result.outcome).toMatchObject({status: 'not-proven', exitCode: ExitCode.notContained})
      expect(result.outcome.missing).toEqual([
        'rotate ran, but no check has proven containment since',
        'invalidate has not run',
        'the responder stopped the run before it finished',
      ])
      const finished = (await readJournal(home, result.incident)).find((e) => e.type === 'run.finished')
      expect(finished?.data).toMatchObject({status: 'aborted', outcome: 'not-proven'})
      // And the closing block says so, with the exit code the command exits with
      const closing = renderRun(result, undefined, createStyle({isTTY: false}))
      expect(closing).toContain(`Incident ${result.incident}: aborted by the responder (1 succeeded)`)
      expect(closing).toContain('Containment not proven: rotate ran, but no check has proven containment since; ')
      expect(closing).toContain('(exit 4)')
      expect(closing).not.toContain('not attempted')
      expect(exitCodeFor(result)).toBe(4)
    })

    it('offers retry / skip / abort when a step with onFailure: ask fails, without asking before the read-only step', async () => {
      const home = await tempHome()
      const calls = new Map<string, number>()
      const file = await writePlaybook(
        home,
        `steps:
  - id: flaky
    uses: test.flaky
    with: {failTimes: 1}
    onFailure: ask
`,
      )
      const ui = scriptedUi({failures: ['retry']})
      const result = await startRun({...baseOptions(home), playbook: file, registry: registryWith({calls}), ui})
      expect(result.status).toBe('completed')
      expect(ui.asked).toEqual(['failure flaky'])
      expect(calls.get('flaky')).toBe(2)
    })

    it('does not ask before a step with side effects whose plan makes no call (nothing to decide)', async () => {
      const home = await tempHome()
      const noOp = defineStep({
        id: 'test.no-op',
        title: 'Change nothing',
        description: 'Has side effects in general, none this time.',
        inputSchema: Type.Record(Type.String(), Type.Never()),
        outputSchema: Type.Object({done: Type.Boolean()}),
        sideEffects: true,
        plan: () => [{kind: 'none', target: 'inventory', description: 'No service declares a hook.'}],
        run: async () => ({done: true}),
      })
      const file = await writePlaybook(home, `steps:\n  - id: quiet\n    uses: test.no-op\n`)
      const ui = scriptedUi({})
      const result = await startRun({
        ...baseOptions(home),
        playbook: file,
        registry: createRegistry([...builtinSteps(), ...testSteps(), noOp]),
        ui,
      })
      expect(ui.asked).toEqual([])
      expect(result.status).toBe('completed')
    })
  })

  it('lets observers follow every event, and journals an observer failure without stopping the run', async () => {
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `steps:
  - id: one
    uses: test.echo
    with: {value: 1}
`,
    )
    const seen: string[] = []
    const result = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registryWith(),
      ui: scriptedUi({}, false),
      observers: [
        {name: 'recorder', onEvent: async (event, {state}) => void seen.push(`${event.type}:${state.steps.one?.status ?? '-'}`)},
        {
          name: 'broken',
          onEvent: async (event) => {
            if (event.type === 'step.succeeded') throw new Error('chat is down')
          },
        },
      ],
    })
    expect(result.status).toBe('completed')
    expect(seen).toContain('step.succeeded:succeeded')
    const failures = (await readJournal(home, result.incident)).filter((e) => e.type === 'observer.failed')
    expect(failures.map((e) => [e.data.observer, e.data.message])).toEqual([['broken', 'chat is down']])
  })

  it('lets a step ask a person on a terminal, and never under --yes or without one', async () => {
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      `steps:
  - id: manual
    uses: test.by-hand
    with: {task: "remove the key from the signer"}
    onFailure: continue
`,
    )
    const ui = scriptedUi({gates: ['proceed'], people: [true]})
    const guided = await startRun({...baseOptions(home), playbook: file, registry: registryWith(), ui})
    expect(guided.steps[0]).toMatchObject({status: 'succeeded', outputs: {done: true}})
    expect(ui.asked).toContain('person manual: Do it: remove the key from the signer')
    const unattended = await startRun({
      ...baseOptions(home),
      playbook: file,
      registry: registryWith(),
      yes: true,
      ui: scriptedUi({}, true),
    })
    expect(unattended.steps[0]).toMatchObject({status: 'failed', error: {code: 'ERR_APPROVAL_REQUIRED'}})
  })
})

/** Resumes an incident of the workspace unattended (--yes), with this registry and view. */
function resume(
  home: string,
  id: string,
  registry: Parameters<typeof resumeRun>[0]['registry'],
  ui: Parameters<typeof resumeRun>[0]['ui'],
) {
  return resumeRun({home, secrets: baseOptions(home).secrets, id, yes: true, registry, ui})
}
