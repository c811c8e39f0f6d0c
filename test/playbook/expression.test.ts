import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {JwkrError} from '../../src/core/errors.js'
import {
  evaluate,
  evaluateCondition,
  interpolate,
  parseCondition,
  parseExpression,
  parseTemplate,
  referencesOf,
  truthy,
} from '../../src/playbook/expression.js'

const scope = {
  inputs: {key: 'leaked.json', count: 3, dryRun: false, tags: ['a', 'b'], empty: ''},
  steps: {
    inspect: {outputs: {thumbprint: 'NzbLsXh8uDCcd', private: true, kty: 'RSA', kid: null, 'odd name': 'yes'}},
  },
  incident: {id: '2026-11-29-3f9a1c'},
  now: '2026-11-29T10:00:00.000Z',
}

function expressionError(run: () => unknown): JwkrError {
  try {
    run()
  } catch (error) {
    if (error instanceof JwkrError) return error
    throw error
  }
  throw new Error('expected an ERR_EXPRESSION_INVALID error')
}

describe('evaluate', () => {
  it('reads inputs, step outputs, the incident and now', () => {
    expect(evaluate('inputs.key', scope)).toBe('leaked.json')
    expect(evaluate('steps.inspect.outputs.thumbprint', scope)).toBe('NzbLsXh8uDCcd')
    expect(evaluate("steps['inspect'].outputs['odd name']", scope)).toBe('yes')
    expect(evaluate('incident.id', scope)).toBe('2026-11-29-3f9a1c')
    expect(evaluate('now', scope)).toBe('2026-11-29T10:00:00.000Z')
    expect(evaluate('inputs.tags[1]', scope)).toBe('b')
  })

  it('gives null for anything missing, at any depth, like GitHub Actions', () => {
    expect(evaluate('inputs.nope', scope)).toBeNull()
    expect(evaluate('steps.missing.outputs.x.y.z', scope)).toBeNull()
    expect(evaluate('steps.inspect.outputs.kid', scope)).toBeNull()
    expect(evaluate('unknownRoot.a', scope)).toBeNull()
    expect(evaluate('inputs.tags[7]', scope)).toBeNull()
    expect(evaluate("inputs.key['length']", scope)).toBeNull()
  })

  it('evaluates literals', () => {
    expect(evaluate("'it\\'s'", scope)).toBe("it's")
    expect(evaluate('"two\\nlines"', scope)).toBe('two\nlines')
    expect(evaluate('12.5', scope)).toBe(12.5)
    expect(evaluate('-3', scope)).toBe(-3)
    expect(evaluate('1e3', scope)).toBe(1000)
    expect(evaluate('true', scope)).toBe(true)
    expect(evaluate('null', scope)).toBeNull()
  })

  it('binds ! tighter than comparisons, comparisons tighter than &&, && tighter than ||', () => {
    // || is lowest: true || (false && false)
    expect(evaluate('true || false && false', scope)).toBe(true)
    expect(evaluate('(true || false) && false', scope)).toBe(false)
    // ! applies to its operand only: (!false) == true
    expect(evaluate('!false == true', scope)).toBe(true)
    expect(evaluate('!(1 == 1)', scope)).toBe(false)
    // comparisons bind tighter than &&: (3 > 2) && (1 < 2)
    expect(evaluate('inputs.count > 2 && 1 < 2', scope)).toBe(true)
    expect(evaluate("steps.inspect.outputs.kty == 'RSA' && !inputs.dryRun", scope)).toBe(true)
  })

  it('returns an operand from && and ||, and short-circuits', () => {
    expect(evaluate("inputs.missing || 'default'", scope)).toBe('default')
    expect(evaluate("inputs.key && 'yes'", scope)).toBe('yes')
    expect(evaluate('inputs.empty && inputs.nope.deeper', scope)).toBe('')
  })

  it('compares strictly: no type coercion, case sensitive', () => {
    expect(evaluate("inputs.count == '3'", scope)).toBe(false)
    expect(evaluate("steps.inspect.outputs.thumbprint == 'nzblsxh8ucdcd'", scope)).toBe(false)
    expect(evaluate('steps.inspect.outputs.kid == null', scope)).toBe(true)
    expect(evaluate('inputs.nope == null', scope)).toBe(true)
    expect(evaluate("inputs.tags == inputs.tags && inputs.tags != 'a'", scope)).toBe(true)
    expect(evaluate("'2026-11-29T09:00:00.000Z' < now", scope)).toBe(true)
    expect(evaluate("inputs.count < '9'", scope)).toBe(false)
    expect(evaluate('inputs.count >= 3 && inputs.count <= 3', scope)).toBe(true)
  })

  it('calls only the allow-listed functions', () => {
    expect(evaluate("contains(inputs.tags, 'b')", scope)).toBe(true)
    expect(evaluate("contains(inputs.key, 'json')", scope)).toBe(true)
    expect(evaluate("startsWith(incident.id, '2026') && endsWith(inputs.key, '.json')", scope)).toBe(true)
    expect(evaluate("length(inputs.tags) == 2 && length('abc') == 3 && length(incident) == 1", scope)).toBe(true)
    expect(evaluate("format('{0} of {1} {{x}}', inputs.count, 'keys')", scope)).toBe('3 of keys {x}')
    expect(evaluate("join(inputs.tags, '+')", scope)).toBe('a+b')
    expect(evaluate('toJSON(inputs.tags)', scope)).toBe('["a","b"]')
  })

  it('never reaches prototypes: constructor and __proto__ read as null', () => {
    // Given paths that would reach Object.prototype or Function in plain JavaScript
    const reads = [
      'inputs.constructor',
      "inputs['constructor']",
      'inputs.__proto__',
      "inputs['__proto__'].polluted",
      'inputs.constructor.constructor',
      'inputs.key.constructor',
      'inputs.tags.constructor',
      'steps.inspect.hasOwnProperty',
      'inputs.toString',
    ]
    // Then each is null, and nothing was polluted
    for (const path of reads) expect(evaluate(path, scope), path).toBeNull()
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('returns own data even when it is named like a prototype member', () => {
    const data = JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as Record<string, unknown>
    expect(evaluate('inputs.constructor', {inputs: data})).toBe('c')
    expect(evaluate('inputs.__proto__.x', {inputs: data})).toBe(1)
  })

  it('never calls a function found in the scope', () => {
    let called = false
    const hostile = {inputs: {f: () => (called = true)}}
    expect(evaluate('inputs.f', hostile)).toBeNull()
    expect(called).toBe(false)
  })
})

describe('parseExpression refuses anything outside the grammar', () => {
  const cases: [string, number, RegExp][] = [
    ['eval(1)', 1, /'eval', which is not a function/],
    ['inputs.constructor("return 1")', 19, /unexpected '\('/],
    ['steps.x == ', 12, /ends where a value was expected/],
    ['inputs.a = 1', 10, /compare with '=='/],
    ['(inputs.a', 10, /missing '\)'/],
    ['inputs.a)', 9, /unexpected '\)'/],
    ["'open", 1, /without its closing quote/],
    ['inputs.a + 1', 10, /unexpected character '\+'/],
    ['inputs.', 8, /property name after '.'/],
    ['contains(1)', 1, /takes 2/],
    ['1abc', 1, /malformed number/],
    ['`x`', 1, /unexpected character '`'/],
    ['', 1, /is empty/],
    ["'\\q'", 2, /unknown escape/],
  ]
  for (const [text, column, reason] of cases) {
    it(`refuses ${JSON.stringify(text)} at column ${column}`, () => {
      const error = expressionError(() => parseExpression(text))
      expect(error.code).toBe('ERR_EXPRESSION_INVALID')
      expect(error.details?.column).toBe(column)
      expect(error.message).toMatch(reason)
      expect(error.hint).toBeTruthy()
    })
  }

  it('refuses method calls on values', () => {
    const error = expressionError(() => parseExpression("inputs.key.startsWith('x')"))
    expect(error.details?.column).toBe(22)
  })

  it('refuses expressions nested deeper than its limit instead of overflowing the stack', () => {
    const error = expressionError(() => parseExpression(`${'('.repeat(500)}1${')'.repeat(500)}`))
    expect(error.message).toMatch(/nests deeper/)
  })

  it('either parses or throws ERR_EXPRESSION_INVALID for any text, never anything else', () => {
    // Given arbitrary text made of the grammar's own characters
    const alphabet = fc.constantFrom(...'ab._[]()!=<>&|\'" 01-,'.split(''), 'inputs', 'steps', 'contains', 'null')
    fc.assert(
      fc.property(fc.array(alphabet, {maxLength: 30}), (pieces) => {
        const text = pieces.join('')
        try {
          // When it is parsed and evaluated
          evaluate(parseExpression(text), scope)
        } catch (error) {
          // Then the only failure is a JwkrError with a column inside the text
          expect(error).toBeInstanceOf(JwkrError)
          expect((error as JwkrError).code).toBe('ERR_EXPRESSION_INVALID')
          expect((error as JwkrError).details?.column).toBeGreaterThanOrEqual(1)
          expect((error as JwkrError).details?.column).toBeLessThanOrEqual(text.length + 1)
        }
      }),
      {numRuns: 2000},
    )
  })
})

describe('interpolate', () => {
  it('gives the typed value for a string that is exactly one expression', () => {
    expect(interpolate('${{ steps.inspect.outputs.private }}', scope)).toBe(true)
    expect(interpolate('  ${{inputs.count}}', scope)).toBe('  3')
    expect(interpolate('${{ inputs.count }}', scope)).toBe(3)
    expect(interpolate('${{ inputs.tags }}', scope)).toEqual(['a', 'b'])
    expect(interpolate('${{ inputs.nope }}', scope)).toBeNull()
  })

  it('gives text when there is text around expressions', () => {
    expect(interpolate('Key ${{ steps.inspect.outputs.thumbprint }} (${{ steps.inspect.outputs.kty }}) leaked', scope)).toBe(
      'Key NzbLsXh8uDCcd (RSA) leaked',
    )
    expect(interpolate('kid=${{ steps.inspect.outputs.kid }};tags=${{ inputs.tags }}', scope)).toBe('kid=;tags=["a","b"]')
    expect(interpolate("${{ '}}' }}", scope)).toBe('}}')
  })

  it('works deeply over mappings and lists and leaves the original untouched', () => {
    // Given a nested step input
    const input = {
      key: '${{ inputs.key }}',
      options: {count: '${{ inputs.count }}', list: ['${{ incident.id }}', 7, false]},
      plain: 'x',
    }
    const copy = structuredClone(input)
    // When it is interpolated
    const result = interpolate(input, scope)
    // Then every string is resolved with its type, and the input is unchanged
    expect(result).toEqual({key: 'leaked.json', options: {count: 3, list: ['2026-11-29-3f9a1c', 7, false]}, plain: 'x'})
    expect(input).toEqual(copy)
  })

  it('reports an unclosed ${{ at its column in the whole string', () => {
    const error = expressionError(() => interpolate('abc ${{ inputs.key', scope))
    expect(error.details?.column).toBe(5)
    const inner = expressionError(() => parseTemplate('ok ${{ inputs.a == }}'))
    expect(inner.details?.column).toBe(20)
  })
})

describe('conditions', () => {
  it('accepts ${{ expr }} or a bare expression, and booleans', () => {
    expect(evaluateCondition('${{ steps.inspect.outputs.private }}', scope)).toBe(true)
    expect(evaluateCondition("steps.inspect.outputs.kty == 'EC'", scope)).toBe(false)
    expect(evaluateCondition(' ${{ !inputs.dryRun }} ', scope)).toBe(true)
    expect(evaluateCondition(undefined, scope)).toBe(true)
    expect(evaluateCondition(false, scope)).toBe(false)
    expect(evaluateCondition('${{ inputs.tags }}', scope)).toBe(true)
  })

  it('refuses text around an expression, which would always be true', () => {
    const error = expressionError(() => parseCondition('yes ${{ inputs.dryRun }}'))
    expect(error.message).toMatch(/single \$\{\{ expression \}\}/)
  })

  it('treats false, null, 0, NaN and empty text as false', () => {
    expect([false, null, undefined, 0, Number.NaN, ''].map(truthy)).toEqual([false, false, false, false, false, false])
    expect([true, 1, 'x', [], {}].map(truthy)).toEqual([true, true, true, true, true])
  })
})

describe('referencesOf', () => {
  it('lists the steps, inputs and roots an expression reads, with where each starts', () => {
    // Given a string with two expressions
    const text = "Rotate ${{ steps.inspect.outputs.thumbprint }}? ${{ inputs.key && steps['other'].outputs.x || now }}"
    // When its references are collected
    const refs = referencesOf(text)
    // Then they are listed without repeats, each at its index in the text
    expect(refs.steps).toEqual(['inspect', 'other'])
    expect(refs.inputs).toEqual(['key'])
    expect(refs.roots).toEqual(['steps', 'inputs', 'now'])
    expect(refs.all.map((r) => [r.root, r.path.join('.'), r.start])).toEqual([
      ['steps', 'inspect.outputs.thumbprint', 11],
      ['inputs', 'key', 52],
      ['steps', 'other.outputs.x', 66],
      ['now', '', 94],
    ])
    for (const ref of refs.all) expect(text.slice(ref.start).startsWith(ref.root)).toBe(true)
  })

  it('finds references inside function arguments and through computed indexes', () => {
    const refs = referencesOf(parseExpression('contains(steps.a.outputs.list, inputs.x) && steps.b.outputs[inputs.y]'))
    expect(refs.steps).toEqual(['a', 'b'])
    expect(refs.inputs).toEqual(['x', 'y'])
  })
})
