// The key half of containment, behind `jwkr key rotate|revoke` and the key.rotate / key.revoke
// steps (tokens are in invalidate-tokens.ts): it finds the publishing issuers, checks read-only what
// each change would refuse or not find (a dry run reports the same), generates and stores the
// replacement only when an issuer will publish it, and drives each issuer's key source stage by stage
// through an effect runner (the incident's effect ledger, in a run or from a command, so a stage is
// never made twice). One issuer failing never stops the others.
import type {JWK} from 'jose'

import {locateKey} from './locate.js'
import {createIssuerKeyStore} from '../adapters/idp/create-issuer-key-store.js'
import {applyJwksChange, readJwksFile} from '../adapters/idp/jwks-file.js'
import {
  stageRunner,
  type ChangeResult,
  type IssuerKeyStore,
  type IssuerKeyStoreDeps,
  type RotateRequest,
} from '../adapters/idp/issuer-key-store.js'
import {
  orderForContainment,
  selectIssuers,
  type IssuerSelection,
  type LocatedIssuers,
  type SkippedIssuer,
} from '../core/containment/plan-containment.js'
import {JwkrError, type ErrorCode} from '../core/errors.js'
import {generateReplacementKey} from '../core/key/generate-key.js'
import type {KeyFamily} from '../core/key/replacement-kind.js'
import type {LoadedKey} from '../core/key/types.js'
import {leakedKeyRef} from '../core/inventory/leaked-key.js'
import type {LeakedKeyRef} from '../core/inventory/locate.js'
import type {Inventory, InventoryIssuer} from '../core/inventory/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {PlannedCall, RunEffect} from '../core/effect.js'
import {writePrivateKeyFile} from '../adapters/keys/private-key-file.js'

/** The incident's effect ledger (src/incident/effect-ledger.ts): the engine's in a run, a command's outside one. */
export type Effect = RunEffect

export const DEFAULT_REASON = 'The private key was exposed (key compromise).'

export interface ContainmentContext {
  inventory: Inventory
  secrets: SecretRegistry
  env: Record<string, string | undefined>
  /** Names branches, providers and effect keys: stable across resumes. */
  incidentId: string
  effect: Effect
  /** File sources back up what they replace here. */
  artifactsDir?: string
  signal?: AbortSignal
  /** Asks the responder to carry out a manual step (absent when nobody can answer). */
  confirm?: IssuerKeyStoreDeps['confirm']
  now?: () => Date
  onProgress?: (message: string) => void
  reason?: string
}

export interface ErrorFacts {
  code: ErrorCode
  message: string
  hint: string | null
}

/** An issuer and its key source, or why the source could not be built (a bad inventory entry). */
export interface IssuerSource {
  issuer: InventoryIssuer
  source: IssuerKeyStore | null
  error: ErrorFacts | null
}

export type KeyOperation = 'rotate' | 'revoke'

/** What happened (or would happen) at one issuer. Public values only: safe to print and journal. */
export interface IssuerChange {
  issuerId: string
  source: string
  status: 'planned' | 'changed' | 'unchanged' | 'not-found' | 'failed'
  plan: PlannedCall[]
  result: ChangeResult | null
  error: ErrorFacts | null
}

/** A change once made (or tried): no longer 'planned'. What a rotation reports and a step outputs. */
export type AppliedIssuerChange = Omit<IssuerChange, 'status'> & {status: Exclude<IssuerChange['status'], 'planned'>}

/** The public facts of the replacement key and where its private half was written. */
export interface ReplacementFacts extends Record<string, unknown> {
  kid: string
  thumbprint: string
  alg: string | null
  kty: string
  privateKeyFile: string
  publicJwk: JWK | null
}

/** Issuers publishing the key per locate, with the kid each serves it under. */
export interface LocatedPublishers extends LocatedIssuers {
  kids: Record<string, string | null>
}

/** The result of `jwkr key rotate|revoke` (its --json document). */
export interface KeyChangeOutcome {
  operation: KeyOperation
  dryRun: boolean
  incident: string
  thumbprint: string
  kid: string | null
  /**
   * Null in a dry run, for revoke, and when no source takes a generated key or none will publish it
   * (every such source refused, or lacks the leaked key, by its precheck).
   */
  replacement: ReplacementFacts | null
  issuers: IssuerChange[]
  skipped: SkippedIssuer[]
  /** Dry run only: what each jwks-file source would add and remove (or why it would refuse). */
  jwksDiffs: JwksDiff[]
  notes: string[]
}

export interface KeyChangeOptions {
  operation: KeyOperation
  key: LoadedKey
  selection: IssuerSelection
  dryRun: boolean
  newKid?: string
  /** Where the new private key is written, given its kid. */
  privateKeyPath: (kid: string) => string
  context: ContainmentContext
  /** Sees the plan before anything changes; throws to stop. */
  approve: (plan: IssuerChange[]) => Promise<void>
}

/**
 * The whole of `jwkr key rotate|revoke`: picks the issuers (locating the key for `--all`), plans,
 * asks `approve`, generates and stores the replacement when a source takes one, then changes each
 * issuer. A dry run reads local files only (the JWKS diff) and makes no request.
 */
export async function changeKeyAtIssuers(options: KeyChangeOptions): Promise<KeyChangeOutcome> {
  const {operation, key, selection, dryRun, context} = options
  const leaked = leakedKeyRef(key)
  const notes: string[] = []
  const everyIssuer = selection.all === true && !(selection.issuers && selection.issuers.length > 0)
  let chosen: {targets: InventoryIssuer[]; skipped: SkippedIssuer[]}
  if (dryRun && everyIssuer) {
    chosen = {targets: orderForContainment(context.inventory.issuers), skipped: []}
    notes.push('--all: the real run first locates the key (a GET of each JWKS) and acts only on the issuers that publish it.')
  } else {
    const located = everyIssuer ? await locatePublishers(context.inventory, leaked, context) : undefined
    chosen = selectIssuers(context.inventory, selection, located)
  }
  const sources = keySourcesFor(chosen.targets, context)
  const newKid = options.newKid ?? null
  const settled = await precheckKeyChange(operation, sources, key, context.secrets)
  const plan = planKeyChange(operation, sources, leaked, context, newKid).map((change) => settled.get(change.issuerId) ?? change)
  const outcome = {
    operation,
    dryRun,
    incident: context.incidentId,
    thumbprint: leaked.thumbprint,
    kid: leaked.kid,
    skipped: chosen.skipped,
    notes,
  }
  if (dryRun) {
    const diffs = await jwksFileDiffs(operation, sources, leaked, {secrets: context.secrets, newKid})
    // A refused file shows the refusal, not a diff that will not happen.
    const jwksDiffs = diffs.map((diff) => {
      const error = settled.get(diff.issuerId)?.error
      return error ? {...diff, added: [], removed: [], kept: 0, error: error.message} : diff
    })
    notes.push(...nothingToDo(operation, plan, true))
    return {...outcome, replacement: null, issuers: plan, jwksDiffs}
  }
  if (sources.length === 0) {
    notes.push('No issuer publishes the key: nothing was changed.')
    return {...outcome, replacement: null, issuers: [], jwksDiffs: []}
  }
  const ready = readySources(sources, settled)
  // Nothing to ask when nothing will change: the refusals and the issuers without the key are reported.
  if (ready.length > 0) await options.approve(plan.filter((change) => change.status === 'planned'))
  // A key is generated only when an issuer will publish it: never an orphan private key to hand out.
  const replacement =
    operation === 'rotate' && needsReplacement(ready)
      ? await createReplacement(key, options.privateKeyPath, {secrets: context.secrets, newKid: options.newKid})
      : null
  const issuers = await applyKeyChange(operation, sources, key, replacement, context, settled)
  notes.push(...nothingToDo(operation, issuers, false))
  return {...outcome, replacement, issuers, jwksDiffs: []}
}

/**
 * What each source's read-only precheck settles before anything is generated or changed, by issuer:
 * the change it would refuse ('failed', with the refusal) or the key it would not find ('not-found').
 * The dry run, the real run and the key.rotate step all ask it, so they agree; a source without a
 * precheck (it cannot tell without a request) is settled by its change.
 *
 * @param replacementThumbprint the replacement an earlier attempt made (a resumed step), found as "under way"
 */
export async function precheckKeyChange(
  operation: KeyOperation,
  sources: readonly IssuerSource[],
  leaked: LoadedKey,
  secrets: SecretRegistry,
  replacementThumbprint?: string,
): Promise<Map<string, AppliedIssuerChange>> {
  const ref = leakedKeyRef(leaked)
  const settled = new Map<string, AppliedIssuerChange>()
  for (const {issuer, source} of sources) {
    if (!source) continue
    const base = {issuerId: issuer.id, source: issuer.keySource.type, plan: [] as PlannedCall[]}
    try {
      refuseUnpublishable(operation, issuer, source, leaked, null)
      const found = await source.precheck?.({leaked: {thumbprint: ref.thumbprint, kid: ref.kid}, replacementThumbprint})
      if (found?.outcome === 'not-found')
        settled.set(issuer.id, {...base, status: 'not-found', result: secrets.redactValue(found.result), error: null})
    } catch (caught) {
      settled.set(issuer.id, {...base, status: 'failed', result: null, error: errorFacts(caught, secrets)})
    }
  }
  return settled
}

/** The sources a change will be tried at: built, and not settled by their precheck. */
export function readySources(
  sources: readonly IssuerSource[],
  settled: ReadonlyMap<string, AppliedIssuerChange>,
): IssuerSource[] {
  return sources.filter(({issuer, source}) => source !== null && !settled.has(issuer.id))
}

/**
 * Says so when no issuer was (or, in a dry run, would be) changed, and why: every issuer refused or
 * does not hold the key. An outcome that only says "not-found" is no rotation.
 */
function nothingToDo(
  operation: KeyOperation,
  issuers: ReadonlyArray<{issuerId: string; status: string}>,
  dryRun: boolean,
): string[] {
  if (issuers.length === 0 || issuers.some((change) => ['planned', 'changed', 'unchanged'].includes(change.status))) return []
  const at = (status: string) =>
    issuers
      .filter((change) => change.status === status)
      .map((change) => change.issuerId)
      .join(', ')
  const why = [
    ...(at('not-found') ? [`the leaked key is not in the key source of ${at('not-found')}`] : []),
    ...(at('failed') ? [`${at('failed')} ${dryRun ? 'would fail' : 'failed'} (its error says why)`] : []),
  ].join('; ')
  const verb = operation === 'rotate' ? 'rotated' : 'revoked'
  const key = operation === 'rotate' ? ', and no new key was generated' : ''
  return [dryRun ? `Nothing would be ${verb}: ${why}.` : `Nothing was ${verb}${key}: ${why}.`]
}

/** A change the source can never make for this key, refused before anything is generated or changed. */
function refuseUnpublishable(
  operation: KeyOperation,
  issuer: InventoryIssuer,
  source: IssuerKeyStore,
  leaked: LoadedKey,
  replacement: ReplacementFacts | null,
): void {
  if (operation !== 'rotate' || !source.capabilities.takesGeneratedKey || leaked.report.kty !== 'oct') return
  throw new JwkrError(
    'ERR_KEY_UNSUPPORTED',
    `Issuer ${issuer.id} publishes keys in a key set, and a shared secret is never published.`,
    {
      hint: replacement
        ? `Give the new secret (in ${replacement.privateKeyFile}) to the signer and every verifier by hand, then remove the old one.`
        : 'Make a new secret, give it to the signer and every verifier by hand, then remove the old one.',
    },
  )
}

/** Runs locate (GET of every JWKS in the inventory) and keeps what containment needs. */
export async function locatePublishers(
  inventory: Inventory,
  leaked: LeakedKeyRef,
  options: {secrets: SecretRegistry; signal?: AbortSignal},
): Promise<LocatedPublishers> {
  const result = await locateKey(inventory, leaked, {secrets: options.secrets, signal: options.signal})
  return {
    publishing: result.issuers.filter((issuer) => issuer.publishes === true).map((issuer) => issuer.id),
    unchecked: result.issuers.filter((issuer) => issuer.publishes === null).map((issuer) => issuer.id),
    kids: Object.fromEntries(result.issuers.map((issuer) => [issuer.id, issuer.kid])),
  }
}

/** The key source of each target; an entry the adapter refuses is kept with its error. */
export function keySourcesFor(targets: readonly InventoryIssuer[], context: ContainmentContext): IssuerSource[] {
  const deps: IssuerKeyStoreDeps = {
    env: context.env,
    secrets: context.secrets,
    artifactsDir: context.artifactsDir,
    now: context.now,
    confirm: context.confirm,
  }
  return targets.map((issuer) => {
    try {
      return {issuer, source: createIssuerKeyStore(issuer, deps), error: null}
    } catch (error) {
      return {issuer, source: null, error: errorFacts(error, context.secrets)}
    }
  })
}

/** True when some source publishes a key jwkr generates (so one must be made). */
export function needsReplacement(sources: readonly IssuerSource[]): boolean {
  return sources.some(({source}) => source?.capabilities.takesGeneratedKey === true)
}

/**
 * Generates the replacement, writes its private half to `pathFor(kid)` (mode 0600, never over a
 * file) and returns its public facts. The private members are registered before anything else.
 */
export async function createReplacement(
  leaked: LoadedKey,
  pathFor: (kid: string) => string,
  options: {secrets: SecretRegistry; newKid?: string},
): Promise<ReplacementFacts> {
  const key = await generateReplacementKey(leaked, options)
  const privateKeyFile = pathFor(key.kid)
  await writePrivateKeyFile(privateKeyFile, key.privateJwk)
  return {kid: key.kid, thumbprint: key.thumbprint, alg: key.alg, kty: key.kty, privateKeyFile, publicJwk: key.publicJwk}
}

/** The request each key source acts on; `family` (the leaked key's kind) lets a webhook receiver make the replacement. */
export function changeRequest(
  issuerId: string,
  leaked: LeakedKeyRef,
  context: Pick<ContainmentContext, 'incidentId' | 'reason'>,
  replacement?: ReplacementFacts | null,
  family?: KeyFamily,
): RotateRequest {
  return {
    issuerId,
    incidentId: context.incidentId,
    leaked: {thumbprint: leaked.thumbprint, kid: leaked.kid},
    ...(replacement?.publicJwk
      ? {replacement: {publicJwk: replacement.publicJwk, kid: replacement.kid, privateKeyFile: replacement.privateKeyFile}}
      : {}),
    ...(family ? {family: familyOf(family)} : {}),
    reason: context.reason ?? DEFAULT_REASON,
  }
}

/** Only the members that say what the key is: a KeyReport also holds its identity and warnings. */
function familyOf({kty, crv, alg, use, bits, reference}: KeyFamily): KeyFamily {
  return {kty, crv, alg, use, bits, reference}
}

/** Every call each issuer's change would make, making none. `newKid` names the key not generated yet. */
export function planKeyChange(
  operation: KeyOperation,
  sources: readonly IssuerSource[],
  leaked: LeakedKeyRef,
  context: Pick<ContainmentContext, 'incidentId' | 'reason'>,
  newKid: string | null = null,
): IssuerChange[] {
  const preview: ReplacementFacts = {
    kid: newKid ?? 'the new key’s thumbprint',
    thumbprint: '',
    alg: null,
    kty: '',
    privateKeyFile: '',
    publicJwk: {},
  }
  return sources.map(({issuer, source, error}) => {
    const request = changeRequest(issuer.id, leaked, context, operation === 'rotate' ? preview : null)
    const plan = source ? (operation === 'rotate' ? source.planRotate(request) : source.planRevoke(request)) : []
    return {issuerId: issuer.id, source: issuer.keySource.type, status: error ? 'failed' : 'planned', plan, result: null, error}
  })
}

/**
 * Rotates (add → switch signing → remove) or revokes at each issuer in turn, each stage through
 * `context.effect`. A failing issuer is reported and the next one is tried; one that the precheck
 * settled (`settled`, from precheckKeyChange) is reported as it found it, and not tried.
 */
export async function applyKeyChange(
  operation: KeyOperation,
  sources: readonly IssuerSource[],
  leaked: LoadedKey,
  replacement: ReplacementFacts | null,
  context: ContainmentContext,
  settled: ReadonlyMap<string, AppliedIssuerChange> = new Map(),
): Promise<AppliedIssuerChange[]> {
  const ref = leakedKeyRef(leaked)
  const changes: AppliedIssuerChange[] = []
  for (const {issuer, source, error} of sources) {
    const type = issuer.keySource.type
    const request = changeRequest(issuer.id, ref, context, replacement, leaked.report)
    const base = {issuerId: issuer.id, source: type, plan: [] as PlannedCall[]}
    const known = settled.get(issuer.id)
    if (known) {
      changes.push(known)
      continue
    }
    if (!source) {
      changes.push({...base, status: 'failed', result: null, error})
      continue
    }
    context.onProgress?.(`${operation === 'rotate' ? 'Rotating' : 'Revoking'} at ${issuer.id} (${type})…`)
    try {
      refuseUnpublishable(operation, issuer, source, leaked, replacement)
      const runner = stageRunner(context.effect, request, operation)
      const result =
        operation === 'rotate'
          ? await source.rotate(request, runner, context.signal)
          : await source.revoke(request, runner, context.signal)
      changes.push({...base, status: result.outcome, result: context.secrets.redactValue(result), error: null})
    } catch (caught) {
      if (context.signal?.aborted) throw caught
      changes.push({...base, status: 'failed', result: null, error: errorFacts(caught, context.secrets)})
    }
  }
  return changes
}

/** One entry of a dry run's JWKS diff: what a jwks-file source would add and remove. */
export interface JwksDiff {
  issuerId: string
  path: string
  added: Array<{kid: string}>
  removed: Array<{index: number; kid: string | null; thumbprint: string}>
  /** Keys left untouched. */
  kept: number
  /** Why the file could not be read (the run would fail there). */
  error: string | null
}

/** For each jwks-file source, the keys a change would add and remove (reads the local files only). */
export async function jwksFileDiffs(
  operation: KeyOperation,
  sources: readonly IssuerSource[],
  leaked: LeakedKeyRef,
  options: {secrets: SecretRegistry; newKid: string | null},
): Promise<JwksDiff[]> {
  const diffs: JwksDiff[] = []
  for (const {issuer} of sources) {
    if (issuer.keySource.type !== 'jwks-file') continue
    const path = issuer.keySource.path
    const diff: JwksDiff = {issuerId: issuer.id, path, added: [], removed: [], kept: 0, error: null}
    try {
      const {document} = await readJwksFile(path, options.secrets)
      const after = await applyJwksChange(document, {removeThumbprint: leaked.thumbprint})
      diff.removed = document.keys.flatMap((raw, index) =>
        after.document.keys.includes(raw)
          ? []
          : [
              {
                index,
                kid: typeof (raw as JWK).kid === 'string' ? ((raw as JWK).kid as string) : null,
                thumbprint: leaked.thumbprint,
              },
            ],
      )
      diff.added =
        operation === 'rotate' && diff.removed.length > 0 ? [{kid: options.newKid ?? '(the new key’s thumbprint)'}] : []
      diff.kept = after.document.keys.length
    } catch (error) {
      // The real run fails there the same way; the plan of the other issuers is still worth seeing.
      diff.error = errorFacts(error, options.secrets).message
    }
    diffs.push(diff)
  }
  return diffs
}

/** The error as the user sees it: code, message and hint, with every registered secret redacted. */
export function errorFacts(error: unknown, secrets: SecretRegistry): ErrorFacts {
  if (error instanceof JwkrError) {
    return {code: error.code, message: secrets.redact(error.message), hint: error.hint ? secrets.redact(error.hint) : null}
  }
  return {code: 'ERR_INTERNAL', message: secrets.redact(error instanceof Error ? error.message : String(error)), hint: null}
}
