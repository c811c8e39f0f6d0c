// Steps for engine tests: an echo, a flaky step, a failing one, a slow one, and steps whose side
// effect is a POST to a real local server (see effect-server.ts), through StepContext.effect.
import {setTimeout as sleep} from 'node:timers/promises'

import {JwkrError} from '../../src/core/errors.js'
import {defineStep} from '../../src/playbook/define-step.js'
import {Type} from '../../src/playbook/step-schema.js'
import type {StepDefinition} from '../../src/playbook/types.js'

/** No input, or no outputs. */
const nothing = Type.Record(Type.String(), Type.Never())

export interface TestStepsOptions {
  /** Base URL of an effect server, for test.effect. */
  effectUrl?: string
  /** Counts handler calls per step id, so tests can tell what ran. */
  calls?: Map<string, number>
}

export function testSteps(options: TestStepsOptions = {}): StepDefinition[] {
  const calls = options.calls ?? new Map<string, number>()
  const count = (id: string): number => {
    const n = (calls.get(id) ?? 0) + 1
    calls.set(id, n)
    return n
  }
  const effectStep = (id: string, checkable: boolean) =>
    defineStep({
      id,
      title: `Change ${id}`,
      description: 'Makes a remote change once (and then fails its first failAfterEffect attempts).',
      inputSchema: Type.Object({name: Type.String(), failAfterEffect: Type.Optional(Type.Integer())}),
      outputSchema: Type.Object({ref: Type.String()}),
      sideEffects: true,
      plan: (input) => [
        {kind: 'http', target: `POST ${options.effectUrl}/effects/${input.name}`, description: 'make the change'},
      ],
      async run(input, context) {
        const n = count(context.stepId)
        const key = `${context.incident.id}:${input.name}`
        const url = `${options.effectUrl}/effects/${encodeURIComponent(key)}`
        const ref = await context.effect(
          key,
          `POST ${input.name}`,
          async () => {
            const response = await fetch(url, {method: 'POST', signal: context.signal})
            return (await response.json()) as {id: string}
          },
          checkable
            ? async () => {
                const response = await fetch(url)
                return response.status === 200 ? ((await response.json()) as {id: string}) : undefined
              }
            : async () => 'unknown',
        )
        if (n <= (input.failAfterEffect ?? 0)) throw new JwkrError('ERR_STEP_FAILED', `failed after the effect (attempt ${n})`)
        return {ref: String(ref.id)}
      },
    })
  return [
    defineStep({
      id: 'test.echo',
      title: 'Echo',
      description: 'Returns its input.',
      inputSchema: Type.Object({value: Type.Optional(Type.Unknown())}),
      outputSchema: Type.Object({value: Type.Unknown()}),
      sideEffects: false,
      plan: () => [{kind: 'none', target: 'nothing', description: 'echo'}],
      run: async (input, context) => {
        count(context.stepId)
        return {value: input.value ?? null}
      },
    }),
    defineStep({
      id: 'test.flaky',
      title: 'Flaky',
      description: 'Fails the first failTimes calls.',
      inputSchema: Type.Object({failTimes: Type.Integer()}),
      outputSchema: Type.Object({attempts: Type.Integer()}),
      sideEffects: false,
      plan: () => [],
      run: async (input, context) => {
        const n = count(context.stepId)
        if (n <= input.failTimes) throw new JwkrError('ERR_STEP_FAILED', `flaky failure ${n}`)
        return {attempts: n}
      },
    }),
    defineStep({
      id: 'test.fail',
      title: 'Fail',
      description: 'Always fails.',
      inputSchema: nothing,
      outputSchema: nothing,
      sideEffects: false,
      plan: () => [],
      run: async (_input, context) => {
        count(context.stepId)
        throw new JwkrError('ERR_STEP_FAILED', 'this step always fails', {hint: 'nothing to do'})
      },
    }),
    defineStep({
      id: 'test.slow',
      title: 'Slow',
      description: 'Sleeps (10 s by default), honouring the abort signal.',
      inputSchema: Type.Object({ms: Type.Optional(Type.Integer())}),
      outputSchema: nothing,
      sideEffects: false,
      plan: () => [],
      run: async (input, context) => {
        count(context.stepId)
        await sleep(input.ms ?? 10_000, undefined, {signal: context.signal})
        return {}
      },
    }),
    defineStep({
      id: 'test.by-hand',
      title: 'By hand',
      description: 'Asks a person to do a task.',
      inputSchema: Type.Object({task: Type.String()}),
      outputSchema: Type.Object({done: Type.Boolean()}),
      sideEffects: true,
      plan: (input) => [{kind: 'manual', target: 'responder', description: input.task}],
      run: async (input, context) => {
        count(context.stepId)
        if (!context.askPerson) throw new JwkrError('ERR_APPROVAL_REQUIRED', 'Nobody is there to do it.')
        return {done: await context.askPerson('Do it', [input.task])}
      },
    }),
    defineStep({
      id: 'test.nothing-to-do',
      title: 'Nothing to do',
      description: 'Ends skipped with its reason (context.skip), after journaling a finding.',
      inputSchema: Type.Object({reason: Type.String()}),
      outputSchema: Type.Object({value: Type.String()}),
      sideEffects: false,
      safeInDryRun: true,
      plan: () => [],
      run: async (input, context) => {
        count(context.stepId)
        await context.record('test.looked', {found: 'nothing'})
        return context.skip(input.reason)
      },
    }),
    defineStep({
      id: 'test.record',
      title: 'Record an event',
      description: 'Journals the event given (as earlier steps would have: evidence of probes, endpoints seen).',
      inputSchema: Type.Object({type: Type.String(), data: Type.Record(Type.String(), Type.Unknown())}),
      outputSchema: nothing,
      sideEffects: false,
      safeInDryRun: true,
      plan: () => [],
      run: async (input, context) => {
        await context.record(input.type, input.data)
        return {}
      },
    }),
    effectStep('test.effect', true),
    effectStep('test.effect-unknown', false),
  ]
}
