// The key-change toolkit of the containment steps (key.rotate, key.revoke, tokens.invalidate): the
// leaked key and inventory prepared, the issuers chosen, the rotation or revocation applied through
// the run's effect rule and checked, and failures reported after their results were recorded. It
// takes the run as a KeyChangeContext (the members it uses), which a playbook StepContext satisfies.
// The replacement key is generated once per incident (its private JWK in the artifacts, mode 0600),
// and only when an issuer will publish it (the sources' read-only prechecks say which will not), so a
// resumed run never makes a second key, provider or pull request (a key whose file was left torn,
// before anything published it, is made again).
import {unlink} from 'node:fs/promises'
import {join} from 'node:path'

import {loadKeySource} from './identify.js'
import {
  applyKeyChange,
  type AppliedIssuerChange,
  createReplacement,
  keySourcesFor,
  locatePublishers,
  needsReplacement,
  planKeyChange,
  precheckKeyChange,
  readySources,
  type ContainmentContext,
  type IssuerChange,
  type IssuerSource,
  type KeyOperation,
  type ReplacementFacts,
} from './contain-key.js'
import {loadInventory} from './inventory.js'
import {plannedFetches} from './locate.js'
import {readPrivateKeyFile} from '../adapters/keys/private-key-file.js'
import {orderForContainment, selectIssuers, type SkippedIssuer} from '../core/containment/plan-containment.js'
import type {PlannedCall, RunEffect} from '../core/effect.js'
import {JwkrError} from '../core/errors.js'
import {leakedKeyOf, leakedKeyRef} from '../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../core/inventory/load-inventory.js'
import type {LeakedKeyRef} from '../core/inventory/locate.js'
import type {Inventory, InventoryIssuer} from '../core/inventory/types.js'
import type {LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'

/** What the toolkit uses of a run: a playbook StepContext has all of it (and more). */
export interface KeyChangeContext {
  signal: AbortSignal
  secrets: SecretRegistry
  incident: {id: string; artifactsDir: string}
  /** The run's inventory file, or null when there is none. */
  inventoryPath: string | null
  /** Names the replacement's file and its effect, so two steps of one playbook never share a key. */
  stepId: string
  env: Record<string, string | undefined>
  now(): Date
  progress(update: {message: string}): void
  /** Present only when a person can answer: the manual key source asks them. */
  askPerson?(title: string, lines: string[]): Promise<boolean>
  /** Ends the work as skipped with this reason (throws). */
  skip(reason: string): never
  /** Appends an event to the journal (redacted). */
  record(type: string, data: Record<string, unknown>): Promise<void>
  /** Runs a side effect exactly once per incident (the effect rule). */
  effect: RunEffect
}

export interface KeyChangeRequest {
  key: string
  kid?: string
  thumbprint?: string
  /** Issuer ids to act on (services.locate's `publishing`); null or absent: locate first. */
  issuers?: string[] | null
  newKid?: string
  reason?: string
}

export interface IssuerResult extends Record<string, unknown> {
  issuerId: string
  source: string
  status: AppliedIssuerChange['status']
  stages: string[]
  added: Array<{kid: string | null; thumbprint: string | null}>
  removed: Array<{kid: string | null; thumbprint: string | null}>
  signingSwitched: boolean | null
  leakedStillListed: boolean
  warnings: string[]
  error: {code: string; message: string; hint: string | null} | null
}

export interface KeyChangeResult extends Record<string, unknown> {
  thumbprint: string
  /**
   * The new key's public facts and where its private JWK is (key.rotate only). privateKeyFile is null
   * when the issuer's webhook receiver generated the key (jwkr holds no private half); replacement is
   * null when jwkr generated none and no receiver reported one.
   */
  replacement: {kid: string; thumbprint: string; alg: string | null; privateKeyFile: string | null} | null
  issuers: IssuerResult[]
  /** Issuer ids changed (or found already changed). */
  changed: string[]
  /** Issuer ids where the key was not found. */
  notFound: string[]
  skipped: SkippedIssuer[]
}

/** The plan of key.rotate / key.revoke: every call, computed from the inventory and the key, making none. */
export async function planKeyChangeCalls(
  operation: KeyOperation,
  input: KeyChangeRequest,
  context: KeyChangeContext,
): Promise<PlannedCall[]> {
  const prepared = await prepareForPlan(input, context)
  if ('calls' in prepared) return prepared.calls
  const {leaked, inventory, targets} = prepared
  const sources = keySourcesFor(targets, containmentContext(context, inventory, input.reason))
  const calls: PlannedCall[] = Array.isArray(input.issuers) ? [] : plannedFetches(inventory)
  // What the run would refuse, it says here too (the same read-only precheck; a plan never throws).
  const settled = await precheckKeyChange(operation, sources, prepared.key, context.secrets)
  const ready = readySources(sources, settled)
  if (operation === 'rotate' && needsReplacement(ready)) {
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
    const found = settled.get(change.issuerId)
    const error = change.error ?? found?.error ?? null
    if (error) calls.push({kind: 'none', target: change.issuerId, description: `Cannot act on it: ${error.message}`})
    else if (found)
      calls.push({kind: 'none', target: change.issuerId, description: found.result?.warnings[0] ?? 'Nothing to do.'})
    else calls.push(...change.plan)
  }
  return calls
}

export async function runKeyChange(
  operation: KeyOperation,
  input: KeyChangeRequest,
  context: KeyChangeContext,
): Promise<KeyChangeResult> {
  const {key, leaked, inventory} = await prepare(input, context)
  const containment = containmentContext(context, inventory, input.reason)
  const {targets, skipped} = await chooseTargets(input.issuers, inventory, leaked, context)
  const verb = operation === 'rotate' ? 'rotated' : 'revoked'
  if (targets.length === 0) return context.skip(noIssuerReason(Array.isArray(input.issuers), skipped, `nothing was ${verb}`))
  const sources = keySourcesFor(targets, containment)
  // Refused or without the key, an issuer publishes nothing: no key is generated for it. On a resume,
  // a file that already holds the replacement made earlier is a change under way, not "not found".
  const made = operation === 'rotate' ? await storedReplacementThumbprint(context) : undefined
  const settled = await precheckKeyChange(operation, sources, key, context.secrets, made)
  const ready = readySources(sources, settled)
  const replacement = operation === 'rotate' && needsReplacement(ready) ? await replacementOnce(key, input, context) : null
  if (replacement) {
    await context.record('key.replacement', {
      kid: replacement.kid,
      thumbprint: replacement.thumbprint,
      alg: replacement.alg,
      privateKeyFile: replacement.privateKeyFile,
    })
  }
  const changes = await applyKeyChange(operation, sources, key, replacement, containment, settled)
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
  input: Pick<KeyChangeRequest, 'key' | 'kid' | 'thumbprint'>,
  context: KeyChangeContext,
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
  input: Pick<KeyChangeRequest, 'key' | 'kid' | 'thumbprint' | 'issuers'>,
  context: KeyChangeContext,
): Promise<{key: LoadedKey; leaked: LeakedKeyRef; inventory: Inventory; targets: InventoryIssuer[]} | {calls: PlannedCall[]}> {
  if (context.inventoryPath === null) return {calls: []}
  try {
    const {key, leaked, inventory} = await prepare(input, context)
    const targets = Array.isArray(input.issuers)
      ? input.issuers.length === 0
        ? []
        : selectIssuers(inventory, {issuers: input.issuers}).targets
      : orderForContainment(inventory.issuers)
    return {key, leaked, inventory, targets}
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
  context: KeyChangeContext,
): Promise<{targets: InventoryIssuer[]; skipped: SkippedIssuer[]; kids: Record<string, string | null>}> {
  if (Array.isArray(issuers)) {
    return {...(issuers.length === 0 ? {targets: [], skipped: []} : selectIssuers(inventory, {issuers})), kids: {}}
  }
  context.progress({message: 'Locating the key at every issuer…'})
  const located = await locatePublishers(inventory, leaked, {secrets: context.secrets, signal: context.signal})
  return {...selectIssuers(inventory, {all: true}, located), kids: located.kids}
}

export function containmentContext(context: KeyChangeContext, inventory: Inventory, reason?: string): ContainmentContext {
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

function replacementPath(context: KeyChangeContext): string {
  return join(context.incident.artifactsDir, 'keys', `${context.stepId}.private.jwk.json`)
}

/** The thumbprint of the replacement an earlier attempt of this step made, if its file is whole (read-only). */
async function storedReplacementThumbprint(context: KeyChangeContext): Promise<string | undefined> {
  const stored = await readPrivateKeyFile(replacementPath(context), context.secrets).catch(() => undefined)
  return stored?.thumbprint
}

/**
 * The replacement, generated once per incident: the effect records its public facts and path (never
 * the key); a resume reads the public half back from the file, registering its private members.
 */
async function replacementOnce(key: LoadedKey, input: KeyChangeRequest, context: KeyChangeContext): Promise<ReplacementFacts> {
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

function publicOnly(key: {kid: string; thumbprint: string; alg: string} | undefined): KeyChangeResult['replacement'] {
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
  issuers: IssuerResult[],
  signal: AbortSignal | undefined,
): Promise<{issuers: IssuerResult[]; published: boolean}> {
  const confirmed: IssuerResult[] = []
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

function issuerOutput(change: AppliedIssuerChange): IssuerResult {
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
