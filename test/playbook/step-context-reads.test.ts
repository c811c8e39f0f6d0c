// StepContext reads the run: state() and events() show what earlier steps journaled in this run,
// from the engine's incremental fold, not from journal.jsonl (which the test moves away mid-run).
import {rename} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {defineStep} from '../../src/playbook/define-step.js'
import {Type} from '../../src/playbook/step-schema.js'
import {createRegistry} from '../../src/playbook/registry.js'
import {startRun} from '../../src/playbook/respond.js'
import {builtinSteps} from '../../src/playbook/steps/index.js'
import {baseOptions, scriptedUi, tempHome, writePlaybook} from '../helpers/engine-harness.js'

const nothing = Type.Record(Type.String(), Type.Never())

const finder = defineStep({
  id: 'test.find',
  title: 'Record a finding, then move the journal file away',
  description: 'Journals evidence; moving journal.jsonl makes any later read of the file fail.',
  inputSchema: nothing,
  outputSchema: Type.Object({found: Type.String()}),
  sideEffects: false,
  plan: () => [],
  async run(_input, context) {
    await context.record('evidence.finding', {jti: 'canary-1'})
    await rename(join(context.incident.dir, 'journal.jsonl'), join(context.incident.dir, 'journal.moved'))
    return {found: 'canary-1'}
  },
})

const reader = defineStep({
  id: 'test.read-run',
  title: 'Read the run so far',
  description: 'Returns what context.events() and context.state() show.',
  inputSchema: nothing,
  outputSchema: Type.Object({
    findings: Type.Array(Type.String()),
    firstStatus: Type.String(),
    firstFound: Type.Unknown(),
    seenTypes: Type.Integer(),
  }),
  sideEffects: false,
  plan: () => [],
  async run(_input, context) {
    const events = context.events()
    const first = context.state().steps.first
    return {
      findings: events.filter((event) => event.type === 'evidence.finding').map((event) => String(event.data.jti)),
      firstStatus: first?.status ?? 'none',
      firstFound: first?.outputs?.found,
      seenTypes: new Set(events.map((event) => event.type)).size,
    }
  },
})

describe('StepContext reads the run', () => {
  it('shows a step the events and state earlier steps journaled in the same run, without reading the journal file', async () => {
    // Given a run whose first step records a finding and then moves journal.jsonl away
    const home = await tempHome()
    const file = await writePlaybook(
      home,
      'steps:\n  - id: first\n    uses: test.find\n  - id: second\n    uses: test.read-run\n',
    )
    const registry = createRegistry([...builtinSteps(), finder, reader])
    // When the second step reads the run
    const result = await startRun({...baseOptions(home), playbook: file, registry, ui: scriptedUi({}, false)})
    // Then it saw the finding and the first step's outcome, from the run itself
    expect(result.status).toBe('completed')
    expect(result.steps[1]?.outputs).toMatchObject({findings: ['canary-1'], firstStatus: 'succeeded', firstFound: 'canary-1'})
    expect(result.steps[1]?.outputs?.seenTypes).toBeGreaterThan(3)
  })
})
