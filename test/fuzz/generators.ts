// Generators shared by the fuzz surfaces: playbook expressions (mostly well-formed, so that the
// evaluator is reached, sometimes not), and YAML text with the shapes that break loaders (anchors
// and aliases, deep nesting, keys named like Object.prototype's).
import fc from 'fast-check'

import {hostileText} from './fuzz-kit.js'

const ROOTS = ['inputs', 'steps', 'incident', 'now', 'unknown', '__proto__', 'constructor']
const MEMBERS = [
  'key',
  'outputs',
  'status',
  'private',
  'thumbprint',
  'length',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '0',
]
const FUNCTIONS = ['contains', 'startsWith', 'endsWith', 'length', 'format', 'join', 'toJSON', 'eval', 'constructor']
const OPERATORS = ['||', '&&', '==', '!=', '<', '<=', '>', '>=', '+', '=', '===', '?']

/** A string literal as the expression language writes it, with its escapes. */
const stringLiteral = fc
  .tuple(fc.constantFrom("'", '"'), fc.string({maxLength: 12}))
  .map(([quote, text]) => `${quote}${text.replace(/\\/g, '\\\\').replaceAll(quote, `\\${quote}`)}${quote}`)

/** The text of an expression: mostly what the grammar accepts, with operators and tokens it does not. */
export const expressionText: fc.Arbitrary<string> = fc.letrec<{expression: string}>((tie) => ({
  expression: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    stringLiteral,
    fc.oneof(fc.integer(), fc.double({noNaN: false})).map(String),
    fc.constantFrom('true', 'false', 'null'),
    fc
      .tuple(
        fc.constantFrom(...ROOTS),
        fc.array(
          fc.oneof(
            fc.constantFrom(...MEMBERS).map((m) => `.${m}`),
            fc.nat(3).map((i) => `[${i}]`),
          ),
          {maxLength: 4},
        ),
      )
      .map(([root, path]) => `${root}${path.join('')}`),
    fc.tuple(fc.constantFrom('!', '-', '!!'), tie('expression')).map(([op, operand]) => `${op}${operand}`),
    fc.tuple(tie('expression'), fc.constantFrom(...OPERATORS), tie('expression')).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc
      .tuple(fc.constantFrom(...FUNCTIONS), fc.array(tie('expression'), {maxLength: 4}))
      .map(([name, args]) => `${name}(${args.join(', ')})`),
    tie('expression').map((inner) => `(${inner})`),
    fc.tuple(tie('expression'), tie('expression')).map(([object, key]) => `${object}[${key}]`),
    fc.integer({min: 1, max: 200}).map((depth) => `${'('.repeat(depth)}1${')'.repeat(depth)}`),
    fc.string({maxLength: 20}),
  ),
})).expression

/** A string that may hold `${{ }}`: text around expressions, or a broken opening. */
export const templateText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      hostileText,
      expressionText.map((expression) => `\${{ ${expression} }}`),
      fc.constant('${{'),
    ),
    {maxLength: 4},
  )
  .map((parts) => parts.join(''))

/** A JSON value nested up to `max` levels, with keys that JavaScript objects give a meaning to. */
export function nestedValue(max: number): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.jsonValue({maxDepth: 2}), fc.integer({min: 0, max}), fc.constantFrom('list', 'map', '__proto__'))
    .map(([leaf, depth, kind]) => {
      let value: unknown = leaf
      for (let i = 0; i < depth; i++)
        value =
          kind === 'list'
            ? [value]
            : JSON.parse(`{${JSON.stringify(kind === 'map' ? 'a' : '__proto__')}: ${JSON.stringify(value)}}`)
      return value
    })
}

/** YAML text after a few edits a fuzzer makes: anchors and aliases dropped in, characters cut or repeated. */
export function mutatedYaml(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.constantFrom('anchor-alias', 'self-alias', 'delete', 'insert', 'duplicate-line', 'deep', 'bom'),
    fc.nat(),
    fc.nat(),
    fc.oneof(hostileText, fc.constantFrom(': ', '- ', '&a ', '*a', '{', '[', '"', "'", '\t', '#', '!!binary ', '<<: *a')),
  )
  return fc.tuple(base, fc.array(edit, {maxLength: 3})).map(([text, edits]) => {
    let out = text
    for (const [kind, a, b, piece] of edits) {
      const at = a % (out.length + 1)
      const lines = out.split('\n')
      const line = a % lines.length
      switch (kind) {
        case 'anchor-alias':
          lines[line] = lines[line]!.replace(/: (.+)$/, ': &a $1')
          lines.splice(b % (lines.length + 1), 0, `${' '.repeat(b % 6)}x: *a`)
          out = lines.join('\n')
          break
        case 'self-alias':
          out = `${out.slice(0, at)}&s [*s]${out.slice(at)}`
          break
        case 'delete':
          out = out.slice(0, at) + out.slice(Math.min(out.length, at + (b % 20)))
          break
        case 'insert':
          out = out.slice(0, at) + piece + out.slice(at)
          break
        case 'duplicate-line':
          lines.splice(line, 0, lines[line]!)
          out = lines.join('\n')
          break
        case 'deep':
          out = `${out}\nx-deep: ${'['.repeat(b % 3000)}${']'.repeat(b % 3000)}\n`
          break
        case 'bom':
          out = `\uFEFF${out}`
          break
      }
    }
    return out
  })
}
