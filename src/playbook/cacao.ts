// Exports a playbook as an OASIS CACAO Security Playbooks 2.0 JSON document, for SOAR platforms.
// Each step becomes an `action` step run by the responder (a `manual` command for approvals and
// confirmations, a `bash` command for the jwkr step), `if` becomes an `if-condition` step whose
// branch ends in its own `end` step (CACAO §4.7), and onFailure picks the `on_failure` link.
// Ids are derived from the playbook, so exporting the same playbook twice gives the same document.
import {createHash} from 'node:crypto'

import {writeOutputFile} from '../adapters/fs/write-output-file.js'
import {JwkrError} from '../core/errors.js'
import {hasExpression, parseTemplate} from './expression.js'
import type {Playbook, PlaybookInput, PlaybookStep} from './load-playbook.js'
import type {StepRegistry} from './registry.js'

export interface CacaoCommand {
  type: 'manual' | 'bash'
  command: string
  description?: string
  playbook_activity?: string
}

export interface CacaoStep {
  type: 'start' | 'end' | 'action' | 'if-condition'
  name?: string
  description?: string
  on_completion?: string
  on_success?: string
  on_failure?: string
  commands?: CacaoCommand[]
  agent?: string
  timeout?: number
  condition?: string
  on_true?: string
}

export interface CacaoVariable {
  type: string
  description?: string
  value?: string | null
  external: boolean
}

export interface CacaoPlaybook {
  type: 'playbook'
  spec_version: 'cacao-2.0'
  id: string
  name: string
  description: string
  playbook_types?: string[]
  playbook_activities?: string[]
  created_by: string
  created: string
  modified: string
  labels: string[]
  playbook_variables?: Record<string, CacaoVariable>
  agent_definitions: Record<string, {type: 'individual'; name: string; description: string}>
  workflow_start: string
  workflow: Record<string, CacaoStep>
}

export interface CacaoOptions {
  /** `created` and `modified`. */
  now: Date
  /** `playbook--<uuid>`; derived from the name and types (UUIDv5, CACAO §10.10) when not given. */
  id?: string
  /** `identity--<uuid>` of the author; jwkr's own identity when not given. */
  createdBy?: string
}

/** The UUIDv5 namespace CACAO §10.10 defines for playbook ids. */
const CACAO_NAMESPACE = 'aa7caf3a-d55a-4e9a-b34e-056215fba56a'
/** RFC 4122 URL namespace, for jwkr's own identity. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

/** What a step does in CACAO's vocabularies (playbook-type-ov, playbook-activity-type-ov). */
const CLASSIFICATION: Record<string, {type: string; activity: string}> = {
  'key.inspect': {type: 'investigation', activity: 'analyze-collected-data'},
  key: {type: 'remediation', activity: 'eliminate-risk'},
  services: {type: 'investigation', activity: 'scan-system'},
  tokens: {type: 'mitigation', activity: 'restrict-access'},
  containment: {type: 'investigation', activity: 'analyze-collected-data'},
  notify: {type: 'notification', activity: 'deliver-content'},
  report: {type: 'notification', activity: 'compose-content'},
}

const VARIABLE_TYPES: Record<PlaybookInput['type'], string> = {
  string: 'string',
  number: 'float',
  boolean: 'bool',
  object: 'dictionary',
  array: 'string',
}

/**
 * The CACAO 2.0 document of a (loaded, valid) playbook.
 *
 * @example JSON.stringify(toCacao(playbook, registry, {now: new Date()}), null, 2)
 */
export function toCacao(playbook: Playbook, registry: StepRegistry, options: CacaoOptions): CacaoPlaybook {
  const classes = playbook.steps.map((step) => classify(step.uses)).filter((c) => c !== undefined)
  const playbookTypes = unique(classes.map((c) => c.type))
  const id =
    options.id ?? `playbook--${uuidV5(CACAO_NAMESPACE, canonicalJson({name: playbook.name, playbook_types: playbookTypes}))}`
  if (!new RegExp(`^playbook--${UUID}$`).test(id)) {
    throw new JwkrError('ERR_USAGE', `'${id}' is not a CACAO playbook id.`, {hint: 'Give an id of the form playbook--<uuid>.'})
  }
  const stepId = (kind: string, seed: string) => `${kind}--${derivedUuid(`${id}|${kind}|${seed}`)}`
  const agent = stepId('individual', 'responder')
  const start = stepId('start', '')
  const end = stepId('end', '')

  const workflow: Record<string, CacaoStep> = {}
  const entries = playbook.steps.map((step) =>
    step.if === undefined || step.if.trim() === 'true' ? stepId('action', step.id) : stepId('if-condition', step.id),
  )
  workflow[start] = {type: 'start', name: 'Start', on_completion: entries[0] ?? end}
  playbook.steps.forEach((step, index) => {
    const next = entries[index + 1] ?? end
    const action = stepId('action', step.id)
    const conditional = step.if !== undefined && step.if.trim() !== 'true'
    // Inside an if-condition branch the step ends in the branch's own end step (CACAO §4.7).
    const after = conditional ? stepId('end', step.id) : next
    if (conditional) {
      workflow[entries[index]!] = {
        type: 'if-condition',
        name: `If ${conditionText(step.if!)}`,
        condition: conditionText(step.if!),
        on_true: action,
        on_completion: next,
      }
    }
    workflow[action] = {
      type: 'action',
      name: titleOf(step, registry),
      description: describe(step, registry),
      commands: commandsOf(step, playbook, registry),
      agent,
      ...(step.timeoutMs === undefined ? {} : {timeout: step.timeoutMs}),
      on_success: after,
      on_failure: step.onFailure === 'continue' ? after : end,
    }
    if (conditional) workflow[after] = {type: 'end', name: `End of ${step.id}`}
  })
  workflow[end] = {type: 'end', name: 'End'}

  const created = options.now.toISOString()
  const variables = Object.entries(playbook.inputs)
  return {
    type: 'playbook',
    spec_version: 'cacao-2.0',
    id,
    name: playbook.name,
    description: playbook.description,
    ...(playbookTypes.length > 0
      ? {playbook_types: playbookTypes, playbook_activities: unique(classes.map((c) => c.activity))}
      : {}),
    created_by: options.createdBy ?? `identity--${uuidV5(URL_NAMESPACE, 'https://www.npmjs.com/package/jwk-responder')}`,
    created,
    modified: created,
    labels: ['jwkr', 'jwk', 'key-compromise'],
    ...(variables.length > 0
      ? {
          playbook_variables: Object.fromEntries(
            variables.map(([name, input]) => [
              `__${name}__`,
              {
                type: VARIABLE_TYPES[input.type],
                ...(input.description === undefined ? {} : {description: input.description}),
                ...(input.default === undefined
                  ? {}
                  : {value: typeof input.default === 'string' ? input.default : JSON.stringify(input.default)}),
                external: true,
              },
            ]),
          ),
        }
      : {}),
    agent_definitions: {
      [agent]: {type: 'individual', name: 'Incident responder', description: 'The on-call responder, running jwkr.'},
    },
    workflow_start: start,
    workflow,
  }
}

function commandsOf(step: PlaybookStep, playbook: Playbook, registry: StepRegistry): CacaoCommand[] {
  const activity = classify(step.uses)?.activity
  const tagged = (command: CacaoCommand): CacaoCommand => (activity ? {...command, playbook_activity: activity} : command)
  if (step.uses === 'core.approve') {
    return [
      tagged({
        type: 'manual',
        command: typeof step.confirm === 'string' ? step.confirm : describe(step, registry),
        description: 'An explicit human approval.',
      }),
    ]
  }
  const commands: CacaoCommand[] = []
  if (typeof step.confirm === 'string')
    commands.push(tagged({type: 'manual', command: step.confirm, description: 'Confirm before this step runs.'}))
  const input = toVariables(JSON.stringify(step.with))
  commands.push(
    tagged({
      type: 'bash',
      command: `jwkr step run ${step.uses} --with ${shellQuote(input)}`,
      description: `Step ${step.id} of the jwkr playbook ${playbook.name}.`,
    }),
  )
  return commands
}

function titleOf(step: PlaybookStep, registry: StepRegistry): string {
  return step.title ?? (registry.has(step.uses) ? registry.get(step.uses).title : step.id)
}

function describe(step: PlaybookStep, registry: StepRegistry): string {
  const base = step.description ?? (registry.has(step.uses) ? registry.get(step.uses).description : step.uses)
  return step.onFailure === 'ask' ? `${base} If it fails, the responder decides whether to retry, skip or abort.` : base
}

/** The expression of an `if`, without its `${{ }}`. */
function conditionText(condition: string): string {
  if (!hasExpression(condition)) return condition.trim()
  const parts = parseTemplate(condition).filter((part) => part.kind === 'expression')
  return parts.length === 1 && parts[0]?.kind === 'expression' ? parts[0].source.trim() : condition
}

/** `${{ inputs.key }}` → `__key__:value`, CACAO's variable reference (§10.18). */
function toVariables(text: string): string {
  return text.replace(/\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g, '__$1__:value')
}

function classify(uses: string): {type: string; activity: string} | undefined {
  return CLASSIFICATION[uses] ?? CLASSIFICATION[uses.split('.')[0]!]
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

/** RFC 8785 for what is hashed here (an object of strings and string lists): sorted keys, JSON strings. */
function canonicalJson(value: Record<string, string | string[]>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))
}

/** RFC 4122 §4.3: a name-based UUID (SHA-1). */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16)
  return formatUuid(bytes, 0x50)
}

/** A version-4-shaped UUID derived from a seed, so that re-exports are identical. */
function derivedUuid(seed: string): string {
  return formatUuid(createHash('sha256').update(seed).digest().subarray(0, 16), 0x40)
}

function formatUuid(source: Buffer, version: number): string {
  const bytes = Buffer.from(source)
  bytes[6] = (bytes[6]! & 0x0f) | version
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Writes the document to `path` (--out) atomically: a failure leaves the file that was there whole. */
export async function writeCacaoFile(path: string, document: CacaoPlaybook): Promise<void> {
  await writeOutputFile(path, `${JSON.stringify(document, null, 2)}\n`, {
    hint: 'Check that the folder exists and that you may write there, or leave out --out to print to stdout.',
  })
}
