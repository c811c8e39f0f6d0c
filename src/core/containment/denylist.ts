// The denylist document (ARCHITECTURE.md, Denylist): the keys relying parties must refuse, by RFC 7638
// thumbprint or by `kid` + `iss`. Parsing reports every problem of a hand-edited file with its
// line and column; merging is idempotent, so `tokens invalidate` can be run again safely.
import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

import type {JsonSchema} from '../json-schema.js'
import {JwkrError} from '../errors.js'
import {formatProblems, loadYamlDocument, type Problem} from '../yaml/load-yaml-document.js'

export const DENYLIST_VERSION = 1

/** Why a key is denied (RFC 5280 §5.3.1 reason codes that apply to a key). */
export type DenylistReason = 'key-compromise' | 'superseded' | 'cessation-of-operation'

export interface DenylistEntry {
  /** RFC 7638 SHA-256 thumbprint (base64url) of the canonical key. */
  thumbprint: string
  /** With `iss`: tokens whose header `kid` and claim `iss` are both these are denied too. */
  kid?: string
  iss?: string
  /** ISO 8601: when the key stopped being trusted. Guards refuse every token of the key, whatever its `iat`. */
  notBefore: string
  reason: DenylistReason
  /** The jwkr incident that denied the key. */
  incident?: string
}

export interface DenylistDocument {
  version: typeof DENYLIST_VERSION
  /** ISO 8601: the last time an entry was added. */
  updated: string
  entries: DenylistEntry[]
}

export interface MergeResult {
  document: DenylistDocument
  /** The entries that were not there yet (empty when the merge changed nothing). */
  added: DenylistEntry[]
}

/** A place the denylist is kept (a file, Redis): `tokens invalidate` writes to each one it is given. */
export interface DenylistStore {
  /** Where, for messages: a path or a URL with its password hidden. */
  readonly target: string
  merge(entries: readonly DenylistEntry[], now: Date): Promise<{added: DenylistEntry[]}>
  close(): Promise<void>
}

export const DENYLIST_ENTRY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['thumbprint', 'notBefore', 'reason'],
  properties: {
    thumbprint: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{43}$',
      title: 'SHA-256 JWK thumbprint (43 base64url characters)',
    },
    kid: {type: 'string', minLength: 1},
    iss: {type: 'string', minLength: 1},
    notBefore: {type: 'string', format: 'date-time', title: 'date-time with a time zone (ISO 8601)'},
    reason: {enum: ['key-compromise', 'superseded', 'cessation-of-operation']},
    incident: {type: 'string', minLength: 1},
  },
} as const

export const DENYLIST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'updated', 'entries'],
  properties: {
    version: {const: DENYLIST_VERSION},
    updated: {type: 'string', format: 'date-time', title: 'date-time with a time zone (ISO 8601)'},
    entries: {type: 'array', items: DENYLIST_ENTRY_SCHEMA},
  },
} as const

/** An empty document, as a new denylist file starts. */
export function emptyDenylist(now: Date): DenylistDocument {
  return {version: DENYLIST_VERSION, updated: now.toISOString(), entries: []}
}

/**
 * Compiled checks for denylist documents and entries. Compiling costs tens of milliseconds, so they
 * are compiled once per process and shared (createDenylistValidator).
 */
export interface DenylistValidator {
  isDocument: ValidateFunction
  isEntry: ValidateFunction
}

/** Compiled once per process: the checks keep no state but the last call's `errors`. */
let validator: DenylistValidator | undefined

export function createDenylistValidator(): DenylistValidator {
  validator ??= compileDenylistValidator()
  return validator
}

function compileDenylistValidator(): DenylistValidator {
  const ajv = new Ajv2020({strict: true, allowUnionTypes: true})
  // ajv-formats is CommonJS with `exports.default` on the exported function itself.
  addFormats.default(ajv, ['date-time'])
  return {isDocument: ajv.compile(DENYLIST_SCHEMA), isEntry: ajv.compile(DENYLIST_ENTRY_SCHEMA)}
}

/**
 * Parses a denylist document. Throws ERR_DENYLIST_INVALID naming `file`, the line and column of
 * every problem, and never the raw text: a hand-edited file gets a message, not a crash.
 *
 * @example parseDenylist('{"version":1,"updated":"2025-01-01T00:00:00Z","entries":[]}', 'denylist.json').entries // → []
 */
export function parseDenylist(text: string, file: string, validator = createDenylistValidator()): DenylistDocument {
  if (text.trim() === '') {
    throw invalid(file, `The denylist ${file} is empty.`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // JSON.parse says where it stopped ("at position N"), or nothing when it ran off the end.
    const position = /position (\d+)/.exec(String((error as Error).message))
    const {line, column} = lineColumn(text, position ? Number(position[1]) : text.length)
    throw invalid(file, `The denylist ${file} is not valid JSON at line ${line}, column ${column}.`, [
      {file, line, column, path: '', message: 'not valid JSON'},
    ])
  }
  if (validator.isDocument(value)) return value as DenylistDocument
  // The slow path, for a broken file only: JSON is YAML, and the YAML loader gives every problem its line and column.
  const problems = problemsIn(text, file, DENYLIST_SCHEMA, validator.isDocument)
  throw invalid(file, `The denylist ${file} is not a valid denylist:\n${formatProblems(problems)}`, problems)
}

/** Checks one entry that did not come from a file (a Redis hash or message, a caller's value). */
export function checkDenylistEntry(value: unknown, label: string, validator = createDenylistValidator()): DenylistEntry {
  if (validator.isEntry(value)) return normalizeEntry(value as DenylistEntry)
  const problems = problemsIn(JSON.stringify(value ?? null, null, 2), label, DENYLIST_ENTRY_SCHEMA, validator.isEntry)
  const said = problems.map((problem) => problem.message).join('; ')
  throw invalid(label, `${capitalize(label)} is not a valid denylist entry: ${said}.`, problems, ENTRY_HINT)
}

/** The JSON text of a document as jwkr writes it: two-space indent, one trailing newline. */
export function serializeDenylist(document: DenylistDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`
}

/** Thumbprint and issuer: one entry per key and issuer (a key published by two issuers has two). */
export function entryIdentity(entry: Pick<DenylistEntry, 'thumbprint' | 'iss'>): string {
  return `${entry.thumbprint}\n${entry.iss ?? ''}`
}

/**
 * Adds the entries that are not there yet (same thumbprint and `iss` = same entry), after the
 * existing ones and in the order given. Existing entries are kept as they are; `updated` changes
 * only when something was added. Does not change its arguments.
 *
 * @example mergeEntries(emptyDenylist(now), [entry, entry], now).added.length // → 1
 */
export function mergeEntries(
  document: DenylistDocument | undefined,
  entries: readonly DenylistEntry[],
  now: Date,
  validator = createDenylistValidator(),
): MergeResult {
  const base = document ?? emptyDenylist(now)
  const seen = new Set(base.entries.map(entryIdentity))
  const added: DenylistEntry[] = []
  entries.forEach((entry, index) => {
    const checked = checkDenylistEntry(entry, `new entry ${index + 1}`, validator)
    const identity = entryIdentity(checked)
    if (seen.has(identity)) return
    seen.add(identity)
    added.push(checked)
  })
  if (added.length === 0) return {document: base, added}
  return {document: {version: DENYLIST_VERSION, updated: now.toISOString(), entries: [...base.entries, ...added]}, added}
}

/** The members in document order, without the absent ones. */
function normalizeEntry(entry: DenylistEntry): DenylistEntry {
  const {thumbprint, kid, iss, notBefore, reason, incident} = entry
  return {
    thumbprint,
    ...(kid === undefined ? {} : {kid}),
    ...(iss === undefined ? {} : {iss}),
    notBefore,
    reason,
    ...(incident === undefined ? {} : {incident}),
  }
}

const FILE_HINT =
  'Fix the denylist by hand (format: {"version":1,"updated":…,"entries":[{"thumbprint","kid","iss","notBefore","reason","incident"}]}) or move it aside; jwkr never overwrites a denylist it cannot read.'
const ENTRY_HINT =
  'An entry needs "thumbprint" (RFC 7638 SHA-256, base64url), "notBefore" (ISO 8601) and "reason" ("key-compromise"); "kid", "iss" and "incident" are optional.'

/** The located problems of a text that failed `check`; ajv's own words if the locator finds none. */
function problemsIn(text: string, source: string, schema: JsonSchema, check: ValidateFunction): Problem[] {
  const {problems} = loadYamlDocument(text, source, schema)
  if (problems.length > 0) return problems
  return (check.errors ?? []).map((error) => ({
    file: source,
    line: 1,
    column: 1,
    path: error.instancePath,
    message: `${error.instancePath} ${error.message ?? 'is not valid'}`,
  }))
}

function invalid(source: string, message: string, problems: Problem[] = [], hint = FILE_HINT): JwkrError {
  return new JwkrError('ERR_DENYLIST_INVALID', message, {hint, details: {source, problems}})
}

function lineColumn(text: string, offset: number): {line: number; column: number} {
  const lines = text.slice(0, offset).split('\n')
  return {line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1}
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
