// containment.verify: the proof that the leaked key is out of service — every JWKS fetched again,
// every dependent service probed with a canary signed with the leaked key, the containment clock —
// with each check's evidence journaled for the report. Its clock sizes the wait that may follow it.
import {loadKeySource} from '../../services/identify.js'
import {
  recordedAcceptances,
  recordedIssuerAlgs,
  recordedPublished,
  recordedShapes,
} from '../../core/containment/recorded-probes.js'
import {recordedRemovals} from '../../core/containment/recorded-removals.js'
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_INTERVAL_MS,
  checkControlKey,
  notContainedMessage,
  verifyContainment,
  type VerifyResult,
} from '../../services/verify.js'
import {parseRemovalTime, REMOVAL_TIME_PATTERN} from '../../core/containment/clock.js'
import {containmentProgress} from '../../core/containment/containment-progress.js'
import {DURATION_PATTERN, formatDuration, parseDuration} from '../../core/duration.js'
import {JwkrError} from '../../core/errors.js'
import {leakedKeyOf} from '../../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {loadInventory} from '../../services/inventory.js'
import type {Inventory} from '../../core/inventory/types.js'
import {defineStep} from '../define-step.js'
import {Nullable, Type, type Static} from '../step-schema.js'
import {leakedKeyInput} from './leaked-key-input.js'
import {planFromInventory} from './plan-from-inventory.js'
import type {PlannedCall} from '../types.js'
import {writeArtifact} from '../write-artifact.js'
import {plannedFetches} from '../../services/locate.js'
import {prose} from '../../core/prose.js'

const Duration = (description: string) =>
  Type.Optional(Type.String({pattern: DURATION_PATTERN, title: 'duration like 15s', description}))
const ContainmentVerifyInput = Type.Object(
  {
    ...leakedKeyInput,
    /** Before containment: expect every canary to be accepted; refusals mark undiscriminating probes. */
    baseline: Type.Optional(
      Type.Boolean({
        description: prose`
          Run before containment: every canary is expected to be accepted; a service that refuses it is
          undiscriminating.`,
      }),
    ),
    /** The replacement private key file (key.rotate's): control tokens signed with it must be accepted. */
    controlKey: Type.Optional(
      Type.String({description: 'The replacement private key file: a control token signed with it must be accepted.'}),
    ),
    untilContained: Type.Optional(
      Type.Boolean({description: 'Check again every interval until everything is contained (fails at the deadline).'}),
    ),
    deadline: Duration(`With untilContained: give up after this long (default ${formatDuration(DEFAULT_DEADLINE_MS)}).`),
    deadlineAfterCaches: Type.Optional(
      Type.Boolean({
        description: prose`
          With untilContained: count the deadline from when the containment clock says every declared cache has
          dropped the key (from the start when that is past or unknown). Checks still run meanwhile, each as a
          cache comes due, so no separate wait is needed.`,
      }),
    ),
    interval: Duration(`With untilContained: time between checks (default ${formatDuration(DEFAULT_INTERVAL_MS)}).`),
    tokenLifetime: Duration('The longest lifetime of a token signed with the key (default 1h).'),
    removedAt: Type.Optional(
      Type.String({pattern: REMOVAL_TIME_PATTERN, description: 'When the key left the JWKS, if the journal does not say.'}),
    ),
    timeout: Duration('Per request (default 5s).'),
  },
  {additionalProperties: false},
)
const ids = Type.Array(Type.String())
const nullableTime = Nullable(Type.String())
const ContainmentVerifyOutput = Type.Object(
  {
    contained: Type.Boolean(),
    /** proven, not-proven or not-attempted (no service could be probed). */
    outcome: Type.Enum(['proven', 'not-proven', 'not-attempted']),
    /** What a proof still lacks, in words. */
    missing: ids,
    services: Type.Object(
      {contained: Type.Integer(), exposed: Type.Integer(), unknown: Type.Integer(), undiscriminating: Type.Integer()},
      {additionalProperties: false},
    ),
    /** Service ids still exposed, not proven either way, and refusing for other reasons than the key. */
    exposed: ids,
    unknown: ids,
    undiscriminating: ids,
    /** Service ids seen accepting a canary: those whose refusals can prove containment (absent in older journals). */
    accepting: Type.Optional(ids),
    /** When the proof must be complete: every cache expired + the longest token lifetime (null while unknown). */
    deadline: nullableTime,
    clock: Type.Object(
      {containedBy: nullableTime, deadline: nullableTime, waitFor: nullableTime, tokenLifetimeSeconds: Type.Integer()},
      {additionalProperties: false},
    ),
    probesPossible: Type.Boolean(),
    checks: Type.Integer({minimum: 1}),
    /** The whole result (the `--json` of `jwkr verify`). */
    artifact: Type.String(),
  },
  {additionalProperties: false},
)
export type ContainmentVerifyInput = Static<typeof ContainmentVerifyInput>
export type ContainmentVerifyOutput = Static<typeof ContainmentVerifyOutput>

export const CONTAINMENT_ARTIFACT = 'containment.json'
export const BASELINE_ARTIFACT = 'containment-baseline.json'

export const containmentVerify = defineStep({
  id: 'containment.verify',
  title: 'Prove the key is contained',
  description: prose`
    Removing a key from a JWKS stops nothing while relying parties still cache it. This step fetches every JWKS
    again (the thumbprint must be gone) and sends each dependent service a canary token signed with the leaked key,
    shaped like an attacker's (the kid the issuer publishes, the service's aud/typ/scope). A refusal (401) proves
    containment only from a service seen to accept a canary before (baseline: true, run before containment) or
    beside an accepted control token signed with the replacement key (controlKey). It computes when every cache must
    have dropped the key. Reads only; with untilContained it checks again until everything is contained, and fails
    when the deadline passes first.`,
  inputSchema: ContainmentVerifyInput,
  outputSchema: ContainmentVerifyOutput,
  sideEffects: false,
  requiresInventory: true,
  plan: (input, context) => planFromInventory(context, (inventory) => plannedChecks(inventory, input)),
  async run(input, context) {
    if (context.inventoryPath === null) throw inventoryNotFound(null)
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    const inventory = await loadInventory(context.inventoryPath, {secrets: context.secrets})
    const controlKey =
      input.controlKey === undefined || input.baseline === true
        ? null
        : checkControlKey(leakedKeyOf(await loadKeySource(input.controlKey, {secrets: context.secrets})), key)
    const events = context.events()
    const phase = input.baseline === true ? 'baseline' : 'check'
    const intervalMs = parseDuration(input.interval ?? '15s')
    const result = await verifyContainment({
      inventory,
      key,
      secrets: context.secrets,
      baseline: input.baseline === true,
      published: recordedPublished(events, key.report.thumbprint ?? ''),
      acceptedBefore: recordedAcceptances(events),
      canaryDefaults: {shapes: recordedShapes(events), issuerAlgs: recordedIssuerAlgs(events)},
      controlKey,
      untilContained: input.untilContained === true,
      deadlineMs: parseDuration(input.deadline ?? '30m'),
      deadlineAfterCaches: input.deadlineAfterCaches === true,
      intervalMs,
      tokenLifetimeSeconds: Math.ceil(parseDuration(input.tokenLifetime ?? '1h') / 1000),
      timeoutMs: parseDuration(input.timeout ?? '5s'),
      removedAt: input.removedAt === undefined ? undefined : parseRemovalTime(input.removedAt, 'removedAt', context.now()),
      recordedRemovals: recordedRemovals(events),
      incident: context.incident.id,
      signal: context.signal,
      onCheck: async ({round, result: seen, evidence}) => {
        for (const item of evidence) {
          const {kind, ...data} = item
          await context.record(kind === 'probe' ? 'evidence.probe' : 'evidence.jwks', {round, phase, ...data})
        }
        // The verdict per service, which a probe's answer alone does not give (a refusal counts only after an
        // acceptance or beside an accepted control): the report reads these, not the raw answers.
        for (const service of seen.services) {
          const {id, status, basis, reason} = service
          await context.record('containment.service', {round, phase, service: id, status, basis, reason})
        }
        context.progress(containmentProgress({round, result: seen}, intervalMs, context.now()))
      },
    })
    const artifact = await writeArtifact(context, input.baseline === true ? BASELINE_ARTIFACT : CONTAINMENT_ARTIFACT, result)
    if (input.baseline === true) {
      await context.record('containment.baseline', {
        discriminating: result.exposed,
        undiscriminating: result.undiscriminating,
        unknown: result.unknown,
        published: result.published,
      })
      if (result.outcome === 'not-attempted') return context.skip(`nothing could be checked: ${result.missing.join('; ')}`)
      return outputsOf(result, artifact)
    }
    await context.record('containment.verdict', {
      contained: result.contained,
      outcome: result.outcome,
      missing: result.missing,
      exposed: result.exposed,
      unknown: result.unknown,
      undiscriminating: result.undiscriminating,
      clock: result.clock,
    })
    // Nothing could be probed: the step did not check anything, so it must not show as done.
    if (result.outcome === 'not-attempted') return context.skip(`nothing could be checked: ${result.missing.join('; ')}`)
    if (input.untilContained === true && !result.contained) {
      throw new JwkrError('ERR_NOT_CONTAINED', notContainedMessage(result), {
        hint: [...result.advice, `The evidence is in ${artifact}.`].join('\n  '),
        details: {exposed: result.exposed, unknown: result.unknown, undiscriminating: result.undiscriminating},
      })
    }
    return outputsOf(result, artifact)
  },
})

/** The fetches and probes one check makes, from the inventory alone (a probe per service that has one). */
function plannedChecks(inventory: Inventory, input: ContainmentVerifyInput): PlannedCall[] {
  const calls = plannedFetches(inventory).map((call) => ({...call, description: `Re-check: ${call.description}`}))
  for (const service of inventory.services) {
    if (service.probe === undefined) continue
    calls.push({
      kind: 'http',
      target: `${service.probe.method} ${service.probe.url}`,
      description:
        `Canary token for ${service.id} (signed with the leaked key, sub jwkr-canary, 5-minute exp), per issuer it trusts ` +
        'that served the key: contained when it answers 401 (a 403 or a 2xx means the signature was accepted). Only when the private key is known.',
    })
  }
  if (input.untilContained === true) {
    calls.push({
      kind: 'wait',
      target: `every ${input.interval ?? '15s'}, at most ${input.deadline ?? '30m'}`,
      description: 'Repeat the checks until every service and JWKS is contained; fail when the deadline passes first.',
    })
  }
  return calls
}

function outputsOf(result: VerifyResult, artifact: string): ContainmentVerifyOutput {
  const count = (status: string) => result.services.filter((service) => service.status === status).length
  return {
    contained: result.contained,
    outcome: result.outcome,
    missing: result.missing,
    services: {
      contained: count('contained'),
      exposed: count('exposed'),
      unknown: count('unknown'),
      undiscriminating: count('undiscriminating'),
    },
    exposed: result.exposed,
    unknown: result.unknown,
    undiscriminating: result.undiscriminating,
    accepting: result.accepting,
    deadline: result.clock.deadline,
    clock: {
      containedBy: result.clock.containedBy,
      deadline: result.clock.deadline,
      waitFor: result.clock.waitFor,
      tokenLifetimeSeconds: result.clock.tokenLifetimeSeconds,
    },
    probesPossible: result.probes.possible,
    checks: result.checks,
    artifact,
  }
}
