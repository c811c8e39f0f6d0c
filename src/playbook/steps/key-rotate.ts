// key.rotate: takes the leaked key out of service at every issuer that publishes it, in the order
// that keeps legitimate traffic working: publish a replacement, switch signing, remove the leaked
// key. Each stage runs through context.effect, and the replacement itself is generated once per
// incident (its private JWK in the artifacts, mode 0600), so a resumed run never makes a second key,
// provider or pull request (a key whose file was left torn, before anything published it, is made
// again). Also the shared part of key.revoke and tokens.invalidate.
import {unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {loadKeySource} from '../../services/identify.js'
import {
  applyKeyChange,
  createReplacement,
  keySourcesFor,
  locatePublishers,
  needsReplacement,
  planKeyChange,
  type ContainmentContext,
  type AppliedIssuerChange,
  type IssuerChange,
  type IssuerSource,
  type KeyOperation,
  type ReplacementFacts,
} from '../../services/contain-key.js'
import {readPrivateKeyFile} from '../../adapters/keys/private-key-file.js'
import {orderForContainment, selectIssuers, type SkippedIssuer} from '../../core/containment/plan-containment.js'
import {JwkrError} from '../../core/errors.js'
import {leakedKeyOf, leakedKeyRef} from '../../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {loadInventory} from '../../services/inventory.js'
import type {LeakedKeyRef} from '../../core/inventory/locate.js'
import type {Inventory, InventoryIssuer} from '../../core/inventory/types.js'
import type {LoadedKey} from '../../core/key/types.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import {leakedKeyInput} from './leaked-key-input.js'
import type {PlannedCall, StepContext} from '../types.js'
import {plannedFetches} from './services-locate.js'

/** The inputs shared by the three containment steps. */
export const KEY_INPUT_PROPERTIES = {
  ...leakedKeyInput,
  /** Issuer ids to act on (services.locate's `publishing`); null or absent: locate first. */
  issuers: Type.Optional(
    Nullable(
      Type.Array(Type.String(), {
        description:
          'Issuer ids to act on (e.g. steps.locate.outputs.publishing); when null or absent the step locates the key first.',
      }),
    ),
  ),
  reason: Type.Optional(Type.String({description: 'Why, in one line (pull request bodies, change requests).'})),
}
const KeyRotateInput = Type.Object(
  {
    ...KEY_INPUT_PROPERTIES,
    newKid: Type.Optional(Type.String({minLength: 1, description: 'kid of the new key (default: its thumbprint).'})),
  },
  {additionalProperties: false},
)
const KeyRevokeInput = Type.Object(KEY_INPUT_PROPERTIES, {additionalProperties: false})

const ids = Type.Array(Type.String())
const nullableString = Nullable(Type.String())
const keyRefs = Type.Array(Type.Object({kid: nullableString, thumbprint: nullableString}))
/** An issuer's failure as outputs carry it (ErrorFacts), or null. */
export const ERROR_SCHEMA = Nullable(Type.Object({code: Type.String(), message: Type.String(), hint: nullableString}))
export const SKIPPED_SCHEMA = Type.Array(Type.Object({issuerId: Type.String(), reason: Type.String()}))
const IssuerResultOutput = Type.Object({
  issuerId: Type.String(),
  source: Type.String(),
  status: Type.Enum(['changed', 'unchanged', 'not-found', 'failed']),
  stages: ids,
  added: keyRefs,
  removed: keyRefs,
  signingSwitched: Nullable(Type.Boolean()),
  leakedStillListed: Type.Boolean(),
  warnings: ids,
  error: ERROR_SCHEMA,
})
const KeyChangeStepOutput = Type.Object(
  {
    thumbprint: Type.String(),
    /**
     * The new key's public facts and where its private JWK is (key.rotate only). privateKeyFile is null
     * when the issuer's webhook receiver generated the key (jwkr holds no private half); replacement is
     * null when jwkr generated none and no receiver reported one.
     */
    replacement: Nullable(
      Type.Object({
        kid: Type.String(),
        thumbprint: Type.String(),
        alg: nullableString,
        privateKeyFile: Nullable(
          Type.String({
            description: 'The 0600 file of the private JWK; null when a webhook receiver generated the key and keeps it.',
          }),
        ),
      }),
    ),
    issuers: Type.Array(IssuerResultOutput),
    /** Issuer ids changed (or found already changed). */
    changed: ids,
    /** Issuer ids where the key was not found. */
    notFound: ids,
    skipped: SKIPPED_SCHEMA,
  },
  {additionalProperties: false},
)
/** key.revoke takes the same input less newKid, so every key.revoke input is a KeyChangeStepInput. */
export type KeyChangeStepInput = Static<typeof KeyRotateInput>
export type IssuerResultOutput = Static<typeof IssuerResultOutput>
export type KeyChangeStepOutput = Static<typeof KeyChangeStepOutput>

/** The input and output schemas of key.rotate and key.revoke. */
export const KEY_ROTATE_SCHEMAS = {inputSchema: KeyRotateInput, outputSchema: KeyChangeStepOutput}
export const KEY_REVOKE_SCHEMAS = {inputSchema: KeyRevokeInput, outputSchema: KeyChangeStepOutput}

export const keyRotate = defineStep({
  id: 'key.rotate',
  title: 'Rotate the key at its issuers',
  description:
    'Publishes a replacement, makes the issuer sign with it where the key source can, then removes the leaked key (matched ' +
    'by thumbprint) from every issuer that publishes it, so legitimate tokens keep working and the attacker’s stop. File ' +
    'and repository sources get a key generated like the leaked one (its private JWK only in the incident artifacts, mode ' +
    '0600); IdPs rotate with keys of their own, and a webhook receiver generates one and reports its public JWK. A ' +
    'resumed run never repeats a stage.',
  ...KEY_ROTATE_SCHEMAS,
  sideEffects: true,
  requiresInventory: true,
  plan: (input, context) => planKeyChangeStep('rotate', input, context),
  run: (input, context) => runKeyChangeStep('rotate', input, context),
})

/** The plan of key.rotate / key.revoke: every call, computed from the inventory and the key, making none. */
export async function planKeyChangeStep(
  operation: KeyOperation,
  input: KeyChangeStepInput,
  context: StepContext,
): Promise<PlannedCall[]> {
  const prepared = await prepareForPlan(input, context)
  if ('calls' in prepared) return prepared.calls
  const {leaked, inventory, targets} = prepared
  const sources = keySourcesFor(targets, containmentContext(context, inventory, input.reason))
  const calls: PlannedCall[] = Array.isArray(input.issuers) ? [] : plannedFetches(inventory)
  if (operation === 'rotate' && needsReplacement(sources)) {
    calls.push({
      kind: 'file',
      target: replacementPath(context),
      description: 'Generate the replacement key and write its private JWK here (mode 0600; never printed or journaled).',
    })
  }
  for (const change of planKeyChange(
    operation,
    sources,
    leaked,
    {incidentId: context.incident.id, reason: input.reason},
    input.newKid ?? null,
  )) {
    calls.push(...change.plan)
    if (change.error)
      calls.push({kind: 'none', target: change.issuerId, description: `Cannot act on it: ${change.error.message}`})
  }
  return calls
}

export async function runKeyChangeStep(
  operation: KeyOperation,
  input: KeyChangeStepInput,
  context: StepContext,
): Promise<KeyChangeStepOutput> {
  const {key, leaked, inventory} = await prepare(input, context)
  const containment = containmentContext(context, inventory, input.reason)
  const {targets, skipped} = await chooseTargets(input.issuers, inventory, leaked, context)
  const verb = operation === 'rotate' ? 'rotated' : 'revoked'
  if (targets.length === 0) return context.skip(noIssuerReason(Array.isArray(input.issuers), skipped, `nothing was ${verb}`))
  const sources = keySourcesFor(targets, containment)
  const replacement = operation === 'rotate' && needsReplacement(sources) ? await replacementOnce(key, input, context) : null
  if (replacement) {
    await context.record('key.replacement', {
      kid: replacement.kid,
      thumbprint: replacement.thumbprint,
      alg: replacement.alg,
      privateKeyFile: replacement.privateKeyFile,
    })
  }
  const changes = await applyKeyChange(operation, sources, key, replacement, containment)
  const {issuers, published} = replacement
    ? await confirmPublished(replacement, sources, changes.map(issuerOutput), context.signal)
    : {issuers: changes.map(issuerOutput), published: false}
  for (const issuer of issuers) await context.record(`key.${operation}.issuer`, issuer)
  const reported = reportedReplacements(changes)
  for (const key of reported) await context.record('key.replacement', {...key, generatedBy: 'receiver'})
  throwOnFailures(operation === 'rotate' ? 'Rotation' : 'Revocation', issuers)
  if (issuers.every((issuer) => issuer.status === 'not-found')) {
    const at = issuers.map((issuer) => issuer.issuerId).join(', ')
    return context.skip(`the key was not found in the key source of ${at}: nothing was ${verb}`)
  }
  // A replacement that no key source lists (generated for an issuer that turned out not to hold the
  // leaked key) was stored, never published: the output does not claim it.
  return {
    thumbprint: leaked.thumbprint,
    replacement:
      published && replacement
        ? {
            kid: replacement.kid,
            thumbprint: replacement.thumbprint,
            alg: replacement.alg,
            privateKeyFile: replacement.privateKeyFile,
          }
        : publicOnly(reported[0]),
    issuers,
    changed: issuers
      .filter((issuer) => issuer.status === 'changed' || issuer.status === 'unchanged')
      .map((issuer) => issuer.issuerId),
    notFound: issuers.filter((issuer) => issuer.status === 'not-found').map((issuer) => issuer.issuerId),
    skipped,
  }
}

/** The key, its identity and the inventory: every private value registered first. */
export async function prepare(
  input: Pick<KeyChangeStepInput, 'key' | 'kid' | 'thumbprint'>,
  context: StepContext,
): Promise<{key: LoadedKey; leaked: LeakedKeyRef; inventory: Inventory}> {
  if (context.inventoryPath === null) throw inventoryNotFound(null)
  const key = leakedKeyOf(
    await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
  )
  const leaked = leakedKeyRef(key)
  const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
  return {key, leaked, inventory}
}

/** What a plan needs; a problem becomes the one planned call that says so (a plan never throws for bad input). */
export async function prepareForPlan(
  input: Pick<KeyChangeStepInput, 'key' | 'kid' | 'thumbprint' | 'issuers'>,
  context: StepContext,
): Promise<{leaked: LeakedKeyRef; inventory: Inventory; targets: InventoryIssuer[]} | {calls: PlannedCall[]}> {
  if (context.inventoryPath === null) return {calls: []}
  try {
    const {leaked, inventory} = await prepare(input, context)
    const targets = Array.isArray(input.issuers)
      ? input.issuers.length === 0
        ? []
        : selectIssuers(inventory, {issuers: input.issuers}).targets
      : orderForContainment(inventory.issuers)
    return {leaked, inventory, targets}
  } catch (error) {
    if (!(error instanceof JwkrError)) throw error
    const first = error.message.split('\n')[0] ?? error.message
    return {
      calls: [
        {kind: 'none', target: context.inventoryPath, description: `Cannot plan: ${first} The step will fail until it is fixed.`},
      ],
    }
  }
}

/**
 * Why a containment step had no issuer to act on, in words: `no issuer publishes the key (…): nothing
 * was rotated`, with the issuers that could not be checked.
 */
export function noIssuerReason(given: boolean, skipped: readonly SkippedIssuer[], consequence: string): string {
  const unchecked = skipped.length > 0 ? `; not checked: ${skipped.map((issuer) => issuer.issuerId).join(', ')}` : ''
  return `no issuer publishes the key (${given ? 'the locate step found none' : 'none of the inventory’s issuers serves it'}${unchecked}): ${consequence}`
}

/** The issuers named in the input, or (when none were passed) those locate finds publishing the key. */
export async function chooseTargets(
  issuers: string[] | null | undefined,
  inventory: Inventory,
  leaked: LeakedKeyRef,
  context: StepContext,
): Promise<{targets: InventoryIssuer[]; skipped: SkippedIssuer[]; kids: Record<string, string | null>}> {
  if (Array.isArray(issuers)) {
    return {...(issuers.length === 0 ? {targets: [], skipped: []} : selectIssuers(inventory, {issuers})), kids: {}}
  }
  context.progress({message: 'Locating the key at every issuer…'})
  const located = await locatePublishers(inventory, leaked, {secrets: context.secrets, signal: context.signal})
  return {...selectIssuers(inventory, {all: true}, located), kids: located.kids}
}

export function containmentContext(context: StepContext, inventory: Inventory, reason?: string): ContainmentContext {
  return {
    inventory,
    secrets: context.secrets,
    env: context.env,
    incidentId: context.incident.id,
    effect: context.effect,
    artifactsDir: context.incident.artifactsDir,
    signal: context.signal,
    now: () => context.now(),
    onProgress: (message) => context.progress({message}),
    ...(reason ? {reason} : {}),
    ...(context.askPerson ? {confirm: (instructions) => context.askPerson!(instructions.title, instructions.steps)} : {}),
  }
}

/** Every issuer that failed, in one error, after the results were recorded: a retry or resume repeats nothing done. */
export function throwOnFailures(what: string, results: ReadonlyArray<{issuerId: string; error: {message: string} | null}>): void {
  const failed = results.filter((result) => result.error !== null)
  if (failed.length === 0) return
  throw new JwkrError(
    'ERR_CONTAINMENT_INCOMPLETE',
    `${what} failed at ${failed.map((result) => `${result.issuerId} (${result.error?.message ?? 'failed'})`).join('; ')}.`,
    {hint: 'Fix the cause, then retry or resume the incident: stages already done are not repeated.'},
  )
}

function replacementPath(context: StepContext): string {
  return join(context.incident.artifactsDir, 'keys', `${context.stepId}.private.jwk.json`)
}

/**
 * The replacement, generated once per incident: the effect records its public facts and path (never
 * the key); a resume reads the public half back from the file, registering its private members.
 */
async function replacementOnce(key: LoadedKey, input: KeyChangeStepInput, context: StepContext): Promise<ReplacementFacts> {
  const path = replacementPath(context)
  // Asked only when the key's generation has an intent without a result: nothing was published
  // with the key yet, so a file its writing left torn is discarded and a new key made.
  const stored = async () => {
    const found = await readPrivateKeyFile(path, context.secrets).catch(async (error: unknown) => {
      if (!(error instanceof JwkrError && error.code === 'ERR_KEY_INVALID')) throw error
      await unlink(path)
      await context.record('key.replacement.discarded', {
        privateKeyFile: path,
        reason:
          'The file was not a whole JWK (its writing was interrupted) and the key was never published: a new key is generated.',
      })
      return undefined
    })
    return found
      ? {kid: found.kid, thumbprint: found.thumbprint, alg: found.alg, kty: found.kty, privateKeyFile: path}
      : undefined
  }
  await context.effect(
    `${context.incident.id}:rotate:${context.stepId}:replacement`,
    `Generate the replacement key and write its private JWK to ${path} (mode 0600)`,
    async () => {
      const made = await createReplacement(key, () => path, {secrets: context.secrets, newKid: input.newKid})
      return {kid: made.kid, thumbprint: made.thumbprint, alg: made.alg, kty: made.kty, privateKeyFile: path}
    },
    stored,
  )
  const found = await readPrivateKeyFile(path, context.secrets)
  if (!found) {
    throw new JwkrError(
      'ERR_INPUT_NOT_FOUND',
      `The replacement key file ${path} is gone, so its public key cannot be published.`,
      {
        hint: 'Put it back (from where it was moved), then resume; or start a new incident to generate another key.',
      },
    )
  }
  return {...found, privateKeyFile: path}
}

/** Replacements that issuers' webhook receivers generated and reported: jwkr holds no private half of them. */
function reportedReplacements(
  changes: readonly IssuerChange[],
): Array<{issuerId: string; kid: string; thumbprint: string; alg: string; privateKeyFile: null}> {
  return changes.flatMap((change) => {
    const key = change.result?.reportedReplacement
    return key ? [{issuerId: change.issuerId, ...key, privateKeyFile: null}] : []
  })
}

function publicOnly(key: {kid: string; thumbprint: string; alg: string} | undefined): KeyChangeStepOutput['replacement'] {
  return key ? {kid: key.kid, thumbprint: key.thumbprint, alg: key.alg, privateKeyFile: null} : null
}

/**
 * Each issuer that says it published the generated replacement is asked for its keys again: one whose
 * source no longer lists it (a writer with a stale copy replaced the file after jwkr wrote it) failed,
 * whatever its stages say, so a stored but unpublished key never counts as a rotation.
 */
async function confirmPublished(
  replacement: ReplacementFacts,
  sources: readonly IssuerSource[],
  issuers: IssuerResultOutput[],
  signal: AbortSignal | undefined,
): Promise<{issuers: IssuerResultOutput[]; published: boolean}> {
  const confirmed: IssuerResultOutput[] = []
  let published = false
  for (const issuer of issuers) {
    const source = sources.find((item) => item.issuer.id === issuer.issuerId)?.source
    if (!source?.capabilities.takesGeneratedKey || (issuer.status !== 'changed' && issuer.status !== 'unchanged')) {
      confirmed.push(issuer)
      continue
    }
    const listed = await source.listKeys(signal).then(
      (keys) => keys.some((key) => key.thumbprint === replacement.thumbprint),
      () => undefined,
    )
    if (listed === undefined) {
      published = true
      const warning = `Could not read ${issuer.issuerId}'s key source again to confirm that the replacement ${replacement.kid} is published: check it.`
      confirmed.push({...issuer, warnings: [...issuer.warnings, warning]})
    } else if (listed) {
      published = true
      confirmed.push(issuer)
    } else {
      confirmed.push({
        ...issuer,
        status: 'failed',
        error: {
          code: 'ERR_KEY_SOURCE_WRITE',
          message: `the replacement ${replacement.kid} was written to its key source but is not there now, so it is not published (something replaced the key source after jwkr wrote it)`,
          hint: `Publish the public half of ${replacement.privateKeyFile} there by hand (jwkr key inspect prints it), then check containment.`,
        },
      })
    }
  }
  return {issuers: confirmed, published}
}

function issuerOutput(change: AppliedIssuerChange): IssuerResultOutput {
  const result = change.result
  return {
    issuerId: change.issuerId,
    source: change.source,
    status: change.status,
    stages: result?.stages ?? [],
    added: result?.added ?? [],
    removed: result?.removed ?? [],
    signingSwitched: result?.signingSwitched ?? null,
    leakedStillListed: result?.leakedStillListed ?? false,
    warnings: result?.warnings ?? [],
    error: change.error,
  }
}
