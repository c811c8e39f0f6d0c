// The token half of containment, behind `jwkr tokens invalidate` and the tokens.invalidate step:
// the denylist entries merged into each store (a file, Redis; idempotent), then sessions revoked at
// each issuer whose key source can, and for the others the steps a person must take by hand.
import {fileDenylistStore} from '../adapters/denylist/file-store.js'
import {describeRedisUrl} from '../guard/redis-denylist.js'
import {openRedisDenylistStore} from '../adapters/denylist/redis-store.js'
import type {SessionAction} from '../adapters/idp/issuer-key-store.js'
import {stageRunner} from '../adapters/idp/issuer-key-store.js'
import type {DenylistEntry, DenylistStore} from '../core/containment/denylist.js'
import {
  denylistEntries,
  orderForContainment,
  selectIssuers,
  sessionsByHand,
  type IssuerSelection,
  type SkippedIssuer,
} from '../core/containment/plan-containment.js'
import {ExitCode, JwkrError} from '../core/errors.js'
import {leakedKeyRef} from '../core/inventory/leaked-key.js'
import type {LeakedKeyRef} from '../core/inventory/locate.js'
import type {Inventory, InventoryIssuer} from '../core/inventory/types.js'
import type {LoadedKey} from '../core/key/types.js'
import type {SecretRegistry} from '../core/secrets.js'
import type {PlannedCall} from '../core/effect.js'
import {
  DEFAULT_REASON,
  errorFacts,
  keySourcesFor,
  locatePublishers,
  type ContainmentContext,
  type ErrorFacts,
  type IssuerSource,
} from './contain-key.js'

/** The result of `jwkr tokens invalidate` (its --json document). */
export interface InvalidateOutcome {
  dryRun: boolean
  incident: string | null
  thumbprint: string
  kid: string | null
  notBefore: string
  entries: DenylistEntry[]
  denylist: DenylistWrite[]
  sessions: SessionChange[]
  skipped: SkippedIssuer[]
  notes: string[]
}

/**
 * Whether the run changed (a dry run: would change) nothing anywhere: no denylist to write, and no
 * session revoked or planned to be, so a dry run says what the run would.
 */
export function nothingInvalidated(outcome: InvalidateOutcome): boolean {
  return (
    outcome.denylist.length === 0 && !outcome.sessions.some((change) => change.status === 'done' || change.status === 'planned')
  )
}

export interface InvalidateOptions {
  key: LoadedKey
  /** Null without an inventory: the entry is then by thumbprint (and kid) alone, and no session is revoked. */
  inventory: Inventory | null
  selection: IssuerSelection
  dryRun: boolean
  notBefore: Date
  logoutAll: boolean
  denylist: DenylistSpec[]
  context: Omit<ContainmentContext, 'inventory'>
  /** Whether the entries carry the incident id (a standalone run has none). */
  incident: string | null
  approve: (plan: {denylist: DenylistWrite[]; sessions: SessionChange[]}) => Promise<void>
}

/** The whole of `jwkr tokens invalidate`: the denylist entries, written to each store, then the sessions. */
export async function invalidateTokens(options: InvalidateOptions): Promise<InvalidateOutcome> {
  const {inventory, selection, dryRun, context} = options
  const leaked = leakedKeyRef(options.key)
  const notes: string[] = []
  let chosen: {targets: InventoryIssuer[]; skipped: SkippedIssuer[]} = {targets: [], skipped: []}
  let kids: Record<string, string | null> = {}
  if (inventory === null) {
    notes.push('No inventory: the entry denies the key by thumbprint (and kid) alone, and no session is revoked.')
  } else if (dryRun && selection.all && !(selection.issuers && selection.issuers.length > 0)) {
    chosen = {targets: orderForContainment(inventory.issuers), skipped: []}
    notes.push('--all: the real run first locates the key (a GET of each JWKS) and acts only on the issuers that publish it.')
  } else {
    const located = selection.all ? await locatePublishers(inventory, leaked, context) : undefined
    kids = located?.kids ?? {}
    chosen = selectIssuers(inventory, selection, located)
  }
  if (options.denylist.length === 0 && chosen.targets.length === 0 && chosen.skipped.length === 0) {
    throw new JwkrError('ERR_USAGE', 'Nothing to do: no denylist to write and no issuer to revoke sessions at.', {
      hint: 'Pass --denylist-file PATH and/or --redis URL (or set REDIS_URL), and/or --issuer ID / --all with an inventory.',
      exitCode: ExitCode.usage,
    })
  }
  const full = {...context, inventory: inventory ?? {version: 1 as const, issuers: [], services: []}}
  const entries = denylistEntries(
    leaked,
    chosen.targets.map((issuer) => ({iss: issuer.issuer, kid: kids[issuer.id] ?? null})),
    options.notBefore,
    options.incident ?? undefined,
  )
  const sources = keySourcesFor(chosen.targets, full)
  const sessionOptions = {notBefore: options.notBefore, logoutAll: options.logoutAll}
  const planned = {
    denylist: planDenylist(options.denylist, context.secrets),
    sessions: planSessions(sources, leaked, sessionOptions, full),
  }
  const outcome = {
    dryRun,
    incident: options.incident,
    thumbprint: leaked.thumbprint,
    kid: leaked.kid,
    notBefore: options.notBefore.toISOString(),
    entries,
    skipped: chosen.skipped,
    notes,
  }
  if (options.denylist.length === 0)
    notes.push('No denylist was given (--denylist-file, --redis or REDIS_URL): relying parties are not told to refuse the key.')
  if (dryRun) return {...outcome, ...planned}
  await options.approve(planned)
  const denylist = await writeDenylist(options.denylist, entries, full)
  const sessions = await revokeSessionsAt(sources, leaked, sessionOptions, full)
  return {...outcome, denylist, sessions}
}

export interface DenylistSpec {
  kind: 'file' | 'redis'
  /** A path, or a Redis URL (its password is registered as a secret and never shown). */
  location: string
}

export interface DenylistWrite {
  kind: 'file' | 'redis'
  /** The path, or the URL without its password. */
  target: string
  status: 'planned' | 'written' | 'unchanged' | 'failed'
  added: number
  error: ErrorFacts | null
}

/** Where each denylist would be written, opening nothing. */
export function planDenylist(specs: readonly DenylistSpec[], secrets: SecretRegistry): DenylistWrite[] {
  return specs.map((spec) => ({kind: spec.kind, target: displayTarget(spec, secrets), status: 'planned', added: 0, error: null}))
}

/** Merges the entries into each store (idempotent: what is there already is not added again). */
export async function writeDenylist(
  specs: readonly DenylistSpec[],
  entries: readonly DenylistEntry[],
  context: Pick<ContainmentContext, 'secrets' | 'effect' | 'incidentId' | 'now'>,
): Promise<DenylistWrite[]> {
  const writes: DenylistWrite[] = []
  const now = (context.now ?? (() => new Date()))()
  for (const spec of specs) {
    const target = displayTarget(spec, context.secrets)
    let store: DenylistStore | undefined
    try {
      store =
        spec.kind === 'file'
          ? fileDenylistStore(spec.location)
          : await openRedisDenylistStore(spec.location, {secrets: context.secrets})
      const opened = store
      // Merging again adds nothing, so an interrupted merge is simply made again.
      const {added} = await context.effect(
        `${context.incidentId}:invalidate:denylist:${target}`,
        `Merge ${entries.length} denylist entr${entries.length === 1 ? 'y' : 'ies'} into ${target}`,
        async () => ({added: (await opened.merge(entries, now)).added.length}),
        async () => undefined,
      )
      writes.push({kind: spec.kind, target, status: added > 0 ? 'written' : 'unchanged', added, error: null})
    } catch (error) {
      writes.push({kind: spec.kind, target, status: 'failed', added: 0, error: errorFacts(error, context.secrets)})
    } finally {
      await store?.close()
    }
  }
  return writes
}

export interface SessionOptions {
  notBefore: Date
  logoutAll: boolean
}

/** What happened to the sessions at one issuer, and what is left to do by hand. */
export interface SessionChange {
  issuerId: string
  source: string
  status: 'planned' | 'done' | 'unsupported' | 'failed'
  plan: PlannedCall[]
  actions: SessionAction[]
  warnings: string[]
  /** Set when jwkr could not do it (no API, or it failed): the steps for a person. */
  byHand: string | null
  error: ErrorFacts | null
}

/** Sessions once revoked (or tried): no longer 'planned'. What tokens.invalidate reports. */
export type AppliedSessionChange = Omit<SessionChange, 'status'> & {status: Exclude<SessionChange['status'], 'planned'>}

export function planSessions(
  sources: readonly IssuerSource[],
  leaked: LeakedKeyRef,
  options: SessionOptions,
  context: Pick<ContainmentContext, 'incidentId' | 'reason'>,
): SessionChange[] {
  return sources.map(({issuer, source, error}) => {
    const type = issuer.keySource.type
    const base = {issuerId: issuer.id, source: type, actions: [], warnings: []}
    if (!source) return {...base, status: 'failed', plan: [], byHand: sessionsByHand(type), error}
    if (!source.planRevokeSessions || !source.revokeSessions) {
      return {...base, status: 'unsupported', plan: [], byHand: source.sessionsByHand ?? sessionsByHand(type), error: null}
    }
    const plan = source.planRevokeSessions(sessionRequest(issuer.id, leaked, options, context))
    return {...base, status: 'planned', plan, byHand: null, error: null}
  })
}

/** Revokes sessions where the source can, and says plainly where it cannot. */
export async function revokeSessionsAt(
  sources: readonly IssuerSource[],
  leaked: LeakedKeyRef,
  options: SessionOptions,
  context: ContainmentContext,
): Promise<AppliedSessionChange[]> {
  const changes: AppliedSessionChange[] = []
  for (const planned of planSessions(sources, leaked, options, context)) {
    const source = sources.find(({issuer}) => issuer.id === planned.issuerId)?.source
    // planSessions plans only where the source can revoke, so a planned change has revokeSessions.
    if (planned.status !== 'planned' || !source?.revokeSessions) {
      changes.push({...planned, status: planned.status === 'planned' ? 'unsupported' : planned.status, plan: []})
      continue
    }
    context.onProgress?.(`Revoking sessions at ${planned.issuerId} (${planned.source})…`)
    const request = sessionRequest(planned.issuerId, leaked, options, context)
    try {
      const result = await source.revokeSessions(request, stageRunner(context.effect, request, 'sessions'), context.signal)
      const safe = context.secrets.redactValue(result)
      changes.push({...planned, plan: [], status: 'done', actions: safe.actions, warnings: safe.warnings})
    } catch (caught) {
      if (context.signal?.aborted) throw caught
      const type = sources.find(({issuer}) => issuer.id === planned.issuerId)?.issuer.keySource.type ?? 'manual'
      changes.push({
        ...planned,
        plan: [],
        status: 'failed',
        byHand: source.sessionsByHand ?? sessionsByHand(type),
        error: errorFacts(caught, context.secrets),
      })
    }
  }
  return changes
}

function sessionRequest(
  issuerId: string,
  leaked: LeakedKeyRef,
  options: SessionOptions,
  context: Pick<ContainmentContext, 'incidentId' | 'reason'>,
) {
  return {
    issuerId,
    incidentId: context.incidentId,
    leaked: {thumbprint: leaked.thumbprint, kid: leaked.kid},
    reason: context.reason ?? DEFAULT_REASON,
    notBefore: options.notBefore,
    logoutAll: options.logoutAll,
  }
}

function displayTarget(spec: DenylistSpec, secrets: SecretRegistry): string {
  if (spec.kind === 'file') return spec.location
  try {
    return describeRedisUrl(spec.location, secrets)
  } catch {
    return '(an invalid Redis URL)'
  }
}
