// Loads a playbook and checks the whole of it before anything runs: the schema, every `uses`
// against the step registry, every `with` against its step's input schema, every expression and
// what it refers to. Every problem is reported at once, each with its file:line:column.
import {createHash} from 'node:crypto'

import type {SchemaObject} from 'ajv'

import {parseDuration} from '../core/duration.js'
import {JwkrError} from '../core/errors.js'
import {readBoundedText} from '../adapters/fs/read-bounded-file.js'
import {
  formatProblems,
  loadYamlDocument,
  sortProblems,
  suggestion,
  type DocumentPath,
  type Problem,
  type YamlDocument,
} from '../core/yaml/load-yaml-document.js'
import type {SecretRegistry} from '../core/secrets.js'
import {listBuiltinPlaybooks, locatePlaybook} from './builtin-playbooks.js'
import {
  EXPRESSION_ROOTS,
  hasExpression,
  parseCondition,
  parseExpression,
  parseTemplate,
  referencesOf,
  type References,
} from './expression.js'
import {attemptsContainment} from '../core/report/run-outcome.js'
import type {Phase} from '../core/report/report-model.js'
import {MAX_PLAYBOOK_STEPS, playbookSchema} from './playbook-schema.js'
import {unknownStepMessage, type StepRegistry} from './registry.js'
import type {StepDefinition} from './types.js'

export type InputType = 'string' | 'number' | 'boolean' | 'object' | 'array'
export type OnFailure = 'abort' | 'continue' | 'ask'

export interface PlaybookInput {
  type: InputType
  required: boolean
  description?: string
  default?: unknown
}

export interface PlaybookStep {
  id: string
  /** The registered step it runs, `<area>.<verb>`. */
  uses: string
  /** The step's input, with `${{ }}` strings still to be interpolated at run time. */
  with: Record<string, unknown>
  /** A condition: `${{ expr }}` or a bare expression (`if: true` in YAML arrives as 'true'). */
  if?: string
  confirm?: string | boolean
  retry?: {attempts: number; backoff?: string; backoffMs: number}
  timeout?: string
  timeoutMs?: number
  onFailure: OnFailure
  description?: string
  title?: string
  /** Where it sits in the response, as the playbook declares it (the RCA's phases). */
  phase?: Phase
  /** Runs beside the steps after it in an unattended run (--yes); see the playbook schema. */
  background?: boolean
}

export interface Playbook {
  apiVersion: 'jwkr/v1'
  kind: 'Playbook'
  name: string
  description: string
  inputs: Record<string, PlaybookInput>
  steps: PlaybookStep[]
  /**
   * Whether a run attempts containment, so ends with containment proven, not proven or not attempted
   * (exit 4 unless proven): the playbook's `contains`, else whether a step uses containment.verify.
   */
  contains: boolean
  /** Where it was loaded from (as given). */
  file: string
  /** SHA-256 hex of the text, for the journal: which exact playbook ran. */
  digest: string
  text: string
}

export interface PlaybookCheck {
  /** Present only when there are no problems. */
  playbook?: Playbook
  problems: Problem[]
  /** The document as parsed (undefined when it is not well-formed YAML), e.g. to register secrets in it. */
  raw: unknown
}

/** A built-in playbook as `jwkr playbook list` shows it; an invalid one is listed with its problem count. */
export interface PlaybookSummary {
  name: string
  description: string
  steps: number
  file: string
  problems: number
}

const DEFAULT_BACKOFF_MS = 1000
export {parseDuration}

/**
 * Checks a playbook's text without throwing: every problem, in document order.
 *
 * @example const {playbook, problems} = checkPlaybook(text, 'my.yaml', registry)
 */
export function checkPlaybook(text: string, file: string, registry: StepRegistry): PlaybookCheck {
  const document = loadYamlDocument<unknown>(text, file, playbookSchema)
  if (document.syntaxError) return {problems: document.problems, raw: undefined}
  const raw = document.value
  const problems = [...document.problems]
  if (isRecord(raw)) {
    const inputs = isRecord(raw.inputs) ? raw.inputs : {}
    problems.push(...checkInputDefaults(inputs, document))
    const steps = Array.isArray(raw.steps) ? raw.steps : []
    // Over the limit, the schema has said so: checking thousands of steps one by one would only bury it.
    if (steps.length <= MAX_PLAYBOOK_STEPS) problems.push(...checkSteps(steps, Object.keys(inputs), registry, document))
  }
  const unique = sortProblems(dedupe(problems))
  if (unique.length > 0) return {problems: unique, raw}
  return {playbook: toPlaybook(raw as RawPlaybook, file, text), problems: [], raw}
}

/**
 * Loads a playbook's text; throws ERR_PLAYBOOK_INVALID (details.problems = every problem) if anything is wrong.
 */
export function loadPlaybook(text: string, file: string, registry: StepRegistry): Playbook {
  const {playbook, problems} = checkPlaybook(text, file, registry)
  if (!playbook) throw invalidPlaybook(file, problems)
  return playbook
}

/** Reads and loads a playbook file. */
export async function loadPlaybookFile(path: string, registry: StepRegistry): Promise<Playbook> {
  return loadPlaybook(await readPlaybookText(path), path, registry)
}

/** Loads a built-in playbook by name (`leaked-signing-key`) or a playbook file by path. */
export async function resolvePlaybook(nameOrPath: string, registry: StepRegistry): Promise<Playbook> {
  return loadPlaybookFile(locatePlaybook(nameOrPath).file, registry)
}

/** Every built-in playbook with its name, description and step count, checked against the registry. */
export async function listPlaybooks(registry: StepRegistry, dir?: string): Promise<PlaybookSummary[]> {
  return Promise.all(
    listBuiltinPlaybooks(dir).map(async ({name, file}) => {
      const {playbook, problems, raw} = checkPlaybook(await readPlaybookText(file), file, registry)
      const fallback = isRecord(raw) ? raw : {}
      return {
        name: playbook?.name ?? (typeof fallback.name === 'string' ? fallback.name : name),
        description: playbook?.description ?? (typeof fallback.description === 'string' ? fallback.description : ''),
        steps: playbook?.steps.length ?? (Array.isArray(fallback.steps) ? fallback.steps.length : 0),
        file,
        problems: problems.length,
      }
    }),
  )
}

/**
 * Registers key material written into a playbook (an inline JWK or PEM in `with` or an input default)
 * so that showing, validating or exporting the playbook cannot print it.
 */
export function registerPlaybookSecrets(value: unknown, secrets: SecretRegistry): void {
  if (typeof value === 'string') {
    if (value.includes('PRIVATE KEY-----')) {
      // Each base64 line on its own: in JSON output the line breaks become \n and a whole-PEM match would miss.
      const body = value.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.includes('-----'))
      for (const line of body) secrets.add(line.trim())
      secrets.add(body.join(''))
    }
    const trimmed = value.trim()
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        registerPlaybookSecrets(JSON.parse(trimmed), secrets)
      } catch {
        // Not JSON: nothing more to find in it.
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) registerPlaybookSecrets(item, secrets)
  } else if (isRecord(value)) {
    secrets.addJwk(value)
    for (const item of Object.values(value)) registerPlaybookSecrets(item, secrets)
  }
}

/** A playbook a person can read is a few KB; the standard one is under 20. */
export const MAX_PLAYBOOK_BYTES = 1024 * 1024

/** The text of a playbook file (a regular file of at most 1 MiB); a missing file is ERR_PLAYBOOK_NOT_FOUND. */
export async function readPlaybookText(path: string): Promise<string> {
  return readBoundedText(path, {
    maxBytes: MAX_PLAYBOOK_BYTES,
    what: 'a playbook',
    notFound: () =>
      new JwkrError('ERR_PLAYBOOK_NOT_FOUND', `No playbook file at ${path}.`, {
        hint: 'Check the path, or pass the name of a built-in playbook (`jwkr playbook list`).',
      }),
  })
}

/** ERR_PLAYBOOK_INVALID listing every problem as file:line:column lines. */
export function invalidPlaybook(file: string, problems: readonly Problem[]): JwkrError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
  return new JwkrError('ERR_PLAYBOOK_INVALID', `The playbook ${file} has ${count}:\n${formatProblems(problems)}`, {
    hint: 'Fix each problem at the file:line:column shown; `jwkr playbook validate FILE` checks the file again.',
    details: {file, problems},
  })
}

interface RawStep {
  id: string
  uses: string
  with?: Record<string, unknown>
  if?: string | boolean
  confirm?: string | boolean
  retry?: {attempts: number; backoff?: string}
  timeout?: string
  onFailure?: OnFailure
  description?: string
  title?: string
  name?: string
  phase?: Phase
  background?: boolean
}

interface RawPlaybook {
  name: string
  description?: string
  contains?: boolean
  inputs?: Record<string, {type: InputType; required?: boolean; description?: string; default?: unknown}>
  steps: RawStep[]
}

type Document = YamlDocument<unknown>

function checkInputDefaults(inputs: Record<string, unknown>, document: Document): Problem[] {
  const problems: Problem[] = []
  for (const [name, input] of Object.entries(inputs)) {
    if (!isRecord(input) || !('default' in input) || typeof input.type !== 'string') continue
    if (jsonType(input.default) !== input.type) {
      problems.push(
        document.problemAt(
          ['inputs', name, 'default'],
          `the default of input '${name}' must be a ${input.type} (got ${jsonType(input.default)})`,
        ),
      )
    }
  }
  return problems
}

function checkSteps(steps: unknown[], inputNames: string[], registry: StepRegistry, document: Document): Problem[] {
  const problems: Problem[] = []
  // Where each id is first defined, to tell "unknown" from "later" and to find duplicates.
  const firstIndex = new Map<string, number>()
  steps.forEach((step, index) => {
    if (isRecord(step) && typeof step.id === 'string' && !firstIndex.has(step.id)) firstIndex.set(step.id, index)
  })
  const context: StepsContext = {steps, firstIndex, inputNames, registry, document}

  steps.forEach((step, index) => {
    if (!isRecord(step)) return
    const at = (...rest: (string | number)[]): DocumentPath => ['steps', index, ...rest]
    if (typeof step.id === 'string' && firstIndex.get(step.id) !== index) {
      const first = document.locate(['steps', firstIndex.get(step.id)!, 'id'])
      problems.push(document.problemAt(at('id'), `duplicate step id '${step.id}' (first used at line ${first.line})`))
    }
    let definition: StepDefinition | undefined
    if (typeof step.uses === 'string') {
      if (registry.has(step.uses)) definition = registry.get(step.uses)
      else problems.push(document.problemAt(at('uses'), unknownStepMessage(step.uses, registry.ids())))
    }
    const input = step.with ?? {}
    if (definition && isRecord(input)) {
      problems.push(
        ...document.validate(input, definition.inputSchema, at('with'), {
          noun: 'input',
          prefix: `${definition.id}: `,
          ignore: (path, error) => coveredByExpression(input, path.slice(3), error.keyword),
        }),
      )
    }
    if (isRecord(input)) {
      for (const [path, text] of stringsIn(input, at('with')))
        problems.push(...checkExpressions(text, path, index, context, false))
    }
    if (typeof step.if === 'string') problems.push(...checkExpressions(step.if, at('if'), index, context, true))
    if (typeof step.confirm === 'string') problems.push(...checkExpressions(step.confirm, at('confirm'), index, context, false))
    if (step.background === true && step.onFailure !== 'continue') {
      problems.push(
        document.problemAt(
          at('background'),
          'a background step must say onFailure: continue: the run does not wait for it to decide whether to go on',
        ),
      )
    }
  })
  return problems
}

interface StepsContext {
  steps: unknown[]
  firstIndex: Map<string, number>
  inputNames: string[]
  registry: StepRegistry
  document: Document
}

/** A value that is one `${{ }}` may take any type; a string with text around expressions stays a string. */
function coveredByExpression(input: unknown, path: DocumentPath, keyword: string): boolean {
  let value = input
  for (const segment of path) {
    if (!isRecord(value) && !Array.isArray(value)) return false
    value = (value as Record<string | number, unknown>)[segment]
  }
  if (typeof value !== 'string' || !hasExpression(value)) return false
  return isSingleExpression(value) || keyword !== 'type'
}

function isSingleExpression(text: string): boolean {
  try {
    const parts = parseTemplate(text)
    return parts.length === 1 && parts[0]?.kind === 'expression'
  } catch {
    return true
  }
}

function checkExpressions(text: string, path: DocumentPath, index: number, context: StepsContext, condition: boolean): Problem[] {
  if (!condition && !hasExpression(text)) return []
  let references: References
  try {
    if (condition) parseCondition(text)
    references = hasExpression(text) ? referencesOf(text) : referencesOf(parseExpression(text))
  } catch (error) {
    if (!(error instanceof JwkrError) || error.code !== 'ERR_EXPRESSION_INVALID') throw error
    const column = Number(error.details?.column ?? 1)
    return [context.document.problemAt(path, `expression ${quoted(text)} ${String(error.details?.reason)}`, {offset: column - 1})]
  }
  const problems: Problem[] = []
  for (const reference of references.all) {
    const message = referenceProblem(reference.root, reference.path, index, context)
    if (message) problems.push(context.document.problemAt(path, message, {offset: reference.start}))
  }
  return problems
}

function referenceProblem(root: string, path: (string | number)[], index: number, context: StepsContext): string | undefined {
  const roots: readonly string[] = EXPRESSION_ROOTS
  if (!roots.includes(root)) {
    const guess = suggestion(root, roots)
    return `unknown name '${root}'${guess ? ` (did you mean '${guess}'?)` : ''}; expressions read ${roots.join(', ')}`
  }
  const [name, section, output] = path
  if (typeof name !== 'string') return undefined
  if (root === 'inputs' && !context.inputNames.includes(name)) {
    const guess = suggestion(name, context.inputNames)
    return `undeclared input '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}; declare it under inputs:`
  }
  if (root !== 'steps') return undefined
  const target = context.firstIndex.get(name)
  if (target === undefined) {
    const guess = suggestion(
      name,
      [...context.firstIndex.keys()].filter((id) => context.firstIndex.get(id)! < index),
    )
    return `unknown step '${name}' in steps.${name}${guess ? ` (did you mean '${guess}'?)` : ''}`
  }
  if (target === index) return `step '${name}' cannot read its own outputs; use an earlier step`
  if (target > index) return `step '${name}' runs later (step ${target + 1}); a step can only read outputs of earlier steps`
  if (section === 'outputs' && typeof output === 'string') return unknownOutput(name, output, target, context)
  return undefined
}

/** Checked only where the step declares its outputs closed (`additionalProperties: false`). */
function unknownOutput(stepId: string, output: string, target: number, context: StepsContext): string | undefined {
  const step = context.steps[target]
  const uses = isRecord(step) && typeof step.uses === 'string' ? step.uses : undefined
  if (!uses || !context.registry.has(uses)) return undefined
  const schema: SchemaObject = context.registry.get(uses).outputSchema
  const properties = isRecord(schema.properties) ? Object.keys(schema.properties) : undefined
  if (!properties || schema.additionalProperties !== false || properties.includes(output)) return undefined
  const guess = suggestion(output, properties)
  return `step '${stepId}' (${uses}) has no output '${output}'${guess ? ` (did you mean '${guess}'?)` : ''}; its outputs: ${properties.join(', ')}`
}

/** Every string inside a value, with its path. */
function stringsIn(value: unknown, path: DocumentPath): [DocumentPath, string][] {
  if (typeof value === 'string') return [[path, value]]
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]))
  if (isRecord(value)) return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]))
  return []
}

function toPlaybook(raw: RawPlaybook, file: string, text: string): Playbook {
  const inputs = Object.fromEntries(
    Object.entries(raw.inputs ?? {}).map(([name, input]) => [
      name,
      {
        type: input.type,
        required: input.required ?? false,
        ...(input.description === undefined ? {} : {description: input.description}),
        ...('default' in input ? {default: input.default} : {}),
      },
    ]),
  )
  return {
    apiVersion: 'jwkr/v1',
    kind: 'Playbook',
    name: raw.name,
    description: raw.description ?? '',
    inputs,
    steps: raw.steps.map(toStep),
    contains: attemptsContainment(
      raw.steps.map((step) => step.uses),
      raw.contains,
    ),
    file,
    digest: createHash('sha256').update(text).digest('hex'),
    text,
  }
}

function toStep(raw: RawStep): PlaybookStep {
  const title = raw.title ?? raw.name
  return {
    id: raw.id,
    uses: raw.uses,
    with: raw.with ?? {},
    ...(raw.if === undefined ? {} : {if: String(raw.if)}),
    ...(raw.confirm === undefined ? {} : {confirm: raw.confirm}),
    ...(raw.retry === undefined
      ? {}
      : {
          retry: {
            attempts: raw.retry.attempts,
            ...(raw.retry.backoff === undefined ? {} : {backoff: raw.retry.backoff}),
            backoffMs: raw.retry.backoff === undefined ? DEFAULT_BACKOFF_MS : parseDuration(raw.retry.backoff),
          },
        }),
    ...(raw.timeout === undefined ? {} : {timeout: raw.timeout, timeoutMs: parseDuration(raw.timeout)}),
    onFailure: raw.onFailure ?? 'abort',
    ...(raw.description === undefined ? {} : {description: raw.description}),
    ...(title === undefined ? {} : {title}),
    ...(raw.phase === undefined ? {} : {phase: raw.phase}),
    ...(raw.background === undefined ? {} : {background: raw.background}),
  }
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((problem) => {
    const key = `${problem.line}:${problem.column}:${problem.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function quoted(text: string): string {
  return text.length > 60 ? `'${text.slice(0, 57)}…'` : `'${text}'`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
