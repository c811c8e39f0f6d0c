// core.wait: wait a duration, or until an expression holds (with a timeout). Containment needs it
// to wait out relying parties' JWKS caches. Shows progress and stops at once when aborted.
import {setTimeout as sleep} from 'node:timers/promises'

import {formatDuration, parseDuration} from '../../core/duration.js'
import {JwkrError} from '../../core/errors.js'
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import type {StepContext} from '../types.js'

const CoreWaitInput = Type.Object(
  {
    duration: Type.Optional(Type.String({description: 'How long to wait, e.g. 10m.'})),
    until: Type.Optional(Type.String({description: 'An expression; the wait ends when it is true.'})),
    timeout: Type.Optional(Type.String({description: 'With until: give up after this long (default 30m).'})),
    interval: Type.Optional(Type.String({description: 'With until: how often to evaluate it (default 1s).'})),
  },
  {
    additionalProperties: false,
    // Exactly one of duration and until (TypeBox keeps the type: both stay optional members).
    oneOf: [
      {required: ['duration'], properties: {duration: {type: 'string'}}},
      {required: ['until'], properties: {until: {type: 'string'}}},
    ],
  },
)
const CoreWaitOutput = Type.Object({waitedMs: Type.Number(), reason: Type.Enum(['elapsed', 'condition'])})
export type CoreWaitInput = Static<typeof CoreWaitInput>
export type CoreWaitOutput = Static<typeof CoreWaitOutput>

const TICK_MS = 1000

export const coreWait = defineStep({
  id: 'core.wait',
  title: 'Wait',
  description: "Waits a fixed time, or until a condition holds — e.g. until every relying party's JWKS cache has expired.",
  inputSchema: CoreWaitInput,
  outputSchema: CoreWaitOutput,
  sideEffects: false,
  rawInputs: ['until'],
  plan: (input) => [
    {
      kind: 'wait',
      target: input.duration ?? `until ${input.until}`,
      description: input.duration ? `Wait ${input.duration}.` : `Wait until ${input.until} (at most ${input.timeout ?? '30m'}).`,
    },
  ],
  run: (input, context) =>
    input.until === undefined ? waitFor(parseDuration(input.duration ?? '0s'), context) : waitUntil(input, context),
})

async function waitFor(totalMs: number, context: StepContext): Promise<CoreWaitOutput> {
  const start = Date.now()
  for (let left = totalMs; left > 0; left = totalMs - (Date.now() - start)) {
    context.progress({message: `${formatDuration(left)} left`, fraction: (totalMs - left) / totalMs})
    await sleep(Math.min(TICK_MS, left), undefined, {signal: context.signal})
  }
  return {waitedMs: Date.now() - start, reason: 'elapsed'}
}

async function waitUntil(input: CoreWaitInput, context: StepContext): Promise<CoreWaitOutput> {
  const timeoutMs = parseDuration(input.timeout ?? '30m')
  const intervalMs = parseDuration(input.interval ?? '1s')
  const start = Date.now()
  for (;;) {
    if (context.evaluate(input.until ?? 'false') === true) return {waitedMs: Date.now() - start, reason: 'condition'}
    const waited = Date.now() - start
    if (waited >= timeoutMs) {
      throw new JwkrError('ERR_STEP_TIMEOUT', `The condition ${input.until} did not hold within ${formatDuration(timeoutMs)}.`, {
        hint: 'Check what the condition waits for, then resume the incident to wait again.',
      })
    }
    context.progress({
      message: `waiting until ${input.until} (${formatDuration(timeoutMs - waited)} left)`,
      fraction: waited / timeoutMs,
    })
    await sleep(Math.min(intervalMs, timeoutMs - waited), undefined, {signal: context.signal})
  }
}
