// The playbook expression language: a hand-written tokenizer and recursive-descent parser with an
// evaluator that reads only own properties of plain data. Never eval, never new Function: an
// expression can read the run's scope and call the allow-listed functions below, nothing else.
//
// Grammar (lowest precedence first):
//   expression := or
//   or         := and ( '||' and )*
//   and        := equality ( '&&' equality )*
//   equality   := comparison ( ( '==' | '!=' ) comparison )*
//   comparison := unary ( ( '<' | '<=' | '>' | '>=' ) unary )*
//   unary      := ( '!' | '-' ) unary | postfix
//   postfix    := primary ( '.' NAME | '[' expression ']' )*
//   primary    := NUMBER | STRING | 'true' | 'false' | 'null' | NAME | FUNCTION '(' args? ')' | '(' expression ')'
//   args       := expression ( ',' expression )*
//   NAME       := [A-Za-z_][A-Za-z0-9_-]*        (a root of the scope: inputs, steps, incident, now)
//   NUMBER     := digits ( '.' digits )? ( [eE] [+-]? digits )?
//   STRING     := '…' or "…" with \\ \' \" \n \t escapes
//   FUNCTION   := contains | startsWith | endsWith | length | format | join | toJSON
//
// Semantics (like GitHub Actions): a missing property is null; `&&`/`||` return an operand; falsy
// values are false, null, 0, NaN and ''; `==` compares primitives strictly (no type coercion, case
// sensitive: thumbprints are) and lists/mappings by content; `<`… compare two numbers or two strings
// (ISO timestamps order correctly), anything else is false. In text, `${{ expr }}` interpolates.
import {JwkrError} from '../core/errors.js'

export type Expression =
  | {kind: 'literal'; value: string | number | boolean | null; start: number}
  | {kind: 'name'; name: string; start: number}
  | {kind: 'member'; object: Expression; property: Expression; start: number}
  | {kind: 'unary'; operator: '!' | '-'; operand: Expression; start: number}
  | {kind: 'binary'; operator: BinaryOperator; left: Expression; right: Expression; start: number}
  | {kind: 'call'; name: FunctionName; args: Expression[]; start: number}

type BinaryOperator = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>='

/** The roots a playbook expression may read. */
export const EXPRESSION_ROOTS = ['inputs', 'steps', 'incident', 'now'] as const

export type Scope = Readonly<Record<string, unknown>>

/** A part of a string that may hold `${{ }}`: literal text, or an expression starting at `start`. */
export type TemplatePart = {kind: 'text'; text: string} | {kind: 'expression'; source: string; start: number; ast: Expression}

/** A static path an expression reads, e.g. `steps.inspect.outputs.private` → root 'steps', path ['inspect', 'outputs', 'private']. */
export interface Reference {
  root: string
  path: (string | number)[]
  /** Index in the text given to `referencesOf` (or the expression) where the reference starts. */
  start: number
}

export interface References {
  /** Step ids read through `steps.<id>…`, in order of appearance, without repeats. */
  steps: string[]
  /** Input names read through `inputs.<name>`. */
  inputs: string[]
  /** Every root name used (inputs, steps, incident, now, or an unknown name). */
  roots: string[]
  all: Reference[]
}

const MAX_DEPTH = 64
const MAX_LENGTH = 4096

const FUNCTIONS = {
  contains: {min: 2, max: 2},
  startsWith: {min: 2, max: 2},
  endsWith: {min: 2, max: 2},
  length: {min: 1, max: 1},
  format: {min: 1, max: 16},
  join: {min: 1, max: 2},
  toJSON: {min: 1, max: 1},
} as const

type FunctionName = keyof typeof FUNCTIONS

/**
 * Parses one expression (the text inside `${{ }}`).
 *
 * @example parseExpression("steps.inspect.outputs.kty == 'RSA' && !inputs.dryRun")
 * @throws JwkrError ERR_EXPRESSION_INVALID, with `details.column` (1-based) of the first problem.
 */
export function parseExpression(text: string): Expression {
  if (text.length > MAX_LENGTH) throw invalid(text, 0, `is longer than ${MAX_LENGTH} characters`)
  return new Parser(text).parseAll()
}

/** Evaluates an expression (parsed, or its text) against a scope such as `{inputs, steps, incident, now}`. */
export function evaluate(expression: Expression | string, scope: Scope): unknown {
  return evaluateNode(typeof expression === 'string' ? parseExpression(expression) : expression, scope)
}

/**
 * Splits a string into literal text and `${{ expression }}` parts.
 *
 * @throws JwkrError ERR_EXPRESSION_INVALID with `details.column` relative to `text`.
 */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = []
  let index = 0
  while (index < text.length) {
    const open = text.indexOf('${{', index)
    if (open < 0) {
      parts.push({kind: 'text', text: text.slice(index)})
      break
    }
    if (open > index) parts.push({kind: 'text', text: text.slice(index, open)})
    const start = open + 3
    const close = findClose(text, start)
    if (close < 0) throw invalid(text, open, "has '${{' without a closing '}}'")
    const source = text.slice(start, close)
    try {
      parts.push({kind: 'expression', source, start, ast: parseExpression(source)})
    } catch (error) {
      throw shifted(error, text, start)
    }
    index = close + 2
  }
  return parts
}

/** True when the string holds at least one `${{`. */
export function hasExpression(text: string): boolean {
  return text.includes('${{')
}

/**
 * Replaces `${{ }}` in every string of a value (deeply, returning a copy). A string that is exactly
 * one expression becomes the expression's value with its type; text around expressions gives text.
 *
 * @example interpolate({key: '${{ inputs.key }}', note: 'Key ${{ inputs.kid }} leaked'}, scope)
 */
export function interpolate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') return interpolateString(value, scope)
  if (Array.isArray(value)) return value.map((item) => interpolate(item, scope))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, scope)]))
  }
  return value
}

/**
 * Parses an `if` condition: either `${{ expr }}` (spaces around allowed) or a bare expression.
 * Text mixed with `${{ }}` is refused: it would always be a non-empty, hence true, string.
 */
export function parseCondition(text: string): Expression {
  if (!hasExpression(text)) return parseExpression(text)
  const parts = parseTemplate(text).filter((part) => part.kind === 'expression' || part.text.trim() !== '')
  const [only] = parts
  if (parts.length !== 1 || only?.kind !== 'expression') {
    throw invalid(text, 0, 'must be a single ${{ expression }} (or a bare expression), not text around expressions')
  }
  return only.ast
}

/** Evaluates an `if` value (a condition string, a boolean, or absent = true) to a boolean. */
export function evaluateCondition(condition: string | boolean | undefined, scope: Scope): boolean {
  if (condition === undefined) return true
  if (typeof condition === 'boolean') return condition
  return truthy(evaluateNode(parseCondition(condition), scope))
}

/** Falsy: false, null, undefined, 0, NaN and ''. Everything else (lists and mappings too) is true. */
export function truthy(value: unknown): boolean {
  return !(value === false || value === null || value === undefined || value === 0 || value === '' || Number.isNaN(value))
}

/**
 * What a string with `${{ }}` (or a parsed expression) reads from the scope, for validation before a run.
 *
 * @example referencesOf('${{ steps.inspect.outputs.thumbprint }}').steps // → ['inspect']
 */
export function referencesOf(text: string | Expression): References {
  const all: Reference[] = []
  if (typeof text === 'string') {
    for (const part of parseTemplate(text)) if (part.kind === 'expression') collect(part.ast, part.start, all)
  } else {
    collect(text, 0, all)
  }
  const unique = (values: string[]) => [...new Set(values)]
  return {
    steps: unique(all.filter((r) => r.root === 'steps' && typeof r.path[0] === 'string').map((r) => String(r.path[0]))),
    inputs: unique(all.filter((r) => r.root === 'inputs' && typeof r.path[0] === 'string').map((r) => String(r.path[0]))),
    roots: unique(all.map((r) => r.root)),
    all,
  }
}

/**
 * The step ids a playbook step reads in its `if` and anywhere in its `with` (a loaded, valid step).
 *
 * @example stepsReferencedBy({if: '${{ steps.check.outputs.contained == false }}', with: {n: '${{ steps.locate.outputs.endpoints }}'}})
 *   // → ['check', 'locate']
 */
export function stepsReferencedBy(step: {if?: string; with?: Record<string, unknown>}): string[] {
  const ids = new Set<string>()
  const visit = (value: unknown, condition: boolean): void => {
    if (typeof value === 'string') {
      if (!condition && !hasExpression(value)) return
      const expression = condition && !hasExpression(value) ? parseExpression(value) : value
      for (const id of referencesOf(expression).steps) ids.add(id)
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, false)
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) visit(item, false)
    }
  }
  visit(step.if, true)
  visit(step.with, false)
  return [...ids]
}

/** Text for a value inside a string: null → '', lists and mappings → JSON. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function interpolateString(text: string, scope: Scope): unknown {
  if (!hasExpression(text)) return text
  const parts = parseTemplate(text)
  const [only] = parts
  if (parts.length === 1 && only?.kind === 'expression') return evaluateNode(only.ast, scope)
  return parts.map((part) => (part.kind === 'text' ? part.text : toText(evaluateNode(part.ast, scope)))).join('')
}

function collect(node: Expression, offset: number, into: Reference[]): void {
  switch (node.kind) {
    case 'literal':
      return
    case 'name':
      into.push({root: node.name, path: [], start: offset + node.start})
      return
    case 'member': {
      const chain = staticChain(node)
      if (chain) {
        into.push({root: chain.root, path: chain.path, start: offset + chain.start})
        return
      }
      collect(node.object, offset, into)
      collect(node.property, offset, into)
      return
    }
    case 'unary':
      collect(node.operand, offset, into)
      return
    case 'binary':
      collect(node.left, offset, into)
      collect(node.right, offset, into)
      return
    case 'call':
      for (const arg of node.args) collect(arg, offset, into)
  }
}

/** `a.b['c'][0]` → {root: 'a', path: ['b', 'c', 0]}; undefined when some index is computed. */
function staticChain(node: Expression): {root: string; path: (string | number)[]; start: number} | undefined {
  if (node.kind === 'name') return {root: node.name, path: [], start: node.start}
  if (node.kind !== 'member') return undefined
  const base = staticChain(node.object)
  if (!base || node.property.kind !== 'literal') return undefined
  const key = node.property.value
  if (typeof key !== 'string' && typeof key !== 'number') return undefined
  return {...base, path: [...base.path, key]}
}

function evaluateNode(node: Expression, scope: Scope): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value
    case 'name':
      return read(scope, node.name)
    case 'member':
      return read(evaluateNode(node.object, scope), evaluateNode(node.property, scope))
    case 'unary': {
      const operand = evaluateNode(node.operand, scope)
      if (node.operator === '!') return !truthy(operand)
      return typeof operand === 'number' ? -operand : null
    }
    case 'binary':
      return evaluateBinary(node, scope)
    case 'call':
      return callFunction(
        node.name,
        node.args.map((arg) => evaluateNode(arg, scope)),
      )
  }
}

function evaluateBinary(node: Extract<Expression, {kind: 'binary'}>, scope: Scope): unknown {
  const left = evaluateNode(node.left, scope)
  if (node.operator === '&&') return truthy(left) ? evaluateNode(node.right, scope) : left
  if (node.operator === '||') return truthy(left) ? left : evaluateNode(node.right, scope)
  const right = evaluateNode(node.right, scope)
  switch (node.operator) {
    case '==':
      return equal(left, right)
    case '!=':
      return !equal(left, right)
    default:
      return compare(node.operator, left, right)
  }
}

/** Reads an own property of plain data; anything else (prototypes, functions, text members) is null. */
function read(container: unknown, key: unknown): unknown {
  if (container === null || typeof container !== 'object') return null
  let value: unknown
  if (Array.isArray(container)) {
    if (typeof key !== 'number' || !Number.isInteger(key)) return null
    value = container[key < 0 ? container.length + key : key]
  } else {
    if (typeof key !== 'string' && typeof key !== 'number') return null
    const name = String(key)
    if (!Object.hasOwn(container, name)) return null
    value = (container as Record<string, unknown>)[name]
  }
  return value === undefined || typeof value === 'function' || typeof value === 'symbol' ? null : value
}

function equal(left: unknown, right: unknown): boolean {
  if (left === undefined) left = null
  if (right === undefined) right = null
  if (typeof left === 'object' && typeof right === 'object' && left !== null && right !== null) {
    return JSON.stringify(left) === JSON.stringify(right)
  }
  return left === right
}

function compare(operator: '<' | '<=' | '>' | '>=', left: unknown, right: unknown): boolean {
  const comparable =
    (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string')
  if (!comparable) return false
  const [a, b] = [left as number | string, right as number | string]
  switch (operator) {
    case '<':
      return a < b
    case '<=':
      return a <= b
    case '>':
      return a > b
    case '>=':
      return a >= b
  }
}

function callFunction(name: FunctionName, args: unknown[]): unknown {
  const [first, second] = args
  switch (name) {
    case 'contains':
      if (Array.isArray(first)) return first.some((item) => equal(item, second))
      if (typeof first === 'string') return first.includes(toText(second))
      return false
    case 'startsWith':
      return typeof first === 'string' && first.startsWith(toText(second))
    case 'endsWith':
      return typeof first === 'string' && first.endsWith(toText(second))
    case 'length':
      if (typeof first === 'string' || Array.isArray(first)) return first.length
      if (first !== null && typeof first === 'object') return Object.keys(first).length
      return 0
    case 'format':
      return toText(first).replace(/\{\{|\}\}|\{(\d+)\}/g, (match, index: string | undefined) =>
        index === undefined ? match[0]! : toText(args[Number(index) + 1]),
      )
    case 'join':
      return Array.isArray(first) ? first.map(toText).join(second === undefined ? ',' : toText(second)) : toText(first)
    case 'toJSON':
      return JSON.stringify(first ?? null)
  }
}

/** The index of the `}}` closing an expression that starts at `from`, skipping quoted strings. */
function findClose(text: string, from: number): number {
  let quote: string | undefined
  for (let i = from; i < text.length; i++) {
    const char = text[i]
    if (quote) {
      if (char === '\\') i++
      else if (char === quote) quote = undefined
    } else if (char === "'" || char === '"') {
      quote = char
    } else if (char === '}' && text[i + 1] === '}') {
      return i
    }
  }
  return -1
}

type Token =
  | {type: 'number'; value: number; start: number}
  | {type: 'string'; value: string; start: number}
  | {type: 'name'; value: string; start: number}
  | {type: 'op'; value: string; start: number}
  | {type: 'end'; value: ''; start: number}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '-', '(', ')', '[', ']', '.', ',']
const ESCAPES: Record<string, string> = {'\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t'}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const char = text[i]!
    if (/\s/.test(char)) {
      i++
      continue
    }
    const start = i
    const number = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
    if (number) {
      if (/[A-Za-z_]/.test(text[i + number[0].length] ?? '')) throw invalid(text, i, `has a malformed number '${number[0]}…'`)
      tokens.push({type: 'number', value: Number(number[0]), start})
      i += number[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i))
    if (name) {
      tokens.push({type: 'name', value: name[0], start})
      i += name[0].length
      continue
    }
    if (char === "'" || char === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw invalid(text, start, 'has a string without its closing quote')
        const c = text[i]!
        if (c === char) break
        if (c === '\\') {
          const escaped = ESCAPES[text[i + 1] ?? '']
          if (escaped === undefined) throw invalid(text, i, `has an unknown escape '\\${text[i + 1] ?? ''}'`)
          value += escaped
          i += 2
        } else {
          value += c
          i++
        }
      }
      tokens.push({type: 'string', value, start})
      i++
      continue
    }
    const operator = OPERATORS.find((op) => text.startsWith(op, i))
    if (!operator && char === '=') throw invalid(text, i, "has '=' (compare with '==')")
    if (!operator) throw invalid(text, i, `has an unexpected character '${char}'`)
    tokens.push({type: 'op', value: operator, start})
    i += operator.length
  }
  tokens.push({type: 'end', value: '', start: text.length})
  return tokens
}

class Parser {
  readonly #text: string
  readonly #tokens: Token[]
  #index = 0
  #depth = 0

  constructor(text: string) {
    this.#text = text
    this.#tokens = tokenize(text)
  }

  parseAll(): Expression {
    if (this.#peek().type === 'end') throw invalid(this.#text, 0, 'is empty')
    const expression = this.#or()
    const next = this.#peek()
    if (next.type !== 'end') throw this.#unexpected(next)
    return expression
  }

  #or(): Expression {
    return this.#binary(['||'], () => this.#and())
  }

  #and(): Expression {
    return this.#binary(['&&'], () => this.#equality())
  }

  #equality(): Expression {
    return this.#binary(['==', '!='], () => this.#comparison())
  }

  #comparison(): Expression {
    return this.#binary(['<', '<=', '>', '>='], () => this.#unary())
  }

  #binary(operators: string[], operand: () => Expression): Expression {
    let left = operand()
    for (;;) {
      const token = this.#peek()
      if (token.type !== 'op' || !operators.includes(token.value)) return left
      this.#index++
      const right = operand()
      left = {kind: 'binary', operator: token.value as BinaryOperator, left, right, start: left.start}
    }
  }

  #unary(): Expression {
    const token = this.#peek()
    if (token.type === 'op' && (token.value === '!' || token.value === '-')) {
      this.#index++
      return this.#nested(() => ({kind: 'unary', operator: token.value as '!' | '-', operand: this.#unary(), start: token.start}))
    }
    return this.#postfix()
  }

  #postfix(): Expression {
    let node = this.#primary()
    for (;;) {
      const token = this.#peek()
      if (token.type === 'op' && token.value === '.') {
        this.#index++
        const name = this.#next()
        if (name.type !== 'name') throw invalid(this.#text, name.start, `needs a property name after '.'`)
        node = {
          kind: 'member',
          object: node,
          property: {kind: 'literal', value: name.value, start: name.start},
          start: node.start,
        }
      } else if (token.type === 'op' && token.value === '[') {
        this.#index++
        const property = this.#nested(() => this.#or())
        this.#expect(']')
        node = {kind: 'member', object: node, property, start: node.start}
      } else {
        return node
      }
    }
  }

  #primary(): Expression {
    const token = this.#next()
    switch (token.type) {
      case 'number':
      case 'string':
        return {kind: 'literal', value: token.value, start: token.start}
      case 'name':
        return this.#name(token)
      case 'op':
        if (token.value === '(') {
          const inner = this.#nested(() => this.#or())
          this.#expect(')')
          return inner
        }
        throw this.#unexpected(token)
      case 'end':
        throw invalid(this.#text, token.start, 'ends where a value was expected')
    }
  }

  #name(token: Extract<Token, {type: 'name'}>): Expression {
    if (token.value === 'true' || token.value === 'false')
      return {kind: 'literal', value: token.value === 'true', start: token.start}
    if (token.value === 'null') return {kind: 'literal', value: null, start: token.start}
    const next = this.#peek()
    if (next.type !== 'op' || next.value !== '(') return {kind: 'name', name: token.value, start: token.start}
    if (!Object.hasOwn(FUNCTIONS, token.value)) {
      throw invalid(
        this.#text,
        token.start,
        `calls '${token.value}', which is not a function (use ${Object.keys(FUNCTIONS).join(', ')})`,
      )
    }
    const name = token.value as FunctionName
    this.#index++
    const args: Expression[] = []
    if (!(this.#peek().type === 'op' && this.#peek().value === ')')) {
      do args.push(this.#nested(() => this.#or()))
      while (this.#accept(','))
    }
    this.#expect(')')
    const {min, max} = FUNCTIONS[name]
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : `${min} to ${max}`
      throw invalid(this.#text, token.start, `calls ${name} with ${args.length} argument(s); it takes ${wanted}`)
    }
    return {kind: 'call', name, args, start: token.start}
  }

  #nested<T>(parse: () => T): T {
    if (++this.#depth > MAX_DEPTH) throw invalid(this.#text, this.#peek().start, `nests deeper than ${MAX_DEPTH} levels`)
    try {
      return parse()
    } finally {
      this.#depth--
    }
  }

  #peek(): Token {
    return this.#tokens[this.#index]!
  }

  #next(): Token {
    const token = this.#peek()
    if (token.type !== 'end') this.#index++
    return token
  }

  #accept(operator: string): boolean {
    const token = this.#peek()
    if (token.type === 'op' && token.value === operator) {
      this.#index++
      return true
    }
    return false
  }

  #expect(operator: string): void {
    const token = this.#peek()
    if (!this.#accept(operator)) {
      throw invalid(
        this.#text,
        token.start,
        token.type === 'end' ? `is missing '${operator}'` : `has '${this.#show(token)}' where '${operator}' was expected`,
      )
    }
  }

  #unexpected(token: Token): JwkrError {
    return invalid(this.#text, token.start, `has an unexpected '${this.#show(token)}'`)
  }

  #show(token: Token): string {
    return token.type === 'string' ? `'${token.value}'` : String(token.value)
  }
}

function invalid(text: string, index: number, reason: string): JwkrError {
  const column = index + 1
  return new JwkrError('ERR_EXPRESSION_INVALID', `The expression '${text.trim()}' ${reason} (column ${column}).`, {
    hint: 'Expressions read inputs.<name>, steps.<id>.outputs.<name>, incident.id and now, with == != < <= > >= && || ! and ( ). Quote text with \' or ".',
    details: {expression: text, column, reason},
  })
}

/** Re-bases an error from an expression that starts at `start` inside `text`. */
function shifted(error: unknown, text: string, start: number): unknown {
  if (!(error instanceof JwkrError) || error.code !== 'ERR_EXPRESSION_INVALID') return error
  const column = Number(error.details?.column ?? 1)
  return invalid(text, start + column - 1, String(error.details?.reason ?? error.message))
}
