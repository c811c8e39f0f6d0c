// Loads a YAML document and checks it against a JSON Schema, reporting every problem with the
// file:line:column of the node it concerns (playbooks now, the inventory later). `yaml` keeps the
// source range of every node; ajv finds the schema errors; this module joins the two.
import {Ajv2020, type ErrorObject, type SchemaObject, type ValidateFunction} from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {closest, distance} from 'fastest-levenshtein'
import {isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Scalar} from 'yaml'

import type {JsonSchema} from '../json-schema.js'
import {describeNesting, MAX_NESTING_DEPTH, nestingProblem} from '../nesting.js'

/** Alias expansions a document may make (yaml's own default, named): more is an alias bomb. */
export const MAX_ALIAS_COUNT = 100

/** One thing wrong with a document, at a 1-based line and column. */
export interface Problem {
  file: string
  line: number
  column: number
  /** Where in the document, e.g. `steps[2].retry.attempts` ('' for the whole document). */
  path: string
  message: string
}

export interface Position {
  line: number
  column: number
}

export type DocumentPath = readonly (string | number)[]

export interface LocateOptions {
  /** Point at the key of the last path segment instead of its value (for unknown properties). */
  key?: boolean
  /** A character index inside a string value; honoured when the scalar is written on one line. */
  offset?: number
}

export interface ValidateOptions {
  /** The word for a property in messages ('property' unless told, e.g. 'input'). */
  noun?: string
  /** Put before every message, e.g. 'key.inspect: '. */
  prefix?: string
  /** Errors at these paths (or inside them) are dropped, e.g. strings that are expressions. */
  ignore?: (path: DocumentPath, error: ErrorObject) => boolean
}

export interface YamlDocument<T> {
  /** The document as plain data (undefined when empty); meaningful only when there are no syntax problems. */
  value: T
  /** Syntax problems, or else schema problems, in document order. */
  problems: Problem[]
  /** True when the text is not well-formed YAML (then `problems` holds only those). */
  syntaxError: boolean
  /** The position of the node at `path`, or of its nearest existing ancestor. */
  locate(path: DocumentPath, options?: LocateOptions): Position
  /** A problem at `path`, positioned like `locate`. */
  problemAt(path: DocumentPath, message: string, options?: LocateOptions): Problem
  /** Checks a part of the document (at `basePath`) against another schema, e.g. a step's input schema. */
  /** Checks a value against a schema: a JsonSchema, or a step's TypeBox schema (ajv takes either). */
  validate(value: unknown, schema: SchemaObject, basePath: DocumentPath, options?: ValidateOptions): Problem[]
}

/**
 * Parses `text` (named `file` in messages) and validates it against `schema` (draft 2020-12, all errors).
 *
 * @example
 *   const doc = loadYamlDocument<Inventory>(text, 'jwkr.inventory.yaml', inventorySchema)
 *   if (doc.problems.length > 0) console.error(formatProblems(doc.problems))
 */
export function loadYamlDocument<T>(text: string, file: string, schema: JsonSchema): YamlDocument<T> {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const ajv = sharedAjv()

  const position = (offset: number): Position => {
    const {line, col} = lineCounter.linePos(offset)
    return {line, column: col}
  }
  const locate = (path: DocumentPath, options: LocateOptions = {}): Position => position(offsetOf(document, text, path, options))
  const problemAt = (path: DocumentPath, message: string, options: LocateOptions = {}): Problem => ({
    file,
    ...locate(path, options),
    path: formatPath(path),
    message,
  })
  const validate = (
    value: unknown,
    subSchema: SchemaObject,
    basePath: DocumentPath,
    options: ValidateOptions = {},
  ): Problem[] => {
    const check = compile(ajv, subSchema)
    if (check(value)) return []
    return sortProblems(
      dedupe(check.errors ?? [])
        .map((error) => ({error, path: [...basePath, ...pointerSegments(error.instancePath)]}))
        .filter(({error, path}) => !options.ignore?.(path, error))
        .map(({error, path}) => toProblem(error, path, value, basePath.length, problemAt, options)),
    )
  }

  const syntaxProblems = document.errors.map((error) => ({
    file,
    ...position(error.pos[0]),
    path: '',
    // yaml's parser recurses, and reports running out of stack on deep nesting as an error of its own
    // (RESOURCE_EXHAUSTION, or TAG_RESOLVE_FAILED when it happens while reading the deepest scalar).
    message:
      error.code === 'RESOURCE_EXHAUSTION' || /call stack/i.test(error.message) ? TOO_DEEP : plainYamlMessage(error.message),
  }))
  const refused = (problem: Problem): YamlDocument<T> => ({
    value: undefined as T,
    problems: [problem],
    syntaxError: true,
    locate,
    problemAt,
    validate,
  })
  if (syntaxProblems.length > 0) {
    return {value: undefined as T, problems: dedupeProblems(syntaxProblems), syntaxError: true, locate, problemAt, validate}
  }
  let value: T
  try {
    value = document.toJS({maxAliasCount: MAX_ALIAS_COUNT}) as T
  } catch (error) {
    return refused(problemAt([], toJsMessage(error)))
  }
  // Checked before anything walks the value: the schema check and every later walk recurse.
  const nesting = nestingProblem(value)
  if (nesting) return refused(problemAt(nesting.path, `the document ${describeNesting(nesting)}`))
  return {value, problems: validate(value ?? null, schema, []), syntaxError: false, locate, problemAt, validate}
}

const TOO_DEEP = `the document nests lists and mappings more than ${MAX_NESTING_DEPTH} levels deep`

/** Why yaml could not turn the document into data, without its stack or its own wording. */
function toJsMessage(error: unknown): string {
  if (error instanceof RangeError) return TOO_DEEP
  const message = error instanceof Error ? error.message : String(error)
  if (/alias count/i.test(message)) {
    return `the document expands aliases more than ${MAX_ALIAS_COUNT} times (an alias bomb?); write the values out instead`
  }
  return plainYamlMessage(message)
}

/** yaml may report running out of stack more than once at nearby places: one problem is enough. */
function dedupeProblems(problems: Problem[]): Problem[] {
  return problems.filter(
    (problem, index) => problem.message !== TOO_DEEP || problems.findIndex((p) => p.message === TOO_DEEP) === index,
  )
}

/** One `file:line:column: message` line per problem. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((problem) => `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`).join('\n')
}

/** Warnings as compilers print them: `file:line:column: warning: message`. */
export function formatWarnings(warnings: readonly Problem[]): string {
  return formatProblems(warnings.map((warning) => ({...warning, message: `warning: ${warning.message}`})))
}

/** Document order: by line, then column. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column)
}

/** `['steps', 2, 'with', 'key']` → `steps[2].with.key`. */
export function formatPath(path: DocumentPath): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`
    const name = /^[A-Za-z_$][\w$-]*$/.test(segment) ? segment : JSON.stringify(segment)
    return text === '' ? name : `${text}.${name}`
  }, '')
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function suggestion(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined
  const best = closest(word, [...candidates])
  if (distance(word, best) <= Math.max(2, Math.floor(best.length / 3))) return best
  // A name cut short or run on (`jwks` for `jwksUri`) is as likely a slip as a typo.
  const lower = word.toLowerCase()
  return lower.length < 3
    ? undefined
    : candidates.find((candidate) => candidate.toLowerCase().startsWith(lower) || lower.startsWith(candidate.toLowerCase()))
}

let shared: Ajv2020 | undefined

/**
 * One ajv for the process: it compiles the draft 2020-12 meta-schema and each schema once, and keeps
 * the compiled check by the schema's identity (the schemas are module constants). A new ajv per
 * document cost 30–40 ms for every step of a run that reads the inventory (bench/drill-overhead).
 */
function sharedAjv(): Ajv2020 {
  shared ??= createAjv()
  return shared
}

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    allowUnionTypes: true,
  })
  // ajv-formats is CommonJS with `exports.default` on the exported function itself.
  addFormats.default(ajv)
  return ajv
}

function compile(ajv: Ajv2020, schema: SchemaObject): ValidateFunction {
  // ajv caches by schema identity within one instance, so each schema compiles once per process.
  return ajv.compile(schema)
}

function offsetOf(document: Document, text: string, path: DocumentPath, options: LocateOptions): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth)
    if (options.key && depth === path.length && depth > 0) {
      const keyNode = keyNodeAt(document, prefix)
      if (keyNode?.range) return keyNode.range[0]
      continue
    }
    const node = nodeAt(document, prefix)
    if (node?.range) {
      if (depth === path.length && options.offset !== undefined && isScalar(node)) {
        return node.range[0] + offsetInScalar(node, text, options.offset)
      }
      return node.range[0]
    }
  }
  return 0
}

function nodeAt(document: Document, path: DocumentPath): Node | undefined {
  if (path.length === 0) return document.contents ?? undefined
  const node = document.getIn(path, true)
  return node && typeof node === 'object' && 'range' in node ? (node as Node) : undefined
}

function keyNodeAt(document: Document, path: DocumentPath): Node | undefined {
  const parent = nodeAt(document, path.slice(0, -1))
  const name = path.at(-1)
  if (!isMap(parent)) return undefined
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === name)
  return pair && isScalar(pair.key) ? pair.key : undefined
}

/** Where character `index` of the scalar's value sits in its source (quotes skipped); 0 when it cannot be told. */
function offsetInScalar(node: Scalar, text: string, index: number): number {
  if (typeof node.value !== 'string' || !node.range) return 0
  const source = text.slice(node.range[0], node.range[1])
  const start = source.indexOf(node.value)
  return start < 0 ? 0 : start + index
}

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment))
}

function valueAt(root: unknown, path: DocumentPath): unknown {
  let current = root
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string | number, unknown>)[segment]
  }
  return current
}

const COMPOSITE = ['if', 'anyOf', 'oneOf', 'not']

/**
 * With allErrors, a failing `if`/`anyOf`/`oneOf` repeats what its branches said: keep the specific
 * errors, and the composite one only when nothing more specific was said about that place.
 */
function dedupe(errors: readonly ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((error) => !COMPOSITE.includes(error.keyword)).map((error) => error.instancePath)
  const seen = new Set<string>()
  return errors.filter((error) => {
    // A name refused by `propertyNames` is reported once, by that keyword, not again as its pattern.
    if (error.propertyName !== undefined && error.keyword !== 'propertyNames') return false
    if (
      COMPOSITE.includes(error.keyword) &&
      specific.some((path) => path === error.instancePath || path.startsWith(`${error.instancePath}/`))
    ) {
      return false
    }
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function toProblem(
  error: ErrorObject,
  path: DocumentPath,
  root: unknown,
  baseDepth: number,
  problemAt: (path: DocumentPath, message: string, options?: LocateOptions) => Problem,
  options: ValidateOptions,
): Problem {
  const noun = options.noun ?? 'property'
  const prefix = options.prefix ?? ''
  const name = problemSubject(path, baseDepth)
  const parent = error.parentSchema as Record<string, unknown> | undefined
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const property = String(params.additionalProperty)
      const known = Object.keys((parent?.properties as Record<string, unknown> | undefined) ?? {})
      const guess = suggestion(property, known)
      const hint = guess ? ` (did you mean '${guess}'?)` : known.length > 0 ? ` (expected one of ${known.join(', ')})` : ''
      return problemAt([...path, property], `${prefix}unknown ${noun} '${property}'${hint}`, {key: true})
    }
    case 'required':
      return problemAt(path, `${prefix}missing required ${noun} '${String(params.missingProperty)}'`)
    case 'enum':
      return problemAt(
        path,
        `${prefix}${name}must be one of ${(params.allowedValues as unknown[]).join(', ')}${got(root, path, baseDepth)}`,
      )
    case 'const':
      return problemAt(path, `${prefix}${name}must be ${JSON.stringify(params.allowedValue)}${got(root, path, baseDepth)}`)
    case 'type':
      return problemAt(path, `${prefix}${name}must be ${describeTypes(params.type)}${got(root, path, baseDepth)}`)
    case 'pattern':
    case 'format': {
      const what = typeof parent?.title === 'string' ? parent.title : `text matching ${String(params.pattern ?? params.format)}`
      return problemAt(path, `${prefix}${name}must be a ${what}${got(root, path, baseDepth)}`)
    }
    case 'propertyNames':
      return problemAt([...path, String(params.propertyName)], `${prefix}'${String(params.propertyName)}' is not a valid name`, {
        key: true,
      })
    case 'maxItems':
      return problemAt(path, `${prefix}${name}holds more than ${String(params.limit)} items, the most jwkr accepts`)
    // ajv's own wording ("must NOT have fewer than 1 properties") said as a person would.
    case 'minProperties':
      return problemAt(path, `${prefix}${name}is empty: give at least ${plural(Number(params.limit), 'entry', 'entries')}`)
    case 'minItems':
      return problemAt(path, `${prefix}${name}is empty: list at least ${plural(Number(params.limit), 'item', 'items')}`)
    case 'minLength':
      return problemAt(path, `${prefix}${name}is empty: write a value`)
    case 'minimum':
      return problemAt(path, `${prefix}${name}must be ${String(params.limit)} or more${got(root, path, baseDepth)}`)
    case 'maximum':
      return problemAt(path, `${prefix}${name}must be ${String(params.limit)} or less${got(root, path, baseDepth)}`)
    case 'uniqueItems':
      return problemAt(path, `${prefix}${name}lists the same item twice`)
    case 'oneOf':
    case 'anyOf':
      return problemAt(path, `${prefix}${name}must match exactly one of the allowed forms (see the schema)`)
    default:
      return problemAt(path, `${prefix}${name}${error.message ?? 'is not valid'}`)
  }
}

/** What a message names: `'key' `, `item 2 of 'labels' `, or nothing for the value at the base itself. */
function problemSubject(path: DocumentPath, baseDepth: number): string {
  const last = path.at(-1)
  if (path.length <= baseDepth) return ''
  if (typeof last === 'string') return `'${last}' `
  const list = path.at(-2)
  return typeof last === 'number' && typeof list === 'string' && path.length - 1 > baseDepth
    ? `item ${last + 1} of '${list}' `
    : ''
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

function got(root: unknown, path: DocumentPath, baseDepth: number): string {
  const value = valueAt(root, path.slice(baseDepth))
  if (value === undefined) return ''
  const shown = JSON.stringify(value)
  return shown.length > 60 ? ` (got ${typeName(value)})` : ` (got ${shown})`
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `a ${typeof value}`
}

function describeTypes(type: unknown): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    object: 'a mapping',
    array: 'a list',
    null: 'empty',
  }
  const types = Array.isArray(type) ? type : [type]
  return types.map((t) => names[String(t)] ?? String(t)).join(' or ')
}

/**
 * yaml's messages end with " at line N, column M:" and a code frame, and some quote the source they
 * refused (a whole scalar: a credential or an inline private key). Only the words are kept: the
 * position is reported apart.
 */
function plainYamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message)
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/: ".*"$/, '')
    .replace(/^(Not a YAML token|Block scalar header includes extra characters): .*$/, '$1')
}
