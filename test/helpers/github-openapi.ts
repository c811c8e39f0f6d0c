// GitHub's official OpenAPI description (@octokit/openapi) as a checker for the GitHub simulators:
// finds the operation a request is for, validates its JSON body against the operation's requestBody
// schema and the answer against the documented response for its status. OpenAPI 3.0 schemas are
// JSON Schema with `nullable`; they are rewritten to `anyOf [..., null]` and compiled with ajv.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

import {Ajv, type ValidateFunction} from 'ajv'
import addFormatsPlugin from 'ajv-formats'

/** Which description: the public API, or a GitHub Enterprise Server release (the drill mimics GHES). */
export type GitHubDescription = 'api.github.com' | 'ghes-3.19'

export interface GitHubOperation {
  method: string
  /** The description's path template, e.g. `/repos/{owner}/{repo}/issues/{issue_number}`. */
  path: string
  operationId: string
}

export interface GitHubExchange {
  method: string
  /** Below the REST root, without the query string (percent-encoding kept). */
  path: string
  requestBody?: unknown
  status: number
  responseBody: unknown
}

export interface GitHubOpenApi {
  /** The operation for a method and a concrete or templated path, or undefined when GitHub has none. */
  operation(method: string, path: string): GitHubOperation | undefined
  /**
   * Problems with one exchange (empty: it agrees with the description). `reads` are the response
   * members jwkr reads (dotted, `[]` for every item): they must be present; every member present
   * must have the documented type. `full: true` also requires every member the schema requires.
   */
  check(exchange: GitHubExchange, options?: {reads?: readonly string[]; full?: boolean}): string[]
}

interface Operation {
  operationId: string
  parameters?: Array<{$ref?: string; name?: string; in?: string}>
  requestBody?: {content?: Record<string, {schema?: unknown}>}
  responses: Record<string, {$ref?: string; content?: Record<string, {schema?: unknown}>}>
}

interface Description {
  paths: Record<string, Record<string, Operation>>
  components: Record<string, Record<string, unknown>>
}

const ROOT = 'https://jwkr.test/github-openapi'
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv

export function loadGitHubOpenApi(description: GitHubDescription = 'api.github.com'): GitHubOpenApi {
  const file = createRequire(import.meta.url).resolve(`@octokit/openapi/generated/${description}.json`)
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Description
  const routes = Object.keys(spec.paths).map((path) => ({path, regex: templateRegex(path), literals: literalCount(path)}))
  const validators = new Map<string, ValidateFunction>()
  const ajvOf = (full: boolean) => {
    const ajv = new Ajv({strict: false, allErrors: true})
    addFormats(ajv)
    // GitHub's own format: a repository's owner/name.
    ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/)
    for (const [name, schema] of Object.entries(spec.components.schemas ?? {})) {
      ajv.addSchema({...(openApiToJsonSchema(schema, full) as object), $id: `${ROOT}/schemas/${name}`})
    }
    return ajv
  }
  const ajvs = {full: ajvOf(true), typed: ajvOf(false)}
  const validator = (schema: unknown, full: boolean) => {
    const key = `${String(full)} ${JSON.stringify(schema)}`
    let validate = validators.get(key)
    if (!validate) {
      const converted = openApiToJsonSchema(schema, full) as Record<string, unknown>
      validate = (full ? ajvs.full : ajvs.typed).compile({...converted, $id: `${ROOT}/check/${validators.size}`})
      validators.set(key, validate)
    }
    return validate
  }

  const operation = (method: string, path: string): GitHubOperation | undefined => {
    const wanted = method.toLowerCase()
    const normal = path.replace(/\{[^}]+\}|:\w+|\*$/g, '{}')
    const found = routes
      .filter(
        (route) =>
          spec.paths[route.path]?.[wanted] && (route.path.replace(/\{[^}]+\}/g, '{}') === normal || route.regex.test(path)),
      )
      .sort((a, b) => b.literals - a.literals)[0]
    const op = found && spec.paths[found.path]?.[wanted]
    return found && op ? {method: wanted.toUpperCase(), path: found.path, operationId: op.operationId} : undefined
  }

  const check: GitHubOpenApi['check'] = (exchange, options = {}) => {
    const found = operation(exchange.method, exchange.path)
    if (!found) return [`${exchange.method} ${exchange.path}: no such operation in GitHub's description`]
    const op = spec.paths[found.path]?.[found.method.toLowerCase()] as Operation
    const where = `${found.method} ${found.path} (${found.operationId})`
    const problems: string[] = []
    if (exchange.requestBody !== undefined) {
      const schema = op.requestBody?.content?.['application/json']?.schema
      if (schema === undefined) problems.push(`${where}: takes no JSON body, was sent one`)
      else problems.push(...errorsOf(validator(schema, true), exchange.requestBody, `${where} request body`))
    }
    const response = resolve(spec, op.responses[String(exchange.status)] ?? op.responses.default ?? anyOperation(exchange.status))
    if (response === undefined) {
      problems.push(`${where}: ${exchange.status} is not a documented status (${Object.keys(op.responses).join(', ')})`)
      return problems
    }
    const schema = response.content?.['application/json']?.schema
    if (schema === undefined) {
      if (exchange.responseBody !== undefined && exchange.responseBody !== '')
        problems.push(`${where}: ${exchange.status} has no documented body`)
      return problems
    }
    const label = `${where} ${exchange.status} response`
    problems.push(...errorsOf(validator(schema, options.full === true), exchange.responseBody, label))
    for (const read of options.reads ?? []) {
      if (!present(exchange.responseBody, read.split('.'))) problems.push(`${label}: lacks ${read}, which jwkr reads`)
    }
    return problems
  }
  return {operation, check}
}

/**
 * Answers any operation can give that the description leaves out of most of them: 401 for a missing or
 * bad token, 403/429 for rate limits, 5xx; GitHub's body for them is its basic error.
 */
function anyOperation(status: number): Operation['responses'][string] | undefined {
  if (status !== 401 && status !== 403 && status !== 429 && status < 500) return undefined
  return {content: {'application/json': {schema: {$ref: '#/components/schemas/basic-error'}}}}
}

function errorsOf(validate: ValidateFunction, value: unknown, label: string): string[] {
  if (validate(value)) return []
  return (validate.errors ?? []).map((error) => `${label}: ${error.instancePath || '/'} ${error.message ?? ''}`)
}

function resolve(spec: Description, item: Operation['responses'][string] | undefined) {
  if (item?.$ref === undefined) return item
  const [, group = '', name = ''] = /^#\/components\/(\w+)\/(.+)$/.exec(item.$ref) ?? []
  return spec.components[group]?.[name] as Operation['responses'][string] | undefined
}

/** Whether a dotted member is present; `name[]` means in every item of the array (an empty array passes). */
function present(value: unknown, parts: string[]): boolean {
  if (parts.length === 0) return value !== undefined
  const [head = '', ...rest] = parts
  const each = head.endsWith('[]')
  const name = each ? head.slice(0, -2) : head
  const next =
    name === '' ? value : value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined
  if (!each) return present(next, rest)
  return Array.isArray(next) && next.every((item) => present(item, rest))
}

/**
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes `anyOf [schema, {type: null}]`, a
 * `#/components/schemas/x` ref points at the schema added as `<ROOT>/schemas/x`, and without `full` the `required` lists are dropped (so `oneOf`, whose alternatives then overlap, becomes `anyOf`).
 */
function openApiToJsonSchema(node: unknown, full: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => openApiToJsonSchema(item, full))
  if (node === null || typeof node !== 'object') return node
  const {nullable, required, ...rest} = node as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(rest)) {
    if (name === '$ref' && typeof value === 'string') out.$ref = value.replace(/^#\/components/, ROOT)
    else if (name === 'example' || name === 'examples') continue
    else if (name === 'oneOf' && !full) out.anyOf = openApiToJsonSchema(value, full)
    else if (name === 'properties' && value !== null && typeof value === 'object') {
      // Member names here, not keywords: a property may be called `required` or `example`.
      out.properties = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, openApiToJsonSchema(item, full)]))
    } else out[name] = openApiToJsonSchema(value, full)
  }
  if (full && Array.isArray(required)) out.required = required
  return nullable === true ? {anyOf: [out, {type: 'null'}]} : out
}

function templateRegex(path: string): RegExp {
  const segments = path
    .split('/')
    .map((segment, index, all) =>
      /^\{\w+\}$/.test(segment) ? (index === all.length - 1 ? '[^?]+' : '[^/]+') : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
  return new RegExp(`^${segments.join('/')}$`)
}

function literalCount(path: string): number {
  return path.split('/').filter((segment) => segment !== '' && !segment.startsWith('{')).length
}
