// tokens.invalidate: removing a key from a JWKS does not stop relying parties that cached it, nor
// the sessions and refresh tokens issued while it was trusted. This step publishes the denylist
// (always to the incident's artifacts, and to the file and Redis given) and revokes sessions where
// the issuer can, saying plainly where it cannot. Its not-before is fixed once per incident, so a
// resume writes the same entries (merging adds nothing) and sets the same revocation time.
import {join} from 'node:path'

import {keySourcesFor} from '../../services/contain-key.js'
import {planDenylist, planSessions, revokeSessionsAt, writeDenylist, type DenylistSpec} from '../../services/invalidate.js'
import {denylistEntries, parseNotBefore} from '../../core/containment/plan-containment.js'
import {defineStep} from '../define-step.js'
import {AnyObject, Nullable, Type, type Static} from '../step-schema.js'
import type {PlannedCall, StepContext} from '../types.js'
import {
  chooseTargets,
  containmentContext,
  noIssuerReason,
  prepare,
  prepareForPlan,
  throwOnFailures,
} from '../../services/key-change.js'
import {plannedFetches} from '../../services/locate.js'
import {ERROR_SCHEMA, KEY_INPUT_PROPERTIES, SKIPPED_SCHEMA} from './key-rotate.js'
import {prose} from '../../core/prose.js'

const nullableString = (description: string) => Nullable(Type.String({description}))
const TokensInvalidateInput = Type.Object(
  {
    ...KEY_INPUT_PROPERTIES,
    /** ISO 8601; default: fixed the first time the step runs in the incident. */
    notBefore: Type.Optional(nullableString('ISO 8601: tokens issued before are refused (default: when the step first runs).')),
    denylistFile: Type.Optional(nullableString('A denylist file to create or merge into, besides the artifact.')),
    /** Default: REDIS_URL. */
    redis: Type.Optional(nullableString('Redis URL to publish the denylist to (default: REDIS_URL).')),
    logoutAll: Type.Optional(Type.Boolean({description: 'Also end every user session where the issuer can.'})),
  },
  {additionalProperties: false},
)
const TokensInvalidateOutput = Type.Object(
  {
    thumbprint: Type.String(),
    notBefore: Type.String(),
    entries: Type.Integer({minimum: 1}),
    /** The denylist document in the incident's artifacts (always written). */
    artifact: Type.String(),
    denylist: Type.Array(Type.Object({kind: Type.String(), target: Type.String(), status: Type.String(), added: Type.Integer()})),
    sessions: Type.Array(
      Type.Object({
        issuerId: Type.String(),
        source: Type.String(),
        status: Type.Enum(['done', 'unsupported', 'failed']),
        actions: Type.Array(AnyObject()),
        warnings: Type.Array(Type.String()),
        byHand: Nullable(Type.String()),
        error: ERROR_SCHEMA,
      }),
    ),
    skipped: SKIPPED_SCHEMA,
  },
  {additionalProperties: false},
)
export type TokensInvalidateInput = Static<typeof TokensInvalidateInput>
export type TokensInvalidateOutput = Static<typeof TokensInvalidateOutput>

export const DENYLIST_ARTIFACT = 'denylist.json'

export const tokensInvalidate = defineStep({
  id: 'tokens.invalidate',
  title: 'Deny the key and revoke sessions',
  description: prose`
    A removed key stays trusted by every relying party that cached it, and an attacker’s refresh token keeps minting
    tokens. This step writes the denylist (thumbprint, kid and iss of each issuer) to the incident’s artifacts and
    to the file and Redis given, so guards refuse the key now, then revokes sessions where the issuer can (Keycloak
    not-before, push revocation, logout-all) and says what to do by hand where it cannot.`,
  inputSchema: TokensInvalidateInput,
  outputSchema: TokensInvalidateOutput,
  sideEffects: true,
  requiresInventory: true,
  async plan(input, context) {
    const prepared = await prepareForPlan(input, context)
    if ('calls' in prepared) return prepared.calls
    const {leaked, inventory, targets} = prepared
    const containment = containmentContext(context, inventory, input.reason)
    const calls: PlannedCall[] = Array.isArray(input.issuers) ? [] : plannedFetches(inventory)
    for (const write of planDenylist(denylistSpecs(input, context), context.secrets)) {
      calls.push({
        kind: write.kind === 'file' ? 'file' : 'http',
        target: write.target,
        description: 'Merge the denylist entries (entries already there are kept).',
      })
    }
    const notBefore = input.notBefore ? parseNotBefore(input.notBefore, 'notBefore') : context.now()
    for (const change of planSessions(
      keySourcesFor(targets, containment),
      leaked,
      {notBefore, logoutAll: input.logoutAll ?? false},
      containment,
    )) {
      calls.push(...change.plan)
      if (change.byHand) calls.push({kind: 'manual', target: change.issuerId, description: change.byHand})
    }
    return calls
  },
  async run(input, context) {
    const {leaked, inventory} = await prepare(input, context)
    const containment = containmentContext(context, inventory, input.reason)
    const {targets, skipped, kids} = await chooseTargets(input.issuers, inventory, leaked, context)
    const specs = denylistSpecs(input, context)
    // The incident's own copy of the denylist is read by no relying party: alone, it denies nothing.
    if (targets.length === 0 && specs.length === 1) {
      return context.skip(
        noIssuerReason(
          Array.isArray(input.issuers),
          skipped,
          'no session to revoke, and no denylist file or REDIS_URL was given, so nothing was denied',
        ),
      )
    }
    const notBefore = await fixedNotBefore(input, context)
    const entries = denylistEntries(
      leaked,
      targets.map((issuer) => ({iss: issuer.issuer, kid: kids[issuer.id] ?? null})),
      notBefore,
      context.incident.id,
    )
    const writes = await writeDenylist(specs, entries, containment)
    for (const write of writes) await context.record('tokens.denylist', {...write})
    const sessions = await revokeSessionsAt(
      keySourcesFor(targets, containment),
      leaked,
      {notBefore, logoutAll: input.logoutAll ?? false},
      containment,
    )
    const outputs = sessions.map(({plan: _plan, ...change}) => change)
    for (const change of outputs) await context.record('tokens.sessions', {...change})
    throwOnFailures('Invalidation', [
      ...writes.map((write) => ({issuerId: write.target, error: write.error})),
      ...outputs.map((change) => ({issuerId: change.issuerId, error: change.error})),
    ])
    if (specs.length === 1 && !outputs.some((change) => change.status === 'done')) {
      const byHand = outputs.filter((change) => change.byHand !== null).map((change) => change.issuerId)
      return context.skip(
        'nothing was denied: no denylist file or REDIS_URL was given (only the incident’s copy was written), and no ' +
          `issuer could revoke sessions${byHand.length > 0 ? ` (revoke them by hand at ${byHand.join(', ')})` : ''}`,
      )
    }
    return {
      thumbprint: leaked.thumbprint,
      notBefore: notBefore.toISOString(),
      entries: entries.length,
      artifact: artifactPath(context),
      denylist: writes.map(({kind, target, status, added}) => ({kind, target, status, added})),
      sessions: outputs,
      skipped,
    }
  },
})

function artifactPath(context: StepContext): string {
  return join(context.incident.artifactsDir, DENYLIST_ARTIFACT)
}

function denylistSpecs(input: TokensInvalidateInput, context: StepContext): DenylistSpec[] {
  const redis = input.redis ?? context.env.REDIS_URL
  return [
    {kind: 'file', location: artifactPath(context)},
    ...(input.denylistFile ? [{kind: 'file' as const, location: input.denylistFile}] : []),
    ...(redis ? [{kind: 'redis' as const, location: redis}] : []),
  ]
}

/** The input's not-before, or the instant the step first ran in this incident (recorded once, reused on resume). */
async function fixedNotBefore(input: TokensInvalidateInput, context: StepContext): Promise<Date> {
  if (input.notBefore) return parseNotBefore(input.notBefore, 'notBefore')
  const {notBefore} = await context.effect(
    `${context.incident.id}:invalidate:${context.stepId}:not-before`,
    'Fix the instant before which tokens are refused',
    async () => ({notBefore: context.now().toISOString()}),
    async () => undefined,
  )
  return new Date(notBefore)
}
