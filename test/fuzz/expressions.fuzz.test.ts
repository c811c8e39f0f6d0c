// Fuzz budget, expressions (playbook `if:` and `${{ }}` templating): mostly well-formed expressions
// over scopes of any JSON (keys named __proto__ and constructor included), and text that is not.
// Parsing fails only with ERR_EXPRESSION_INVALID; evaluating gives plain data (never a function or
// anything reached through a prototype), within the deadline, and Object.prototype is never touched.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {conditionSkipReason} from '../../src/playbook/describe-condition.js'
import {
  evaluate,
  evaluateCondition,
  interpolate,
  parseCondition,
  parseExpression,
  referencesOf,
} from '../../src/playbook/expression.js'
import {budget, counted, SURFACE_TIMEOUT_MS, oneCase, prototypeNames} from './fuzz-kit.js'
import {expressionText, nestedValue, templateText} from './generators.js'
import {REGRESSIONS} from './regressions.js'

/** A run's scope: inputs, step outputs and the incident, made of any JSON (parsed, so __proto__ is an own key). */
const scope: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    inputs: fc.dictionary(fc.constantFrom('key', 'kid', '__proto__', 'constructor', 'logs'), nestedValue(8), {maxKeys: 4}),
    steps: fc.dictionary(
      fc.constantFrom('inspect', 'locate', '__proto__'),
      fc.record({
        outputs: fc.dictionary(fc.string({maxLength: 8}), fc.jsonValue({maxDepth: 3})),
        status: fc.constantFrom('succeeded', 'pending'),
      }),
      {maxKeys: 3},
    ),
  })
  .map((value) => ({
    ...(JSON.parse(JSON.stringify(value)) as Record<string, unknown>),
    incident: {id: 'INC-1', drill: false, dir: '/tmp/x'},
    now: '2024-05-01T00:00:00.000Z',
  }))

/** Plain data all the way down: what an expression may give back. */
function expectPlainData(value: unknown, depth = 0): void {
  expect(typeof value).not.toBe('function')
  expect(typeof value).not.toBe('symbol')
  if (value === null || typeof value !== 'object' || depth > 40) return
  expect([Object.prototype, Array.prototype, null]).toContain(Object.getPrototypeOf(value))
  expect(value).not.toBe(Object.prototype)
  for (const item of Object.values(value)) expectPlainData(item, depth + 1)
}

describe('fuzz: expressions', () => {
  it('parse or fail with ERR_EXPRESSION_INVALID, and evaluate to plain data', {timeout: SURFACE_TIMEOUT_MS}, async () => {
    const before = prototypeNames()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(expressionText, templateText),
        scope,
        counted('expressions', async (text, values) => {
          const parsed = await oneCase('expressions', () => parseExpression(text))
          const asCondition = await oneCase('expressions', () => parseCondition(text))
          for (const {error} of [parsed, asCondition]) if (error) expect(error.code).toBe('ERR_EXPRESSION_INVALID')
          if (parsed.value) {
            const {value} = await oneCase('expressions', () => evaluate(parsed.value!, values))
            expectPlainData(value)
            await oneCase('expressions', () => referencesOf(parsed.value!))
          }
          if (asCondition.value) {
            await oneCase('expressions', () => evaluateCondition(text, values))
            await oneCase('expressions', () => conditionSkipReason(text, values))
          }
          const {value: interpolated, error} = await oneCase('expressions', () => interpolate({text, list: [text]}, values))
          if (error) expect(error.code).toBe('ERR_EXPRESSION_INVALID')
          expectPlainData(interpolated)
          expect(prototypeNames()).toEqual(before)
          expect(({} as Record<string, unknown>).outputs).toBeUndefined()
        }),
      ),
      budget('expressions', REGRESSIONS.expressions),
    )
  })
})
